//! Redirect tables on real servers: the nginx configuration passes `nginx -t` and, served by
//! real nginx, answers every raw URL the demo crawl found as the table says; `serve` does
//! the same; `verify` catches every difference; hostile URLs and titles cannot change the
//! generated configuration.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{
    RunningServer, WebServer, copy_workspace, free_port, phe_migrate, repo_root, run_demo,
};

const DEMO_SITES: [&str; 3] = ["demo_chobs", "demo_comare", "demo_hpa"];

/// One demo run for the whole file, with each site's JSON table written.
fn demo_out() -> &'static Path {
    static OUT: OnceLock<tempfile::TempDir> = OnceLock::new();
    OUT.get_or_init(|| {
        let out = tempfile::tempdir().unwrap();
        run_demo(out.path());
        let report = phe_migrate()
            .current_dir(repo_root())
            .args(["report", "redirects", "--format", "json", "--out"])
            .arg(out.path())
            .args(DEMO_SITES)
            .output()
            .unwrap();
        assert_eq!(
            report.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&report.stdout)
        );
        out
    })
    .path()
}

fn tables(out: &Path) -> Vec<PathBuf> {
    DEMO_SITES
        .iter()
        .map(|s| out.join(s).join("redirects.json"))
        .collect()
}

/// A raw HTTP/1.1 GET: status, headers (lower-case names) and body.
fn get(port: u16, host: &str, target: &str) -> (u16, Vec<(String, String)>, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn verify(tables: &[PathBuf], port: u16) -> std::process::Output {
    phe_migrate()
        .arg("verify")
        .args(tables)
        .arg("--target")
        .arg(format!("http://127.0.0.1:{port}"))
        .output()
        .unwrap()
}

fn server_config(
    kind: WebServer,
    workspace: &Path,
    out: &Path,
    sites: &[&str],
    port: u16,
) -> (PathBuf, String) {
    let conf = out.join(kind.format()).join("redirects.conf");
    let report = phe_migrate()
        .current_dir(workspace)
        .args(["report", "redirects", "--format", kind.format(), "--listen"])
        .arg(kind.listen(port))
        .arg("-o")
        .arg(&conf)
        .arg("--out")
        .arg(out)
        .args(sites)
        .output()
        .unwrap();
    (conf, String::from_utf8_lossy(&report.stdout).into_owned())
}

#[test]
fn nginx_answers_every_demo_url_as_the_table_says() {
    every_demo_url_answers_as_the_table_says(WebServer::Nginx);
}

#[test]
fn apache_answers_every_demo_url_as_the_table_says() {
    every_demo_url_answers_as_the_table_says(WebServer::Apache);
}

fn every_demo_url_answers_as_the_table_says(kind: WebServer) {
    let out = demo_out();
    let port = free_port();
    let (conf, printed) = server_config(kind, &repo_root(), out, &DEMO_SITES, port);
    assert!(printed.contains("redirects.conf"), "{printed}");
    let server = RunningServer::start(kind, &conf, port)
        .unwrap_or_else(|e| panic!("{kind:?} syntax check: {e}"));
    let checked = verify(&tables(out), port);
    let text = String::from_utf8_lossy(&checked.stdout);
    assert_eq!(checked.status.code(), Some(0), "{text}");
    let total: usize = tables(out)
        .iter()
        .map(|t| {
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(t).unwrap()).unwrap();
            v["entries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["urls"].as_array().unwrap().len())
                .sum::<usize>()
        })
        .sum();
    assert!(total > 300, "{total}");
    assert!(
        text.contains(&format!("{total} URLs checked")),
        "{text} ({total})"
    );

    // Variants nobody crawled still land on their page: another parameter order, an
    // insignificant parameter, other case, a trailing slash, an AKA host.
    let (status, headers, _) = get(
        port,
        "www.chobs-demo.org.uk",
        "/Resource/View.aspx/?utm_source=x&RID=101700",
    );
    assert_eq!(status, 301);
    assert_eq!(
        header(&headers, "location"),
        Some("https://www.gov.uk/government/publications/breastfeeding-2010-11-data-briefing--2")
    );
    assert_eq!(
        header(&headers, "cache-control"),
        Some("public, max-age=3600")
    );
    // A path under an archived section that nobody saw: 410 with Bouncer's link, AKA host
    // named as the real host.
    let (status, _, body) = get(port, "aka.hpa-demo.org.uk", "/NewsCentre/Unseen/?a=1");
    assert_eq!(status, 410);
    assert!(body.contains("<a href=\"https://webarchive.nationalarchives.gov.uk/20140714084352/http://www.hpa-demo.org.uk/NewsCentre/Unseen/?a=1\">This item has been archived</a>"), "{body}");
    // The homepage, robots.txt, the sitemap, the test pages and an unknown path.
    let (status, headers, _) = get(port, "www.comare-demo.org.uk", "/?x=1");
    assert_eq!(status, 301);
    assert!(
        header(&headers, "location")
            .unwrap()
            .starts_with("https://www.gov.uk/")
    );
    let (status, headers, body) = get(port, "www.hpa-demo.org.uk", "/robots.txt");
    assert_eq!(status, 200);
    assert!(
        header(&headers, "content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    assert_eq!(
        body,
        "User-agent: *\nDisallow:\nSitemap: http://www.hpa-demo.org.uk/sitemap.xml\n"
    );
    let (status, headers, body) = get(port, "hpa-demo.org.uk", "/Sitemap.xml");
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), Some("application/xml"));
    assert!(body.contains("<loc>http://hpa-demo.org.uk/"), "{body}");
    let (status, _, body) = get(port, "www.hpa-demo.org.uk", "/no/such/page");
    assert_eq!(status, 404);
    assert!(body.contains("<a href=\"https://webarchive.nationalarchives.gov.uk/20140714084352/http://www.hpa-demo.org.uk/no/such/page\">UK Government Web Archive</a>"));
    assert_eq!(get(port, "www.hpa-demo.org.uk", "/410").0, 410);
    drop(server);
}

