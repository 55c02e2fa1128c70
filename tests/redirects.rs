//! Redirect tables: Transition's import rules, Bouncer's archive links, chains and loops,
//! and the demo estate's table end to end.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{phe_migrate, repo_root};
use phe_migrate::canonical::{Canonicalizer, Mode, SignificantParams};
use phe_migrate::config::site::{Site, load_site};
use phe_migrate::redirects::{self, Inputs, Outcome, Rule, import};

fn site(yaml: &str) -> Site {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("minitrue.yml");
    std::fs::write(&path, yaml).unwrap();
    let report = load_site(&path);
    report
        .site
        .unwrap_or_else(|| panic!("{:?}", report.diagnostics))
}

const MINITRUE: &str = "site: minitrue\nwhitehall_slug: ministry-of-truth\nhost: www.minitrue.gov.uk\naliases: [minitrue.gov.uk]\ntna_timestamp: 20121026065214\nhomepage: https://www.gov.uk/government/organisations/ministry-of-truth\noptions: --query-string significant\n";

fn read(text: &str) -> import::Imported {
    let canonicalizer = Canonicalizer::new(SignificantParams::parse("significant"), Mode::Govuk);
    import::read(
        Path::new("m.csv"),
        text,
        &["foo.com".to_owned(), "a.com".to_owned()],
        &canonicalizer,
    )
}

fn rows(text: &str) -> Vec<(String, Outcome)> {
    read(text)
        .rows
        .into_iter()
        .map(|r| (r.key, r.outcome))
        .collect()
}

fn redirect(u: &str) -> Outcome {
    Outcome::Redirect {
        new_url: u.to_owned(),
    }
}

/// URLs the crawl saw, each with its lookup key.
fn known_urls(canonicalizer: &Canonicalizer, raws: &[&str]) -> Vec<redirects::KnownUrl> {
    raws.iter()
        .map(|raw| redirects::KnownUrl {
            raw: (*raw).to_owned(),
            key: canonicalizer.key(raw).unwrap(),
            ..Default::default()
        })
        .collect()
}

#[test]
fn transition_import_vectors() {
    // I01–I04: rows that are not data, and the homepage, are ignored.
    assert!(rows("old URL,new URL\n/a,TNA\n").len() == 1);
    assert_eq!(
        rows("random,sentence\noops/missed/a/slash,\n/a,\n").len(),
        1
    );
    assert!(
        rows("http://foo.com,\n/a,\n")
            .iter()
            .all(|(k, _)| k == "/a")
    );
    // I05, I12: whitespace stripped; blank is unresolved.
    assert_eq!(rows(" /a , \n"), vec![("/a".into(), Outcome::Unresolved)]);
    // I07–I11: type inference.
    assert_eq!(
        rows("/a,TNA\n")[0].1,
        Outcome::Archive { archive_url: None }
    );
    assert_eq!(
        rows("/a,tNa\n")[0].1,
        Outcome::Archive { archive_url: None }
    );
    assert_eq!(
        rows("/a,http://a.com/antna\n")[0].1,
        redirect("http://a.com/antna")
    );
    let custom = "http://webarchive.nationalarchives.gov.uk/*/http://a.gov.uk";
    assert_eq!(
        rows(&format!("/a,{custom}\n"))[0].1,
        Outcome::Archive {
            archive_url: Some(custom.into())
        }
    );
    assert_eq!(rows("/a,http://}\n")[0].1, redirect("http://}"));
    // I13: insignificant parameters dropped from the key.
    assert_eq!(
        rows("http://foo.com/old?significant=keep&insignificant=drop,\n")[0].0,
        "/old?significant=keep"
    );
    // I14, I15, I18: one row per path by Transition's precedence.
    assert_eq!(
        rows(
            "/old,\n/old?insignificant,TNA\n/OLD,http://a.gov.uk/new\n/old,http://a.gov.uk/ignore-later-redirects\n"
        ),
        vec![("/old".into(), redirect("http://a.gov.uk/new"))]
    );
    // I16, I17: headers anywhere, blank and separator-only lines ignored.
    assert_eq!(
        rows("old url,new url\n/old,https://www.gov.uk/new\nold_url, new_url\n\n,\n").len(),
        1
    );
    // I19: the homepage row dropped.
    assert_eq!(rows("/?foo,\n/a,\n").len(), 1);
    // I20, I21, I26: batch errors with Transition's messages.
    let other = read("http://other.com/old,\n");
    assert!(other.findings.iter().any(|f| {
        f.blocking
            && f.message
                .starts_with("One or more of the URLs entered are not part of this site")
            // and, beyond Transition's words, which hosts are the site's and what to do
            && f.message.contains("the site's hosts are foo.com, a.com; a host it also answers to goes in the config's aliases:")
    }));
    let no_slash = read("old,\n");
    assert!(
        no_slash
            .findings
            .iter()
            .any(|f| f.blocking && f.message == "Enter at least one valid path or full URL")
    );
    assert!(
        read("")
            .findings
            .iter()
            .any(|f| f.message == "Enter at least one valid line")
    );
    // Tab wins a tie; the legacy format and Transition's export are read too.
    assert_eq!(import::separator("/a\t/b,c\n"), b'\t');
    assert_eq!(
        rows(
            "Old Url,New Url,Status\nhttp://foo.com/x,https://www.gov.uk/y,301\nhttp://foo.com/z,,410\nhttp://foo.com/w,,418\n"
        ),
        vec![
            ("/x".into(), redirect("https://www.gov.uk/y")),
            ("/z".into(), Outcome::Archive { archive_url: None }),
            ("/w".into(), Outcome::Unresolved)
        ]
    );
    assert_eq!(
        rows("Old URL,Type,New URL,Archive URL,Suggested URL\nhttp://foo.com/x,archive,,,\n")[0].1,
        Outcome::Archive { archive_url: None }
    );
    // A stray quote would swallow the rows after it into one cell, unchecked: it is named.
    let legacy = "Old Url,New Url,Status\nhttp://foo.com/x,,410\n\"http://foo.com/a,,410\n\
                  http://foo.com/b,http://evil.com/,301\n";
    let stray = read(legacy);
    assert_eq!(
        messages(&stray.findings),
        [
            "a quote opened on this line is never closed, so lines 3-4 read as one row; \
          close the quote on this line or remove it"
        ]
    );
    assert!(stray.findings[0].blocking && stray.findings[0].at == "m.csv:3");
    let closed_late = read(&legacy.replace("evil.com/,301", "evil.com/\",301"));
    assert!(
        messages(&closed_late.findings)[0].starts_with(
            "a quote opened on this line is closed only on line 4, so lines 3-4 read as one row"
        ),
        "{:?}",
        closed_late.findings
    );
}

