//! Audits on the demo estate: every hand-labelled page gets its data-richness tier, each
//! planted case gets its gap code, CSV headers stay as documented, hostile text cannot
//! become a spreadsheet formula, and the HTML report loads in headless Chromium with its
//! charts drawn.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use common::{copy_workspace, phe_migrate, repo_root, run_demo};

const SITES: [&str; 3] = ["demo_chobs", "demo_comare", "demo_hpa"];

/// A copy of the product's workspace with planted problems, the demo run in it, the
/// bundled traffic imported and the audit written.
fn audited() -> &'static Path {
    static WS: OnceLock<tempfile::TempDir> = OnceLock::new();
    WS.get_or_init(|| {
        let ws = copy_workspace();
        // Planted: a mapping to a page the batch does not make (G6).
        let mappings = ws.path().join("mappings/demo_comare.yml");
        let mut text = std::fs::read_to_string(&mappings).unwrap();
        let at = text.find("\npages:\n").expect("a pages: list") + "\npages:\n".len();
        text.insert_str(
            at,
            "  - path: /news.html\n    type: redirect\n    new_url: https://www.gov.uk/government/publications/comare-news-that-was-never-written\n",
        );
        std::fs::write(&mappings, text).unwrap();
        let out = ws.path().join("out");
        run_demo(&out);
        let audit = phe_migrate()
            .args(["report", "audit", "--workspace"])
            .arg(ws.path())
            .args(SITES)
            .arg("--hits")
            .arg(repo_root().join("fixtures/traffic/demo_hpa-access.log"))
            .arg("--hits")
            .arg(repo_root().join("fixtures/traffic/demo_hpa-hits.csv"))
            .output()
            .unwrap();
        assert!(
            audit.status.code() == Some(0),
            "{}\n{}",
            String::from_utf8_lossy(&audit.stdout),
            String::from_utf8_lossy(&audit.stderr)
        );
        ws
    })
    .path()
}

fn audit_file(site: &str, name: &str) -> PathBuf {
    audited().join("out").join(site).join("audit").join(name)
}

