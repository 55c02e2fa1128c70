//! The crawl stage against the fixture server, over real HTTP.

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use common::{demo_server, phe_migrate, repo_root};
use phe_migrate::config::{Site, Workspace, load_site};
use phe_migrate::crawl::{self, CrawlOptions};
use phe_migrate::extract::charset;
use phe_migrate::fixtures::{Estate, FixtureServer, ServerOptions};
use phe_migrate::store::Store;

fn resolve_all(server: &FixtureServer) -> Vec<(String, SocketAddr)> {
    let mut hosts: Vec<(String, SocketAddr)> = server
        .estate()
        .hosts()
        .into_iter()
        .map(|(h, _)| (h.to_owned(), server.addr()))
        .collect();
    hosts.push(("faults.test".into(), server.addr()));
    hosts
}

fn options(out: &Path, server: &FixtureServer) -> CrawlOptions {
    CrawlOptions {
        out_dir: out.to_path_buf(),
        resolve: resolve_all(server),
        no_delay: true,
        retry_base: Some(Duration::from_millis(20)),
        ..CrawlOptions::default()
    }
}

fn demo_site(abbr: &str) -> Site {
    Workspace::new(repo_root()).resolve_site(abbr).unwrap()
}

fn one(store: &Store, sql: &str) -> String {
    store
        .rows(sql)
        .unwrap()
        .into_iter()
        .next()
        .and_then(|r| r.into_iter().next())
        .unwrap_or_default()
}

fn requested(server: &FixtureServer, host: &str) -> Vec<String> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.host == host)
        .map(|r| r.target)
        .collect()
}

#[test]
fn observatory_is_crawled_completely() {
    let server = demo_server();
    let out = tempfile::tempdir().unwrap();
    let summary = crawl::crawl(&demo_site("demo_chobs"), &options(out.path(), &server)).unwrap();
    let store = Store::open(&crawl::store_path(out.path(), "demo_chobs")).unwrap();
    assert_eq!(store.broken_references().unwrap(), Vec::<String>::new());

    assert_eq!(
        summary.pages_by_status,
        vec![("200".into(), 88), ("301".into(), 3), ("404".into(), 1)],
        "{summary}"
    );
    assert_eq!(summary.attachments, 41);
    assert_eq!(summary.skipped, vec![("robots".into(), 1)]);
    assert_eq!(summary.failed, 0);

    // robots.txt: the disallowed search page is recorded, never requested.
    let www = requested(&server, "www.chobs-demo.org.uk");
    assert!(
        !www.iter().any(|t| t.starts_with("/search.aspx")),
        "{www:?}"
    );
    assert_eq!(
        one(
            &store,
            "SELECT skip_reason FROM urls WHERE url LIKE '%/search.aspx?adv=1'"
        ),
        "robots"
    );

    // The page only the sitemap lists was found, and nothing links to it.
    let orphan = "SELECT id FROM urls WHERE key = '/resource/view.aspx?rid=101999'";
    assert_eq!(
        one(
            &store,
            &format!("SELECT in_sitemap || '/' || status FROM urls WHERE id = ({orphan})")
        ),
        "1/200"
    );
    assert_eq!(
        one(
            &store,
            &format!("SELECT COUNT(*) FROM links WHERE to_id = ({orphan})")
        ),
        "0"
    );

    // The redirect chain, each hop recorded.
    assert_eq!(
        one(
            &store,
            "SELECT c.hops || ' ' || c.final_url || ' ' || c.final_status FROM redirect_chains c JOIN urls u ON u.id = c.url_id WHERE u.key = '/breastfeeding.htm'"
        ),
        "2 http://www.chobs-demo.org.uk/topics/breastfeeding.aspx 200"
    );
    // Session IDs: every raw variant kept, each page fetched once.
    let variants: u64 = one(
        &store,
        "SELECT COUNT(*) FROM variants WHERE raw LIKE '%ASPSESSIONID=%'",
    )
    .parse()
    .unwrap();
    assert_eq!(variants, 30);
    for rid in 101700..101730 {
        let fetched = www
            .iter()
            .filter(|t| {
                t.to_ascii_lowercase()
                    .starts_with(&format!("/resource/view.aspx?rid={rid}"))
            })
            .count();
        assert_eq!(fetched, 1, "RID {rid}");
    }
    // Query pages are told apart by their significant parameters only.
    assert_eq!(
        one(
            &store,
            "SELECT COUNT(*) FROM urls WHERE key LIKE '/data/indicator.aspx?qn=%' AND status = 200"
        ),
        "10"
    );
    // Tools and embeds are in the link graph.
    for (tag, url) in [
        ("iframe", "/atlas/ia/atlas.html"),
        ("embed", "/tools/growthchart.swf"),
    ] {
        assert_eq!(
            one(
                &store,
                &format!(
                    "SELECT COUNT(*) > 0 FROM links WHERE tag = '{tag}' AND to_url LIKE '%{url}'"
                )
            ),
            "1"
        );
    }
    // Outbound links are recorded, not fetched.
    assert_eq!(
        one(
            &store,
            "SELECT internal FROM links WHERE to_url = 'http://www.partnership-demo.org.uk/childhealth/'"
        ),
        "0"
    );
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.host != "www.partnership-demo.org.uk")
    );
    // Every request says who we are.
    assert!(
        server
            .requests()
            .iter()
            .all(|r| r.user_agent.starts_with("phe-migrate/"))
    );
}

