//! The fault matrix: every way a legacy server fails, over real HTTP from the fixture server,
//! what the crawl records for it, and proof that nothing else was lost. The table this test
//! observes is `docs/fault-matrix.md`; the test fails when the two differ (set
//! `PHE_MIGRATE_BLESS=1` to rewrite the file after a deliberate change).

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use common::{demo_server, repo_root};
use phe_migrate::config::{Site, load_site};
use phe_migrate::crawl::{self, CrawlOptions};
use phe_migrate::fixtures::FixtureServer;
use phe_migrate::fixtures::server::{FAULT_EXAMPLES, FAULTS_HOST_EXTRAS, STORM_FAILURES};
use phe_migrate::store::Store;

const CONFIG_LIMITS: &str = "crawl:\n  timeout_secs: 1\n  retries: 2\n  max_body_bytes: 1MB\n  max_query_variants: 5\n  max_repeated_segments: 3\n";

fn site_config(dir: &Path, abbr: &str, host: &str) -> Site {
    let text = format!(
        "site: {abbr}\nwhitehall_slug: public-health-england\nhost: {host}\ntna_timestamp: 20150101000000\nhomepage: https://www.gov.uk/government/organisations/public-health-england\noptions: --query-string page\n{CONFIG_LIMITS}"
    );
    let path = dir.join(format!("{abbr}.yml"));
    std::fs::write(&path, text).unwrap();
    let report = load_site(&path);
    report
        .site
        .unwrap_or_else(|| panic!("{:?}", report.diagnostics))
}

fn options(out: &Path, resolve: Vec<(String, SocketAddr)>) -> CrawlOptions {
    CrawlOptions {
        out_dir: out.to_path_buf(),
        resolve,
        no_delay: true,
        retry_base: Some(Duration::from_millis(20)),
        ..CrawlOptions::default()
    }
}

/// What the store holds for the last hop of one URL.
struct Recorded {
    state: String,
    status: String,
    attempts: u32,
    errors: u32,
    error: String,
    truncated: bool,
    size: u64,
    body_read: bool,
}

fn recorded(store: &Store, url: &str) -> Option<Recorded> {
    let sql = format!(
        "SELECT u.state, COALESCE(u.status, ''), f.attempts, (SELECT COUNT(*) FROM errors e WHERE e.url_id = u.id),
                COALESCE(f.error, ''), f.body_truncated, COALESCE(f.size, 0), f.body IS NOT NULL
         FROM urls u JOIN fetches f ON f.url_id = u.id WHERE u.url = '{}' ORDER BY f.hop DESC LIMIT 1",
        url.replace('\'', "''")
    );
    let r = store.rows(&sql).unwrap().pop()?;
    Some(Recorded {
        state: r[0].clone(),
        status: r[1].clone(),
        attempts: r[2].parse().unwrap(),
        errors: r[3].parse().unwrap(),
        error: r[4].clone(),
        truncated: r[5] == "1",
        size: r[6].parse().unwrap(),
        body_read: r[7] == "1",
    })
}

/// The recorded outcome in words that stay the same from run to run.
fn describe(r: &Recorded) -> (String, String) {
    let answer = if r.status.is_empty() {
        "no response".to_owned()
    } else {
        format!("HTTP {}", r.status)
    };
    let error = if r.error.is_empty() {
        String::new()
    } else if r.error.starts_with("body: timeout") {
        ", error: body timed out".into()
    } else if r.error.contains("timeout") || r.error.contains("timed out") {
        ", error: timed out".into()
    } else if r.error.starts_with("body:") {
        ", error: body cut short".into()
    } else {
        ", error: connection failed".into()
    };
    let outcome = format!(
        "`{}`, {answer} after {} attempt{} ({} error{} logged){error}",
        r.state,
        r.attempts,
        if r.attempts == 1 { "" } else { "s" },
        r.errors,
        if r.errors == 1 { "" } else { "s" },
    );
    let body = if !r.body_read {
        "none".to_owned()
    } else if r.truncated {
        format!("first {} bytes, flagged truncated", r.size)
    } else if !r.error.is_empty() {
        "what arrived, with the error".to_owned()
    } else {
        format!("complete ({} bytes)", r.size)
    };
    (outcome, body)
}

