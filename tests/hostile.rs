//! Hostile legacy content and hostile mappings, end to end: crawl, transform, audit and the
//! redirect table. Titles, file names and needs text that are spreadsheet formulas, markup
//! or YAML stay plain text in every CSV, in the drafts' front matter, in the JSON content
//! items and in report.html and report.md. (nginx and Apache are held to the same in
//! tests/redirect_servers.rs, on real servers.)

mod common;

use std::path::Path;

use common::phe_migrate;

const HOST: &str = "www.hostile-demo.org.uk";

/// Page titles as the legacy pages declare them (HTML-escaped in the page).
const TITLES: &[&str] = &[
    "=HYPERLINK(\"http://evil.example/\",\"Click\")",
    "<script>alert('title')</script> & \"quotes\"",
    "<img src=x onerror=alert('img')>",
    "@SUM(1+1) ends: with: colons # and a hash",
    "+44 helpline: call now",
];

/// A requested URL that is markup in every context: element, attribute, script.
const HOSTILE_PATH: &str = "/old/<script>alert('hit')</script>?q='><img src=x onerror=alert(1)>";

const NEED_GOAL: &str = "<script>alert('need')</script> read the guidance";
const NEED_ROLE: &str = "=cmd|' /C calc'!A0";

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The hostile site's pages and files, under `www/`.
fn site_files() -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut links = String::new();
    for (i, title) in TITLES.iter().enumerate() {
        links.push_str(&format!(
            "<li><a href=\"/guidance/page-{i}.html\">{}</a></li>",
            escape(title)
        ));
        files.push((
            format!("guidance/page-{i}.html"),
            format!(
                "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{t}</title></head><body><h1>{t}</h1>\
                 <p>Guidance text for a hostile page, long enough to be read as the main content of the page. \
                 It has two sentences.</p><p><a href=\"/files/=1+1.csv\">Data</a> and <a href=\"/files/-rm.csv\">more data</a>.</p></body></html>",
                t = escape(title)
            )
            .into_bytes(),
        ));
    }
    files.push(("files/=1+1.csv".into(), b"a,b\n1,2\n".to_vec()));
    files.push(("files/-rm.csv".into(), b"a,b\n3,4\n".to_vec()));
    files.push((
        "index.html".into(),
        format!(
            "<!DOCTYPE html><html><head><title>Hostile demo</title></head><body><h1>Hostile demo</h1><ul>{links}</ul></body></html>"
        )
        .into_bytes(),
    ));
    files
}

fn build_workspace(ws: &Path) {
    write(
        &ws.join("crawl-configs/demo_hostile.yml"),
        &format!(
            "site: demo_hostile\nwhitehall_slug: public-health-england\nhost: {HOST}\ntna_timestamp: 20140101000000\n\
             homepage: https://www.gov.uk/government/organisations/public-health-england\ncrawl:\n  attachments: download\n"
        ),
    );
    let yaml_string = |s: &str| format!("'{}'", s.replace('\'', "''"));
    write(
        &ws.join("mappings/demo_hostile.yml"),
        &format!(
            "needs:\n  - id: hostile-need\n    role: {}\n    goal: {}\n    benefit: {}\n    justifications: [\"It's something the government provides/does/pays for\"]\n    impact: Noticed only by an expert audience\n  - id: unmet-need\n    role: {}\n    goal: {}\n    benefit: {}\n    justifications: [\"It's something the government provides/does/pays for\"]\n    impact: Noticed only by an expert audience\n\nsections:\n  - prefix: /guidance/\n    needs: [hostile-need]\n    disposition: migrate_as_publication\n",
            yaml_string(NEED_ROLE),
            yaml_string(NEED_GOAL),
            yaml_string("@benefit -1+2"),
            yaml_string(NEED_ROLE),
            yaml_string(NEED_GOAL),
            yaml_string("-benefit")
        ),
    );
}

fn run(ws: &Path, args: &[&str]) -> String {
    let output = phe_migrate().current_dir(ws).args(args).output().unwrap();
    assert!(
        output.status.success() || output.status.code() == Some(1),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The operator's own files: configs and mappings, byte for byte.
fn user_files(ws: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in ["crawl-configs", "mappings"] {
        let mut paths: Vec<_> = std::fs::read_dir(ws.join(dir))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        paths.sort();
        for path in paths {
            let bytes = std::fs::read(&path).unwrap();
            out.push((path, bytes));
        }
    }
    out
}

fn files_with(dir: &Path, ext: &str, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_with(&path, ext, out);
        } else if path.extension().is_some_and(|e| e == ext) {
            out.push(path);
        }
    }
}