#[test]
fn findings_name_the_line_of_a_windows_spreadsheet() {
    // Excel ends lines with CRLF, and spreadsheets have blank rows: each finding still
    // names the line a text editor shows.
    let text = "old url,new url\r\nhttp://foo.com/a,https://www.gov.uk/a\r\n\r\n\
                not a url,\r\nhttp://foo.com/c,https://www.gov.uk/c\r\n\
                \"http://foo.com/d,https://www.gov.uk/d\r\nhttp://foo.com/e,https://www.gov.uk/e\r\n";
    let imported = read(text);
    let at: Vec<&str> = imported.findings.iter().map(|f| f.at.as_str()).collect();
    assert_eq!(at, ["m.csv:4", "m.csv:6"], "{:?}", imported.findings);
    assert!(
        imported.findings[1].message.starts_with(
            "a quote opened on this line is never closed, so lines 6-7 read as one row"
        ),
        "{:?}",
        imported.findings
    );
    let rows: Vec<(String, usize)> = imported
        .rows
        .iter()
        .map(|r| (r.key.clone(), r.line))
        .collect();
    assert_eq!(rows, [("/a".to_owned(), 2), ("/c".to_owned(), 5)]);
    // The same file with LF line ends gives the same lines.
    let unix = read(&text.replace("\r\n", "\n"));
    let unix_at: Vec<&str> = unix.findings.iter().map(|f| f.at.as_str()).collect();
    assert_eq!(unix_at, at);
}

#[test]
fn targets_are_checked_as_transition_and_bouncer_do() {
    let allowed = redirects::sources::allowed_hosts(Path::new("/nonexistent")).unwrap();
    // I23, I33: off the allow-list.
    assert!(
        redirects::check_target("https://evil.com/x", &allowed)
            .unwrap()
            .contains("whitelisted domain")
    );
    // I34: the automatic suffixes and the listed hosts.
    for ok in [
        "https://m.gov.uk/foo",
        "https://m.mod.uk/foo",
        "https://m.nhs.uk/foo",
        "https://www.youtube.com/x",
    ] {
        assert_eq!(redirects::check_target(ok, &allowed), None, "{ok}");
    }
    // I22, I31: not URLs. I39: no redirects into the web archive. Ours: https only.
    assert!(redirects::check_target("www.gov.uk", &allowed).is_some());
    assert!(redirects::check_target("https://newurl", &allowed).is_some());
    assert_eq!(
        redirects::check_target("https://webarchive.nationalarchives.gov.uk/x", &allowed).unwrap(),
        "must not be to the National Archives. Use an archive mapping for that."
    );
    assert!(
        redirects::check_target("http://www.gov.uk/x", &allowed)
            .unwrap()
            .contains("https")
    );
}

#[test]
fn archive_links_are_bouncers() {
    let site = site(MINITRUE);
    assert_eq!(
        redirects::archive_link(
            &site,
            "http://www.minitrue.gov.uk/an-archived-page?non-canonical-param=1"
        ),
        "https://webarchive.nationalarchives.gov.uk/20121026065214/http://www.minitrue.gov.uk/an-archived-page?non-canonical-param=1"
    );
    // The requested host, lower-cased; an alias stays an alias; the raw case of the path.
    assert_eq!(
        redirects::archive_link(&site, "http://MINITRUE.gov.uk/Some/Page.HTM"),
        "https://webarchive.nationalarchives.gov.uk/20121026065214/http://minitrue.gov.uk/Some/Page.HTM"
    );
}

#[test]
fn chains_fold_and_loops_are_refused() {
    let site = site(MINITRUE);
    let canonicalizer = site.canonicalizer(Mode::Govuk);
    let rule = |to: &str, line: usize| Rule {
        outcome: redirect(to),
        from: format!("m.csv:{line}"),
        suggested_url: None,
    };
    let mut pages = BTreeMap::new();
    pages.insert("/a".to_owned(), rule("http://www.minitrue.gov.uk/b", 1));
    pages.insert("/b".to_owned(), rule("https://www.gov.uk/x", 2));
    pages.insert("/c".to_owned(), rule("http://minitrue.gov.uk/d", 3));
    pages.insert("/d".to_owned(), rule("http://www.minitrue.gov.uk/c", 4));
    let table = redirects::resolve(
        &site,
        &canonicalizer,
        Inputs {
            pages,
            ..Inputs::default()
        },
    );
    let a = table.entries.iter().find(|e| e.key == "/a").unwrap();
    assert_eq!(a.outcome, redirect("https://www.gov.uk/x"));
    assert!(
        table
            .findings
            .iter()
            .any(|f| !f.blocking && f.message == "chain folded: /a → /b")
    );
    assert!(
        table
            .findings
            .iter()
            .any(|f| f.blocking && f.message == "redirect loop: /c → /d → /c")
    );
    assert!(table.blocking() >= 1);
}