struct Matrix {
    rows: Vec<[String; 4]>,
}

impl Matrix {
    fn row(&mut self, fault: &str, server: &str, outcome: String, body: String) {
        self.rows
            .push([fault.to_owned(), server.to_owned(), outcome, body]);
    }

    fn table(&self) -> String {
        let mut out = String::from(
            "| fault | what the server does | what the crawl records | body stored |\n| --- | --- | --- | --- |\n",
        );
        for r in &self.rows {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                r[0].replace('|', "\\|"),
                r[1].replace('|', "\\|"),
                r[2].replace('|', "\\|"),
                r[3].replace('|', "\\|")
            ));
        }
        out
    }
}

fn requests_to(server: &FixtureServer, host: &str, path: &str) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.host == host && r.target.split('?').next() == Some(path))
        .count()
}

#[test]
fn fault_matrix() {
    let mut matrix = Matrix { rows: Vec::new() };
    let host = "faults.test";

    // 1. The faults host: every response-level fault, linked from one index.
    let server = demo_server();
    let out = tempfile::tempdir().unwrap();
    let site = site_config(out.path(), "demo_faults", host);
    let summary = crawl::crawl(
        &site,
        &options(out.path(), vec![(host.into(), server.addr())]),
    )
    .unwrap();
    let store = Store::open(&crawl::store_path(out.path(), "demo_faults")).unwrap();
    let url = |path: &str| format!("http://{host}{path}");

    for (path, what) in FAULT_EXAMPLES
        .iter()
        .filter(|(p, _)| p.starts_with("/fault/"))
    {
        let r = recorded(&store, &url(path)).unwrap_or_else(|| panic!("{path} not crawled"));
        let (outcome, body) = describe(&r);
        matrix.row(&format!("`{path}`"), what, outcome, body);
    }

    // Assertions on the rows that matter most (the table itself is compared below).
    let get = |path: &str| recorded(&store, &url(path)).unwrap();
    let r = get("/fault/status/503?fail=2");
    assert_eq!((r.status.as_str(), r.attempts, r.errors), ("200", 3, 2));
    let r = get("/fault/retry-after/1?fail=1");
    assert_eq!((r.status.as_str(), r.attempts), ("200", 2));
    let r = get("/fault/status/500");
    assert_eq!(
        (r.state.as_str(), r.status.as_str(), r.attempts),
        ("done", "500", 3)
    );
    let r = get("/fault/reset");
    assert_eq!((r.state.as_str(), r.attempts), ("failed", 3));
    for path in ["/fault/reset-mid-body", "/fault/truncate"] {
        let r = get(path);
        assert_eq!((r.status.as_str(), r.attempts), ("200", 3), "{path}");
        assert!(r.error.starts_with("body:"), "{path}: {}", r.error);
    }
    // Too slow, before the headers or during the body: the 1 s time limit fires.
    let r = get("/fault/delay/1500");
    assert_eq!((r.state.as_str(), r.attempts), ("failed", 3));
    assert!(
        r.error.contains("timed out") || r.error.contains("timeout"),
        "{}",
        r.error
    );
    let r = get("/fault/drip/200");
    assert_eq!((r.status.as_str(), r.attempts), ("200", 3));
    assert!(r.error.starts_with("body: timeout"), "{}", r.error);
    assert_eq!(
        (
            get("/fault/drip/20").status.as_str(),
            get("/fault/drip/20").error.as_str()
        ),
        ("200", "")
    );
    let r = get("/fault/big/50MB");
    assert!(
        r.truncated && r.size == 1_000_000,
        "50 MB is cut at max_body_bytes"
    );
    assert!(
        get("/fault/gzip-bomb").size < 200_000,
        "the bomb is stored as received"
    );
    assert_eq!(get("/fault/invalid-utf8").status, "200");
    assert_eq!(get("/fault/malformed").status, "200");
    assert_eq!(
        store
            .rows(&format!(
                "SELECT kind FROM urls WHERE url = '{}'",
                url("/fault/wrong-type/application/pdf")
            ))
            .unwrap(),
        vec![vec!["attachment".to_owned()]],
        "a page labelled as a PDF is an attachment, as the server says"
    );

    // A storm: ten pages answering 503 twice each, all recovered.
    let storm: Vec<Recorded> = FAULTS_HOST_EXTRAS
        .iter()
        .filter(|(p, _)| p.starts_with("/storm/"))
        .map(|(p, _)| get(p))
        .collect();
    assert_eq!(storm.len(), 10);
    for r in &storm {
        assert_eq!((r.status.as_str(), r.attempts), ("200", STORM_FAILURES + 1));
    }
    matrix.row(
        "`/storm/1` … `/storm/10`",
        "a 503 storm: ten pages answer 503 twice each, then 200",
        format!(
            "all 10 `done`, HTTP 200 after {} attempts each, {} retried errors in all",
            STORM_FAILURES + 1,
            storm.iter().map(|r| r.errors).sum::<u32>()
        ),
        describe(&storm[0]).1,
    );

    // The redirect loop: both hops recorded, the loop detected, nothing fetched twice.
    let chains = store
        .rows("SELECT u.url, c.hops, c.is_loop FROM redirect_chains c JOIN urls u ON u.id = c.url_id WHERE u.url LIKE '%/loop/%' ORDER BY u.url")
        .unwrap();
    assert!(chains.iter().all(|c| c[2] == "1"), "{chains:?}");
    assert_eq!(requests_to(&server, host, "/loop/a"), 1);
    assert_eq!(requests_to(&server, host, "/loop/b"), 1);
    matrix.row(
        "`/loop/a`",
        "302 to `/loop/b`, which 302s back",
        format!(
            "both 302 hops stored; {} redirect chain{} marked as a loop; each URL requested once",
            chains.len(),
            if chains.len() == 1 { "" } else { "s" }
        ),
        "none".into(),
    );

    // Redirects off the site: the hop is recorded, the target never requested.
    for (path, what) in [
        (
            "/redirect/metadata",
            "302 to `http://169.254.169.254/latest/meta-data/` (cloud metadata)",
        ),
        ("/redirect/off-site", "302 to `https://www.example.com/`"),
    ] {
        let hops = store
            .rows(&format!(
                "SELECT f.status, f.location FROM fetches f JOIN urls u ON u.id = f.url_id WHERE u.url = '{}' ORDER BY f.hop",
                url(path)
            ))
            .unwrap();
        assert_eq!(hops.len(), 1, "{path}: {hops:?}");
        assert_eq!(hops[0][0], "302");
        matrix.row(
            &format!("`{path}`"),
            what,
            format!(
                "the 302 and its Location `{}` stored; the target not followed",
                hops[0][1]
            ),
            "none".into(),
        );
    }
    let foreign = store
        .rows("SELECT url FROM fetches WHERE url NOT LIKE 'http://faults.test/%'")
        .unwrap();
    assert!(foreign.is_empty(), "fetched off the site: {foreign:?}");
    let foreign_rows = store
        .rows("SELECT url FROM urls WHERE url NOT LIKE 'http://faults.test/%'")
        .unwrap();
    assert!(
        foreign_rows.is_empty(),
        "queued off the site: {foreign_rows:?}"
    );

    // Links in other schemes and to private addresses: kept as links, never queued.
    let outbound: Vec<String> = store
        .rows("SELECT DISTINCT to_url FROM links WHERE to_id IS NULL ORDER BY to_url")
        .unwrap()
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    for (href, _) in FAULTS_HOST_EXTRAS
        .iter()
        .filter(|(h, _)| !h.starts_with('/'))
    {
        assert!(
            !store
                .rows(&format!("SELECT 1 FROM urls WHERE url = '{href}'"))
                .unwrap()
                .iter()
                .any(|_| true),
            "{href} was queued"
        );
    }
    let (kept, dropped): (Vec<&str>, Vec<&str>) = FAULTS_HOST_EXTRAS
        .iter()
        .map(|(h, _)| *h)
        .filter(|h| !h.starts_with('/'))
        .partition(|h| {
            outbound
                .iter()
                .any(|o| o.trim_end_matches('/') == h.trim_end_matches('/'))
        });
    let list = |hrefs: &[&str]| {
        hrefs
            .iter()
            .map(|h| format!("`{h}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    matrix.row(
        "links in other schemes and to private addresses",
        "the index links them",
        format!(
            "none queued or requested; kept as outbound links: {}; dropped by the link reader: {}",
            list(&kept),
            list(&dropped)
        ),
        "none".into(),
    );

    // The link trap, capped on both axes, and what was capped reported.
    let skipped: BTreeMap<String, u64> = summary.skipped.iter().cloned().collect();
    let variants = skipped.get("trap:query_variants").copied().unwrap_or(0);
    let repeated = skipped.get("trap:repeated_segments").copied().unwrap_or(0);
    assert!(variants >= 1 && repeated >= 1, "{summary}");
    let trap_fetches = server
        .requests()
        .iter()
        .filter(|r| r.host == host && r.target.starts_with("/trap/"))
        .count();
    assert!(trap_fetches < 60, "{trap_fetches} trap pages fetched");
    matrix.row(
        "`/trap/calendar/`",
        "an endless calendar: every page links the next month, a list view and a level deeper",
        format!(
            "{trap_fetches} pages fetched, then capped: {variants} query variants and {repeated} repeated-segment URLs skipped and counted in the summary"
        ),
        "complete, for the pages fetched".into(),
    );

    // Nothing else lost: the ordinary pages are complete, byte for byte.
    for (path, _) in FAULTS_HOST_EXTRAS
        .iter()
        .filter(|(p, _)| p.starts_with("/ok/"))
    {
        let r = get(path);
        assert_eq!(
            (r.status.as_str(), r.attempts, r.truncated),
            ("200", 1, false),
            "{path}"
        );
        let direct = phe_migrate::fixtures::server::ordinary_page(path);
        assert_eq!(r.size, direct.len() as u64, "{path}");
    }
    let index = get("/");
    assert_eq!(index.status, "200");
    matrix.row(
        "(none) `/`, `/ok/1` … `/ok/5`",
        "ordinary pages beside the faults",
        "all `done`, HTTP 200 at the first attempt".into(),
        "complete, byte for byte".into(),
    );
    drop(store);

    // 2. Broken control files: robots.txt and sitemaps that are wrong in every way.
    broken_control_files(&mut matrix);

    // 3. Addresses the crawl refuses.
    refused_addresses(&mut matrix);

    let doc = format!(
        "# Fault matrix\n\nWhat `phe-migrate crawl` records when a legacy server fails, one row per fault. \
Each row is observed over real HTTP against the fixture server (`phe-migrate fixtures serve`, host \
`faults.test`) with `timeout_secs: 1`, `retries: 2` and `max_body_bytes: 1MB`; the test \
`tests/faults.rs` produces this table and fails when it changes.\n\nIn every case the crawl finishes, \
the fault is recorded (status, attempts, the error of each retried attempt in `errors`, a \
truncation flag), and the ordinary pages beside it are stored complete.\n\n{}\n\
Retries use capped exponential backoff (doubling from `retry_base`, at most 60 s) and wait out \
`Retry-After`. A 5xx that lasts is stored as the server's answer: the redirect table then \
archives the URL rather than redirecting it to nothing.\n",
        matrix.table()
    );
    let path = repo_root().join("docs/fault-matrix.md");
    if std::env::var_os("PHE_MIGRATE_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &doc).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == doc,
        "docs/fault-matrix.md differs from what the crawl did; review, then rerun with PHE_MIGRATE_BLESS=1.\n--- observed ---\n{doc}"
    );
}

/// A site whose robots.txt and sitemaps are broken: binary garbage, a sitemap that is not
/// XML, an index listing itself, a gzip bomb, an entity bomb. Its pages must still be found
/// by their links.
fn broken_control_files(matrix: &mut Matrix) {
    let host = "www.broken-demo.org.uk";
    let mut robots = b"\xff\xfe\x00garbage\r\nUser-agent\nDisallow /nothing\nUser-agent: *\nCrawl-delay: -5\nCrawl-delay: banana\nDisallow: /private/\nSitemap: /relative-sitemap.xml\nSitemap: http://[bad\nSitemap: http://www.broken-demo.org.uk/sitemap-index.xml\nAllow: ".to_vec();
    robots.extend(std::iter::repeat_n(b'x', 100_000));
    robots.extend_from_slice(b"\n\0\0\0");
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut bomb, b"<?xml version=\"1.0\"?><urlset>").unwrap();
    let zeros = vec![b' '; 1 << 20];
    for _ in 0..200 {
        std::io::Write::write_all(&mut bomb, &zeros).unwrap();
    }
    let bomb = bomb.finish().unwrap();
    let bomb_size = bomb.len();
    let text = |s: &str| s.as_bytes().to_vec();
    let files = vec![
        ("robots.txt".to_owned(), robots),
        (
            "sitemap.xml".to_owned(),
            text(
                "<?xml version=\"1.0\"?><urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><url><loc>/relative.html</loc></url><url><loc>http://www.broken-demo.org.uk/orphan.html</loc><url><loc>unclosed",
            ),
        ),
        (
            "sitemap-index.xml".to_owned(),
            text(&format!(
                "<?xml version=\"1.0\"?><sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\"><sitemap><loc>http://{host}/sitemap-index.xml</loc></sitemap><sitemap><loc>http://{host}/bomb.xml.gz</loc></sitemap><sitemap><loc>http://{host}/entities.xml</loc></sitemap></sitemapindex>"
            )),
        ),
        ("bomb.xml.gz".to_owned(), bomb),
        (
            "entities.xml".to_owned(),
            text(
                "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\"><!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]><urlset><url><loc>&lol3;</loc></url></urlset>",
            ),
        ),
        (
            "index.html".to_owned(),
            text(
                "<html><head><title>Broken</title></head><body><a href=\"/a.html\">a</a> <a href=\"/private/x.html\">private</a></body></html>",
            ),
        ),
        (
            "a.html".to_owned(),
            text("<html><body><a href=\"/b.html\">b</a></body></html>"),
        ),
        ("b.html".to_owned(), text("<html><body>b</body></html>")),
        (
            "orphan.html".to_owned(),
            text("<html><body>orphan</body></html>"),
        ),
    ];
    let site_server = common::serve_site(host, files);
    let server = site_server.server;
    let out = tempfile::tempdir().unwrap();
    let site = site_config(out.path(), "demo_broken", host);
    let started = std::time::Instant::now();
    let summary = crawl::crawl(
        &site,
        &options(out.path(), vec![(host.into(), server.addr())]),
    )
    .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "the bad Crawl-delay values were not ignored"
    );
    let store = Store::open(&crawl::store_path(out.path(), "demo_broken")).unwrap();
    let state = |path: &str| {
        store
            .rows(&format!("SELECT state, COALESCE(status, ''), COALESCE(skip_reason, '') FROM urls WHERE url = 'http://{host}{path}'"))
            .unwrap()
            .pop()
            .map(|r| r.into_iter().filter(|p| !p.is_empty()).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| "not found".into())
    };
    for page in ["/", "/a.html", "/b.html"] {
        assert_eq!(state(page), "done 200", "{page}");
    }
    assert_eq!(
        state("/private/x.html"),
        "skipped robots",
        "the one good rule in the garbage is obeyed"
    );
    assert_eq!(requests_to(&server, host, "/private/x.html"), 0);
    assert_eq!(
        requests_to(&server, host, "/sitemap-index.xml"),
        1,
        "the index listing itself is read once"
    );
    matrix.row(
        "malformed `robots.txt`",
        "binary garbage, lines without colons, `Crawl-delay: -5` and `banana`, a 100 kB line, NULs",
        format!(
            "the readable rules obeyed (`/private/` {}, never requested); the bad delays ignored; links crawled as usual ({} pages)",
            state("/private/x.html").replace("skipped ", "skipped by "),
            summary.pages
        ),
        "complete".into(),
    );
    let orphan = state("/orphan.html");
    matrix.row(
        "malformed `sitemap.xml`",
        "unclosed elements, a relative `<loc>`",
        format!("the readable locations used (`/orphan.html`: {orphan}); the rest ignored"),
        "complete".into(),
    );
    matrix.row(
        "sitemap index listing itself",
        "`sitemap-index.xml` names itself",
        format!(
            "read once ({} request)",
            requests_to(&server, host, "/sitemap-index.xml")
        ),
        "complete".into(),
    );
    matrix.row(
        "sitemap gzip bomb",
        &format!("{} kB of gzip that inflates to 200 MB", bomb_size / 1000),
        format!(
            "inflated up to the control-file cap only; `{}`",
            state("/bomb.xml.gz")
        ),
        "as received (compressed)".into(),
    );
    matrix.row(
        "sitemap entity bomb",
        "nested `<!ENTITY>` definitions (billion laughs)",
        format!("entities not expanded; `{}`", state("/entities.xml")),
        "as received".into(),
    );
}