#[test]
fn serve_answers_as_the_table_says_and_verify_catches_every_difference() {
    let out = demo_out();
    let mut serve = phe_migrate()
        .current_dir(repo_root())
        .args(["serve", "--listen", "127.0.0.1:0", "--out"])
        .arg(out)
        .args(DEMO_SITES)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    let mut stdout = serve.stdout.take().unwrap();
    let mut byte = [0u8; 1];
    while stdout.read(&mut byte).unwrap() == 1 && byte[0] != b'\n' {
        first.push(byte[0] as char);
    }
    let port: u16 = first
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("{first}"));
    let checked = verify(&tables(out), port);
    assert_eq!(
        checked.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&checked.stdout)
    );

    // A table that disagrees with the server: one Location and one status changed.
    let mut table: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&tables(out)[2]).unwrap()).unwrap();
    let mut changed = Vec::new();
    for entry in table["entries"].as_array_mut().unwrap() {
        let url = &mut entry["urls"][0];
        if url["status"] == 301 && changed.is_empty() {
            url["location"] = "https://www.gov.uk/somewhere-else".into();
            changed.push(url["url"].as_str().unwrap().to_owned());
        } else if url["status"] == 410 && changed.len() == 1 {
            url["status"] = 404.into();
            changed.push(url["url"].as_str().unwrap().to_owned());
        }
    }
    let tampered = out.join("tampered.json");
    std::fs::write(&tampered, serde_json::to_vec(&table).unwrap()).unwrap();
    let checked = verify(&[tampered], port);
    let text = String::from_utf8_lossy(&checked.stdout);
    assert_eq!(checked.status.code(), Some(1), "{text}");
    for url in &changed {
        assert!(text.contains(url.as_str()), "{url} not listed in {text}");
    }
    assert!(
        text.contains("expected 301 → https://www.gov.uk/somewhere-else"),
        "{text}"
    );
    assert!(text.contains("2 differ"), "{text}");

    // A host the server is not set up for: one line for the host, not one per URL.
    let entries: Vec<serde_json::Value> = ["/", "/a", "/b"]
        .iter()
        .map(|path| {
            serde_json::json!({"urls": [{
                "url": format!("http://www.not-served.org.uk{path}"),
                "status": 301,
                "location": "https://www.gov.uk/",
            }]})
        })
        .collect();
    let elsewhere = out.join("not-served.json");
    std::fs::write(
        &elsewhere,
        serde_json::to_vec(&serde_json::json!({ "entries": entries })).unwrap(),
    )
    .unwrap();
    let checked = verify(&[elsewhere, tables(out)[0].clone()], port);
    let text = String::from_utf8_lossy(&checked.stdout);
    assert_eq!(checked.status.code(), Some(1), "{text}");
    assert!(
        text.starts_with("www.not-served.org.uk: all 3 URLs answered 404, whatever the table says: the server is not set up for this host"),
        "{text}"
    );
    assert!(!text.contains("http://www.not-served.org.uk/a"), "{text}");
    assert!(text.contains(": 3 differ"), "{text}");
    let _ = serve.kill();
    let _ = serve.wait();
    // No server there any more: one message and exit 2, not every URL a difference.
    let checked = verify(&tables(out), port);
    let stderr = String::from_utf8_lossy(&checked.stderr);
    assert_eq!(checked.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("cannot connect to http://127.0.0.1:{port} (")),
        "{stderr}"
    );
    assert!(checked.stdout.is_empty());
}