#[test]
fn the_demo_estate_gets_a_valid_table_for_every_url() {
    let out = tempfile::tempdir().unwrap();
    let demo = phe_migrate()
        .current_dir(repo_root())
        .args(["demo", "--quiet", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let report = phe_migrate()
        .current_dir(repo_root())
        .args([
            "report",
            "redirects",
            "demo_comare",
            "demo_hpa",
            "demo_chobs",
            "--format",
            "json",
            "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&report.stdout);
    assert_eq!(report.status.code(), Some(0), "{text}");
    let table: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.path().join("demo_comare/redirects.json")).unwrap(),
    )
    .unwrap();
    let answer = |raw: &str| {
        table["entries"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|e| e["urls"].as_array().unwrap().iter().map(move |u| (e, u)))
            .find(|(_, u)| u["url"] == raw)
            .unwrap_or_else(|| panic!("{raw} not in the table"))
    };
    let (e, u) = answer("http://www.comare-demo.org.uk/");
    assert_eq!(
        (e["because"].as_str(), u["status"].as_u64()),
        (Some("homepage"), Some(301))
    );
    let (e, u) = answer("http://www.comare-demo.org.uk/about.html");
    assert!(e["because"].as_str().unwrap().starts_with("page mapping"));
    assert_eq!(
        u["location"],
        "https://www.gov.uk/government/groups/committee-on-medical-aspects-of-radiation-in-the-environment-comare/about"
    );
    let (e, u) = answer("http://www.comare-demo.org.uk/reports/tenth.html");
    assert_eq!(e["because"], "migrated");
    assert_eq!(
        u["location"],
        "https://www.gov.uk/government/publications/10th-report-the-incidence-of-childhood-cancer-around-nuclear-installations-in-great-britain"
    );
    // A page merged with the homepage's copy goes where the homepage goes: one page's URLs
    // do not part ways, and its draft will not be published.
    let (e, u) = answer("http://www.comare-demo.org.uk/index.html");
    assert_eq!(e["because"], "with its page http://www.comare-demo.org.uk/");
    assert_eq!(
        u["location"],
        "https://www.gov.uk/government/groups/committee-on-medical-aspects-of-radiation-in-the-environment-comare"
    );
    // A section archive keeps the raw URL, session parameter and all, in Bouncer's link.
    let raw = "http://www.comare-demo.org.uk/news/2009-sunbeds-report.html?PHPSESSID=7d793037a0760186574b0282f2f435e7";
    let (e, u) = answer(raw);
    assert_eq!(
        (e["outcome"]["type"].as_str(), u["status"].as_u64()),
        (Some("archive"), Some(410))
    );
    assert_eq!(
        u["archive_url"],
        format!("https://webarchive.nationalarchives.gov.uk/20140507011658/{raw}")
    );
    // A folder's section covers the folder's own page: ChObs's /profiles/ index goes to
    // Fingertips with the rest of /profiles/, not to its own draft.
    let chobs: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.path().join("demo_chobs/redirects.json")).unwrap(),
    )
    .unwrap();
    let index = chobs["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == "/profiles")
        .expect("the /profiles index page");
    assert_eq!(
        index["because"],
        "section /profiles/ (mappings/demo_chobs.yml:39)"
    );
    assert_eq!(
        index["urls"][0]["location"],
        "https://fingertips.phe.org.uk/profile/child-health-profiles"
    );
    // A file goes with the page it is on: the profiles' PDFs go to Fingertips with their
    // pages, not to drafts that will not be published.
    let pdf = chobs["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == "/documents/profiles/chp-e06000001-2014.pdf")
        .expect("a profile's PDF");
    assert_eq!(
        pdf["urls"][0]["location"],
        "https://fingertips.phe.org.uk/profile/child-health-profiles"
    );
    assert!(
        pdf["because"]
            .as_str()
            .unwrap()
            .starts_with("with its page http://www.chobs-demo.org.uk/profiles/"),
        "{pdf}"
    );
    // Two sites draft "Contact us" and "Accessibility" at one GOV.UK path, but the mappings
    // archive both sites' about pages, so neither will be published: no clash to settle.
    assert!(!text.contains("is also drafted by"), "{text}");
    assert!(
        !text.contains("no crawl") && !text.contains("no drafts"),
        "{text}"
    );
    // Every known URL has exactly one answer.
    let mut urls: Vec<&str> = table["entries"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|e| {
            e["urls"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["url"].as_str().unwrap())
        })
        .collect();
    let total = urls.len();
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), total);
    // The Transition CSV from the same inputs.
    let csv = phe_migrate()
        .current_dir(repo_root())
        .args(["report", "redirects", "demo_comare", "-o"])
        .arg(out.path().join("comare.csv"))
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(csv.status.success());
    let csv = std::fs::read_to_string(out.path().join("comare.csv")).unwrap();
    assert!(csv.starts_with("old url,new url\n"));
    assert!(
        csv.contains("\nhttp://www.comare-demo.org.uk/news/2009-sunbeds-report.html,TNA\n"),
        "{csv}"
    );
    // Once both about sections are published, the two "Contact us" drafts claim one path,
    // and the report says so on each site's draft.
    let ws = common::copy_workspace();
    for (site, section) in [("demo_chobs", "/about/"), ("demo_hpa", "/aboutthehpa/")] {
        let file = ws.path().join(format!("mappings/{site}.yml"));
        let text = std::fs::read_to_string(&file).unwrap();
        let archived =
            format!("  - prefix: {section}\n    type: archive\n    disposition: archive\n");
        assert!(text.contains(&archived), "{site}");
        std::fs::write(&file, text.replace(&archived, "")).unwrap();
    }
    let mut stdout = String::new();
    for stage in [&["transform"][..], &["report", "redirects"]] {
        let run = phe_migrate()
            .args(stage)
            .args(["demo_chobs", "demo_hpa", "--workspace"])
            .arg(ws.path())
            .arg("--out")
            .arg(out.path())
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        stdout = String::from_utf8_lossy(&run.stdout).into_owned();
    }
    for (site, other) in [("demo_chobs", "demo_hpa"), ("demo_hpa", "demo_chobs")] {
        let clash = format!(
            "{site}/content/contact-us.md: /government/organisations/public-health-england/about/contact-us is also drafted by {}",
            out.path()
                .join(other)
                .join("content/contact-us.md")
                .display()
        );
        assert!(stdout.contains(&clash), "{site}: {stdout}");
    }
    // A table made before the crawl, or before the transform, says what it lacks: its
    // coverage would otherwise look complete, or its pages all unresolved for no reason.
    let early = tempfile::tempdir().unwrap();
    let report = |site: &str| {
        let run = phe_migrate()
            .current_dir(repo_root())
            .args(["report", "redirects", site, "--out"])
            .arg(early.path())
            .output()
            .unwrap();
        assert!(run.status.success());
        String::from_utf8_lossy(&run.stdout).into_owned()
    };
    let before_crawl = report("demo_comare");
    assert!(
        before_crawl.contains("no crawl: the table holds only the homepage and what the mappings name; run `phe-migrate crawl demo_comare` first"),
        "{before_crawl}"
    );
    std::fs::create_dir_all(early.path().join("demo_comare")).unwrap();
    std::fs::copy(
        out.path().join("demo_comare/crawl.db"),
        early.path().join("demo_comare/crawl.db"),
    )
    .unwrap();
    let before_transform = report("demo_comare");
    assert!(!before_transform.contains("no crawl"), "{before_transform}");
    assert!(
        before_transform.contains("no drafts: pages the mappings do not decide stay unresolved (410) until `phe-migrate transform demo_comare` drafts them"),
        "{before_transform}"
    );
}

#[test]
fn cdn_writers_know_their_limits() {
    use phe_migrate::redirects::cdn::{self, CloudflarePlan, Gone};
    let site = site(MINITRUE);
    let canonicalizer = site.canonicalizer(Mode::Govuk);
    let mut pages = BTreeMap::new();
    for i in 0..6_000 {
        pages.insert(
            format!("/page-{i:05}"),
            Rule {
                outcome: redirect(&format!("https://www.gov.uk/new-{i}")),
                from: format!("m.csv:{i}"),
                suggested_url: None,
            },
        );
    }
    pages.insert(
        "/report?significant=1".to_owned(),
        Rule {
            outcome: redirect("https://www.gov.uk/report"),
            from: "m.csv:9000".into(),
            suggested_url: None,
        },
    );
    pages.insert(
        "/old".to_owned(),
        Rule {
            outcome: Outcome::Archive { archive_url: None },
            from: "m.csv:9001".into(),
            suggested_url: None,
        },
    );
    let table = redirects::resolve(
        &site,
        &canonicalizer,
        Inputs {
            pages,
            ..Inputs::default()
        },
    );
    // Cloudflare: two hosts make 12,002 rows (pages and the homepage), over Free's 10,000.
    let free = cdn::cloudflare(&site, &table, CloudflarePlan::Free, Gone::LeftOut);
    assert!(free.bytes.is_none());
    assert!(
        free.findings.iter().any(|f| f.blocking
            && f.message
                .contains("12002 URL redirects exceed the Cloudflare Free plan's 10000")),
        "{:?}",
        free.findings
    );
    let pro = cdn::cloudflare(&site, &table, CloudflarePlan::Pro, Gone::LeftOut);
    let text = String::from_utf8(pro.bytes.unwrap()).unwrap();
    assert!(text.starts_with("www.minitrue.gov.uk/,https://www.gov.uk/government/organisations/ministry-of-truth,301\n"), "no header row");
    assert_eq!(text.lines().count(), 12_002);
    assert!(!text.contains('?'));
    assert!(pro.findings.iter().any(|f| {
        f.message
            .starts_with("1 path(s) left out: Cloudflare sources cannot hold a query string")
    }));
    assert!(pro.findings.iter().any(|f| {
        f.message
            .starts_with("1 path(s) left out: Cloudflare Bulk Redirects only redirect")
    }));
    // Fastly: 1,000 items a dictionary.
    let fastly = cdn::fastly(&site, &table);
    let json: serde_json::Value = serde_json::from_slice(&fastly.bytes.unwrap()).unwrap();
    let dictionaries = json["dictionaries"].as_array().unwrap();
    assert_eq!(dictionaries.len(), 7);
    assert!(
        dictionaries
            .iter()
            .all(|d| d["items"].as_array().unwrap().len() <= 1_000)
    );
    assert_eq!(
        dictionaries
            .iter()
            .map(|d| d["items"].as_array().unwrap().len())
            .sum::<usize>(),
        6_002
    );
    // S3: 50 routing rules at most.
    let s3 = cdn::s3(&site, &table, cdn::Gone::LeftOut);
    assert!(s3.bytes.is_none());
    assert!(
        s3.findings
            .iter()
            .any(|f| f.blocking && f.message.contains("S3 website hosting allows 50"))
    );
}