#[test]
fn topic_site_charsets_loops_refreshes_and_gzipped_sitemaps() {
    let server = demo_server();
    let out = tempfile::tempdir().unwrap();
    let summary = crawl::crawl(&demo_site("demo_hpa"), &options(out.path(), &server)).unwrap();
    let store = Store::open(&crawl::store_path(out.path(), "demo_hpa")).unwrap();
    assert_eq!(store.broken_references().unwrap(), Vec::<String>::new());
    assert_eq!(
        summary.pages_by_status,
        vec![
            ("200".into(), 82),
            ("302".into(), 2),
            ("404".into(), 2),
            ("410".into(), 1)
        ],
        "{summary}"
    );
    assert_eq!(summary.attachments, 8);
    assert_eq!(
        (summary.redirect_loops, summary.skipped.clone()),
        (2, vec![("robots".into(), 1)])
    );

    // windows-1252 with no charset anywhere comes out right.
    let id: i64 = one(
        &store,
        "SELECT id FROM urls WHERE key = '/web/hpaweb&hpawebstandard/hpaweb_c/1195733764210'",
    )
    .parse()
    .unwrap();
    let fetch = store.final_fetch(id).unwrap().unwrap();
    let text = charset::decode(
        fetch.body.as_deref().unwrap(),
        fetch.content_type.as_deref(),
    )
    .text;
    assert!(
        text.contains("can exceed \u{a3}10,000")
            && text.contains("Guillain\u{2013}Barr\u{e9}")
            && text.contains("\u{201c}Letter to parents\u{201d}"),
        "{text}"
    );
    assert_eq!(
        one(
            &store,
            &format!("SELECT charset || ' ' || charset_source FROM fetches WHERE url_id = {id}")
        ),
        "windows-1252 detected"
    );
    assert_eq!(
        one(
            &store,
            "SELECT COUNT(*) FROM fetches WHERE charset = 'windows-1252' AND charset_source = 'meta'"
        ),
        "15"
    );

    // The 302 loop and the meta refresh are redirects.
    assert_eq!(
        one(
            &store,
            "SELECT c.is_loop FROM redirect_chains c JOIN urls u ON u.id = c.url_id WHERE u.key = '/publications/archive'"
        ),
        "1"
    );
    assert_eq!(
        one(
            &store,
            "SELECT redirect_kind || ' ' || location FROM fetches WHERE url LIKE '%/Topics/Legacy/'"
        ),
        "meta_refresh http://www.hpa-demo.org.uk/Topics/InfectiousDiseases/InfectionsAZ/"
    );
    // The orphan comes from the gzipped sitemap behind the sitemap index.
    assert_eq!(
        one(
            &store,
            "SELECT in_sitemap || ' ' || status FROM urls WHERE key = '/topics/infectiousdiseases/infectionsaz/hantavirus'"
        ),
        "1 200"
    );
    // Mixed-case links, aliases and base href all fold into one page each.
    assert_eq!(
        one(
            &store,
            "SELECT COUNT(*) FROM variants v JOIN urls u ON u.id = v.url_id WHERE u.key = '/topics/infectiousdiseases/infectionsaz/measles'"
        ),
        "2"
    );
    assert!(
        !requested(&server, "www.hpa-demo.org.uk")
            .iter()
            .any(|t| t.starts_with("/Intranet"))
    );
}