#[test]
fn hostile_urls_and_titles_cannot_change_the_nginx_configuration() {
    hostile_inputs_stay_inside_their_strings(WebServer::Nginx);
}

#[test]
fn hostile_urls_and_titles_cannot_change_the_apache_configuration() {
    hostile_inputs_stay_inside_their_strings(WebServer::Apache);
}

fn hostile_inputs_stay_inside_their_strings(kind: WebServer) {
    let work = tempfile::tempdir().unwrap();
    let ws = work.path();
    std::fs::create_dir_all(ws.join("crawl-configs")).unwrap();
    std::fs::create_dir_all(ws.join("mappings")).unwrap();
    std::fs::write(
        ws.join("crawl-configs/hostile.yml"),
        "site: hostile\nwhitehall_slug: public-health-england\nhost: www.hostile.org.uk\n\
         tna_timestamp: 20140101000000\nhomepage: https://www.gov.uk/government/organisations/public-health-england\n\
         homepage_title: '\"; } server { listen 1; } $host \\\\ <script>alert(1)</script>'\n",
    )
    .unwrap();
    let hostile_paths = [
        "/a\"quote",
        "/semi;colon",
        "/brace{x}",
        "/dollar$uri",
        "/back\\slash",
        "/x;} server { listen 2; }#",
        "/sp ace",
        "/~regex",
        "/default",
    ];
    let mut csv = String::from("old url,new url\n");
    for (i, path) in hostile_paths.iter().enumerate() {
        let target = match i % 3 {
            0 => format!("https://www.gov.uk/new-{i}$1\\\"}}"),
            1 => "TNA".to_owned(),
            _ => String::new(),
        };
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        csv.push_str(&format!("{},{}\n", quote(path), quote(&target)));
    }
    std::fs::write(ws.join("mappings/hostile.csv"), &csv).unwrap();
    std::fs::write(
        ws.join("mappings/hostile.yml"),
        // A line break cannot reach the writers through a spreadsheet (a cell holding one is
        // refused as a stray quote), but it can through the mappings' YAML.
        "sections:\n  - prefix: '/sec\"} tion$/'\n    type: archive\n\
         pages:\n  - path: \"/new\\nline\"\n    type: archive\n",
    )
    .unwrap();
    let out = ws.join("out");
    let port = free_port();
    let (conf, printed) = server_config(kind, ws, &out, &["hostile"], port);
    let text = std::fs::read_to_string(&conf).unwrap_or_else(|e| panic!("{e}: {printed}"));
    // One block, one listen directive: the hostile text stayed inside its strings.
    let directives = |d: &str| {
        text.lines()
            .filter(|l| l.trim_start().starts_with(d))
            .count()
    };
    let (block, listen) = match kind {
        WebServer::Nginx => ("server {", "listen "),
        WebServer::Apache => ("<VirtualHost ", "ServerName "),
    };
    assert_eq!(directives(block), 1, "{text}");
    assert_eq!(directives(listen), 1, "{text}");
    assert!(!text.contains("<script>"));
    let server = RunningServer::start(kind, &conf, port)
        .unwrap_or_else(|e| panic!("{kind:?} syntax check: {e}\n{text}"));
    let table = out.join("hostile.json");
    let json = phe_migrate()
        .current_dir(ws)
        .args(["report", "redirects", "hostile", "--format", "json", "-o"])
        .arg(&table)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(json.status.code().is_some());
    let checked = verify(std::slice::from_ref(&table), port);
    let report = String::from_utf8_lossy(&checked.stdout);
    assert_eq!(checked.status.code(), Some(0), "{report}\n{text}");
    assert!(report.contains("not requested"), "{report}");
    // The raw forms nginx receives answer as the table says, byte for byte.
    let (status, headers, _) = get(port, "www.hostile.org.uk", "/a\"quote");
    assert_eq!(status, 301);
    assert_eq!(
        header(&headers, "location"),
        Some("https://www.gov.uk/new-0$1\\\"}")
    );
    let (status, _, body) = get(port, "www.hostile.org.uk", "/brace{x}");
    assert_eq!(status, 410);
    assert!(body.contains("&lt;script&gt;"), "{body}");
    let (status, _, _) = get(port, "www.hostile.org.uk", "/sec%22%7D%20tion$/deeper");
    assert!(status == 410 || status == 404);
    drop(server);
}