#[test]
fn a_redirect_into_the_batchs_kind_of_page_must_land_on_one_of_its_drafts() {
    use std::collections::HashSet;
    let batch: HashSet<String> = [
        "/government/publications/measles-data",
        "/guidance/hpa-topics",
    ]
    .map(String::from)
    .into();
    let live: HashSet<String> = ["/government/publications/already-live"]
        .map(String::from)
        .into();
    let missing = redirects::missing_target(
        "https://www.gov.uk/government/publications/measles-dta",
        &batch,
        &live,
    )
    .unwrap();
    assert!(missing.contains("not in the batch's output"), "{missing}");
    for fine in [
        "https://www.gov.uk/government/publications/measles-data",
        "https://www.gov.uk/government/publications/measles-data/",
        "https://www.gov.uk/government/publications/already-live",
        // A folder the batch does not fill, and other hosts, are not the batch's to check.
        "https://www.gov.uk/government/organisations/public-health-england",
        "https://www.nhs.uk/conditions/measles/",
    ] {
        assert_eq!(
            redirects::missing_target(fine, &batch, &live),
            None,
            "{fine}"
        );
    }
}

#[test]
fn keys_that_collide_once_canonicalised_are_reported_with_both_sources() {
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join("crawl-configs")).unwrap();
    std::fs::create_dir_all(ws.path().join("mappings")).unwrap();
    std::fs::copy(
        repo_root().join("crawl-configs/demo_comare.yml"),
        ws.path().join("crawl-configs/demo_comare.yml"),
    )
    .unwrap();
    std::fs::write(
        ws.path().join("mappings/demo_comare.yml"),
        "pages:\n  - path: /A.html\n    type: archive\n  - path: /a.html/\n    type: unresolved\n  - path: /A.html\n    type: archive\n",
    )
    .unwrap();
    std::fs::write(
        ws.path().join("mappings/demo_comare.csv"),
        "old url,new url\n/a.HTML?x=1,https://www.gov.uk/x\n",
    )
    .unwrap();
    let report = phe_migrate()
        .args(["report", "redirects", "demo_comare", "--workspace"])
        .arg(ws.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&report.stdout);
    let yml = ws
        .path()
        .join("mappings/demo_comare.yml")
        .display()
        .to_string();
    let csv = ws
        .path()
        .join("mappings/demo_comare.csv")
        .display()
        .to_string();
    assert!(
        text.contains(&format!(
            "warning: {yml}:4: /a.html/ is the same page as the one mapped at {yml}:2"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "warning: {yml}:6: /A.html is the same page as the one mapped at {yml}:2"
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "warning: {csv}:2: /a.HTML?x=1 is also mapped at {yml}:2"
        )),
        "{text}"
    );
}

/// The redirect table of the minitrue site made from `spreadsheet` alone, as
/// `mappings/minitrue.csv`: the summary, after exit 0, and the table written.
fn table_from_spreadsheet(spreadsheet: &[u8]) -> (String, String) {
    let ws = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(ws.path().join("crawl-configs")).unwrap();
    std::fs::create_dir_all(ws.path().join("mappings")).unwrap();
    std::fs::write(ws.path().join("crawl-configs/minitrue.yml"), MINITRUE).unwrap();
    std::fs::write(ws.path().join("mappings/minitrue.csv"), spreadsheet).unwrap();
    let table = ws.path().join("minitrue.csv");
    let report = phe_migrate()
        .args(["report", "redirects", "minitrue", "--workspace"])
        .arg(ws.path())
        .arg("-o")
        .arg(&table)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&report.stdout).into_owned();
    assert_eq!(report.status.code(), Some(0), "{stdout}");
    (stdout, std::fs::read_to_string(&table).unwrap())
}

#[test]
fn a_spreadsheet_saved_by_excel_as_windows_1252_is_read_with_a_warning() {
    // "café" and an en dash as Excel's plain "CSV" writes them on Windows.
    let (stdout, written) =
        table_from_spreadsheet(b"old url,new url\n/about,TNA\n/caf\xe9\x96menu.html,TNA\n");
    assert!(
        stdout.contains("minitrue.csv:3:5: not UTF-8 (byte 0xE9): read as Windows-1252"),
        "{stdout}"
    );
    assert!(
        written.contains("\nhttp://www.minitrue.gov.uk/café–menu.html,TNA\n"),
        "{written}"
    );
}

#[test]
fn a_spreadsheet_saved_by_excel_as_unicode_text_is_read_as_utf_16() {
    // Excel's "Unicode Text": UTF-16LE with its byte order mark, tabs, CRLF.
    let text = "old url\tnew url\r\n/café–menu.html\tTNA\r\nnot a url\t\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let (stdout, written) = table_from_spreadsheet(&bytes);
    assert!(!stdout.contains("not UTF-8"), "{stdout}");
    assert!(stdout.contains("minitrue.csv:3: ignored"), "{stdout}");
    assert!(
        written.contains("\nhttp://www.minitrue.gov.uk/café–menu.html,TNA\n"),
        "{written}"
    );
}

/// The routing rules an S3 writer wrote.
fn routing_rules(written: &phe_migrate::redirects::cdn::Written) -> Vec<serde_json::Value> {
    let json: serde_json::Value =
        serde_json::from_slice(written.bytes.as_deref().expect("rules written")).unwrap();
    json["RoutingRules"].as_array().unwrap().clone()
}