fn rows(site: &str, name: &str) -> Vec<HashMap<String, String>> {
    let mut reader = csv::Reader::from_path(audit_file(site, name)).unwrap();
    let headers = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            headers
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

#[test]
fn every_hand_labelled_page_gets_its_data_tier() {
    let mut labels =
        csv::Reader::from_path(repo_root().join("fixtures/audit/data-tiers.csv")).unwrap();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for label in labels.records() {
        let label = label.unwrap();
        let (site, key, tier) = (&label[0], &label[1], &label[2]);
        let inventory = rows(site, "inventory.csv");
        let row = inventory
            .iter()
            .find(|r| r["canonical_key"] == key)
            .unwrap_or_else(|| panic!("{site} {key:?} not in the inventory"));
        if row["data_tier"] != tier {
            wrong.push(format!(
                "{site} {key:?}: labelled {tier}, audited {} ({})",
                row["data_tier"], row["data_score"]
            ));
        }
        checked += 1;
    }
    assert!(checked >= 25);
    assert!(wrong.is_empty(), "{wrong:#?}");
    // The explain column says where every point came from.
    let data = rows("demo_chobs", "data_pages.csv");
    let dashboard = data
        .iter()
        .find(|r| r["url"].ends_with("/tools/obesity-dashboard.aspx"))
        .unwrap();
    assert!(
        dashboard["explain"].contains("embedded Tableau +15"),
        "{}",
        dashboard["explain"]
    );
    assert_eq!(dashboard["suggested_route"], "rebuild_tool");
    let flash = data
        .iter()
        .find(|r| r["url"].ends_with("/tools/growth.aspx"))
        .unwrap();
    assert_eq!(flash["suggested_route"], "archive");
    let summary = rows("demo_chobs", "site_summary.csv");
    assert_eq!(summary[0]["data_verdict"], "data-rich");
}

fn gaps(site: &str) -> Vec<HashMap<String, String>> {
    rows(site, "gaps.csv")
}

fn has_gap(site: &str, code: &str, url_ends: &str) -> bool {
    gaps(site).iter().any(|g| {
        g["gap_code"] == code && (g["url"].ends_with(url_ends) || g["need_id"] == url_ends)
    })
}

#[test]
fn planted_cases_get_their_gap_codes() {
    // An unmet need: the growth-chart need's only page has no decision.
    assert!(has_gap("demo_chobs", "G1", "chobs-growth-charts"));
    assert!(has_gap("demo_chobs", "G2", "/tools/growth.aspx"));
    // A popular archived page: the HPA contact page, archived with its section, 45+ hits.
    assert!(has_gap("demo_hpa", "G7", "/AboutTheHPA/ContactUs/"));
    // An orphan listed only in the sitemap.
    assert!(has_gap(
        "demo_chobs",
        "G9",
        "/resource/view.aspx?RID=101999"
    ));
    // Near duplicates drafted apart: two resource pages 91% the same.
    assert!(has_gap(
        "demo_chobs",
        "G5",
        "/resource/view.aspx?RID=101701"
    ));
    // Two press releases most of whose words are the same: each gap names the other page.
    let measles = gaps("demo_hpa")
        .into_iter()
        .find(|g| g["gap_code"] == "G5" && g["url"].ends_with("/110314MeaslesCasesRise/"))
        .expect("a near-duplicate gap");
    assert!(
        measles["detail"].ends_with(
            "% the same as http://www.hpa-demo.org.uk/NewsCentre/NationalPressReleases/\
             2012PressReleases/120301MeaslesFigures/"
        ),
        "{measles:?}"
    );
    // An exact pair already merged: the committee homepage and /index.html are one item
    // and redirect to one page, so the inventory groups them and no gap asks to merge them.
    let inventory = rows("demo_comare", "inventory.csv");
    let groups: Vec<&str> = inventory
        .iter()
        .filter(|r| {
            r["url"] == "http://www.comare-demo.org.uk/" || r["url"].ends_with("/index.html")
        })
        .map(|r| r["exact_dup_group"].as_str())
        .collect();
    assert!(
        groups.len() == 2 && groups[0] == groups[1] && !groups[0].is_empty(),
        "{groups:?}"
    );
    assert!(!has_gap("demo_comare", "G5", "/index.html"));
    // A data tool with no route.
    assert!(has_gap(
        "demo_chobs",
        "G10",
        "/tools/obesity-dashboard.aspx"
    ));
    // Versions of one data briefing (one title and its words, three dates): each is a
    // near duplicate, and its data gap says one decision serves them all.
    let chobs = gaps("demo_chobs");
    let gap = |code: &str, rid: &str| {
        chobs
            .iter()
            .find(|g| g["gap_code"] == code && g["url"].ends_with(rid))
            .unwrap_or_else(|| panic!("{code} {rid}: {chobs:#?}"))
    };
    for rid in ["RID=101708", "RID=101718", "RID=101728"] {
        assert!(
            gap("G10", rid)["detail"].contains("one of several versions of its text (group N"),
            "{:?}",
            gap("G10", rid)
        );
    }
    // Each names another version, so that the lead can open both.
    for (rid, other) in [
        ("RID=101708", "RID=101718"),
        ("RID=101718", "RID=101708"),
        ("RID=101728", "RID=101708"),
    ] {
        assert_eq!(
            gap("G5", rid)["detail"],
            format!(
                "one of several versions of a text (the same title and words, other dates and \
                 figures), with http://www.chobs-demo.org.uk/resource/view.aspx?{other} and 1 \
                 other page"
            )
        );
    }
    // A mapping to a missing target.
    let g6: Vec<_> = gaps("demo_comare")
        .into_iter()
        .filter(|g| g["gap_code"] == "G6")
        .collect();
    assert!(
        g6.iter()
            .any(|g| g["detail"].contains("comare-news-that-was-never-written")),
        "{g6:#?}"
    );
    // Demand with no mapping: requested in the log, never crawled.
    assert!(has_gap(
        "demo_hpa",
        "G8",
        "/Topics/InfectiousDiseases/InfectionsAZ/NotAPageThatEverExisted/"
    ));
    // Need quality: a need without met_when or evidence.
    assert!(
        gaps("demo_chobs")
            .iter()
            .any(|g| g["gap_code"] == "G11" && g["detail"].contains("has no met_when"))
    );
}

#[test]
fn csv_headers_are_stable() {
    let expected = [
        (
            "inventory.csv",
            "site,url,canonical_key,status,kind,title,title_len,description_len,h1,word_count,sentences,avg_words_per_sentence,flesch_reading_ease,reading_time_min,published,updated,newest_year,stale,depth,inlinks,outlinks_int,outlinks_ext,broken_outlinks,in_sitemap,is_orphan,exact_dup_group,near_dup_group,near_dup_similarity,pdf_count,doc_count,spreadsheet_count,csv_count,data_file_count,data_score,data_tier,hits,need_ids,outcome,new_url,disposition,accessibility,audit_suggestions",
        ),
        (
            "data_pages.csv",
            "site,url,data_score,tier,explain,data_tables,numeric_cells,files_by_format,embeds,chart_libs,get_forms,param_variants,js_app,fingertips_links,hits,priority,suggested_route,disposition",
        ),
        (
            "gaps.csv",
            "gap_code,severity,site,url,need_id,hits,data_tier,detail,suggested_action",
        ),
        (
            "needs.csv",
            "need_id,role,goal,benefit,status,impact,justifications,met_when_count,legacy_pages,legacy_hits,targets,targets_existing,met,gap_codes",
        ),
        (
            "attachments.csv",
            "site,file_url,linked_from_count,first_linked_from,extension,mime,bytes,last_modified,open_format,stars,after_2018_09_23,must_be_accessible,hits",
        ),
        (
            "site_summary.csv",
            "site,host,pages,attachments,redirect,archive,unresolved,not_found,pct_unresolved,needs,needs_met_pct,data_rich_pct,data_verdict,gaps_high,tna_timestamp,global_type,coverage_paths_pct,coverage_hits_pct,accessibility_pages,files_that_must_be_accessible",
        ),
    ];
    for site in SITES {
        for (file, header) in expected {
            let text = std::fs::read_to_string(audit_file(site, file)).unwrap();
            assert_eq!(text.lines().next(), Some(header), "{site} {file}");
        }
    }
    let estate =
        std::fs::read_to_string(audited().join("out/estate/audit/site_summary.csv")).unwrap();
    assert_eq!(estate.lines().count(), 4, "{estate}");
}

#[test]
fn inventory_measures_pages() {
    let inventory = rows("demo_hpa", "inventory.csv");
    let measles = inventory
        .iter()
        .find(|r| r["canonical_key"] == "/topics/infectiousdiseases/infectionsaz/measles")
        .unwrap();
    let words: usize = measles["word_count"].parse().unwrap();
    assert!(words > 50, "{words}");
    let flesch: f64 = measles["flesch_reading_ease"].parse().unwrap();
    assert!((0.0..=100.0).contains(&flesch), "{flesch}");
    assert!(measles["hits"].parse::<u64>().unwrap() >= 120);
    assert_eq!(measles["outcome"], "redirect");
    assert!(measles["need_ids"].contains("hpa-disease-facts"));
    // Accessibility: problems of the legacy page, with what the draft does about them.
    let general = inventory
        .iter()
        .find(|r| {
            r["canonical_key"]
                == "/topics/infectiousdiseases/infectionsaz/measles/generalinformation"
        })
        .unwrap();
    assert!(
        general["accessibility"].contains("vague link text: click here"),
        "{}",
        general["accessibility"]
    );
    assert!(
        general["accessibility"].contains("skipped heading levels h1→h4"),
        "{}",
        general["accessibility"]
    );
}

#[test]
fn the_html_report_loads_in_chromium_with_its_charts() {
    let report = audit_file("demo_chobs", "report.html");
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(
        !html.contains("http://") || !html.contains("<link"),
        "self-contained: no external assets"
    );
    assert!(!html.contains("<script"));
    // Each site's urgent gaps say how many there are in all, and where the rest are; no
    // site gets an empty table.
    for site in SITES {
        let html = std::fs::read_to_string(audit_file(site, "report.html")).unwrap();
        assert!(!html.contains("<tbody></tbody>"), "{site}: an empty table");
        let gaps = rows(site, "gaps.csv");
        let urgent = gaps.iter().filter(|g| g["severity"] != "low").count();
        let said = if urgent == 0 {
            format!("No high or medium gaps; {} low one(s)", gaps.len())
        } else {
            format!(
                "high or medium gaps; all {} gaps are in {site}/audit/gaps.csv",
                gaps.len()
            )
        };
        if urgent == 0 || urgent < gaps.len() {
            assert!(html.contains(&said), "{site}: wanted {said:?}");
        }
    }
    // A site without traffic is told how to add it, rather than shown an empty chart; a
    // site with traffic gets the chart.
    let chobs = std::fs::read_to_string(&report).unwrap();
    assert!(
        chobs.contains(
            "No traffic imported: <code>phe-migrate import hits demo_chobs FILE...</code>"
        ),
        "{chobs}"
    );
    let hpa = std::fs::read_to_string(audit_file("demo_hpa", "report.html")).unwrap();
    assert!(
        hpa.contains("line: share of "),
        "no Pareto chart for demo_hpa"
    );
    // Under the chart, how few URLs carry most requests, counted from the inventory.
    let mut hits: Vec<u64> = rows("demo_hpa", "inventory.csv")
        .iter()
        .map(|r| r["hits"].parse().unwrap())
        .collect();
    hits.sort_unstable_by(|a, b| b.cmp(a));
    let total: u64 = hits.iter().sum();
    let carrying_most = 1 + hits
        .iter()
        .scan(0, |running, h| {
            *running += h;
            Some(*running)
        })
        .position(|running| running * 5 >= total * 4)
        .unwrap();
    let said = format!(
        "<p>{carrying_most} of {} URLs carry 80% of the {total} requests; {} had none.</p>",
        hits.len(),
        hits.iter().filter(|h| **h == 0).count()
    );
    assert!(hpa.contains(&said), "wanted {said:?}");
    // The most requested URLs are listed with what each becomes, an unresolved one
    // among them called out; a site without traffic has no such table.
    let mut ranked = rows("demo_hpa", "inventory.csv");
    ranked.sort_by_key(|r| std::cmp::Reverse(r["hits"].parse::<u64>().unwrap()));
    for row in &ranked[..3] {
        let hits: u64 = row["hits"].parse().unwrap();
        let listed = format!(
            "<tr><td>{hits}</td><td>{:.1}%</td><td class=\"url\">{}</td><td>{}</td>",
            hits as f64 * 100.0 / total as f64,
            row["url"],
            row["outcome"]
        );
        assert!(hpa.contains(&listed), "wanted {listed:?}");
    }
    assert!(ranked.iter().take(10).any(|r| r["outcome"] == "unresolved"));
    assert!(hpa.contains("<strong>no decision yet (410 at switch-over)</strong>"));
    let hpa_md = std::fs::read_to_string(audit_file("demo_hpa", "report.md")).unwrap();
    let top = &ranked[0];
    let listed = format!(
        "### Most requested URLs\n\n| hits | share | url | goes to |\n| ---: | ---: | --- | --- |\n| {} | {:.1}% | {} | {} |",
        top["hits"],
        top["hits"].parse::<f64>().unwrap() * 100.0 / total as f64,
        top["url"],
        top["new_url"]
    );
    assert!(hpa_md.contains(&listed), "wanted {listed:?}");
    assert!(hpa_md.contains("| **no decision yet (410 at switch-over)** |"));
    assert!(!chobs.contains("most requested URLs"));
    assert!(!hpa.contains("No traffic imported"));
    // Counts read as English: one high gap, several high gaps.
    let high = |site: &str| {
        rows(site, "gaps.csv")
            .iter()
            .filter(|g| g["severity"] == "high")
            .count()
    };
    for (site, html) in [("demo_hpa", &hpa), ("demo_chobs", &chobs)] {
        let n = high(site);
        let said = format!(
            "<strong>{n}</strong> high {}</p>",
            if n == 1 { "gap" } else { "gaps" }
        );
        assert!(html.contains(&said), "{site}: wanted {said:?}");
    }
    // Demand with no decision is a gap, whatever the crawl saw of the URL: demo_hpa's
    // /Publications/Archive/ (a legacy redirect loop) and /Intranet/ (kept from the crawl
    // by robots.txt) are requested and undecided.
    let gaps = rows("demo_hpa", "gaps.csv");
    for (path, detail) in [
        (
            "/Publications/Archive/",
            "the legacy site redirects it (302)",
        ),
        ("/Intranet/", "never fetched (robots.txt or a crawl limit)"),
    ] {
        assert!(
            gaps.iter().any(|g| g["gap_code"] == "G8"
                && g["url"].ends_with(path)
                && g["detail"].contains(detail)),
            "no G8 gap for {path}"
        );
    }
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("Chromium is not installed: `apt-get install chromium` (.ci/run does)");
    let dir = tempfile::tempdir().unwrap();
    let shot = dir.path().join("report.png");
    let run = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1100,2400",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", report.display()))
        .output()
        .unwrap();
    let log = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{log}");
    let console: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("CONSOLE") || l.contains("Uncaught"))
        .collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    // The screenshot shows the charts: the outcome bars' green and red are on it.
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&shot).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let pixels = &buf[..info.buffer_size()];
    let count = |rgb: [u8; 3]| {
        pixels
            .chunks(channels)
            .filter(|p| p[..3].iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 6))
            .count()
    };
    assert!(
        count([0x00, 0x70, 0x3c]) > 500,
        "no redirect-green bars on the screenshot"
    );
    assert!(
        count([0xd4, 0x35, 0x1c]) > 200,
        "no unresolved-red bars on the screenshot"
    );
    assert!(
        count([0x1d, 0x70, 0xb8]) > 200,
        "no blue chart marks on the screenshot"
    );
}

