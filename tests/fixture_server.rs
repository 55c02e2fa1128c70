//! The fixture server serves the demo estate over real HTTP and injects every fault mode.

mod common;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::repo_root;
use phe_migrate::fixtures::{Answer, Estate, FaultRule, FixtureServer, ServerOptions};

fn estate() -> Estate {
    Estate::load(&repo_root().join("fixtures/estate")).expect("demo estate loads")
}

fn start(options: ServerOptions) -> FixtureServer {
    FixtureServer::start(estate(), "127.0.0.1:0".parse().unwrap(), options).unwrap()
}

/// Every URL a site's www/ folder serves directly.
fn served_urls(www: &Path) -> Vec<String> {
    let mut urls = Vec::new();
    let mut stack = vec![www.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path
                    .strip_prefix(www)
                    .unwrap()
                    .to_string_lossy()
                    .replace("%3F", "?");
                urls.push(format!("/{rel}"));
            }
        }
    }
    urls.sort();
    urls
}

/// A raw HTTP/1.1 exchange: what arrived before the connection ended, and how it ended.
fn raw_get(addr: std::net::SocketAddr, host: &str, target: &str) -> (Vec<u8>, std::io::Result<()>) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (received, Ok(())),
            Ok(n) => received.extend_from_slice(&buf[..n]),
            Err(e) => return (received, Err(e)),
        }
    }
}

fn header<'a>(response: &'a [u8], name: &str) -> Option<&'a str> {
    let text =
        std::str::from_utf8(&response[..response.windows(4).position(|w| w == b"\r\n\r\n")?])
            .ok()?;
    text.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

fn status(response: &[u8]) -> u16 {
    std::str::from_utf8(&response[9..12])
        .unwrap()
        .parse()
        .unwrap()
}

fn body(response: &[u8]) -> &[u8] {
    let start = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    &response[start..]
}

#[test]
fn curl_browses_every_file_of_every_demo_site() {
    let server = start(ServerOptions::default());
    let estate = estate();
    let mut total = 0;
    for site in &estate.sites {
        let host = &site.spec.hosts[0];
        let urls = served_urls(site.www());
        total += urls.len();
        let mut cmd = Command::new("curl");
        cmd.args([
            "-s",
            "-g",
            "-H",
            &format!("Host: {host}"),
            "-w",
            "%{http_code} %{content_type} %{url_effective}\\n",
        ]);
        for url in &urls {
            cmd.args([
                "-o",
                "/dev/null",
                &format!("http://{}{}", server.addr(), url),
            ]);
        }
        let output = cmd.output().expect("curl is installed");
        let lines: Vec<String> = String::from_utf8_lossy(&output.stdout)
            .lines()
            .map(str::to_owned)
            .collect();
        assert_eq!(lines.len(), urls.len(), "{}", site.name);
        for line in &lines {
            assert!(line.starts_with("200 "), "{}: {line}", site.name);
        }
    }
    assert!(total > 250, "only {total} files in the estate");
}