#[test]
fn a_mapping_to_a_page_the_batch_does_not_make_blocks_the_table() {
    let out = demo_out();
    let ws = copy_workspace();
    let mappings = ws.path().join("mappings/demo_hpa.yml");
    let mut text = std::fs::read_to_string(&mappings).unwrap();
    let at = text.find("\nformats:").unwrap();
    text.insert_str(
        at,
        "\n  - path: /topics/infectiousdiseases/infectionsaz/anthrax\n    type: redirect\n    new_url: https://www.gov.uk/government/statistical-data-sets/anthrax-typo\n",
    );
    std::fs::write(&mappings, &text).unwrap();
    let line = text[..text
        .find("path: /topics/infectiousdiseases/infectionsaz/anthrax")
        .unwrap()]
        .lines()
        .count();
    let report = phe_migrate()
        .args(["report", "redirects", "demo_hpa", "--workspace"])
        .arg(ws.path())
        .arg("--out")
        .arg(out)
        .args(["-o"])
        .arg(ws.path().join("t.csv"))
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&report.stdout);
    assert_eq!(report.status.code(), Some(1), "{printed}");
    assert!(
        printed.contains(&format!("demo_hpa.yml:{line}: https://www.gov.uk/government/statistical-data-sets/anthrax-typo is not in the batch's output")),
        "{printed}"
    );
}

#[test]
fn nginx_shows_the_suggested_page_on_a_410_as_bouncer_does() {
    suggested_pages_show_on_410_pages(WebServer::Nginx);
}

#[test]
fn apache_shows_the_suggested_page_on_a_410_as_bouncer_does() {
    suggested_pages_show_on_410_pages(WebServer::Apache);
}