#[test]
fn hostile_text_cannot_become_a_formula_or_markup() {
    use phe_migrate::audit::report::cell;
    assert_eq!(
        cell("=HYPERLINK(\"http://evil\")"),
        "'=HYPERLINK(\"http://evil\")"
    );
    assert_eq!(cell("+1+1"), "'+1+1");
    assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
    assert_eq!(cell("-12"), "-12");
    assert_eq!(cell("Measles"), "Measles");
}

#[test]
fn the_estate_report_is_the_same_whatever_order_the_sites_are_named_in() {
    let copy = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp")
        .arg("-r")
        .arg(audited().join("out"))
        .arg(copy.path())
        .status()
        .unwrap();
    assert!(status.success());
    let out = copy.path().join("out");
    let audit = phe_migrate()
        .args(["report", "audit", "--workspace"])
        .arg(audited())
        .arg("--out")
        .arg(&out)
        .args(["demo_hpa", "demo_comare", "demo_chobs"])
        .output()
        .unwrap();
    assert!(
        audit.status.success(),
        "{}",
        String::from_utf8_lossy(&audit.stderr)
    );
    for file in ["site_summary.csv", "report.md", "report.html"] {
        let named_in_order = std::fs::read(audited().join("out/estate/audit").join(file)).unwrap();
        let named_reversed = std::fs::read(out.join("estate/audit").join(file)).unwrap();
        assert!(named_in_order == named_reversed, "{file} differs");
    }
}