/// Follows every same-site link in every page (as the pure answer function sees it) and
/// checks that the only broken ones are those the estate plants on purpose.
#[test]
fn every_internal_link_resolves_except_the_planted_ones() {
    let estate = estate();
    let href = common::links_in;
    let mut broken = BTreeSet::new();
    let mut html_pages = 0;
    for site in &estate.sites {
        let host = site.spec.hosts[0].clone();
        for url in served_urls(site.www()) {
            let Answer::File {
                path, content_type, ..
            } = estate.answer(&host, &url)
            else {
                panic!("{url}")
            };
            if !content_type.starts_with("text/html") {
                continue;
            }
            html_pages += 1;
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            let base = text
                .split("<base href=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .map(str::to_owned)
                .unwrap_or_else(|| format!("http://{host}{url}"));
            let base = url::Url::parse(&base).unwrap();
            for link in href(&text) {
                let Ok(target) = base.join(&link.replace("&amp;", "&")) else {
                    continue;
                };
                let Some(target_host) = target.host_str() else {
                    continue;
                };
                if !matches!(target.scheme(), "http" | "https")
                    || !estate.hosts().iter().any(|(h, _)| *h == target_host)
                {
                    continue;
                }
                let mut path = target.path().to_owned();
                if let Some(q) = target.query() {
                    path = format!("{path}?{q}");
                }
                let mut answer = estate.answer(target_host, &path);
                let mut hops = 0;
                while let Answer::Redirect { location, .. } = &answer {
                    hops += 1;
                    if hops > 5 {
                        break;
                    }
                    let next = url::Url::parse(location).unwrap();
                    let p = match next.query() {
                        Some(q) => format!("{}?{q}", next.path()),
                        None => next.path().to_owned(),
                    };
                    answer = estate.answer(next.host_str().unwrap(), &p);
                }
                match answer {
                    Answer::File { .. } => {}
                    Answer::Status { status } => {
                        broken.insert(format!("{status} {target_host}{path}"));
                    }
                    Answer::Redirect { .. } => {
                        broken.insert(format!("loop {target_host}{path}"));
                    }
                    Answer::UnknownHost => unreachable!(),
                }
            }
        }
    }
    assert!(html_pages >= 190, "{html_pages} HTML pages");
    let expected: BTreeSet<String> = [
        "404 www.chobs-demo.org.uk/resource/view.aspx?RID=101000",
        "404 www.chobs-demo.org.uk/search.aspx?adv=1",
        "404 www.comare-demo.org.uk/drafts/",
        "404 www.comare-demo.org.uk/minutes/2008-11.pdf",
        "404 www.hpa-demo.org.uk/Intranet/",
        "404 www.hpa-demo.org.uk/Topics/InfectiousDiseases/InfectionsAZ/Smallpox/",
        "404 www.hpa-demo.org.uk/webc/HPAwebFile/HPAweb_C/1194947999999",
        "410 www.hpa-demo.org.uk/Topics/InfectiousDiseases/InfectionsAZ/SwineFlu/",
        "loop www.hpa-demo.org.uk/Publications/Archive/",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(broken, expected);
}

#[test]
fn hosts_redirects_statuses_and_conditional_requests() {
    let server = start(ServerOptions::default());
    let addr = server.addr();
    let (r, _) = raw_get(addr, "chobs-demo.org.uk", "/topics/immunisation.aspx?x=1");
    assert_eq!(status(&r), 301);
    assert_eq!(
        header(&r, "location"),
        Some("http://www.chobs-demo.org.uk/topics/immunisation.aspx?x=1")
    );
    let (r, _) = raw_get(addr, "www.chobs-demo.org.uk", "/breastfeeding.htm");
    assert_eq!(
        header(&r, "location"),
        Some("http://www.chobs-demo.org.uk/topics/breastfeeding")
    );
    let (r, _) = raw_get(
        addr,
        "www.hpa-demo.org.uk",
        "/Topics/InfectiousDiseases/InfectionsAZ/SwineFlu/",
    );
    assert_eq!(status(&r), 410);
    // IIS-style case-insensitive lookups, session IDs ignored, aliases served alike.
    let (a, _) = raw_get(
        addr,
        "www.chobs-demo.org.uk",
        "/resource/view.aspx?RID=101710&ASPSESSIONID=QWERTY",
    );
    let (b, _) = raw_get(
        addr,
        "www.chobs-demo.org.uk",
        "/RESOURCE/view.aspx?rid=101710",
    );
    assert_eq!(status(&a), 200);
    assert_eq!(body(&a), body(&b));
    let (c, _) = raw_get(addr, "www.hpa-demo.nhs.uk", "/topics/");
    assert_eq!(status(&c), 200);
    // windows-1252 bytes with no charset in the header.
    let (w, _) = raw_get(
        addr,
        "www.hpa-demo.org.uk",
        "/web/HPAweb&HPAwebStandard/HPAweb_C/1195733764210",
    );
    assert_eq!(header(&w, "content-type"), Some("text/html"));
    assert!(
        body(&w).windows(1).any(|b| b[0] == 0xa3),
        "expected a windows-1252 pound sign"
    );
    assert!(std::str::from_utf8(body(&w)).is_err());
    // Last-Modified and If-Modified-Since.
    let (r, _) = raw_get(addr, "www.comare-demo.org.uk", "/index.html");
    let modified = header(&r, "last-modified").unwrap().to_owned();
    assert_eq!(modified, "Fri, 20 Jul 2012 09:00:00 GMT");
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(stream, "GET /index.html HTTP/1.1\r\nHost: www.comare-demo.org.uk\r\nIf-Modified-Since: {modified}\r\nConnection: close\r\n\r\n").unwrap();
    let mut r = Vec::new();
    stream.read_to_end(&mut r).unwrap();
    assert_eq!(status(&r), 304);
    let (r, _) = raw_get(addr, "unknown.example.org", "/");
    assert_eq!(status(&r), 404);
    let log = server.requests();
    assert!(
        log.iter()
            .any(|r| r.host == "www.hpa-demo.nhs.uk" && r.target == "/topics/" && r.status == 200)
    );
}

#[test]
fn every_fault_mode() {
    let rules = vec![
        FaultRule::parse("/topics/*=status:503*2").unwrap(),
        FaultRule::parse("/news/*=delay:300").unwrap(),
    ];
    let server = start(ServerOptions {
        faults: rules,
        access_log: None,
    });
    let addr = server.addr();
    let f = "faults.test";

    // The index page links every fault.
    let (r, _) = raw_get(addr, f, "/");
    let index = String::from_utf8_lossy(body(&r)).into_owned();
    assert_eq!(
        index.matches("<li>").count(),
        phe_migrate::fixtures::server::FAULT_EXAMPLES.len()
            + phe_migrate::fixtures::server::FAULTS_HOST_EXTRAS.len()
    );

    let (r, end) = raw_get(addr, f, "/fault/reset");
    assert!(r.is_empty());
    assert_eq!(end.unwrap_err().kind(), std::io::ErrorKind::ConnectionReset);

    let (r, end) = raw_get(addr, f, "/fault/reset-mid-body");
    assert_eq!(status(&r), 200);
    let promised: usize = header(&r, "content-length").unwrap().parse().unwrap();
    assert!(!body(&r).is_empty() && body(&r).len() < promised);
    assert_eq!(end.unwrap_err().kind(), std::io::ErrorKind::ConnectionReset);

    let (r, end) = raw_get(addr, f, "/fault/truncate");
    let promised: usize = header(&r, "content-length").unwrap().parse().unwrap();
    assert!(body(&r).len() < promised);
    assert!(
        end.is_ok(),
        "truncation closes cleanly (FIN), unlike a reset"
    );

    let started = Instant::now();
    let (r, _) = raw_get(addr, f, "/fault/delay/400");
    assert_eq!(status(&r), 200);
    assert!(started.elapsed() >= Duration::from_millis(400));

    let started = Instant::now();
    let (r, _) = raw_get(addr, f, "/fault/drip/20");
    let promised: usize = header(&r, "content-length").unwrap().parse().unwrap();
    assert_eq!(body(&r).len(), promised);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "drip took {:?}",
        started.elapsed()
    );

    for _ in 0..2 {
        assert_eq!(status(&raw_get(addr, f, "/fault/status/503?fail=2").0), 503);
    }
    assert_eq!(status(&raw_get(addr, f, "/fault/status/503?fail=2").0), 200);
    let (r, _) = raw_get(addr, f, "/fault/retry-after/2");
    assert_eq!(status(&r), 429);
    assert_eq!(header(&r, "retry-after"), Some("2"));

    let (r, _) = raw_get(addr, f, "/fault/wrong-type/application/pdf");
    assert_eq!(header(&r, "content-type"), Some("application/pdf"));
    assert!(body(&r).starts_with(b"<!DOCTYPE html>"));

    let (r, _) = raw_get(addr, f, "/fault/big/5MB");
    assert_eq!(body(&r).len(), 5_000_000);

    let (r, _) = raw_get(addr, f, "/fault/gzip-bomb");
    assert_eq!(header(&r, "content-encoding"), Some("gzip"));
    let mut inflated = 0u64;
    let mut decoder = flate2::read::GzDecoder::new(body(&r));
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = decoder.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        inflated += n as u64;
    }
    assert!(
        body(&r).len() < 200_000 && inflated >= 100 << 20,
        "{} -> {inflated}",
        body(&r).len()
    );

    let (r, _) = raw_get(addr, f, "/fault/invalid-utf8");
    assert_eq!(header(&r, "content-type"), Some("text/html; charset=utf-8"));
    assert!(std::str::from_utf8(body(&r)).is_err());

    let (r, _) = raw_get(addr, f, "/fault/malformed");
    assert!(String::from_utf8_lossy(body(&r)).matches("<div>").count() >= 5000);

    // The trap never ends: every page links a deeper path and a further query variant.
    let (r, _) = raw_get(addr, f, "/trap/calendar/more/more/?page=41");
    let page = String::from_utf8_lossy(body(&r)).into_owned();
    assert!(
        page.contains("href=\"/trap/calendar/more/more/?page=42\"")
            && page.contains("href=\"more/\""),
        "{page}"
    );

    // Rules: the first two requests under /topics/ fail, then the real page comes back.
    let host = "www.chobs-demo.org.uk";
    assert_eq!(
        status(&raw_get(addr, host, "/topics/oral-health.aspx").0),
        503
    );
    assert_eq!(status(&raw_get(addr, host, "/topics/").0), 503);
    assert_eq!(
        status(&raw_get(addr, host, "/topics/oral-health.aspx").0),
        200
    );
    let started = Instant::now();
    assert_eq!(status(&raw_get(addr, host, "/news/").0), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    // Any request can ask for a fault by header.
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET / HTTP/1.1\r\nHost: {host}\r\nX-Fixture-Fault: status:500\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut r = Vec::new();
    stream.read_to_end(&mut r).unwrap();
    assert_eq!(status(&r), 500);
}

#[test]
fn access_log_is_written_in_vhost_combined_format() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let server = start(ServerOptions {
        faults: vec![],
        access_log: Some(log.clone()),
    });
    let (_, end) = raw_get(server.addr(), "www.comare-demo.org.uk", "/members.html");
    assert!(end.is_ok());
    drop(server);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.starts_with("www.comare-demo.org.uk:80 127.0.0.1 - - ["),
        "{text}"
    );
    assert!(
        text.contains("\"GET /members.html HTTP/1.1\" 200 "),
        "{text}"
    );
}
