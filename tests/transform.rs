//! The transform stage end to end: the demo estate crawled from the fixture server, then
//! transformed; every content item valid, output identical for any --jobs, golden drafts.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{copy_workspace, phe_migrate, repo_root};

fn run(args: &[&str], out: &Path) -> String {
    let output = phe_migrate()
        .current_dir(repo_root())
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{args:?}\n{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    text
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// Golden drafts a content designer has read: (site, file in content/).
const GOLDEN: &[(&str, &str)] = &[
    ("demo_hpa", "botulism.md"),
    ("demo_hpa", "food-poisoning-a-guide-to-notification.md"),
    ("demo_chobs", "a-and-e-attendances-0-4-years.md"),
    // A publication: its files are listed apart, so the page's "Downloads" list and heading
    // go from the body.
    ("demo_chobs", "oral-health-local-authority-data-2013.md"),
    // A layout-table page without content selectors: the menu and footer cells stay out,
    // and the report's own download link is listed with the publication's files.
    (
        "demo_comare",
        "10th-report-the-incidence-of-childhood-cancer-around-nuclear-installations-in-great-britain.md",
    ),
];

/// Crawls `pages` (file, HTML) from a local server into a new one-site workspace with
/// `mappings` (YAML, or none), then runs the transform and the redirect table.
fn crawl_and_transform(
    abbr: &str,
    host: &str,
    pages: &[(&str, String)],
    mappings: &str,
) -> tempfile::TempDir {
    let site_server = common::serve_site_with(
        host,
        "",
        pages
            .iter()
            .map(|(file, html)| (file.to_string(), html.as_bytes().to_vec()))
            .collect(),
    );
    let ws = common::one_site_workspace(abbr, host, "");
    if !mappings.is_empty() {
        std::fs::write(ws.path().join(format!("mappings/{abbr}.yml")), mappings).unwrap();
    }
    let resolve = format!("{host}={}", site_server.server.addr());
    common::run_each_ok(
        ws.path(),
        &[
            &[
                "crawl",
                abbr,
                "--no-delay",
                "--quiet",
                "--resolve",
                &resolve,
            ],
            &["transform", abbr, "--quiet"],
            &["report", "redirects", abbr],
        ],
    );
    ws
}

#[test]
fn demo_estate_transforms_into_valid_identical_content() {
    let out = tempfile::tempdir().unwrap();
    let text = run(&["demo", "--quiet"], out.path());
    assert!(text.contains("schema errors 0"), "{text}");
    // A lead sees which warnings the editors will meet most, not only how many.
    assert!(
        text.contains(
            "  commonest warnings: 40 \"the body restates the item's date\", 20 \"the redirect \
             table archives this page\", 10 \"table without a heading row\" (each page's in \
             transform.csv)"
        ),
        "{text}"
    );
    let sites = ["demo_chobs", "demo_hpa", "demo_comare"];
    for site in sites {
        assert!(text.contains(&format!("{site}: ")), "{text}");
    }
    // The demo's configs strip their site names from titles: no hint.
    assert!(!text.contains("titles have"), "{text}");
    // A page the site's main-content selectors miss (an embedded tool's shell) is named,
    // and its draft says so.
    assert!(
        text.contains(
            "  `content.main` matched 86 of 87 pages: the other 1 page's main content was \
             found without it (its draft warns; check the selectors against the HTML)"
        ),
        "{text}"
    );
    let atlas = std::fs::read_to_string(
        out.path()
            .join("demo_chobs/content/instantatlas-child-health-atlas.md"),
    )
    .unwrap();
    assert!(
        atlas.contains("none of the site's `content.main` selectors matched this page"),
        "{atlas}"
    );
    // --jobs 1 and --jobs 4 write the same bytes.
    let one = tempfile::tempdir().unwrap();
    let four = tempfile::tempdir().unwrap();
    for (dir, jobs) in [(&one, "1"), (&four, "4")] {
        for site in sites {
            std::fs::create_dir_all(dir.path().join(site)).unwrap();
            std::fs::copy(
                out.path().join(site).join("crawl.db"),
                dir.path().join(site).join("crawl.db"),
            )
            .unwrap();
        }
        let summary = run(
            &[
                "transform",
                "--quiet",
                "--json",
                "--jobs",
                jobs,
                "demo_chobs",
                "demo_hpa",
                "demo_comare",
            ],
            dir.path(),
        );
        let json: serde_json::Value = serde_json::from_str(&summary).unwrap();
        for s in json.as_array().unwrap() {
            assert_eq!(s["schema_errors"], 0, "{s}");
            assert_eq!(s["failed"].as_array().unwrap().len(), 0, "{s}");
        }
        // Drafts of pages the mappings send elsewhere are counted: ChObs hands /profiles/
        // and /data/ to Fingertips and archives /news/ and /about/.
        let chobs = &json.as_array().unwrap()[0];
        assert_eq!(chobs["site"], "demo_chobs");
        assert_eq!(chobs["sent_elsewhere"], 43, "{chobs}");
        // The drafts kept on disk between the passes are gone with the run.
        for site in sites {
            let mut left: Vec<String> = std::fs::read_dir(dir.path().join(site))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            left.sort();
            assert_eq!(
                left,
                [
                    "attachments.csv",
                    "content",
                    "crawl.db",
                    "pages.jsonl",
                    "transform.csv"
                ],
                "{site}"
            );
        }
    }
    let mut items = 0;
    for site in sites {
        let a = files(&one.path().join(site).join("content"));
        let b = files(&four.path().join(site).join("content"));
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b) {
            assert!(
                x == y,
                "{site}/{} differs between --jobs 1 and --jobs 4",
                x.0
            );
        }
        for name in ["transform.csv", "attachments.csv"] {
            assert_eq!(
                std::fs::read(one.path().join(site).join(name)).unwrap(),
                std::fs::read(four.path().join(site).join(name)).unwrap(),
                "{site}/{name}"
            );
        }
        // Every item is a publisher_v2 payload for one of the formats, with its draft beside it.
        for (name, bytes) in &a {
            if let Some(stem) = name.strip_suffix(".json") {
                let item: serde_json::Value = serde_json::from_slice(bytes).unwrap();
                assert_eq!(
                    phe_migrate::formats::item::validate(&item),
                    Vec::<String>::new(),
                    "{site}/{name}"
                );
                assert!(a.iter().any(|(n, _)| *n == format!("{stem}.md")));
                items += 1;
            }
        }
    }
    // A site's base paths are unique: a title used twice gives the later page (in key
    // order) `--2`.
    for site in sites {
        let mut base_paths = std::collections::HashSet::new();
        let mut csv = csv::Reader::from_path(one.path().join(site).join("transform.csv")).unwrap();
        let header = csv.headers().unwrap().clone();
        let column = |name: &str| header.iter().position(|h| h == name).unwrap();
        let (base_path_at, elsewhere_at) = (column("base_path"), column("sent_elsewhere"));
        let mut elsewhere = BTreeMap::new();
        for row in csv.records() {
            let row = row.unwrap();
            let base_path = row[base_path_at].to_owned();
            assert!(
                base_paths.insert(base_path.clone()),
                "{site}: {base_path} twice"
            );
            elsewhere.insert(row[0].to_owned(), row[elsewhere_at].to_owned());
        }
        // The drafts not to publish can be filtered out of the table: its sent_elsewhere
        // column says what their front matter says.
        if site == "demo_chobs" {
            let sent = elsewhere.values().filter(|v| !v.is_empty()).count();
            assert_eq!(sent, 43);
            assert_eq!(elsewhere["http://www.chobs-demo.org.uk/about/"], "archive");
            assert!(
                elsewhere["http://www.chobs-demo.org.uk/profiles/"]
                    .starts_with("https://fingertips.phe.org.uk/"),
                "{elsewhere:?}"
            );
            assert_eq!(
                elsewhere["http://www.chobs-demo.org.uk/resource/view.aspx?RID=101700"],
                ""
            );
        }
    }
    let content = one.path().join("demo_chobs/content");
    for stem in [
        "oral-health-local-authority-data-2013",
        "disability-2010-11-data-briefing",
    ] {
        assert!(content.join(format!("{stem}.json")).is_file(), "{stem}");
        assert!(
            content.join(format!("{stem}--2.json")).is_file(),
            "{stem}--2"
        );
        // The three share their title and words, other dates: versions of one text, the
        // newest to publish under the path without a number, the others to send to it,
        // but for one the mappings already send elsewhere (RID=101705).
        for name in [stem.to_owned(), format!("{stem}--2"), format!("{stem}--3")] {
            let draft = std::fs::read_to_string(content.join(format!("{name}.md"))).unwrap();
            let settled = draft.contains("\nsent_elsewhere: ");
            let newest = draft.contains("versions of one text (this title and these words");
            assert_eq!(newest, name == stem, "{name}:\n{draft}");
            assert_eq!(
                draft.contains("an older version of http://www.chobs-demo.org.uk/resource/"),
                !newest && !settled,
                "{name}:\n{draft}"
            );
            assert!(!draft.contains("have this title"), "{name}:\n{draft}");
        }
    }
    // A title used once carries no such warning.
    let single = std::fs::read_to_string(content.join("breastfeeding.md")).unwrap();
    assert!(
        !single.contains("have this title") && !single.contains("version"),
        "{single}"
    );
    // The mappings' `pages:` entry for /atlas/ names the page keyed /atlas: its needs are in
    // the draft, as the audit counts them.
    let atlas = std::fs::read_to_string(content.join("child-health-atlas.md")).unwrap();
    assert!(
        atlas.contains("needs:\n  - \"chobs-area-indicators\"\n"),
        "{atlas}"
    );
    // Links go where the redirect table will send a reader: a page the mappings send to
    // Fingertips links there, an archived one to its web archive copy, and an unresolved
    // one keeps its legacy URL (and is counted as such), not to a draft nobody will publish.
    let home = std::fs::read_to_string(content.join("child-health-observatory.md")).unwrap();
    for link in [
        "[Data explorer](https://fingertips.phe.org.uk/profile/child-health-profiles)",
        "[New data explorer](https://webarchive.nationalarchives.gov.uk/20150302101115/http://www.chobs-demo.org.uk/news/2014-06-02-data-explorer.aspx)",
        "[Growth chart tool](http://www.chobs-demo.org.uk/tools/growth.aspx)",
        "1 link(s) to legacy pages with no new URL kept as they are (e.g. http://www.chobs-demo.org.uk/tools/growth.aspx)",
    ] {
        assert!(home.contains(link), "{link}\n{home}");
    }
    // Attachments are titled from their links' text, in the item as in the draft.
    let report = "10th-report-the-incidence-of-childhood-cancer-around-nuclear-installations-in-great-britain";
    let comare = one.path().join("demo_comare/content");
    let item: serde_json::Value =
        serde_json::from_slice(&std::fs::read(comare.join(format!("{report}.json"))).unwrap())
            .unwrap();
    let title = "10th report: The incidence of childhood cancer around nuclear installations in Great Britain: full report";
    assert_eq!(item["details"]["attachments"][0]["title"], title);
    let draft = std::fs::read_to_string(comare.join(format!("{report}.md"))).unwrap();
    assert!(
        draft.contains(&format!(
            "attachments:\n  - file: \"comare-tenth-report.pdf\"\n    title: \"{title}\"\n"
        )),
        "{draft}"
    );
    // A link the legacy site itself answered 404 for is called broken, for the editor to
    // remove or replace, apart from links still waiting for a decision.
    let poverty = std::fs::read_to_string(content.join("child-poverty.md")).unwrap();
    assert!(
        poverty.contains("1 broken link(s) kept as they are (e.g. http://www.chobs-demo.org.uk/resource/view.aspx?RID=101000, which the legacy site answered with 404): remove or replace them"),
        "{poverty}"
    );
    assert!(!poverty.contains("link(s) to legacy pages"), "{poverty}");
    // A link to a URL the legacy site redirected goes where its chain ended, as the table
    // folds it: /breastfeeding.htm answered 301 to /topics/breastfeeding.aspx.
    let briefing = std::fs::read_to_string(content.join("breastfeeding-data-updated.md")).unwrap();
    assert!(
        briefing.contains("[breastfeeding pages](https://www.gov.uk/guidance/breastfeeding)"),
        "{briefing}"
    );
    assert!(!briefing.contains("link(s) to legacy pages"), "{briefing}");
    // A draft whose own URLs the table sends elsewhere says so, naming the decision.
    let about = std::fs::read_to_string(content.join("about-chobs.md")).unwrap();
    assert!(
        about.contains("the redirect table archives this page (410 with a link to the web archive), as the section /about/ (mappings/demo_chobs.yml:55) decides"),
        "{about}"
    );
    let profile =
        std::fs::read_to_string(content.join("child-health-profile-2014-leeds.md")).unwrap();
    assert!(
        profile.contains("sends this page's URLs to https://fingertips.phe.org.uk/profile/child-health-profiles, as the section /profiles/ (mappings/demo_chobs.yml:39) decides"),
        "{profile}"
    );
    // A page the table sends to its own draft carries no such warning.
    assert!(!single.contains("redirect table"), "{single}");
    // A folder's section covers the folder's own page: HPA's A-Z index meets the needs of
    // /topics/infectiousdiseases/infectionsaz/.
    let index = std::fs::read_to_string(
        one.path()
            .join("demo_hpa/content/infectious-diseases-a-z.md"),
    )
    .unwrap();
    assert!(
        index.contains("needs:\n  - \"hpa-disease-facts\"\n  - \"hpa-professional-guidance\"\n"),
        "{index}"
    );
    // `/` and `/index.html` serve the same bytes on two sites: one item each answers both.
    assert_eq!(items, 87 + 82 + 28);
    let home = std::fs::read_to_string(one.path().join("demo_comare/content/welcome-to-comare.md"))
        .unwrap();
    assert!(
        home.contains("  - \"http://www.comare-demo.org.uk/\"\n  - \"http://www.comare-demo.org.uk/index.html\"\n"),
        "{home}"
    );
    // Links to archived pages go to their web-archive copies, without the session id the
    // legacy site put in every link (its drafts still list the URLs as crawled).
    let news = std::fs::read_to_string(one.path().join("demo_comare/content/news.md")).unwrap();
    assert!(
        news.contains("[Fourteenth report published](https://webarchive.nationalarchives.gov.uk/20140507011658/http://www.comare-demo.org.uk/news/2011-fourteenth-report.html)\n"),
        "{news}"
    );
    assert!(!news.contains("PHPSESSID"), "{news}");
    // Golden drafts.
    for (site, file) in GOLDEN {
        let got =
            std::fs::read_to_string(one.path().join(site).join("content").join(file)).unwrap();
        let golden_path = repo_root().join("fixtures/golden").join(site).join(file);
        if std::env::var_os("PHE_UPDATE_GOLDEN").is_some() {
            std::fs::create_dir_all(golden_path.parent().unwrap()).unwrap();
            std::fs::write(&golden_path, &got).unwrap();
        }
        let want = std::fs::read_to_string(&golden_path).unwrap();
        assert_eq!(
            got,
            want,
            "{site}/{file} differs from {}",
            golden_path.display()
        );
    }
    // An editor's change to a draft survives the next transform: the run stops and names
    // it; --replace-edited rebuilds the folder, with a copy of each changed file kept.
    let site_dir = one.path().join("demo_comare");
    let content = site_dir.join("content");
    let draft = content.join("welcome-to-comare.md");
    let edited = format!("{home}\nA sentence an editor added.\n");
    std::fs::write(&draft, &edited).unwrap();
    std::fs::write(content.join("notes.txt"), "to check with the committee").unwrap();
    let transform = |extra: &[&str]| {
        phe_migrate()
            .current_dir(repo_root())
            .args(["transform", "--quiet", "demo_comare", "--out"])
            .arg(one.path())
            .args(extra)
            .output()
            .unwrap()
    };
    let refused = transform(&[]);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("2 file(s) changed since the last transform wrote them: notes.txt (added), welcome-to-comare.md"),
        "{stderr}"
    );
    assert!(
        stderr.contains("phe-migrate transform demo_comare --replace-edited"),
        "{stderr}"
    );
    assert_eq!(std::fs::read_to_string(&draft).unwrap(), edited);
    let replaced = transform(&["--replace-edited"]);
    let stdout = String::from_utf8_lossy(&replaced.stdout);
    assert!(replaced.status.success(), "{stdout}");
    assert!(stdout.contains("copies are in "), "{stdout}");
    assert_eq!(std::fs::read_to_string(&draft).unwrap(), home);
    assert!(!content.join("notes.txt").exists());
    let kept: Vec<_> = std::fs::read_dir(site_dir.join("content-edited"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(kept.len(), 1);
    assert_eq!(
        std::fs::read_to_string(kept[0].join("welcome-to-comare.md")).unwrap(),
        edited
    );
    assert!(kept[0].join("notes.txt").is_file());
    // Nothing changed since: the next transform goes ahead.
    assert!(transform(&[]).status.success());
    // Without its manifest (lost in a copy, or a folder written by hand), no file can be
    // told apart from an edit: every one counts.
    std::fs::remove_file(content.join(".written")).unwrap();
    let unrecorded = transform(&[]);
    let stderr = String::from_utf8_lossy(&unrecorded.stderr);
    assert_eq!(unrecorded.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("file(s) and no record of what a transform wrote (.written is missing"),
        "{stderr}"
    );
    assert!(transform(&["--replace-edited"]).status.success());
    assert!(content.join(".written").is_file());
    assert!(transform(&[]).status.success());
    // A formats rule may give one page its slug, to settle a path two pages claim.
    let ws = copy_workspace();
    let mappings = ws.path().join("mappings/demo_comare.yml");
    let text = std::fs::read_to_string(&mappings).unwrap();
    std::fs::write(
        &mappings,
        text.replacen(
            "formats:\n",
            "formats:\n  - match: {path: /Contact.html/}\n    schema_name: corporate_information_page\n    slug: contact-comare\n  - match: {path: /contact-us.html}\n    schema_name: detailed_guide\n",
            1,
        ),
    )
    .unwrap();
    let renamed = phe_migrate()
        .args(["transform", "--quiet", "demo_comare", "--workspace"])
        .arg(ws.path())
        .arg("--out")
        .arg(one.path())
        .output()
        .unwrap();
    assert!(
        renamed.status.success(),
        "{}",
        String::from_utf8_lossy(&renamed.stderr)
    );
    let draft = std::fs::read_to_string(content.join("contact-comare.md")).unwrap();
    assert!(
        draft.contains(
            "base_path: /government/organisations/public-health-england/about/contact-comare\n"
        ),
        "{draft}"
    );
    // The path as a browser shows it names the page whose lookup key is /contact.html.
    assert!(
        draft.contains("format_reason: \"mappings rule 1: path /Contact.html/\""),
        "{draft}"
    );
    assert!(!content.join("contact.md").exists());
    // A rule for a page the crawl does not have matches nothing, and says so.
    let stdout = String::from_utf8_lossy(&renamed.stdout);
    assert!(
        stdout.contains(
            "demo_comare.yml:48:19: warning: formats rule 2 (path /contact-us.html) matched no page"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("the canonical_key column of transform.csv"),
        "{stdout}"
    );
    // Without ChObs's title_strip, the site name most titles share is pointed out.
    let config = ws.path().join("crawl-configs/demo_chobs.yml");
    let text = std::fs::read_to_string(&config).unwrap();
    let strip = "  title_strip:\n  - \" - ChObs - Child Health Observatory\"\n";
    assert!(text.contains(strip));
    std::fs::write(&config, text.replace(strip, "")).unwrap();
    let hinted = phe_migrate()
        .args(["transform", "--quiet", "demo_chobs", "--workspace"])
        .arg(ws.path())
        .arg("--out")
        .arg(one.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&hinted.stdout);
    assert!(hinted.status.success(), "{stdout}");
    assert!(
        stdout.contains("86 of 87 titles have \" - ChObs - Child Health Observatory\": if it is the site's name, add it under `content: title_strip:` in the site's config"),
        "{stdout}"
    );
}

/// A page served at two URLs (`/` and `/index.html`) is one draft, and its URLs go one way:
/// the homepage's. A link to `/index.html` and the table's row for it both go where the
/// homepage goes, not to the merged draft, which will not be published.
#[test]
fn a_url_merged_into_the_homepage_goes_where_the_homepage_goes() {
    const HOST: &str = "www.merge-demo.org.uk";
    let home = "<!DOCTYPE html><html><head><title>Merge demo</title></head><body><h1>Merge demo</h1>\
        <p>The committee advises the government on the health effects of radiation. \
        It publishes reports on its work.</p><p><a href=\"/about.html\">About us</a></p></body></html>";
    let about = "<!DOCTYPE html><html><head><title>About us</title></head><body><h1>About us</h1>\
        <p>The committee was set up in 1985. Read more on <a href=\"/index.html\">our home page</a>.</p></body></html>";
    let site_server = common::serve_site(
        HOST,
        vec![
            ("index.html".into(), home.as_bytes().to_vec()),
            ("about.html".into(), about.as_bytes().to_vec()),
        ],
    );
    let ws = common::one_site_workspace("demo_merge", HOST, "");
    let org = "https://www.gov.uk/government/organisations/public-health-england";
    let resolve = format!("{HOST}={}", site_server.server.addr());
    common::run_each_ok(
        ws.path(),
        &[
            &[
                "crawl",
                "demo_merge",
                "--no-delay",
                "--quiet",
                "--resolve",
                &resolve,
            ],
            &["transform", "demo_merge", "--quiet"],
            &["report", "redirects", "demo_merge", "--format", "json"],
        ],
    );
    let content = ws.path().join("out/demo_merge/content");
    let about = std::fs::read_to_string(content.join("about-us.md")).unwrap();
    assert!(
        about.contains(&format!("[our home page]({org})")),
        "{about}"
    );
    let table: serde_json::Value = serde_json::from_slice(
        &std::fs::read(ws.path().join("out/demo_merge/redirects.json")).unwrap(),
    )
    .unwrap();
    let index = table["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == "/index.html")
        .expect("/index.html in the table");
    assert_eq!(index["urls"][0]["location"], org);
    assert_eq!(index["because"], format!("with its page http://{HOST}/"));
}

/// Pages that share a title: versions of one text (the same words, other dates and figures)
/// are one item to publish, the newest, under the path without a number, and near
/// duplicates in the audit however short; a different text under the title needs a title of
/// its own.
#[test]
fn versions_of_one_text_are_told_from_pages_that_only_share_a_title() {
    const HOST: &str = "www.versions-demo.org.uk";
    let page = |modified: &str, text: &str| {
        format!(
            "<!DOCTYPE html><html><head><title>Annual report</title>\
             <meta name=\"dcterms.modified\" content=\"{modified}\"></head><body>\
             <h1>Annual report</h1><p>{text}</p></body></html>"
        )
        .into_bytes()
    };
    let report = |year: u32, areas: u32| {
        format!(
            "The annual report for {year} brings together the latest figures on child health \
             for {areas} local authorities, clinical commissioning groups and their partners, \
             to help commissioners understand local need and plan services."
        )
    };
    let index = "<!DOCTYPE html><html><head><title>Reports</title></head><body><h1>Reports</h1>\
        <p>Every report the observatory has published, newest first, with its summary.</p>\
        <ul><li><a href=\"/a.html\">2012</a></li><li><a href=\"/b.html\">2013</a></li>\
        <li><a href=\"/c.html\">Other</a></li><li><a href=\"/d.html\">2008</a></li>\
        <li><a href=\"/e.html\">2009</a></li><li><a href=\"/f.html\">2010</a></li></ul></body></html>";
    let other = "The report on the programme's first year describes how the observatory \
        was set up, who sits on its board, and what it plans for the next three years.";
    let site_server = common::serve_site_with(
        HOST,
        "",
        vec![
            ("index.html".into(), index.as_bytes().to_vec()),
            ("a.html".into(), page("2012-03-01", &report(2011, 150))),
            ("b.html".into(), page("2013-05-01", &report(2012, 152))),
            ("c.html".into(), page("2010-01-01", other)),
            ("d.html".into(), page("2009-03-01", &report(2008, 149))),
            ("e.html".into(), page("2010-03-01", &report(2009, 149))),
            ("f.html".into(), page("2011-03-01", &report(2010, 150))),
        ],
    );
    let ws = common::one_site_workspace("demo_versions", HOST, "");
    let resolve = format!("{HOST}={}", site_server.server.addr());
    common::run_each_ok(
        ws.path(),
        &[
            &[
                "crawl",
                "demo_versions",
                "--no-delay",
                "--quiet",
                "--resolve",
                &resolve,
            ],
            &["transform", "demo_versions", "--quiet"],
            &["report", "audit", "demo_versions"],
        ],
    );
    let out = ws.path().join("out/demo_versions");
    let listed = std::fs::read_to_string(out.join("transform.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(listed.as_bytes());
    let headers = rows.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let (url, base_path, warnings) = (
        column("legacy_url"),
        column("base_path"),
        column("warnings"),
    );
    let by_page: std::collections::BTreeMap<String, (String, String)> = rows
        .records()
        .map(|r| {
            let r = r.unwrap();
            let page = r[url].replace(&format!("http://{HOST}"), "");
            (page, (r[base_path].to_owned(), r[warnings].to_owned()))
        })
        .collect();
    let (newest_path, newest) = &by_page["/b.html"];
    assert!(newest_path.ends_with("/annual-report"), "{newest_path}");
    assert!(
        newest.contains(&format!(
            "the newest of 5 versions of one text (this title and these words, other dates and \
             figures): publish this one, and send the others (http://{HOST}/a.html, dated \
             2012-03-01; http://{HOST}/d.html, dated 2009-03-01; http://{HOST}/e.html, dated \
             2010-03-01; 1 more) to it with page decisions in mappings/demo_versions.yml"
        )),
        "{newest}"
    );
    let (older_path, older) = &by_page["/a.html"];
    assert!(older_path.ends_with("/annual-report--2"), "{older_path}");
    assert!(
        older.contains(&format!(
            "an older version of http://{HOST}/b.html, dated 2013-05-01"
        )),
        "{older}"
    );
    let (_, different) = &by_page["/c.html"];
    assert!(!different.contains("version"), "{different}");
    for (_, warnings) in by_page
        .values()
        .filter(|(p, _)| p.contains("annual-report"))
    {
        assert!(
            warnings.contains(
                "6 pages of this site have this title (slug annual-report): give each a title of its own"
            ),
            "{warnings}"
        );
    }

    // The audit groups the two versions as near duplicates, and leaves the other text out.
    let inventory = std::fs::read_to_string(out.join("audit/inventory.csv")).unwrap();
    let mut rows = csv::Reader::from_reader(inventory.as_bytes());
    let headers = rows.headers().unwrap().clone();
    let (url, group) = (
        headers.iter().position(|h| h == "url").unwrap(),
        headers.iter().position(|h| h == "near_dup_group").unwrap(),
    );
    let groups: std::collections::BTreeMap<String, String> = rows
        .records()
        .map(|r| {
            let r = r.unwrap();
            (
                r[url].replace(&format!("http://{HOST}"), ""),
                r[group].to_owned(),
            )
        })
        .collect();
    assert!(!groups["/a.html"].is_empty(), "{groups:?}");
    assert_eq!(groups["/a.html"], groups["/b.html"], "{groups:?}");
    assert_eq!(groups["/c.html"], "", "{groups:?}");
    // The site records no user needs: its report says how to, not an empty chart.
    let report = std::fs::read_to_string(out.join("audit/report.html")).unwrap();
    assert!(
        report.contains(
            "No user needs recorded: add <code>needs:</code> (role, goal, benefit) to \
             <code>mappings/demo_versions.yml</code>"
        ),
        "{report}"
    );
    assert!(
        !report.contains("<title>User needs met</title>"),
        "{report}"
    );
}

/// Two pages with one title in two formats (`/guidance/x` and `/government/publications/x`)
/// get two slugs: each item's files are named by its slug, and the second page's draft once
/// overwrote the first's, leaving its legacy URL without a redirect.
#[test]
fn one_title_in_two_formats_keeps_both_drafts_and_both_redirects() {
    const HOST: &str = "www.slugs-demo.org.uk";
    let page = |text: &str| {
        format!(
            "<!DOCTYPE html><html><head><title>Screening figures</title></head><body>\
             <h1>Screening figures</h1><p>{text}</p></body></html>"
        )
    };
    let index = "<!DOCTYPE html><html><head><title>Screening</title></head><body><h1>Screening</h1>\
        <p>How the screening programmes work, and the figures they publish each quarter.</p>\
        <ul><li><a href=\"/guide.html\">Guide</a></li><li><a href=\"/report.html\">Report</a></li>\
        </ul></body></html>";
    let pages = [
        ("index.html", index.to_owned()),
        (
            "guide.html",
            page(
                "How commissioners read the screening figures for their area, and which \
                 measures the programme reports each quarter, with notes on method. First \
                 published in 2012; the programme's targets run to 2050.",
            ),
        ),
        (
            "report.html",
            page(
                "The screening figures for the year, by local authority and by programme, \
                 with the coverage and uptake of each and the change since last year.",
            ),
        ),
    ];
    let ws = crawl_and_transform(
        "demo_slugs",
        HOST,
        &pages,
        "schema: phe-migrate/mappings/v1\nsite: demo_slugs\nformats:\n  \
         - match: {path: /report.html}\n    schema_name: publication\n    document_type: guidance\n  \
         - match: {path: /guide.html}\n    schema_name: detailed_guide\n    document_type: detailed_guide\n",
    );
    let out = ws.path().join("out/demo_slugs");
    let redirects = std::fs::read_to_string(out.join("redirects.csv")).unwrap();
    let target = |page: &str| {
        let old = format!("http://{HOST}{page},");
        let line = redirects.lines().find(|l| l.starts_with(&old));
        line.map(|l| l[old.len()..].to_owned()).unwrap_or_default()
    };
    let (guide, report) = (target("/guide.html"), target("/report.html"));
    assert_eq!(
        guide, "https://www.gov.uk/guidance/screening-figures",
        "{redirects}"
    );
    assert_eq!(
        report, "https://www.gov.uk/government/publications/screening-figures--2",
        "{redirects}"
    );
    // A year after the page was fetched is a target, not the text's age.
    let pages = std::fs::read_to_string(out.join("pages.jsonl")).unwrap();
    let guide = pages.lines().find(|l| l.contains("/guide.html")).unwrap();
    assert!(guide.contains("\"newest_year\":2012"), "{guide}");
    for (slug, page) in [
        ("screening-figures", "/guide.html"),
        ("screening-figures--2", "/report.html"),
    ] {
        let draft = std::fs::read_to_string(out.join(format!("content/{slug}.md"))).unwrap();
        assert!(draft.contains(&format!("http://{HOST}{page}")), "{draft}");
        assert!(
            draft.contains("2 pages of this site have this title (slug screening-figures)"),
            "{draft}"
        );
    }
}

/// Versions of one text that carry the same date (a CMS serving one page under several
/// ids) are not called older: the first by address is chosen, and the drafts say so.
#[test]
fn versions_of_one_date_are_not_called_older() {
    const HOST: &str = "www.same-date-demo.org.uk";
    let page = |id: u32| {
        format!(
            "<!DOCTYPE html><html><head><title>Uptake by area</title>\
             <meta name=\"dcterms.modified\" content=\"2013-03-14\"></head><body>\
             <h1>Uptake by area</h1><p>Uptake of the programme in area {id}, by quarter, with \
             the national figure beside it and notes on how each quarter was counted and checked.\
             </p></body></html>"
        )
    };
    let index = "<!DOCTYPE html><html><head><title>Areas</title></head><body><h1>Areas</h1>\
        <p>Uptake of the programme in each area, by quarter, with the national figure.</p>\
        <ul><li><a href=\"/a.html\">A</a></li><li><a href=\"/b.html\">B</a></li>\
        <li><a href=\"/c.html\">C</a></li></ul></body></html>";
    let pages = [
        ("index.html", index.to_owned()),
        ("a.html", page(1)),
        ("b.html", page(2)),
        ("c.html", page(3)),
    ];
    let ws = crawl_and_transform("demo_same_date", HOST, &pages, "");
    let out = ws.path().join("out/demo_same_date/content");
    let first = std::fs::read_to_string(out.join("uptake-by-area.md")).unwrap();
    assert!(first.contains(&format!("http://{HOST}/a.html")), "{first}");
    assert!(
        first.contains(
            "the first by address, none dated later, of 3 versions of one text (this title and \
             these words, other dates and figures): publish this one"
        ),
        "{first}"
    );
    for slug in ["uptake-by-area--2", "uptake-by-area--3"] {
        let other = std::fs::read_to_string(out.join(format!("{slug}.md"))).unwrap();
        assert!(
            other.contains(&format!(
                "another version of http://{HOST}/a.html, dated 2013-03-14, the same date, \
                 chosen as the first by address"
            )),
            "{other}"
        );
        assert!(!other.contains("older"), "{other}");
    }
}

/// One title over two texts, each republished in versions: the newest version of either
/// takes the slug without a number, whichever text it is.
#[test]
fn of_two_texts_under_one_title_the_newest_version_takes_the_slug() {
    const HOST: &str = "www.two-texts-demo.org.uk";
    let page = |modified: &str, text: &str| {
        format!(
            "<!DOCTYPE html><html><head><title>Annual report</title>\
             <meta name=\"dcterms.modified\" content=\"{modified}\"></head><body>\
             <h1>Annual report</h1><p>{text}</p></body></html>"
        )
    };
    let survey = |year: u32| {
        format!(
            "The survey for {year} counts the children measured in each school year, with the \
             share of each area's children at a healthy weight and the change since last year."
        )
    };
    let screening = |year: u32| {
        format!(
            "The screening report for {year} sets out how many newborn babies were offered a \
             hearing test, how many took it, and how quickly those referred were seen."
        )
    };
    let index = "<!DOCTYPE html><html><head><title>Reports</title></head><body><h1>Reports</h1>\
        <p>Every annual report of the observatory's two programmes, newest first.</p><ul>\
        <li><a href=\"/a.html\">A</a></li><li><a href=\"/b.html\">B</a></li>\
        <li><a href=\"/c.html\">C</a></li><li><a href=\"/d.html\">D</a></li></ul></body></html>";
    let pages = [
        ("index.html", index.to_owned()),
        ("a.html", page("2009-03-01", &screening(2008))),
        ("b.html", page("2010-03-01", &screening(2009))),
        ("c.html", page("2012-03-01", &survey(2011))),
        ("d.html", page("2013-03-01", &survey(2012))),
    ];
    let ws = crawl_and_transform("demo_two_texts", HOST, &pages, "");
    let out = ws.path().join("out/demo_two_texts/content");
    let unnumbered = std::fs::read_to_string(out.join("annual-report.md")).unwrap();
    assert!(
        unnumbered.contains(&format!("- \"http://{HOST}/d.html\"")),
        "{unnumbered}"
    );
}

/// Files are named as GOV.UK publishing will keep them: the server's own name
/// (`Content-Disposition`) first, a type's extension where the URL has none, a download
/// script's query in its name, and a repeated name numbered, each name with its own file.
#[test]
fn attachments_get_names_publishing_takes_one_per_file() {
    const HOST: &str = "www.files-demo.org.uk";
    let page = "<!DOCTYPE html><html><head><title>Indicators 2013</title></head><body><h1>Indicators 2013</h1>\
        <p>The indicators for 2013, with the reports of the two years before them.</p>\
        <ul><li><a href=\"/webc/File/1194947395411\">Full guidance</a></li>\
        <li><a href=\"/download.aspx?id=5\">Indicators workbook</a></li>\
        <li><a href=\"/download.aspx?id=6\">Indicators by area</a></li>\
        <li><a href=\"/download.aspx?id=7\">Indicators by region</a></li>\
        <li><a href=\"/download.aspx?id=8\">Summary of 2012</a></li>\
        <li><a href=\"/2012/report.pdf\">Report for 2012</a></li>\
        <li><a href=\"/2013/report.pdf\">Report for 2013</a></li>\
        <li><a href=\"/chart.swf\">Interactive chart</a></li></ul></body></html>";
    let serve = "content_types:\n\
        - {match: '/webc/File/*', content_type: application/pdf}\n\
        - {match: '/download.aspx', content_type: application/vnd.ms-excel}\n\
        - {match: '/chart.swf', content_type: application/x-shockwave-flash}\n\
        content_dispositions:\n  '/download.aspx?id=5': 'attachment; filename=\"Indicators 2013.xls\"'\n  \
          '/download.aspx?id=7': 'attachment; filename=\"Données 2013.xls\"'\n  \
          '/download.aspx?id=8': 'attachment; filename=\"=?UTF-8?B?UsOpc3Vtw6kgMjAxMi54bHM=?=\"'\n";
    let file = |body: &str| body.as_bytes().to_vec();
    let site_server = common::serve_site_with(
        HOST,
        serve,
        vec![
            ("index.html".into(), file(page)),
            ("webc/File/1194947395411".into(), file("%PDF-1.4 guidance")),
            ("download.aspx%3Fid=5".into(), file("workbook")),
            ("download.aspx%3Fid=6".into(), file("by area")),
            ("download.aspx%3Fid=7".into(), file("by region")),
            ("download.aspx%3Fid=8".into(), file("summary")),
            ("2012/report.pdf".into(), file("%PDF-1.4 2012")),
            ("2013/report.pdf".into(), file("%PDF-1.4 2013")),
            ("chart.swf".into(), file("FWS")),
        ],
    );
    let ws = common::one_site_workspace("demo_files", HOST, "options: --query-string id\n");
    std::fs::write(
        ws.path().join("mappings/demo_files.yml"),
        "schema: phe-migrate/mappings/v1\nsite: demo_files\nformats:\n  - match: {path: /}\n    schema_name: publication\n    document_type: official_statistics\n",
    )
    .unwrap();
    let resolve = format!("{HOST}={}", site_server.server.addr());
    common::run_each_ok(
        ws.path(),
        &[
            &[
                "crawl",
                "demo_files",
                "--no-delay",
                "--quiet",
                "--resolve",
                &resolve,
            ],
            &["transform", "demo_files", "--quiet"],
        ],
    );
    let out = ws.path().join("out/demo_files");
    let item: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("content/indicators-2013.json")).unwrap())
            .unwrap();
    let named: Vec<(String, String)> = item["details"]["attachments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            assert_eq!(a["id"], a["filename"]);
            (
                a["filename"].as_str().unwrap().to_owned(),
                a["url"]
                    .as_str()
                    .unwrap()
                    .replace(&format!("http://{HOST}"), ""),
            )
        })
        .collect();
    let wanted = [
        ("1194947395411.pdf", "/webc/File/1194947395411"),
        ("Indicators_2013.xls", "/download.aspx?id=5"),
        ("download-6.xls", "/download.aspx?id=6"),
        // Sent in ISO-8859-1, as IIS does, and as RFC 2047 encoded words.
        ("Données_2013.xls", "/download.aspx?id=7"),
        ("Résumé_2012.xls", "/download.aspx?id=8"),
        ("report.pdf", "/2012/report.pdf"),
        ("report-2.pdf", "/2013/report.pdf"),
        ("chart.swf", "/chart.swf"),
    ];
    let mut named_sorted = named.clone();
    named_sorted.sort();
    let mut wanted_sorted: Vec<(String, String)> = wanted
        .iter()
        .map(|(n, u)| (n.to_string(), u.to_string()))
        .collect();
    wanted_sorted.sort();
    assert_eq!(named_sorted, wanted_sorted);
    let draft = std::fs::read_to_string(out.join("content/indicators-2013.md")).unwrap();
    assert!(
        draft
            .contains("1 attachment(s) of a type GOV.UK publishing does not take (e.g. chart.swf)"),
        "{draft}"
    );
    let listed = std::fs::read_to_string(out.join("attachments.csv")).unwrap();
    assert!(
        listed.contains(&format!(
            "http://{HOST}/2013/report.pdf,report-2.pdf,application/pdf"
        )),
        "{listed}"
    );

    // The snapshot keeps the server's bytes: the WARC export gives the ISO-8859-1 name back
    // as ISO-8859-1, not re-encoded as UTF-8.
    common::run_each_ok(ws.path(), &[&["export", "warc", "demo_files"]]);
    let mut warc = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::MultiGzDecoder::new(
            std::fs::File::open(out.join("demo_files.warc.gz")).unwrap(),
        ),
        &mut warc,
    )
    .unwrap();
    let has = |needle: &[u8]| warc.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"filename=\"Donn\xe9es 2013.xls\""));
    assert!(!has("Données 2013".as_bytes()));
    assert!(has(b"filename=\"Indicators 2013.xls\""));
}