#[test]
fn committee_site_through_the_command_line() {
    let server = demo_server();
    let out = tempfile::tempdir().unwrap();
    let mut cmd = phe_migrate();
    cmd.current_dir(repo_root())
        .args(["crawl", "demo_comare", "--no-delay", "--json", "--out"])
        .arg(out.path());
    for host in ["www.comare-demo.org.uk", "comare-demo.org.uk"] {
        cmd.args(["--resolve", &format!("{host}={}", server.addr())]);
    }
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summaries: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let s = &summaries[0];
    assert_eq!(
        s["pages_by_status"],
        serde_json::json!([["200", 29], ["301", 1]])
    );
    assert_eq!(s["attachments"], 16);
    let store = Store::open(&crawl::store_path(out.path(), "demo_comare")).unwrap();
    assert_eq!(
        one(
            &store,
            "SELECT status FROM urls WHERE key = '/minutes/2008-11.pdf'"
        ),
        "404"
    );
    assert_eq!(
        one(
            &store,
            "SELECT COUNT(*) FROM variants WHERE raw LIKE '%PHPSESSID=%'"
        ),
        "6"
    );
    assert_eq!(
        one(
            &store,
            "SELECT location FROM fetches WHERE url LIKE '%/publications.html'"
        ),
        "http://www.comare-demo.org.uk/reports.html"
    );

    // A bad --resolve is a usage error.
    let output = phe_migrate()
        .current_dir(repo_root())
        .args(["crawl", "demo_comare", "--resolve", "nonsense"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("HOST=IP:PORT"));
}

#[test]
fn crawl_delay_and_same_page_redirects() {
    let links: String = (1..=5)
        .map(|i| format!("<a href=\"/p{i}.html\">{i}</a>"))
        .collect::<String>()
        + "<a href=\"/docs\">docs</a>";
    let mut files = vec![
        (
            "robots.txt".to_owned(),
            b"User-agent: *\nCrawl-delay: 0.3\n".to_vec(),
        ),
        (
            "docs/index.html".to_owned(),
            b"<html><body>docs</body></html>".to_vec(),
        ),
        (
            "index.html".to_owned(),
            format!("<html><body>{links}</body></html>").into_bytes(),
        ),
    ];
    for i in 1..=5 {
        files.push((
            format!("p{i}.html"),
            b"<html><body>page</body></html>".to_vec(),
        ));
    }
    let site_server = common::serve_site("www.slow-demo.org.uk", files);
    let server = site_server.server;
    let out = tempfile::tempdir().unwrap();
    let config = out.path().join("demo_slow.yml");
    std::fs::write(&config, "site: demo_slow\nwhitehall_slug: public-health-england\nhost: www.slow-demo.org.uk\ntna_timestamp: 20150101000000\nhomepage: https://www.gov.uk/x\ncrawl:\n  concurrency: 4\n  delay_ms: 0\n").unwrap();
    let site = load_site(&config).site.unwrap();
    let opts = CrawlOptions {
        out_dir: out.path().into(),
        resolve: vec![("www.slow-demo.org.uk".into(), server.addr())],
        ..CrawlOptions::default()
    };
    let started = Instant::now();
    let summary = crawl::crawl(&site, &opts).unwrap();
    assert_eq!(summary.pages, 7, "{summary}");
    // After robots.txt is read, requests start at least 0.3 s apart, whatever the concurrency.
    let after_robots = server.requests().len() as u32 - 1;
    assert!(
        started.elapsed() >= Duration::from_millis(300) * (after_robots - 1),
        "{after_robots} requests in {:?}",
        started.elapsed()
    );
    // /docs answers 301 to /docs/: the same page (one key), so both hops are recorded under it.
    let store = Store::open(&crawl::store_path(out.path(), "demo_slow")).unwrap();
    assert_eq!(
        store.rows("SELECT f.hop, f.status, f.url FROM fetches f JOIN urls u ON u.id = f.url_id WHERE u.key = '/docs' ORDER BY f.hop").unwrap(),
        vec![vec!["0".to_owned(), "301".into(), "http://www.slow-demo.org.uk/docs".into()], vec!["1".into(), "200".into(), "http://www.slow-demo.org.uk/docs/".into()]]
    );
    assert_eq!(
        summary.redirects, 0,
        "a same-page hop is not a redirect between pages"
    );
}

/// The same URLs, statuses and bodies, however the crawl was interrupted.
fn snapshot(store: &Store) -> BTreeSet<(String, String, String, String)> {
    store
        .rows("SELECT u.key, u.state, COALESCE(u.status, ''), COALESCE((SELECT GROUP_CONCAT(COALESCE(f.digest, '-'), ' ') FROM fetches f WHERE f.url_id = u.id), '') FROM urls u")
        .unwrap()
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone(), r[3].clone()))
        .collect()
}

