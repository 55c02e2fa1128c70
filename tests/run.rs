//! Batches from the terminal: `run` over the demo estate end to end, a second run that skips
//! what has not changed, an interrupted batch that resumes, the message each bad input
//! gets, and the shell completions and manual pages.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::{copy_workspace, demo_server, phe_migrate};
use phe_migrate::fixtures::FixtureServer;

const SITES: [&str; 3] = ["demo_chobs", "demo_comare", "demo_hpa"];

/// Every host of every site to the fixture server, as the README's first batch does.
fn resolve_args(server: &FixtureServer) -> Vec<String> {
    vec!["--resolve".to_owned(), format!("*={}", server.addr())]
}

fn run(ws: &Path, server: &FixtureServer, extra: &[&str]) -> Output {
    phe_migrate()
        .arg("run")
        .args(SITES)
        .args(resolve_args(server))
        .arg("--workspace")
        .arg(ws)
        .args(extra)
        .output()
        .unwrap()
}

/// One site's summary in `run --json`'s output.
fn site_run(output: &Output, site: &str) -> serde_json::Value {
    let runs: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)));
    runs.as_array()
        .unwrap()
        .iter()
        .find(|r| r["site"] == site)
        .unwrap_or_else(|| panic!("no {site} in {runs}"))
        .clone()
}

/// A site's stages when its crawl is kept and the rest redone.
fn transform_and_report_ran() -> Vec<(String, String)> {
    [
        ("crawl", "skipped"),
        ("transform", "ran"),
        ("report", "ran"),
    ]
    .map(|(stage, status)| (stage.to_owned(), status.to_owned()))
    .to_vec()
}