/// Hosts on loopback or a private network are refused unless named with `--resolve`.
fn refused_addresses(matrix: &mut Matrix) {
    let out = tempfile::tempdir().unwrap();
    let site = site_config(out.path(), "demo_loopback", "127.0.0.1");
    let err = crawl::crawl(&site, &options(out.path(), Vec::new()))
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a public address"), "{err}");
    assert!(err.contains("--resolve 127.0.0.1="), "{err}");
    // A name that resolves to loopback (localhost, from /etc/hosts) is refused by the
    // resolver itself, at the first attempt: a refusal is not retried.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let fetcher = phe_migrate::crawl::fetch::Fetcher::new(
        "phe-migrate-test",
        Duration::from_secs(2),
        2,
        Duration::from_millis(10),
        Default::default(),
    )
    .unwrap();
    let gate = phe_migrate::crawl::fetch::HostGate::new(1, Duration::ZERO);
    let target = url::Url::parse(&format!("http://localhost:{port}/")).unwrap();
    let exchange = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(fetcher.fetch(
            &target,
            phe_migrate::crawl::fetch::BodyLimit::Any(1000),
            &gate,
        ));
    let error = exchange.error.unwrap_or_default();
    assert!(error.contains("not a public address"), "{error}");
    assert_eq!(exchange.attempts, 1, "a refusal is final");
    listener.set_nonblocking(true).unwrap();
    assert!(listener.accept().is_err(), "nothing connected to loopback");
    matrix.row(
        "a host name resolving to loopback",
        "`localhost` (through the system resolver), no `--resolve`",
        "refused at connection time, at the first attempt, not retried; no connection made".into(),
        "none".into(),
    );
    matrix.row(
        "a site on `127.0.0.1`",
        "(the config's host is a loopback address, no `--resolve`)",
        "refused before any request, nothing stored: \"refused: not a public address … give --resolve 127.0.0.1=ADDR:PORT\"".into(),
        "none".into(),
    );
}