#[test]
fn hostile_text_stays_text_in_every_output() {
    let site_server = common::serve_site(HOST, site_files());
    let server = site_server.server;
    let ws_dir = tempfile::tempdir().unwrap();
    let ws = ws_dir.path();
    build_workspace(ws);
    let user_files_before = user_files(ws);
    let resolve = format!("{HOST}={}", server.addr());
    run(
        ws,
        &[
            "crawl",
            "demo_hostile",
            "--no-delay",
            "--quiet",
            "--resolve",
            &resolve,
        ],
    );
    run(ws, &["transform", "demo_hostile", "--quiet"]);
    // Traffic to URLs the crawl never saw: the audit lists them (G8).
    std::fs::write(
        ws.join("hits.csv"),
        format!("date,count,status,host,url\n2014-01-01,900,200,{HOST},\"{HOSTILE_PATH}\"\n"),
    )
    .unwrap();
    run(
        ws,
        &["report", "audit", "demo_hostile", "--hits", "hits.csv"],
    );
    run(
        ws,
        &[
            "report",
            "redirects",
            "demo_hostile",
            "--format",
            "transition-csv",
        ],
    );
    let out = ws.join("out/demo_hostile");
    assert!(
        user_files(ws) == user_files_before,
        "a stage changed a config or a mappings file"
    );

    // No CSV cell anywhere is a formula, and the hostile text is there, as text.
    let mut csvs = Vec::new();
    files_with(&out, "csv", &mut csvs);
    assert!(csvs.len() >= 5, "{csvs:?}");
    let mut seen_title = false;
    for csv_path in &csvs {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_path(csv_path)
            .unwrap();
        for (line, record) in reader.records().enumerate() {
            let record = record.unwrap();
            for cell in record.iter() {
                let formula = cell.starts_with(['=', '+', '@', '\t', '\r'])
                    || (cell.starts_with('-') && cell.parse::<f64>().is_err());
                assert!(
                    !formula,
                    "{}:{}: {cell:?} is a formula",
                    csv_path.display(),
                    line + 1
                );
                seen_title |= cell == format!("'{}", TITLES[0]);
            }
        }
    }
    assert!(seen_title, "the formula title is kept, quoted as text");

    // Front matter and JSON items hold the exact titles.
    let mut drafts = Vec::new();
    files_with(&out.join("content"), "md", &mut drafts);
    let mut front_titles = Vec::new();
    for draft in &drafts {
        let text = std::fs::read_to_string(draft).unwrap();
        let front = text
            .strip_prefix("---\n")
            .and_then(|rest| rest.split_once("\n---\n"))
            .map(|(front, _)| front)
            .unwrap_or_else(|| panic!("{}: no front matter", draft.display()));
        let value: serde_norway::Value = serde_norway::from_str(front)
            .unwrap_or_else(|e| panic!("{}: front matter is not YAML: {e}", draft.display()));
        front_titles.push(value["title"].as_str().unwrap().to_owned());
    }
    let mut items = Vec::new();
    files_with(&out.join("content"), "json", &mut items);
    let item_titles: Vec<String> = items
        .iter()
        .map(|p| {
            let v: serde_json::Value = serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap();
            v["title"].as_str().unwrap().to_owned()
        })
        .collect();
    for title in TITLES {
        assert!(
            front_titles.iter().any(|t| t == title),
            "{title:?} not in front matter: {front_titles:?}"
        );
        assert!(
            item_titles.iter().any(|t| t == title),
            "{title:?} not in items: {item_titles:?}"
        );
    }

    // report.html: the hostile text is text; no injected element or handler.
    let html = std::fs::read_to_string(out.join("audit/report.html")).unwrap();
    let document = scraper::Html::parse_document(&html);
    let all = scraper::Selector::parse("*").unwrap();
    for element in document.select(&all) {
        let el = element.value();
        assert!(
            !el.attrs().any(|(name, _)| name.starts_with("on")),
            "an event handler in report.html: {:?}",
            el
        );
        if el.name() == "script" {
            let code: String = element.text().collect();
            assert!(!code.contains("alert("), "injected script in report.html");
        }
        assert_ne!(el.name(), "img", "an injected image in report.html");
    }
    let text: String = document.root_element().text().collect();
    assert!(
        text.contains("<script>alert('hit')</script>"),
        "the requested URL is shown, as text"
    );

    // report.md: no raw markup that a Markdown viewer would render.
    let md = std::fs::read_to_string(out.join("audit/report.md")).unwrap();
    let unescaped = md
        .match_indices('<')
        .filter(|(i, _)| !md[..*i].ends_with('\\'))
        .count();
    assert_eq!(unescaped, 0, "raw markup in report.md");
    assert!(
        md.contains("\\<script\\>alert('hit')\\</script\\>"),
        "the requested URL is listed, escaped"
    );
}