/// A writer's findings, as their messages.
fn messages(findings: &[redirects::Finding]) -> Vec<&str> {
    findings.iter().map(|f| f.message.as_str()).collect()
}

/// S3's own reading of routing rules: the first rule whose `KeyPrefixEquals` starts the
/// request's key (every key when it has no condition) sends it to Protocol://HostName/
/// ReplaceKeyWith, or to the key with its prefix replaced by ReplaceKeyPrefixWith, or
/// keeps the key when there is neither.
fn s3_answer(rules: &[serde_json::Value], key: &str) -> Option<String> {
    let rule = rules.iter().find(|r| {
        r["Condition"]["KeyPrefixEquals"]
            .as_str()
            .is_none_or(|p| key.starts_with(p))
    })?;
    let r = &rule["Redirect"];
    assert_eq!(r["HttpRedirectCode"], "301");
    assert!(r["ReplaceKeyWith"].is_null() || r["ReplaceKeyPrefixWith"].is_null());
    let prefix = rule["Condition"]["KeyPrefixEquals"].as_str().unwrap_or("");
    let path = match (
        r["ReplaceKeyWith"].as_str(),
        r["ReplaceKeyPrefixWith"].as_str(),
    ) {
        (Some(with), _) => with.to_owned(),
        (None, Some(with)) => format!("{with}{}", &key[prefix.len()..]),
        (None, None) => key.to_owned(),
    };
    Some(format!(
        "{}://{}/{path}",
        r["Protocol"].as_str().unwrap(),
        r["HostName"].as_str().unwrap()
    ))
}

#[test]
fn s3_routing_rules_answer_every_legacy_path_as_the_table_does_or_say_why_not() {
    use phe_migrate::redirects::cdn;
    let site = site(MINITRUE);
    let canonicalizer = site.canonicalizer(Mode::Govuk);
    let rule = |outcome: Outcome, line: usize| Rule {
        outcome,
        from: format!("m.yml:{line}"),
        suggested_url: None,
    };
    let gov = |p: &str| format!("https://www.gov.uk/{p}");
    let pages: BTreeMap<String, Rule> = [
        ("/members/b", rule(redirect(&gov("b")), 1)),
        ("/about", rule(redirect(&gov("about")), 2)),
        ("/about-us", rule(Outcome::Archive { archive_url: None }, 3)),
        ("/old", rule(Outcome::Archive { archive_url: None }, 4)),
        ("/report?significant=1", rule(redirect(&gov("report")), 5)),
        ("/caf%C3%A9", rule(redirect(&gov("cafe")), 6)),
    ]
    .into_iter()
    .map(|(k, r)| (k.to_owned(), r))
    .collect();
    let sections = vec![
        ("/members/".to_owned(), rule(redirect(&gov("members")), 7)),
        ("/profiles/".to_owned(), rule(redirect(&gov("profiles")), 8)),
    ];
    let known = known_urls(
        &canonicalizer,
        &[
            "http://www.minitrue.gov.uk/Members/Alice.html",
            "http://www.minitrue.gov.uk/members/b",
            "http://www.minitrue.gov.uk/profiles",
            "http://www.minitrue.gov.uk/profiles/x?area=1",
        ],
    );
    let table = redirects::resolve(
        &site,
        &canonicalizer,
        Inputs {
            known,
            pages,
            sections,
            ..Inputs::default()
        },
    );
    let written = cdn::s3(&site, &table, cdn::Gone::LeftOut);
    let rules = routing_rules(&written);
    let prefixes: Vec<&str> = rules
        .iter()
        .map(|r| r["Condition"]["KeyPrefixEquals"].as_str().unwrap())
        .collect();
    // Longest first, so that the most specific wins; the section in the case the crawl saw
    // as well as its own; no rule for pages a section already answers the same way.
    assert_eq!(
        prefixes,
        [
            "members/b",
            "profiles/",
            "Members/",
            "members/",
            "profiles",
            "about",
            "café"
        ]
    );
    let wanted = |key: &str| s3_answer(&rules, key);
    for entry in &table.entries {
        for raw in &entry.raw_urls {
            let path = redirects::raw_parts(raw).1;
            let key = percent_encoding::percent_decode_str(&path[1..])
                .decode_utf8_lossy()
                .into_owned();
            let expected = match (&entry.outcome, key.as_str(), path) {
                // Reported below: S3 cannot do these.
                (_, "", _) | (_, _, "/report?significant=1") => continue,
                (_, "about-us", _) => Some(gov("about")),
                (Outcome::Redirect { new_url }, _, _) => Some(new_url.clone()),
                _ => None,
            };
            assert_eq!(wanted(&key), expected, "{raw}");
        }
    }
    // Paths nobody has seen yet fall to their section.
    assert_eq!(wanted("members/zed"), Some(gov("members")));
    assert_eq!(wanted("Members/Zed.html"), Some(gov("members")));
    assert_eq!(wanted("profiles/new"), Some(gov("profiles")));
    assert_eq!(wanted("members/b/1"), Some(gov("b")));
    let messages = messages(&written.findings);
    assert_eq!(
        messages,
        [
            "the homepage left out: S3 routing rules cannot name the bucket's root; give its index document an x-amz-website-redirect-location",
            "1 path(s) left out: S3 routing rules only redirect; archived and unresolved paths need their 410 from CloudFront Functions, nginx or Apache (or --redirect-archived)",
            "1 path(s) left out: S3 routing rules match the path, not its query string; serve these from CloudFront Functions, nginx or Apache",
            "1 path(s) S3 would redirect elsewhere than the table says, because a shorter rule's prefix also covers them (S3 matches the start of a key, not the whole key): /about-us; serve these from CloudFront Functions, nginx or Apache",
        ]
    );
    assert!(written.findings.iter().all(|f| !f.blocking));
}

/// A path whose escapes are Latin-1 (`%E9`, as old IIS sites wrote `é`) is no S3 key: it is
/// left out with a reason, and UTF-8 escapes beside it still get their rule.
#[test]
fn s3_leaves_out_paths_that_are_not_utf8_once_decoded() {
    use phe_migrate::redirects::cdn;
    let site = site(MINITRUE);
    let canonicalizer = site.canonicalizer(Mode::Govuk);
    let known = known_urls(
        &canonicalizer,
        &[
            "http://www.minitrue.gov.uk/caf%E9.html",
            "http://www.minitrue.gov.uk/caf%C3%A9.html",
        ],
    );
    let pages: BTreeMap<String, Rule> = known
        .iter()
        .map(|k| {
            let rule = Rule {
                outcome: redirect("https://www.gov.uk/cafe"),
                from: "m.yml:1".into(),
                suggested_url: None,
            };
            (k.key.clone(), rule)
        })
        .collect();
    let table = redirects::resolve(
        &site,
        &canonicalizer,
        Inputs {
            known,
            pages,
            ..Inputs::default()
        },
    );
    let written = cdn::s3(&site, &table, cdn::Gone::LeftOut);
    let messages: Vec<&str> = written
        .findings
        .iter()
        .map(|f| f.message.as_str())
        .collect();
    // The homepage is left out too, as from every S3 table.
    assert_eq!(
        messages,
        [
            "1 path(s) left out: their escapes do not decode to UTF-8 (Latin-1 `%E9`), and S3 object keys are UTF-8, so no routing rule can match them; serve these from CloudFront Functions, nginx or Apache",
            "the homepage left out: S3 routing rules cannot name the bucket's root; give its index document an x-amz-website-redirect-location",
        ]
    );
    let rules = routing_rules(&written);
    assert_eq!(
        s3_answer(&rules, "café.html").as_deref(),
        Some("https://www.gov.uk/cafe")
    );
    let prefixes: Vec<&str> = rules
        .iter()
        .map(|r| r["Condition"]["KeyPrefixEquals"].as_str().unwrap())
        .collect();
    assert_eq!(prefixes, ["café.html"]);
}