fn stages(output: &Output) -> Vec<(String, Vec<(String, String)>)> {
    let runs: serde_json::Value = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stdout)));
    runs.as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["site"].as_str().unwrap().to_owned(),
                r["stages"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| {
                        (
                            s["stage"].as_str().unwrap().to_owned(),
                            s["status"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

fn all(status: &str) -> Vec<(String, String)> {
    ["crawl", "transform", "report"]
        .map(|s| (s.to_owned(), status.to_owned()))
        .to_vec()
}

#[test]
fn a_batch_runs_every_stage_then_skips_what_has_not_changed() {
    let server = demo_server();
    let ws = copy_workspace();
    let first = run(ws.path(), &server, &["--json"]);
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    for (site, stages) in stages(&first) {
        assert_eq!(stages, all("ran"), "{site}");
    }
    let hpa = site_run(&first, "demo_hpa");
    assert!(hpa["pages"].as_u64().unwrap() > 50);
    assert!(hpa["redirects"].as_u64().unwrap() > 50);
    let out = ws.path().join("out");
    for site in SITES {
        for file in [
            "crawl.db",
            "transform.csv",
            "redirects.csv",
            "redirects.json",
            "redirects.nginx.conf",
            "audit/report.html",
        ] {
            assert!(out.join(site).join(file).exists(), "{site}/{file}");
        }
    }
    assert!(out.join("estate/audit/report.html").is_file());

    // Nothing changed: every stage is skipped.
    let second = run(ws.path(), &server, &["--json"]);
    assert_eq!(second.status.code(), Some(0));
    for (site, stages) in stages(&second) {
        assert_eq!(stages, all("skipped"), "{site}");
    }
    // A mapping changed: only that site's report runs again.
    let mappings = ws.path().join("mappings/demo_comare.yml");
    let text = std::fs::read_to_string(&mappings).unwrap();
    std::fs::write(&mappings, format!("{text}\n# reviewed\n")).unwrap();
    let third = run(ws.path(), &server, &["--json"]);
    for (site, stages) in stages(&third) {
        let expected = if site == "demo_comare" {
            transform_and_report_ran()
        } else {
            all("skipped")
        };
        assert_eq!(stages, expected, "{site}");
    }
    // A redirect spreadsheet added: the drafts' links follow its decisions, so that site's
    // transform runs again, and its report.
    std::fs::write(
        ws.path().join("mappings/demo_chobs.csv"),
        "old url,new url\nhttp://www.chobs-demo.org.uk/search.aspx,TNA\n",
    )
    .unwrap();
    let fourth = run(ws.path(), &server, &["--json"]);
    for (site, stages) in stages(&fourth) {
        let expected = if site == "demo_chobs" {
            transform_and_report_ran()
        } else {
            all("skipped")
        };
        assert_eq!(stages, expected, "{site}");
    }
    // Another build of phe-migrate (an upgrade) may write other output: every site's
    // transform and report run again, the crawls are kept.
    let upgraded_exe = ws.path().join("phe-migrate-upgraded");
    std::fs::copy(env!("CARGO_BIN_EXE_phe-migrate"), &upgraded_exe).unwrap();
    let upgraded = (0..50)
        .find_map(|_| {
            let mut command = Command::new(&upgraded_exe);
            command
                .arg("run")
                .args(SITES)
                .args(resolve_args(&server))
                .arg("--workspace")
                .arg(ws.path())
                .arg("--json");
            match command.output() {
                // Another test's child may briefly hold the copy open for writing.
                Err(e) if e.raw_os_error() == Some(26) => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                    None
                }
                other => Some(other.unwrap()),
            }
        })
        .expect("the copied executable runs");
    for (site, stages) in stages(&upgraded) {
        assert_eq!(stages, transform_and_report_ran(), "{site}");
    }
    // --force redoes everything; the table shows it.
    let forced = run(ws.path(), &server, &["--force"]);
    let table = String::from_utf8_lossy(&forced.stdout);
    assert_eq!(forced.status.code(), Some(0), "{table}");
    assert!(table.starts_with("SITE "), "{table}");
    assert_eq!(
        table
            .matches("crawl ran, transform ran, report ran")
            .count(),
        3,
        "{table}"
    );
    // The columns line up whatever the lengths of the sites' format lists: each row's
    // redirect count ends where the REDIRECT heading does.
    let lines: Vec<&str> = table.lines().take(4).collect();
    let redirect_end = lines[0].find("REDIRECT").unwrap() + "REDIRECT".len();
    for row in &lines[1..] {
        let before = &row[..redirect_end];
        assert!(
            before.ends_with(|c: char| c.is_ascii_digit())
                && !row[redirect_end..].starts_with(|c: char| c.is_ascii_digit()),
            "{table}"
        );
    }
    // A broken mappings file fails that site's transform: its counts are not the ones
    // the earlier run left on disk, and the other sites are unaffected.
    std::fs::write(&mappings, format!("{text}\nsite: demo_comare\n")).unwrap();
    let broken = run(ws.path(), &server, &["--json"]);
    assert_eq!(broken.status.code(), Some(2));
    let runs: serde_json::Value = serde_json::from_slice(&broken.stdout).unwrap();
    for r in runs.as_array().unwrap() {
        if r["site"] == "demo_comare" {
            assert!(r["pages"].is_null() && r["redirects"].is_null(), "{r}");
            assert!(
                r["error"]
                    .as_str()
                    .unwrap()
                    .contains("duplicate key `site`"),
                "{r}"
            );
        } else {
            assert!(r["pages"].as_u64().unwrap() > 0, "{r}");
        }
    }
    // The mapping mended, with a draft edited meanwhile: the transform stops rather than
    // lose the edit, until told to replace it.
    std::fs::write(&mappings, &text).unwrap();
    let draft = out.join("demo_comare/content/welcome-to-comare.md");
    std::fs::write(&draft, "an editor's version").unwrap();
    let stopped = run(ws.path(), &server, &["--json"]);
    assert_eq!(stopped.status.code(), Some(2));
    let comare = site_run(&stopped, "demo_comare");
    assert!(
        comare["error"].as_str().unwrap().contains(
            "1 file(s) changed since the last transform wrote them: welcome-to-comare.md"
        ),
        "{comare}"
    );
    assert_eq!(
        std::fs::read_to_string(&draft).unwrap(),
        "an editor's version"
    );
    let replaced = run(ws.path(), &server, &["--json", "--replace-edited"]);
    assert_eq!(replaced.status.code(), Some(0));
    assert_ne!(
        std::fs::read_to_string(&draft).unwrap(),
        "an editor's version"
    );
    assert!(out.join("demo_comare/content-edited").is_dir());
    // Every stage of every run is in the run log: six whole runs, two that stopped at
    // demo_comare's transform, and the last.
    let log = std::fs::read_to_string(out.join("run.log")).unwrap();
    assert_eq!(
        log.lines().count(),
        6 * 3 * 3 + (2 * 3 + 2) * 2 + 3 * 3,
        "{log}"
    );
    for line in log.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(
            entry["site"].is_string() && entry["stage"].is_string() && entry["status"].is_string()
        );
    }
}

#[test]
fn an_interrupted_batch_resumes_and_ends_as_a_clean_one_does() {
    let server = demo_server();
    let clean = copy_workspace();
    assert_eq!(run(clean.path(), &server, &["-q"]).status.code(), Some(0));

    let ws = copy_workspace();
    let mut child = phe_migrate()
        .arg("run")
        .args(SITES)
        .args(resolve_args(&server))
        .arg("--workspace")
        .arg(ws.path())
        .arg("-q")
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it mid-crawl, as soon as a store exists.
    let store = ws.path().join("out/demo_hpa/crawl.db");
    for _ in 0..400 {
        if store.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::thread::sleep(std::time::Duration::from_millis(150));
    // Child::kill sends SIGKILL: kill -9.
    let _ = child.kill();
    let _ = child.wait();
    let resumed = run(ws.path(), &server, &["-q"]);
    assert_eq!(
        resumed.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&resumed.stdout)
    );
    for site in SITES {
        for file in ["transform.csv", "redirects.csv", "audit/inventory.csv"] {
            let a = std::fs::read(clean.path().join("out").join(site).join(file)).unwrap();
            let b = std::fs::read(ws.path().join("out").join(site).join(file)).unwrap();
            assert!(
                a == b,
                "{site}/{file} differs after the resumed run:\n{}",
                line_differences(&a, &b)
            );
        }
    }
}

/// The lines only the clean run wrote (`-`) and only the resumed run wrote (`+`).
fn line_differences(clean: &[u8], resumed: &[u8]) -> String {
    let clean = String::from_utf8_lossy(clean);
    let resumed = String::from_utf8_lossy(resumed);
    let clean_lines: std::collections::BTreeSet<&str> = clean.lines().collect();
    let resumed_lines: std::collections::BTreeSet<&str> = resumed.lines().collect();
    let mut out = String::new();
    for line in clean_lines.difference(&resumed_lines) {
        out.push_str(&format!("- {line}\n"));
    }
    for line in resumed_lines.difference(&clean_lines) {
        out.push_str(&format!("+ {line}\n"));
    }
    out
}

fn fails_with(args: &[&str], ws: &Path, code: i32, message: &str) {
    let output = phe_migrate()
        .args(args)
        .arg("--workspace")
        .arg(ws)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(code), "{args:?}: {text}");
    assert!(
        text.contains(message),
        "{args:?}: expected {message:?} in\n{text}"
    );
}

#[test]
fn every_bad_input_gets_one_clear_message() {
    let ws = copy_workspace();
    let batch = ws.path().join("batch.yml");
    std::fs::write(
        &batch,
        "sites:\n  - demo_hpa\n  - {site: demo_chobs, max_pagez: 3}\n",
    )
    .unwrap();
    let broken = ws.path().join("broken.yml");
    std::fs::write(&broken, "sites: [demo_hpa\n").unwrap();
    let mistyped = ws.path().join("mistyped.yml");
    std::fs::write(
        &mistyped,
        "sites:\n  - demo_hpa\n  - {site: demo_chobs, max_pages: lots}\n",
    )
    .unwrap();
    let misnamed = ws.path().join("misnamed.yml");
    std::fs::write(&misnamed, "# tonight's batch\nsite:\n  - demo_hpa\n").unwrap();
    let spreadsheet = ws.path().join("table.xls");
    std::fs::write(&spreadsheet, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 not json").unwrap();
    let transition_csv = ws.path().join("out/demo_hpa/redirects.csv");
    std::fs::create_dir_all(transition_csv.parent().unwrap()).unwrap();
    std::fs::write(
        &transition_csv,
        "old url,new url\nhttp://www.hpa-demo.org.uk/a,\n",
    )
    .unwrap();
    let not_a_table = ws.path().join("other.json");
    std::fs::write(&not_a_table, "{\"x\": 1}").unwrap();
    let file = ws.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let out_in_file = file.join("out");
    let cases: Vec<(Vec<String>, i32, String)> = vec![
        // A site team's own workspace has no demo estate: say where it lives.
        (
            vec!["demo".into()],
            2,
            format!(
                "the workspace {} has no demo estate ({}/fixtures/estate is missing): run this in the phe-migrate folder, or point --workspace at it",
                ws.path().display(),
                ws.path().display()
            ),
        ),
        (
            vec!["fixtures".into(), "serve".into()],
            2,
            "or name an estate with --estate DIR".into(),
        ),
        (
            vec!["run".into(), "demo_nope".into()],
            2,
            format!(
                "unknown site \"demo_nope\": there is no {}/crawl-configs/demo_nope.yml; run `phe-migrate sites list` to see the sites",
                ws.path().display()
            ),
        ),
        (
            vec!["run".into(), "--batch".into(), batch.display().to_string()],
            2,
            format!(
                "{}:3:24: error: unknown key `max_pagez`\n    help: did you mean `max_pages`? A site in a batch takes site, max_pages, max_depth, concurrency, resolve",
                batch.display()
            ),
        ),
        (
            vec!["run".into(), "--batch".into(), mistyped.display().to_string()],
            2,
            format!(
                "{}:3:5: sites entry 2: invalid type: string \"lots\", expected a whole number, 0 or more",
                mistyped.display()
            ),
        ),
        (
            vec!["run".into(), "--batch".into(), misnamed.display().to_string()],
            2,
            format!(
                "{}:2:1: error: unknown key `site`\n    help: did you mean `sites`?",
                misnamed.display()
            ),
        ),
        (
            vec!["run".into(), "--batch".into(), broken.display().to_string()],
            2,
            format!("{}:2:1: error: YAML syntax error", broken.display()),
        ),
        (
            vec![
                "run".into(),
                "demo_comare".into(),
                "--resolve".into(),
                "www.comare-demo.org.uk=127.0.0.1:9".into(),
            ],
            2,
            "www.comare-demo.org.uk could not be reached: ".into(),
        ),
        // The crawl alone says so too, with the last failure's cause, rather than
        // "crawl complete" and exit 0.
        (
            vec![
                "crawl".into(),
                "demo_comare".into(),
                "--resolve".into(),
                "www.comare-demo.org.uk=127.0.0.1:9".into(),
            ],
            2,
            "error: demo_comare: www.comare-demo.org.uk could not be reached: 2 failed request(s), no page fetched (last: http://www.comare-demo.org.uk/".into(),
        ),
        (
            vec![
                "crawl".into(),
                "demo_comare".into(),
                "--resolve".into(),
                "www.comare-demo.org.uk=127.0.0.1:9".into(),
            ],
            2,
            "demo_comare: crawl ended with no page fetched (".into(),
        ),
        (
            vec![
                "run".into(),
                "demo_comare".into(),
                "--out".into(),
                out_in_file.display().to_string(),
            ],
            2,
            format!("cannot create the output folder {}", out_in_file.display()),
        ),
        (
            vec![
                "verify".into(),
                spreadsheet.display().to_string(),
                "--target".into(),
                "http://127.0.0.1:9".into(),
            ],
            2,
            format!(
                "{}: not UTF-8 text, so not a table: verify reads the JSON `phe-migrate report redirects SITE --format json` writes",
                spreadsheet.display()
            ),
        ),
        // The table `report redirects` writes by default: the JSON one is named.
        (
            vec![
                "verify".into(),
                transition_csv.display().to_string(),
                "--target".into(),
                "http://127.0.0.1:9".into(),
            ],
            2,
            format!(
                "{}: this is a Transition CSV; verify reads the JSON table, which holds each URL's expected answer: write it with `phe-migrate report redirects demo_hpa --format json -o {}` and verify that",
                transition_csv.display(),
                transition_csv.with_extension("json").display()
            ),
        ),
        (
            vec![
                "verify".into(),
                not_a_table.display().to_string(),
                "--target".into(),
                "http://127.0.0.1:9".into(),
            ],
            2,
            // The position once, where a compiler puts it.
            format!(
                "{}:1:8: missing field `entries` (verify reads the table",
                not_a_table.display()
            ),
        ),
        (
            vec![
                "run".into(),
                "demo_comare".into(),
                "--resolve".into(),
                "nonsense".into(),
            ],
            2,
            "\"nonsense\": write HOST=IP:PORT".into(),
        ),
        (
            vec![
                "export".into(),
                "warc".into(),
                "demo_comare".into(),
                "--out".into(),
                "never-crawled".into(),
            ],
            2,
            "no crawl for demo_comare at never-crawled/demo_comare/crawl.db: run `phe-migrate crawl demo_comare` first".into(),
        ),
        (
            vec![
                "run".into(),
                "demo_comare".into(),
                "--resolve".into(),
                "*.comare-demo.org.uk=127.0.0.1:9".into(),
            ],
            2,
            "\"*.comare-demo.org.uk\" is not a host name (or `*`, for every host of each site)".into(),
        ),
    ];
    for (args, code, message) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        fails_with(&args, ws.path(), code, &message);
    }
    // A mapping to a page nobody made: the batch finishes, exits 1 and names the line.
    let server = demo_server();
    let mappings = ws.path().join("mappings/demo_comare.yml");
    let mut text = std::fs::read_to_string(&mappings).unwrap();
    let at = text.find("\npages:\n").unwrap() + "\npages:\n".len();
    text.insert_str(at, "  - path: /news.html\n    type: redirect\n    new_url: https://www.gov.uk/government/publications/never-written\n");
    std::fs::write(&mappings, &text).unwrap();
    let mut args = vec!["run".to_owned(), "demo_comare".to_owned(), "-q".to_owned()];
    args.extend(resolve_args(&server));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    fails_with(
        &args,
        ws.path(),
        1,
        "demo_comare.yml:35: https://www.gov.uk/government/publications/never-written is not in the batch's output",
    );
}

#[test]
fn completions_and_manual_pages_are_generated() {
    let bash = phe_migrate()
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(bash.status.success());
    let script = String::from_utf8(bash.stdout).unwrap();
    assert!(script.contains("phe-migrate") && script.contains("run"));
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("phe-migrate.bash");
    std::fs::write(&path, &script).unwrap();
    let check = Command::new("bash").arg("-n").arg(&path).output().unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let man = phe_migrate()
        .args(["man", "-o"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(man.status.success());
    for page in [
        "phe-migrate.1",
        "phe-migrate-run.1",
        "phe-migrate-report-audit.1",
        "phe-migrate-verify.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page))
            .unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.starts_with(".ie") || text.contains(".TH"), "{page}");
    }
}

#[test]
fn blocking_findings_are_shown_on_every_run_until_fixed() {
    let server = demo_server();
    let ws = copy_workspace();
    let mappings = ws.path().join("mappings/demo_comare.yml");
    let text = std::fs::read_to_string(&mappings).unwrap();
    let at = text.find("\npages:\n").expect("a pages: list") + "\npages:\n".len();
    // More findings of one kind than the summary shows: the count is still all of them.
    let mut planted = text.clone();
    for n in 0..22 {
        planted.insert_str(
            at,
            &format!(
                "  - path: /news-{n}.html\n    type: redirect\n    new_url: https://www.gov.uk/government/publications/comare-news-that-was-never-written-{n}\n"
            ),
        );
    }
    std::fs::write(&mappings, planted).unwrap();
    let batch = |extra: &[&str]| {
        phe_migrate()
            .args(["run", "demo_comare"])
            .args(resolve_args(&server))
            .arg("--workspace")
            .arg(ws.path())
            .args(extra)
            .output()
            .unwrap()
    };
    let message = "demo_comare: 22 blocking findings, fix them before the hand-over";
    for _ in 0..2 {
        let output = batch(&[]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(1), "{stdout}");
        assert!(stdout.contains(message), "{stdout}");
        assert!(
            stdout.contains("comare-news-that-was-never-written"),
            "{stdout}"
        );
    }
    // The second run skipped what had not changed, but not the report that blocked.
    let output = batch(&["--json"]);
    let stages = &site_run(&output, "demo_comare")["stages"];
    let status = |stage: &str| {
        stages
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stage"] == stage)
            .map(|s| s["status"].as_str().unwrap().to_owned())
    };
    assert_eq!(status("transform").as_deref(), Some("skipped"));
    assert_eq!(status("report").as_deref(), Some("ran"));
    // Fixed, it is skipped again.
    std::fs::write(&mappings, text).unwrap();
    assert_eq!(batch(&[]).status.code(), Some(0));
    let output = batch(&["--json"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        site_run(&output, "demo_comare")["stages"][2]["status"],
        "skipped"
    );
}