/// Transition's suggested URL (a page elsewhere on the topic) on the 410 page, from a page
/// decision and from a section, with text a configuration would read as syntax.
fn suggested_pages_show_on_410_pages(kind: WebServer) {
    let work = tempfile::tempdir().unwrap();
    let ws = work.path();
    std::fs::create_dir_all(ws.join("crawl-configs")).unwrap();
    std::fs::create_dir_all(ws.join("mappings")).unwrap();
    std::fs::write(
        ws.join("crawl-configs/suggest.yml"),
        "site: suggest\nwhitehall_slug: public-health-england\nhost: www.suggest.org.uk\n\
         tna_timestamp: 20140101000000\nhomepage: https://www.gov.uk/government/organisations/public-health-england\n",
    )
    .unwrap();
    std::fs::write(
        ws.join("mappings/suggest.yml"),
        "pages:\n\
         \x20 - path: /leaflets/flu.htm\n    type: archive\n    suggested_url: http://www.truthiness.co.uk/\n\
         \x20 - path: /leaflets/own-link.htm\n    type: archive\n\
         \x20   archive_url: https://webarchive.nationalarchives.gov.uk/20120101000000/http://www.suggest.org.uk/leaflets/own-link.htm\n\
         \x20   suggested_url: https://example.org/a,b/%41$1?x=1&y=\"é\"\n\
         \x20 - path: /leaflets/plain.htm\n    type: archive\n\
         sections:\n  - prefix: /archive\n    type: archive\n    suggested_url: https://www.nhs.uk/conditions/\n\
         \x20 - prefix: /tricky\n    type: archive\n    suggested_url: https://example.org/a,b/%41$1?x=1&y=\"é\"\n\
         \x20 - prefix: /quoted\n    type: archive\n    suggested_url: https://www.nhs.uk/conditions/\n\
         \x20   archive_url: \"https://webarchive.nationalarchives.gov.uk/20120101000000/http://www.suggest.org.uk/quoted/it's\"\n\
         \x20 - prefix: /reports/\n    type: archive\n",
    )
    .unwrap();
    let out = ws.join("out");
    let port = free_port();
    let (conf, printed) = server_config(kind, ws, &out, &["suggest"], port);
    let text = std::fs::read_to_string(&conf).unwrap_or_else(|e| panic!("{e}: {printed}"));
    let server = RunningServer::start(kind, &conf, port)
        .unwrap_or_else(|e| panic!("{kind:?} syntax check: {e}\n{text}"));
    let host = "www.suggest.org.uk";
    let suggestion = |href: &str, text: &str| {
        format!("Visit <a href=\"{href}\">{text}</a> for more information on this topic.")
    };

    let (status, _, body) = get(port, host, "/leaflets/flu.htm");
    assert_eq!(status, 410);
    assert!(
        body.contains(&suggestion(
            "http://www.truthiness.co.uk/",
            "www.truthiness.co.uk"
        )),
        "{body}"
    );
    assert!(body.contains("<a href=\"https://webarchive.nationalarchives.gov.uk/20140101000000/http://www.suggest.org.uk/leaflets/flu.htm\">This item has been archived</a>"), "{body}");

    // The page's own archive link and a suggestion whose text is syntax to both servers.
    let (status, _, body) = get(port, host, "/leaflets/own-link.htm");
    assert_eq!(status, 410);
    assert!(body.contains("<a href=\"https://webarchive.nationalarchives.gov.uk/20120101000000/http://www.suggest.org.uk/leaflets/own-link.htm\">"), "{body}");
    let tricky = "https://example.org/a,b/%41$1?x=1&y=\"é\"";
    assert_eq!(
        suggested_link(&body),
        Some((tricky.to_owned(), tricky["https://".len()..].to_owned())),
        "{body}"
    );

    // No suggestion, no extra paragraph.
    let (status, _, body) = get(port, host, "/leaflets/plain.htm");
    assert_eq!(status, 410);
    assert!(
        !body.contains("for more information on this topic"),
        "{body}"
    );

    // A section's suggestion covers the paths under it.
    let (status, _, body) = get(port, host, "/archive/2009/report.htm");
    assert_eq!(status, 410);
    assert!(
        body.contains(&suggestion(
            "https://www.nhs.uk/conditions/",
            "www.nhs.uk/conditions"
        )),
        "{body}"
    );
    let (status, _, body) = get(port, host, "/quoted/page.htm");
    assert_eq!(status, 410);
    assert!(body.contains("/www.suggest.org.uk/quoted/it"), "{body}");
    assert!(
        body.contains(&suggestion(
            "https://www.nhs.uk/conditions/",
            "www.nhs.uk/conditions"
        )),
        "{body}"
    );
    let (status, _, body) = get(port, host, "/tricky/page.htm");
    assert_eq!(status, 410);
    assert_eq!(
        suggested_link(&body),
        Some((tricky.to_owned(), tricky["https://".len()..].to_owned())),
        "{body}"
    );

    // A folder's section covers the folder's own page, which nobody saw either, in any of
    // its forms, but not a path that only begins with the folder's name.
    for path in [
        "/reports/2010/flu.htm",
        "/Reports/",
        "/reports",
        "/reports?year=2010",
    ] {
        assert_eq!(get(port, host, path).0, 410, "{path}");
    }
    assert_eq!(get(port, host, "/reportsx.htm").0, 404);
    drop(server);
}