#[test]
fn a_global_redirect_is_one_s3_rule_for_every_key() {
    use phe_migrate::redirects::cdn;
    let org = "https://www.gov.uk/government/organisations/ministry-of-truth";
    for (extra, keeps_key) in [("", false), ("global_redirect_append_path: true\n", true)] {
        let host = if keeps_key { "https://www.gov.uk" } else { org };
        let site = site(&format!("{MINITRUE}global: =301 {host}\n{extra}"));
        let canonicalizer = site.canonicalizer(Mode::Govuk);
        let known = vec![redirects::KnownUrl {
            raw: "http://www.minitrue.gov.uk/Doublethink/a.html".into(),
            key: "/doublethink/a.html".into(),
            ..Default::default()
        }];
        let table = redirects::resolve(
            &site,
            &canonicalizer,
            Inputs {
                known,
                ..Inputs::default()
            },
        );
        let written = cdn::s3(&site, &table, cdn::Gone::LeftOut);
        assert!(written.findings.is_empty(), "{:?}", written.findings);
        let rules = routing_rules(&written);
        assert_eq!(rules.len(), 1);
        let expected = if keeps_key {
            "https://www.gov.uk/Doublethink/a.html"
        } else {
            org
        };
        assert_eq!(
            s3_answer(&rules, "Doublethink/a.html").as_deref(),
            Some(expected)
        );
    }
    // A path of its own before the legacy path is beyond S3.
    let site = site(&format!(
        "{MINITRUE}global: =301 https://www.gov.uk/archive\nglobal_redirect_append_path: true\n"
    ));
    let table = redirects::resolve(&site, &site.canonicalizer(Mode::Govuk), Inputs::default());
    let written = cdn::s3(&site, &table, cdn::Gone::LeftOut);
    assert!(written.bytes.is_none());
    assert!(
        written.findings[0]
            .message
            .contains("S3 routing rules cannot")
    );
}

