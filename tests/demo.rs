//! The README's first quick-start command: `phe-migrate demo`, on a fresh output folder.

mod common;

use common::{phe_migrate, repo_root};

#[test]
fn demo_runs_the_pipeline_on_the_bundled_estate() {
    let out = tempfile::tempdir().unwrap();
    let output = phe_migrate()
        .current_dir(repo_root())
        .args(["demo", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for line in [
        "demo_chobs        92           41          3            1       0",
        "demo_comare       30           16          1            1       0",
        "demo_hpa          87            8          3            1       0",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    // The commands it suggests name the folder it wrote, not the default one.
    let store = out.path().join("demo_chobs/crawl.db");
    assert!(
        text.contains(&format!("try: sqlite3 {} ", store.display()))
            && text.contains(&format!(
                "`phe-migrate serve demo_chobs --out {}`",
                out.path().display()
            )),
        "{text}"
    );
    for site in ["demo_chobs", "demo_comare", "demo_hpa"] {
        assert!(out.path().join(site).join("crawl.db").is_file());
        assert!(
            out.path()
                .join(site)
                .join(format!("{site}.warc.gz"))
                .is_file()
        );
    }
    // A second run resumes: everything is done, nothing is fetched again.
    let again = phe_migrate()
        .current_dir(repo_root())
        .args(["demo", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success());
    assert_eq!(text.matches("this run     0 requests").count(), 3, "{text}");
    // What the store holds is every run's download, apart from this run's line.
    assert_eq!(text.matches("\n  downloaded   ").count(), 3, "{text}");
    assert!(!text.contains("downloaded in total"), "{text}");
}

#[test]
fn the_readme_quick_start_is_what_the_tests_and_ci_run() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let quick =
        &readme[readme.find("## Quick start").unwrap()..readme.find("## Walkthrough").unwrap()];
    let blocks: Vec<&str> = quick
        .split("```sh\n")
        .skip(1)
        .map(|b| b.split("```").next().unwrap().trim())
        .collect();
    assert_eq!(blocks, ["cargo run --release -- demo", "cargo test"]);
    // CI runs exactly the README's test command, and nothing after it.
    let ci = std::fs::read_to_string(repo_root().join(".ci/run")).unwrap();
    assert_eq!(ci.trim_end().lines().last(), Some("cargo test"));
    // The demo (the first command, as the built binary) says where to start reading.
    let out = tempfile::tempdir().unwrap();
    let demo = phe_migrate()
        .current_dir(repo_root())
        .args(["demo", "--quiet", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&demo.stdout);
    assert!(demo.status.success(), "{text}");
    let estate = out.path().join("estate/audit/report.html");
    assert!(
        text.contains(&format!("{}   <- start here", estate.display())),
        "{text}"
    );
    assert!(estate.is_file());
    // A site whose gaps are all low says so rather than show an empty table.
    let report = std::fs::read_to_string(&estate).unwrap();
    assert!(
        report.contains("<h2>demo_comare: gaps to act on first</h2><p>No high or medium gaps; "),
        "{report}"
    );
    for site in ["demo_chobs", "demo_comare", "demo_hpa"] {
        for file in [
            "redirects.csv",
            "redirects.json",
            "redirects.nginx.conf",
            "audit/report.html",
            "audit/inventory.csv",
        ] {
            assert!(out.path().join(site).join(file).is_file(), "{site}/{file}");
        }
    }
}

#[test]
fn an_output_folder_with_a_space_gets_every_hand_over_but_the_server_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("migration out");
    let demo = phe_migrate()
        .current_dir(repo_root())
        .args(["demo", "--quiet", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&demo.stdout);
    assert!(demo.status.success(), "{text}");
    // nginx would split the include paths at the space: the file is held back, with how
    // to write it, rather than written broken.
    assert!(
        text.contains(&format!(
            "redirects.nginx.conf not written: a space in {} would break its paths",
            out.display()
        )),
        "{text}"
    );
    for site in ["demo_chobs", "demo_comare", "demo_hpa"] {
        assert!(out.join(site).join("redirects.csv").is_file());
        assert!(out.join(site).join("audit/report.html").is_file());
        assert!(!out.join(site).join("redirects.nginx.conf").exists());
    }
    // Where to look lists what is there: no server file.
    assert!(
        text.contains(&format!(
            "  {}/  crawl.db  demo_chobs.warc.gz  content/  transform.csv  redirects.csv  redirects.json  audit/report.html\n",
            out.join("demo_chobs").display()
        )),
        "{text}"
    );
    // The commands it suggests quote the folder, so they paste as one word.
    assert!(
        text.contains(&format!("serve demo_chobs --out '{}'`", out.display())),
        "{text}"
    );
}