/// The suggested page's link on a 410 page, href and text decoded as a browser would.
fn suggested_link(body: &str) -> Option<(String, String)> {
    let at = body.find("Visit <a href=\"")? + "Visit <a href=\"".len();
    let rest = &body[at..];
    let href_end = rest.find('"')?;
    let text_start = rest.find('>')? + 1;
    let text_end = rest.find("</a>")?;
    Some((
        html_text(&rest[..href_end]),
        html_text(&rest[text_start..text_end]),
    ))
}

/// The text of an HTML fragment as a browser shows it: tags dropped, character references
/// decoded (the few the generated pages use).
fn html_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let mut decoded = String::new();
    let mut rest = out.as_str();
    while let Some(at) = rest.find('&') {
        decoded.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "#39" => Some('\''),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match c {
            Some(c) => {
                decoded.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                decoded.push('&');
                rest = &rest[1..];
            }
        }
    }
    decoded.push_str(rest);
    decoded
}

#[test]
fn nginx_finds_its_maps_where_the_hosting_team_puts_them() {
    config_moved_to_its_server_folder(WebServer::Nginx);
}

#[test]
fn apache_finds_its_maps_where_the_hosting_team_puts_them() {
    config_moved_to_its_server_folder(WebServer::Apache);
}

/// Written on one machine and installed on another: `--assets-at` names the folder the
/// maps and sitemaps will have on the server, and the server finds them there.
fn config_moved_to_its_server_folder(kind: WebServer) {
    let out = demo_out();
    let written = tempfile::tempdir().unwrap();
    let server_dir = tempfile::tempdir().unwrap();
    let installed = server_dir.path().join("phe-redirects");
    let conf = written.path().join("redirects.conf");
    let port = free_port();
    let report = phe_migrate()
        .current_dir(repo_root())
        .args(["report", "redirects", "demo_hpa", "--format", kind.format()])
        .arg("--listen")
        .arg(kind.listen(port))
        .arg("-o")
        .arg(&conf)
        .arg("--assets-at")
        .arg(&installed)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    assert_eq!(
        report.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&report.stdout),
        String::from_utf8_lossy(&report.stderr)
    );
    let text = std::fs::read_to_string(&conf).unwrap();
    assert!(
        !text.contains(&written.path().display().to_string()),
        "the configuration still names where it was written:\n{text}"
    );
    // The hosting team copies the folder into place.
    std::fs::rename(written.path().join("redirects.conf.d"), &installed).unwrap();
    let server = RunningServer::start(kind, &conf, port)
        .unwrap_or_else(|e| panic!("{kind:?} syntax check: {e}"));
    let (status, headers, _) = get(
        port,
        "www.hpa-demo.org.uk",
        "/topics/infectiousdiseases/infectionsaz/tuberculosis",
    );
    assert_eq!(status, 301);
    assert!(
        header(&headers, "location")
            .unwrap()
            .starts_with("https://www.gov.uk/government/collections/tuberculosis"),
        "{headers:?}"
    );
    let (status, _, body) = get(port, "www.hpa-demo.org.uk", "/sitemap.xml");
    assert_eq!(status, 200);
    assert!(body.contains("<loc>http://www.hpa-demo.org.uk/"), "{body}");
    drop(server);
}

#[test]
fn a_folder_the_server_could_not_name_is_refused_with_what_to_do() {
    let out = demo_out();
    let spaced = tempfile::tempdir().unwrap();
    let conf = spaced.path().join("my redirects").join("redirects.conf");
    let report = phe_migrate()
        .current_dir(repo_root())
        .args(["report", "redirects", "demo_hpa", "--format", "nginx", "-o"])
        .arg(&conf)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&report.stderr);
    assert_eq!(report.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("a space in it would break the configuration")
            && stderr.contains("--assets-at"),
        "{stderr}"
    );
    assert!(!conf.exists(), "nothing is written");
}