#[test]
fn with_redirect_archived_s3_sends_archived_pages_and_sections_to_their_web_archive_copies() {
    use phe_migrate::redirects::cdn::{self, Gone};
    let site = site(MINITRUE);
    let canonicalizer = site.canonicalizer(Mode::Govuk);
    let archive =
        "https://webarchive.nationalarchives.gov.uk/20121026065214/http://www.minitrue.gov.uk";
    let own_copy = format!("{archive}/old-copy.html");
    let rule = |outcome: Outcome, line: usize| Rule {
        outcome,
        from: format!("m.yml:{line}"),
        suggested_url: None,
    };
    let pages: BTreeMap<String, Rule> = [
        ("/about", rule(redirect("https://www.gov.uk/about"), 1)),
        ("/about-us", rule(Outcome::Archive { archive_url: None }, 2)),
        (
            "/old",
            rule(
                Outcome::Archive {
                    archive_url: Some(own_copy.clone()),
                },
                3,
            ),
        ),
        (
            "/report?significant=1",
            rule(Outcome::Archive { archive_url: None }, 4),
        ),
    ]
    .into_iter()
    .map(|(k, r)| (k.to_owned(), r))
    .collect();
    let sections = vec![
        (
            "/records/".to_owned(),
            rule(Outcome::Archive { archive_url: None }, 5),
        ),
        (
            "/members/".to_owned(),
            rule(redirect("https://www.gov.uk/members"), 6),
        ),
    ];
    let known = known_urls(
        &canonicalizer,
        &[
            "http://www.minitrue.gov.uk/Records/1984.html",
            "http://www.minitrue.gov.uk/records/2084",
            "http://www.minitrue.gov.uk/Unpersons.html",
            "http://www.minitrue.gov.uk/members/b",
        ],
    );
    let table = redirects::resolve(
        &site,
        &canonicalizer,
        Inputs {
            known,
            pages,
            sections,
            ..Inputs::default()
        },
    );
    let written = cdn::s3(&site, &table, Gone::ToArchive);
    let rules = routing_rules(&written);
    let answer = |key: &str| s3_answer(&rules, key);
    // Every legacy URL S3 can answer lands where Bouncer's 410 page would have linked.
    let mut checked = 0;
    for entry in &table.entries {
        for raw in &entry.raw_urls {
            let path = redirects::raw_parts(raw).1;
            if path == "/" || path.contains('?') {
                continue;
            }
            let expected = match &entry.outcome {
                Outcome::Redirect { new_url } => new_url.clone(),
                Outcome::Archive {
                    archive_url: Some(u),
                } => u.clone(),
                Outcome::Archive { archive_url: None } | Outcome::Unresolved => {
                    format!("{archive}{path}")
                }
                other => panic!("{raw}: {other:?}"),
            };
            assert_eq!(
                answer(&path[1..]).as_deref(),
                Some(expected.as_str()),
                "{raw}"
            );
            checked += 1;
        }
    }
    assert_eq!(checked, 7);
    // A section keeps the rest of the key, in the case it was asked for, so pages nobody
    // crawled land on their own copies; a shorter page's prefix no longer catches /about-us.
    assert_eq!(
        answer("Records/1985.html").as_deref(),
        Some(format!("{archive}/Records/1985.html").as_str())
    );
    assert_eq!(
        answer("records/a/b.pdf").as_deref(),
        Some(format!("{archive}/records/a/b.pdf").as_str())
    );
    assert_eq!(
        answer("about-us").as_deref(),
        Some(format!("{archive}/about-us").as_str())
    );
    assert_eq!(answer("old").as_deref(), Some(own_copy.as_str()));
    // So does an archived page's rule, for the keys it also catches.
    assert_eq!(
        answer("Unpersons.html/x").as_deref(),
        Some(format!("{archive}/Unpersons.html/x").as_str())
    );
    let messages = messages(&written.findings);
    assert_eq!(
        messages,
        [
            "the homepage left out: S3 routing rules cannot name the bucket's root; give its index document an x-amz-website-redirect-location",
            "1 path(s) left out: S3 routing rules match the path, not its query string; serve these from CloudFront Functions, nginx or Apache",
            "5 path(s) 301 to their web-archive copy (--redirect-archived), where Bouncer answers 410 with a link to it",
        ]
    );
    // A Cloudflare list cannot hold a section, only the paths the table knows under it.
    let listed = cdn::cloudflare(&site, &table, cdn::CloudflarePlan::Free, Gone::ToArchive);
    let sections = listed
        .findings
        .iter()
        .find(|f| f.message.contains("section(s)"))
        .unwrap();
    assert!(
        sections.message.starts_with("2 section(s) (e.g. /")
            && sections.message.contains("falls through to the origin"),
        "{}",
        sections.message
    );
    let without = cdn::cloudflare(&site, &table, cdn::CloudflarePlan::Free, Gone::LeftOut);
    assert!(
        without
            .findings
            .iter()
            .any(|f| f.message.starts_with("1 section(s) (e.g. /members/)")),
        "{:?}",
        without.findings
    );
    // Fastly's dictionaries hold keys; the sections go beside them for the VCL.
    let fastly = cdn::fastly(&site, &table);
    let json: serde_json::Value = serde_json::from_slice(&fastly.bytes.unwrap()).unwrap();
    let sections: Vec<(&str, &str)> = json["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["prefix"].as_str().unwrap(), s["value"].as_str().unwrap()))
        .collect();
    assert_eq!(
        sections,
        [
            ("/records/", "410"),
            ("/members/", "301 https://www.gov.uk/members")
        ]
    );
    assert!(fastly.findings.iter().any(|f| {
        f.message
            .starts_with("2 section(s) are under \"sections\", longest prefix first")
    }));
    // A global archive is one rule that keeps every key.
    let gone = self::site(&format!("{MINITRUE}global: =410\n"));
    let table = redirects::resolve(&gone, &gone.canonicalizer(Mode::Govuk), Inputs::default());
    let written = cdn::s3(&gone, &table, Gone::ToArchive);
    let rules = routing_rules(&written);
    assert_eq!(rules.len(), 1);
    assert_eq!(
        s3_answer(&rules, "Doublethink/a.html").as_deref(),
        Some(format!("{archive}/Doublethink/a.html").as_str())
    );
}

#[test]
fn cloudflare_lists_hold_global_redirects_and_with_redirect_archived_the_archive_links() {
    use phe_migrate::redirects::cdn::{self, CloudflarePlan, Gone};
    let known = |site: &Site| {
        known_urls(
            &site.canonicalizer(Mode::Govuk),
            &["http://www.minitrue.gov.uk/Doublethink/A.html"],
        )
    };
    let list = |site: &Site, gone_as: Gone| {
        let table = redirects::resolve(
            site,
            &site.canonicalizer(Mode::Govuk),
            Inputs {
                known: known(site),
                ..Inputs::default()
            },
        );
        let written = cdn::cloudflare(site, &table, CloudflarePlan::Free, gone_as);
        let text = String::from_utf8(written.bytes.unwrap()).unwrap();
        (text, written.findings)
    };
    // A global redirect that keeps the path: a row per host and path, the path as written.
    let appended = site(&format!(
        "{MINITRUE}global: =301 https://www.gov.uk\nglobal_redirect_append_path: true\n"
    ));
    let (text, findings) = list(&appended, Gone::LeftOut);
    assert!(findings.is_empty(), "{findings:?}");
    assert!(
        text.contains(
            "www.minitrue.gov.uk/doublethink/a.html,https://www.gov.uk/Doublethink/A.html,301\n"
        ) && text.contains(
            "minitrue.gov.uk/doublethink/a.html,https://www.gov.uk/Doublethink/A.html,301\n"
        ),
        "{text}"
    );
    // Fastly's dictionaries hold paths, so the rule goes to the VCL, said so.
    let table = redirects::resolve(
        &appended,
        &appended.canonicalizer(Mode::Govuk),
        Inputs {
            known: known(&appended),
            ..Inputs::default()
        },
    );
    let fastly = cdn::fastly(&appended, &table);
    let json: serde_json::Value = serde_json::from_slice(&fastly.bytes.unwrap()).unwrap();
    assert_eq!(json["global"], "=301 https://www.gov.uk (+path)");
    assert_eq!(json["dictionaries"].as_array().map(Vec::len), Some(0));
    assert_eq!(
        fastly.findings[0].message,
        "the global rule =301 https://www.gov.uk (+path) answers every path, so the dictionaries hold none: apply it in the VCL (it is under \"global\")"
    );
    // Unresolved paths are left out unless they go to the web archive, each host to the
    // copy of its own URL.
    let plain = site(MINITRUE);
    let (text, findings) = list(&plain, Gone::LeftOut);
    assert!(!text.contains("doublethink"), "{text}");
    assert!(
        findings[0]
            .message
            .starts_with("1 path(s) left out: Cloudflare Bulk Redirects only redirect")
    );
    let (text, findings) = list(&plain, Gone::ToArchive);
    assert!(text.contains("www.minitrue.gov.uk/doublethink/a.html,https://webarchive.nationalarchives.gov.uk/20121026065214/http://www.minitrue.gov.uk/Doublethink/A.html,301\n"), "{text}");
    assert!(text.contains("\nminitrue.gov.uk/doublethink/a.html,https://webarchive.nationalarchives.gov.uk/20121026065214/http://minitrue.gov.uk/Doublethink/A.html,301\n"), "{text}");
    assert_eq!(
        findings[0].message,
        "1 path(s) 301 to their web-archive copy (--redirect-archived), where Bouncer answers 410 with a link to it"
    );
}

#[test]
fn redirect_archived_is_refused_for_formats_that_can_send_a_410() {
    let out = phe_migrate()
        .args([
            "report",
            "redirects",
            "demo_comare",
            "--format",
            "nginx",
            "--redirect-archived",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--redirect-archived is for --format cdn-csv and s3"),
        "{stderr}"
    );
}

#[test]
fn slips_in_a_mappings_file_are_reported_at_their_line() {
    let site = site(MINITRUE);
    let ws = tempfile::tempdir().unwrap();
    let mappings = ws.path().join("mappings");
    std::fs::create_dir_all(&mappings).unwrap();
    std::fs::write(
        mappings.join("minitrue.yml"),
        "pages:\n  - path: /news/2084.html\n    type: redirect\n    new_url: https://www.gov.uk/government/news/2084\nsections:\n  - prefix: news\n    type: archive\n  - prefix: /newz/\n    type: archive\n  - prefix: /News/\n    type: archive\n  - prefix: /press/\n    new_url: https://www.gov.uk/government/news\n  - prefix: /pr/\n    type: redirect\n",
    )
    .unwrap();
    let out = ws.path().join("out");
    let estate = redirects::sources::EstateDrafts::read(&out).unwrap();
    let table = redirects::sources::table(&site, &out, &mappings, &estate).unwrap();
    let said = |at: &str| -> Vec<(bool, String)> {
        table
            .findings
            .iter()
            .filter(|f| f.at.ends_with(at))
            .map(|f| (f.blocking, f.message.clone()))
            .collect()
    };
    // A prefix without its leading slash would match no lookup key: refused, with the fix.
    assert_eq!(
        said("minitrue.yml:6"),
        [(
            true,
            "prefix \"news\" must be a path on the legacy site, starting with / (such as /news/)"
                .to_owned()
        )]
    );
    // A prefix no known URL falls in is most likely a slip: a warning at its line.
    assert_eq!(
        said("minitrue.yml:8"),
        [(
            false,
            "section /newz/ holds none of the site's 2 known URLs: check the prefix against the canonical_key column of transform.csv, or ask `phe-migrate canonical minitrue URL`".to_owned()
        )]
    );
    // Sections match lower-cased keys, so /News/ holds the mapped /news/2084.html.
    assert_eq!(said("minitrue.yml:10"), []);
    // A decision whose type is forgotten would not count: refused, with the fix.
    assert_eq!(
        said("minitrue.yml:12"),
        [(
            true,
            "/press/ has new_url but no type: add `type: redirect`".to_owned()
        )]
    );
    // A redirect with nowhere to go, refused with what to add.
    assert_eq!(
        said("minitrue.yml:14"),
        [(
            true,
            "/pr/ has type redirect but no new_url: add the GOV.UK page to send it to (`new_url: https://www.gov.uk/...`)".to_owned()
        )]
    );
    // A misspelt key is no key at all: the file is refused at its place.
    let slipped = std::fs::read_to_string(mappings.join("minitrue.yml"))
        .unwrap()
        .replace(
            "    new_url: https://www.gov.uk/government/news\n",
            "    typ: redirect\n    new_url: https://www.gov.uk/government/news\n",
        );
    std::fs::write(mappings.join("minitrue.yml"), slipped).unwrap();
    match redirects::sources::table(&site, &out, &mappings, &estate) {
        Err(phe_migrate::error::Error::Invalid(found)) => {
            assert_eq!(found.len(), 1);
            assert_eq!((found[0].position.line, found[0].position.column), (13, 5));
            assert_eq!(found[0].message, "unknown key `typ`");
        }
        other => panic!("{other:?}"),
    }
    // Without a crawl the table says so.
    assert!(
        table
            .findings
            .iter()
            .any(|f| !f.blocking && f.message.starts_with("no crawl:")),
        "{:?}",
        table.findings
    );
}

/// A legacy site's many folded chains (each a warning of one kind) are shown a few at a
/// time, with the count of the rest and where every finding is; errors are all shown.
#[test]
fn findings_of_one_kind_are_summarised() {
    const HOST: &str = "www.chains-demo.org.uk";
    let ws = common::one_site_workspace("demo_chains", HOST, "");
    let mut pages = String::from("pages:\n");
    for n in 0..8 {
        pages.push_str(&format!(
            "  - path: /old/{n}.asp\n    type: redirect\n    new_url: http://{HOST}/page/{n}.htm\n  \
             - path: /page/{n}.htm\n    type: redirect\n    new_url: https://www.gov.uk/guidance/page-{n}\n"
        ));
    }
    for n in 0..12 {
        pages.push_str(&format!(
            "  - path: /loop/{n}a\n    type: redirect\n    new_url: http://{HOST}/loop/{n}b\n  \
             - path: /loop/{n}b\n    type: redirect\n    new_url: http://{HOST}/loop/{n}a\n"
        ));
    }
    std::fs::write(ws.path().join("mappings/demo_chains.yml"), pages).unwrap();
    let run = phe_migrate()
        .current_dir(ws.path())
        .args(["report", "redirects", "demo_chains"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{stdout}");
    let lines = |start: &str| stdout.lines().filter(|l| l.starts_with(start)).count();
    assert_eq!(
        lines(&format!("  warning: http://{HOST}/old/")),
        5,
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "  … and 3 more \"chain folded\" warnings: `report redirects demo_chains --format json` lists every finding"
        ),
        "{stdout}"
    );
    // A loop is one error, not also a folded chain and a target off GOV.UK; twenty errors of
    // one kind are shown, then counted.
    assert_eq!(lines("  error: "), 20, "{stdout}");
    assert_eq!(
        lines(&format!("  error: http://{HOST}/loop/")),
        20,
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "  … and 4 more \"redirect loop\" errors: `report redirects demo_chains --format json` lists every finding"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("  24 blocking finding(s)"), "{stdout}");
    assert!(!stdout.contains("chain folded: /loop/"), "{stdout}");
    let json = phe_migrate()
        .current_dir(ws.path())
        .args([
            "report",
            "redirects",
            "demo_chains",
            "--format",
            "json",
            "-o",
            "-",
        ])
        .output()
        .unwrap();
    // `-o -` gives the table alone on stdout, for a pipe, and the summary on stderr.
    let table: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let folded = table["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["message"].as_str().unwrap().starts_with("chain folded"))
        .count();
    assert_eq!(folded, 8, "{table}");
    let summary = String::from_utf8_lossy(&json.stderr);
    assert!(
        summary.starts_with("demo_chains: 41 legacy paths (redirect 41) -> standard output"),
        "{summary}"
    );
    assert!(!ws.path().join("-").exists());
}

#[test]
fn unresolved_paths_are_named_the_most_requested_first() {
    const HOST: &str = "www.undecided-demo.org.uk";
    let ws = common::one_site_workspace("demo_undecided", HOST, "");
    let mut hits = String::from("date,count,status,host,url\n");
    for (n, count) in [(0, 2), (1, 2), (2, 2), (3, 40), (4, 2), (5, 3), (6, 2)] {
        hits.push_str(&format!("2014-03-01,{count},200,{HOST},/u/{n}.htm\n"));
    }
    // Two requests on the page's second URL join its first: one path, 3 + 2 requests.
    hits.push_str(&format!("2014-03-02,2,200,{HOST},/U/5.htm\n"));
    let file = ws.path().join("hits.csv");
    std::fs::write(&file, hits).unwrap();
    common::run_each_ok(
        ws.path(),
        &[&["import", "hits", "demo_undecided", file.to_str().unwrap()]],
    );
    let summary = || {
        let run = phe_migrate()
            .current_dir(ws.path())
            .args(["report", "redirects", "demo_undecided"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&run.stdout).into_owned()
    };
    let stdout = summary();
    assert!(
        stdout.contains(
            "  unresolved, served as 410 until decided under `pages:` or `sections:` in \
             mappings/demo_undecided.yml: /u/3.htm (40 requests), /u/5.htm (5 requests), \
             /u/0.htm (2 requests), /u/1.htm (2 requests), /u/2.htm (2 requests) and 2 more\n"
        ),
        "{stdout}"
    );
    // Decided, a path leaves the list.
    std::fs::write(
        ws.path().join("mappings/demo_undecided.yml"),
        "pages:\n  - path: /u/3.htm\n    type: archive\n",
    )
    .unwrap();
    let stdout = summary();
    assert!(
        stdout.contains("mappings/demo_undecided.yml: /u/5.htm (5 requests), /u/0.htm"),
        "{stdout}"
    );
}