/// Pages whose markup is built to exhaust the converter: each nests or spans what a browser
/// takes in its stride, thousands deep.
fn blow_up_pages() -> Vec<(&'static str, String)> {
    let n = 3_000;
    vec![
        (
            "divs",
            format!(
                "{}deep text{}",
                "<div>".repeat(20 * n),
                "</div>".repeat(20 * n)
            ),
        ),
        // An unclosed `<ul><li>` per line, as some legacy menus were written.
        ("lists", format!("{}deep item", "<ul><li>item ".repeat(n))),
        (
            "quotes",
            format!("{}deep quote", "<blockquote><p>quote</p>".repeat(n)),
        ),
        (
            "tables",
            format!("{}deep cell", "<table><tr><td>cell</td><td>".repeat(n)),
        ),
        ("inline", format!("{}deep words", "<b><i><span>".repeat(n))),
        // Thousands of the things a converter collects (first use, no repeats).
        (
            "images",
            (0..n)
                .map(|i| format!("<img src=\"/i/{i}.png\" alt=\"Chart {i}\">"))
                .collect(),
        ),
        (
            "abbreviations",
            (0..n)
                .map(|i| format!("<abbr title=\"Term {i}\">T{i}</abbr> "))
                .collect(),
        ),
        (
            "spans",
            format!(
                "<table><tr>{}</tr>{}</table>",
                "<td colspan=100>wide</td>".repeat(1_000),
                "<tr><td>narrow</td></tr>".repeat(1_000)
            ),
        ),
    ]
}

#[test]
fn pages_built_to_blow_up_are_converted_to_drafts_no_bigger_than_they_are() {
    const HOST: &str = "www.blowup-demo.org.uk";
    let pages = blow_up_pages();
    let mut files: Vec<(String, Vec<u8>)> = pages
        .iter()
        .map(|(name, body)| {
            let html = format!(
                "<!DOCTYPE html><html><head><title>Blow-up {name}</title></head><body><h1>Blow-up {name}</h1>\
                 <p>A page built to exhaust a converter, with enough words to be read as the page's main content.</p>\
                 {body}</body></html>"
            );
            (format!("{name}.html"), html.into_bytes())
        })
        .collect();
    let links: String = pages
        .iter()
        .map(|(name, _)| format!("<li><a href=\"/{name}.html\">{name}</a></li>"))
        .collect();
    files.push((
        "index.html".into(),
        format!(
            "<html><head><title>Blow-up demo</title></head><body><ul>{links}</ul></body></html>"
        )
        .into_bytes(),
    ));
    let site = common::serve_site(HOST, files);
    let ws_dir = common::one_site_workspace("demo_blowup", HOST, "");
    let ws = ws_dir.path();
    let resolve = format!("{HOST}={}", site.server.addr());
    common::run_each_ok(
        ws,
        &[
            &[
                "crawl",
                "demo_blowup",
                "--no-delay",
                "--quiet",
                "--resolve",
                &resolve,
            ],
            // Two jobs: the pages are converted on rayon's threads, not the main one.
            &["transform", "demo_blowup", "--jobs", "2", "--quiet"],
            &["report", "audit", "demo_blowup"],
        ],
    );
    let content = ws.join("out/demo_blowup/content");
    for (name, body) in &pages {
        let slug = format!("blow-up-{name}");
        let draft = std::fs::read_to_string(content.join(format!("{slug}.md")))
            .unwrap_or_else(|e| panic!("{slug}.md: {e}"));
        let deepest = ["lists", "quotes", "divs", "tables", "inline"].contains(name);
        assert!(
            draft.contains("deep") || !deepest,
            "{name}: the deepest text is lost"
        );
        assert!(
            draft.len() < 4 * body.len() + 4_000,
            "{name}: a draft of {} bytes from {} bytes of markup",
            draft.len(),
            body.len()
        );
        let item = std::fs::read(content.join(format!("{slug}.json"))).unwrap();
        assert!(
            item.len() < 6 * body.len() + 8_000,
            "{name}: an item of {} bytes",
            item.len()
        );
    }
    let lists = std::fs::read_to_string(content.join("blow-up-lists.md")).unwrap();
    assert!(
        lists.contains("lists or quotes nested more than 8 deep"),
        "{lists}"
    );
    let images = std::fs::read_to_string(content.join("blow-up-images.md")).unwrap();
    assert!(
        images.contains(
            "3000 image(s) must be uploaded with the draft: 0.png (alt \\\"Chart 0\\\"), 1.png"
        ) && images.contains("9.png (alt \\\"Chart 9\\\") and 2990 more\""),
        "one warning names the first ten images and counts the rest"
    );
    assert!(images.contains("[Image: 2999.png]"));
    let acronyms = std::fs::read_to_string(content.join("blow-up-abbreviations.md")).unwrap();
    assert!(acronyms.contains("*[T2999]: Term 2999"), "{acronyms}");
    let body = std::fs::read_to_string(content.join("blow-up-abbreviations.json")).unwrap();
    assert!(body.contains("<abbr title=\\\"Term 2999\\\">T2999</abbr>"));
    let spans = std::fs::read_to_string(content.join("blow-up-spans.md")).unwrap();
    assert!(
        spans.contains("table of 1001 rows and 1000 columns, mostly empty"),
        "{spans}"
    );
}