#[test]
fn kill_dash_nine_then_resume_matches_an_uninterrupted_crawl() {
    // A generated site large enough to be killed midway.
    let estate_dir = tempfile::tempdir().unwrap();
    let generated = phe_migrate::fixtures::generate::generate(
        &estate_dir.path().join("generated"),
        &phe_migrate::fixtures::generate::GenerateOptions {
            pages: 1500,
            host: "www.generated-legacy.org.uk".into(),
            seed: 11,
            rich: false,
        },
    )
    .unwrap();
    // Each answer waits a millisecond, so that even an optimised build crawls slowly enough
    // (over a second for the site) for the polling below to kill it at the counts it aims for.
    let server = FixtureServer::start(
        Estate::load(estate_dir.path()).unwrap(),
        "127.0.0.1:0".parse().unwrap(),
        ServerOptions {
            faults: vec![phe_migrate::fixtures::FaultRule::parse("/*=delay:1").unwrap()],
            ..ServerOptions::default()
        },
    )
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("demo_generated.yml");
    std::fs::write(&config, "site: demo_generated\nwhitehall_slug: public-health-england\nhost: www.generated-legacy.org.uk\ntna_timestamp: 20150101000000\nhomepage: https://www.gov.uk/x\noptions: --query-string id\n").unwrap();
    let crawl_command = |out: &Path| {
        let mut cmd = phe_migrate();
        cmd.args(["crawl"])
            .arg(&config)
            .args(["--no-delay", "--quiet", "--concurrency", "2", "--out"])
            .arg(out);
        cmd.args([
            "--resolve",
            &format!("www.generated-legacy.org.uk={}", server.addr()),
        ]);
        cmd
    };

    let clean_out = work.path().join("clean");
    assert!(crawl_command(&clean_out).output().unwrap().status.success());
    let clean = Store::open(&crawl::store_path(&clean_out, "demo_generated")).unwrap();
    let expected = snapshot(&clean);
    let requests_for_clean = server.requests().len() as u64;
    assert_eq!(
        requests_for_clean, generated.crawlable_urls,
        "a clean crawl requests each URL once"
    );

    // Kill the crawl three times at different points, resuming after each.
    let out = work.path().join("killed");
    let db = crawl::store_path(&out, "demo_generated");
    let mut before_kill = Vec::new();
    for kill_at in [200u64, 700, 1200] {
        let mut child = crawl_command(&out).spawn().unwrap();
        let started = Instant::now();
        loop {
            let done = Store::open(&db)
                .ok()
                .and_then(|s| {
                    s.count("SELECT COUNT(*) FROM urls WHERE state = 'done'")
                        .ok()
                })
                .unwrap_or(0);
            if done >= kill_at || started.elapsed() > Duration::from_secs(60) {
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let store = Store::open(&db).unwrap();
        before_kill.push(
            store
                .count("SELECT COUNT(*) FROM urls WHERE state = 'done'")
                .unwrap(),
        );
    }
    let log_before_resume = server.requests().len();
    let done_before_resume: BTreeSet<String> = Store::open(&db)
        .unwrap()
        .rows("SELECT url FROM urls WHERE state IN ('done', 'failed')")
        .unwrap()
        .into_iter()
        .map(|r| r[0].clone())
        .collect();
    let output = crawl_command(&out).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        before_kill.windows(2).all(|w| w[0] < w[1])
            && *before_kill.last().unwrap() < expected.len() as u64,
        "killed too late: {before_kill:?}"
    );

    let resumed = Store::open(&db).unwrap();
    assert_eq!(resumed.broken_references().unwrap(), Vec::<String>::new());
    assert_eq!(
        snapshot(&resumed),
        expected,
        "the resumed crawl differs from the clean one"
    );
    // Nothing that was done before the last kill was fetched again.
    let host = "www.generated-legacy.org.uk";
    for r in &server.requests()[log_before_resume..] {
        assert!(
            !done_before_resume.contains(&format!("http://{host}{}", r.target)),
            "refetched {}",
            r.target
        );
    }
    // Nothing duplicated: one row per key and per hop.
    assert_eq!(
        resumed.count("SELECT COUNT(*) FROM urls").unwrap(),
        clean.count("SELECT COUNT(*) FROM urls").unwrap()
    );
    assert_eq!(
        resumed.count("SELECT COUNT(*) FROM fetches").unwrap(),
        clean.count("SELECT COUNT(*) FROM fetches").unwrap()
    );
    assert_eq!(
        resumed.count("SELECT COUNT(*) FROM links").unwrap(),
        clean.count("SELECT COUNT(*) FROM links").unwrap()
    );
}

/// An observatory's "choose a year and an area" form is the only way to its query pages:
/// the crawl submits each significant choice as a browser would, once however many pages
/// carry the form, and leaves alone forms that ask for typed text or are posted.
#[test]
fn forms_of_choices_lead_to_the_query_pages_behind_them() {
    const HOST: &str = "www.forms-demo.org.uk";
    let form = "<form method=\"get\" action=\"/data/report.aspx\">\
        <select name=\"Year\"><option>2012</option><option selected>2013</option></select>\
        <select name=\"area\"><option value=\"E1\">North</option><option value=\"E2\">South</option></select>\
        <input type=\"submit\" value=\"Show\"></form>\
        <form action=\"/search.aspx\"><input type=\"text\" name=\"q\"><select name=\"in\"><option value=\"all\">All</option></select></form>\
        <form method=\"post\" action=\"/subscribe.aspx\"><select name=\"list\"><option value=\"1\">News</option></select></form>";
    // Forty forms of twenty years each: 800 URLs, past what the site lets one path have.
    let many_forms: String = (0..40)
        .map(|n| {
            let years: String = (0..20)
                .map(|y| format!("<option>{}</option>", 1000 + n * 20 + y))
                .collect();
            format!("<form action=\"/many/report.aspx\"><input type=\"hidden\" name=\"v\" value=\"{n}\"><select name=\"year\">{years}</select></form>")
        })
        .collect();
    let page = |title: &str, body: &str| {
        format!(
            "<html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
        )
        .into_bytes()
    };
    let site_server = common::serve_site(
        HOST,
        vec![
            (
                "index.html".into(),
                page(
                    "Data",
                    &format!(
                        "{form}<a href=\"/about.html\">About</a><a href=\"/many.html\">Many</a>"
                    ),
                ),
            ),
            ("about.html".into(), page("About", form)),
            ("many.html".into(), page("Many", &many_forms)),
            (
                "data/report.aspx%3FYear=2012&area=E1".into(),
                page("Report 2012", "<p>2012</p>"),
            ),
            (
                "data/report.aspx%3FYear=2013&area=E1".into(),
                page("Report 2013", "<p>2013</p>"),
            ),
        ],
    );
    let ws = common::one_site_workspace(
        "demo_forms",
        HOST,
        "options: --query-string year\ncrawl:\n  max_query_variants: 50\n",
    );
    let resolve = format!("{HOST}={}", site_server.server.addr());
    common::run_each_ok(
        ws.path(),
        &[&[
            "crawl",
            "demo_forms",
            "--no-delay",
            "--quiet",
            "--resolve",
            &resolve,
        ]],
    );
    let store = Store::open(&crawl::store_path(&ws.path().join("out"), "demo_forms")).unwrap();
    assert_eq!(
        one(
            &store,
            "SELECT group_concat(key || ' ' || status, ', ') FROM (SELECT key, status FROM urls WHERE key LIKE '/data/%' ORDER BY key)"
        ),
        "/data/report.aspx?year=2012 200, /data/report.aspx?year=2013 200"
    );
    // Each year once; the area (not significant) at the form's first choice.
    let www = requested(&site_server.server, HOST);
    let mut reports: Vec<&String> = www.iter().filter(|t| t.starts_with("/data/")).collect();
    reports.sort();
    assert_eq!(
        reports,
        [
            "/data/report.aspx?Year=2012&area=E1",
            "/data/report.aspx?Year=2013&area=E1"
        ],
        "{www:?}"
    );
    assert!(
        !www.iter()
            .any(|t| t.starts_with("/search.aspx") || t.starts_with("/subscribe.aspx")),
        "{www:?}"
    );
    // A page of many forms gives no more URLs than one path may have, and the one past
    // the cap is recorded as a trap, not fetched.
    assert_eq!(
        one(
            &store,
            "SELECT COUNT(*) || ' ' || SUM(skip_reason = 'trap:query_variants') FROM urls WHERE key LIKE '/many/report.aspx?%'"
        ),
        "51 1"
    );
    // The link graph says where the form is, once.
    assert_eq!(
        one(
            &store,
            "SELECT COUNT(*) || ' ' || group_concat(DISTINCT u.url) FROM links l JOIN urls u ON u.id = l.from_id WHERE l.tag = 'form' AND l.to_url LIKE '%/data/%'"
        ),
        format!("2 http://{HOST}/")
    );
}

#[test]
fn a_crawl_run_again_tries_what_failed_and_a_site_that_was_down_starts_again() {
    let site = demo_site("demo_comare");
    let out = tempfile::tempdir().unwrap();
    // The host down: robots.txt cannot be read, so everything else is disallowed.
    let closed: SocketAddr = "127.0.0.1:9".parse().unwrap();
    let down = CrawlOptions {
        out_dir: out.path().to_path_buf(),
        resolve: site.hosts().map(|h| (h.to_owned(), closed)).collect(),
        no_delay: true,
        retry_base: Some(Duration::from_millis(5)),
        ..CrawlOptions::default()
    };
    let summary = crawl::crawl(&site, &down).unwrap();
    assert_eq!(summary.pages, 0);
    assert!(summary.unreachable(&site.host).is_some());

    // The host back, with one page reset for its first four requests (the crawl tries
    // each URL four times).
    let estate = Estate::load(&repo_root().join("fixtures/estate")).unwrap();
    let server = FixtureServer::start(
        estate,
        "127.0.0.1:0".parse().unwrap(),
        ServerOptions {
            faults: vec![phe_migrate::fixtures::FaultRule::parse("/reports.html=reset*4").unwrap()],
            ..ServerOptions::default()
        },
    )
    .unwrap();
    let summary = crawl::crawl(&site, &options(out.path(), &server)).unwrap();
    assert!(summary.pages > 20, "{summary:?}");
    assert_eq!(summary.failed, 1, "{summary:?}");
    let store_path = crawl::store_path(out.path(), "demo_comare");
    let state = |key: &str| {
        let store = Store::open(&store_path).unwrap();
        one(
            &store,
            &format!("SELECT state || ' ' || COALESCE(status, '-') FROM urls WHERE key = '{key}'"),
        )
    };
    assert_eq!(state("/reports.html"), "failed -");
    let first = server.requests().len();

    // Run again: only what failed is requested, and it is recorded this time.
    let summary = crawl::crawl(&site, &options(out.path(), &server)).unwrap();
    assert_eq!(summary.failed, 0, "{summary:?}");
    assert_eq!(state("/reports.html"), "done 200");
    let again: Vec<String> = server.requests()[first..]
        .iter()
        .map(|r| r.target.clone())
        .collect();
    assert!(again.contains(&"/reports.html".to_owned()), "{again:?}");
    assert!(!again.contains(&"/".to_owned()), "{again:?}");
    assert!(!again.contains(&"/robots.txt".to_owned()), "{again:?}");
}

#[test]
fn a_crawl_run_again_with_a_higher_cap_goes_on_from_where_it_stopped() {
    let server = demo_server();
    let site = demo_site("demo_comare");
    let full_out = tempfile::tempdir().unwrap();
    let full = crawl::crawl(&site, &options(full_out.path(), &server)).unwrap();

    let out = tempfile::tempdir().unwrap();
    let capped = |max_pages, max_depth| CrawlOptions {
        max_pages,
        max_depth,
        ..options(out.path(), &server)
    };
    let summary = crawl::crawl(&site, &capped(Some(5), None)).unwrap();
    assert!(summary.pages + summary.attachments <= 5, "{summary:?}");
    assert!(
        summary.skipped.iter().any(|(r, _)| r == "max_pages"),
        "{summary:?}"
    );
    // The same cap again holds the same URLs back.
    let again = crawl::crawl(&site, &capped(Some(5), None)).unwrap();
    assert_eq!(again.fetched_this_run, 0, "{again:?}");
    // A lower depth keeps the deeper ones back (`--max-depth 0` fetches an imported list
    // alone); a higher one lets those within it through, and holds the next level back.
    let shallow = crawl::crawl(&site, &capped(None, Some(0))).unwrap();
    assert_eq!(shallow.fetched_this_run, 0, "{shallow:?}");
    let summary = crawl::crawl(&site, &capped(None, Some(1))).unwrap();
    assert!(summary.fetched_this_run > 0, "{summary:?}");
    assert!(
        summary.skipped.iter().any(|(r, _)| r == "max_depth"),
        "{summary:?}"
    );
    let before = server.requests().len();
    let summary = crawl::crawl(&site, &capped(None, None)).unwrap();
    assert_eq!(
        (
            &summary.pages_by_status,
            summary.attachments,
            &summary.skipped
        ),
        (&full.pages_by_status, full.attachments, &full.skipped),
        "{summary:?}"
    );
    // Nothing fetched before was fetched again.
    let mut targets: Vec<String> = server.requests()[before..]
        .iter()
        .map(|r| format!("{} {}", r.host, r.target))
        .collect();
    let count = targets.len();
    targets.sort();
    targets.dedup();
    assert_eq!(targets.len(), count, "{targets:?}");
    assert!(!targets.iter().any(|t| t.ends_with(" /")), "{targets:?}");
}
