//! What each fuzz target runs, shared with `tests/fuzz_regressions.rs`, which replays every
//! input a fuzzer ever crashed on (kept in `fixtures/fuzz/<target>/`).

use std::path::Path;

use phe_migrate::audit::needs;
use phe_migrate::canonical::{Canonicalizer, Mode, SignificantParams};
use phe_migrate::config::site::validate_site;
use phe_migrate::config::yaml::YamlDocument;
use phe_migrate::extract::{MAX_NESTING, cap_nesting, charset, content, facts};
use phe_migrate::formats::mappings::Mappings;
use phe_migrate::govspeak::{self, LinkTarget, Options, RenderOptions};
use phe_migrate::redirects::import;
use phe_migrate::warc::{Reader, parse_http_response};
use scraper::{ElementRef, Html};

/// A target's name and what it runs.
pub type Target = (&'static str, fn(&[u8]));

/// Every target by name, for the regression replay.
pub const TARGETS: &[Target] = &[
    ("canonical", canonical),
    ("html_to_govspeak", html_to_govspeak),
    ("govspeak_to_html", govspeak_to_html),
    ("site_config", site_config),
    ("mappings", mappings),
    ("csv_import", csv_import),
    ("warc_reader", warc_reader),
    ("access_log", access_log),
    ("crawl_parsers", crawl_parsers),
];

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// The first line is the site's significant parameters (`a:b`), the rest a URL or path.
/// Any input gives a key or an error. In strict mode a key read back as a path gives
/// itself; GOV.UK mode reproduces Transition's quirks (it strips whitespace before it drops
/// the fragment, so `"\n#"` keys to `"/\n"`, which keys to the homepage), so there it must
/// only never panic.
pub fn canonical(data: &[u8]) {
    let Some(data) = text(data) else { return };
    let (params, url) = data.split_once('\n').unwrap_or(("", data));
    for mode in [Mode::Govuk, Mode::Strict] {
        let canonicalizer = Canonicalizer::new(SignificantParams::parse(params), mode);
        let Ok(key) = canonicalizer.key(url) else {
            continue;
        };
        let as_path = if key.starts_with('/') {
            key.clone()
        } else {
            format!("/{key}")
        };
        let again = canonicalizer.key(&as_path);
        if mode == Mode::Strict {
            assert_eq!(
                again.as_ref(),
                Ok(&key),
                "{mode:?}: the key {key:?} of {url:?} is not its own key"
            );
        }
    }
    let _ = phe_migrate::canonical::aka_hostname(url);
    let _ = phe_migrate::canonical::bouncer_lookup_host(url);
}

/// A legacy page through the transform's path: decode, cap nesting, parse, find the main
/// content, convert to Govspeak, gather the page facts, then render the Govspeak to HTML.
pub fn html_to_govspeak(data: &[u8]) {
    let decoded = charset::decode(data, Some("text/html"));
    let html = cap_nesting(&decoded.text, MAX_NESTING);
    let document = Html::parse_document(&html);
    let rules = content::ContentRules::default();
    let extracted = content::extract(&document, &rules, None);
    let Some(main) = document.tree.get(extracted.main).and_then(ElementRef::wrap) else {
        return;
    };
    let base = url::Url::parse("http://www.example-legacy.org.uk/a/b.html").unwrap();
    let keep = |_: &url::Url| LinkTarget::Keep;
    let skip = extracted.skip.clone();
    let options = Options {
        base: Some(&base),
        link_target: &keep,
        skip: &skip,
    };
    let conversion = govspeak::convert(main, &options);
    let text = content::visible_text(main, &skip);
    let elements = facts::PageElements::collect(&document, main, &skip);
    let _ = facts::page_facts(&elements, &text, Some(&base), 2026);
    let _ = govspeak::with_attachments_listed(&conversion);
    let _ = govspeak::render(
        &conversion.govspeak,
        &RenderOptions {
            attachments: &[],
            images: &[],
            auto_numbered_headings: false,
        },
    );
}

/// Govspeak to HTML, as content items' bodies are rendered, with and without numbered
/// headings.
pub fn govspeak_to_html(data: &[u8]) {
    let Some(data) = text(data) else { return };
    for auto_numbered_headings in [false, true] {
        let _ = govspeak::render(
            data,
            &RenderOptions {
                attachments: &[],
                images: &[],
                auto_numbered_headings,
            },
        );
    }
}

/// A site config: parsed with positions, then validated.
pub fn site_config(data: &[u8]) {
    let Some(data) = text(data) else { return };
    if let Ok(doc) = YamlDocument::parse(Path::new("fuzz.yml"), data.to_owned()) {
        let _ = validate_site(&doc);
    }
}

/// A mappings file as the transform reads it (format rules) and the audit (user needs).
pub fn mappings(data: &[u8]) {
    let Some(data) = text(data) else { return };
    let path = Path::new("fuzz.yml");
    if let Ok(mappings) = Mappings::parse(path, data) {
        let _ = mappings.rule_for("/topics/a.html", "A title");
        let _ = mappings.needs_for("/topics/a.html");
    }
    if let Ok(doc) = YamlDocument::parse(path, data.to_owned()) {
        let canonicalizer = Canonicalizer::new(SignificantParams::parse(""), Mode::Govuk);
        let _ = needs::check(path, &doc, &canonicalizer);
    }
}

/// A Transition mappings spreadsheet, and a Transition hits CSV or pageviews export.
pub fn csv_import(data: &[u8]) {
    let Some(data) = text(data) else { return };
    let canonicalizer = Canonicalizer::new(SignificantParams::parse("id"), Mode::Govuk);
    let hosts = vec!["www.example-legacy.org.uk".to_owned()];
    let _ = import::read(Path::new("fuzz.csv"), data, &hosts, &canonicalizer);
    let _ = phe_migrate::hits::parse_reader(Path::new("fuzz.csv"), data.as_bytes());
}

/// WARC files (plain or gzip per record), and the HTTP response in each record.
pub fn warc_reader(data: &[u8]) {
    let Ok(reader) = Reader::new(std::io::Cursor::new(data.to_vec())) else {
        return;
    };
    for record in reader.take(1000) {
        match record {
            Ok(record) => {
                let _ = parse_http_response(&record.block);
            }
            Err(_) => break,
        }
    }
}

/// Access logs (combined and vhost_combined), line by line and as a whole file.
pub fn access_log(data: &[u8]) {
    let Some(data) = text(data) else { return };
    for line in data.lines() {
        let _ = phe_migrate::hits::parse_log_line(line);
    }
    let _ = phe_migrate::hits::parse_reader(Path::new("access.log"), data.as_bytes());
}

/// What the crawler reads from a legacy server before anything else sees it: a page's
/// links, meta refresh, base and canonical (links), robots.txt and a sitemap, after the
/// body is decoded (gzip, deflate) and its character set found.
pub fn crawl_parsers(data: &[u8]) {
    let page = url::Url::parse("http://www.example-legacy.org.uk/a/b.aspx?id=1").unwrap();
    for encoding in [None, Some("gzip"), Some("deflate")] {
        let (body, _) = charset::decode_content(data, encoding, 1 << 20);
        let decoded = charset::decode(&body, Some("text/html"));
        let _ = phe_migrate::extract::links::extract(&decoded.text, &page);
    }
    if let Some(text) = text(data) {
        let _ = phe_migrate::extract::links::parse_refresh(text);
    }
    let robots = phe_migrate::crawl::robots::Robots::from_response("phe-migrate", Some(200), data);
    let _ = robots.allowed("http://www.example-legacy.org.uk/a/b.aspx");
    let _ = robots.crawl_delay();
    let _ = robots.sitemaps();
    let _ = phe_migrate::crawl::sitemap::parse(data);
}
