//! `phe-migrate sites validate`: the real estate validates, and each kind of mistake in a
//! broken copy of a real config is caught at the right file:line:column.

mod common;

use common::{phe_migrate, repo_root};

/// The real phe_chimat config, which every case below breaks in one way.
const CHIMAT: &str = "---
site: phe_chimat
whitehall_slug: public-health-england
homepage: https://www.gov.uk/guidance/phe-data-and-analysis-tools#child-and-maternal-health
tna_timestamp: 20170302101115
host: www.chimat.org.uk
aliases:
- chimat.org.uk
options: --query-string rid:qn
";

/// Writes `text` as `name` in a fresh folder and validates it against the workspace estate.
fn validate(name: &str, text: &[u8]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    let output = phe_migrate()
        .current_dir(repo_root())
        .args(["sites", "validate"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).replace(&path.display().to_string(), name);
    (output.status.code().unwrap(), stdout)
}

#[test]
fn the_real_estate_validates() {
    let output = phe_migrate()
        .current_dir(repo_root())
        .args(["sites", "validate"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains(" 0 errors"), "{stdout}");
    // Exactly the three sites GOV.UK marks with stub web archive timestamps.
    for site in ["phe_cancertoolkit", "phe_ecric", "phe_ndawg"] {
        assert!(
            stdout.contains(&format!("crawl-configs/{site}.yml:")) && stdout.contains("is a stub"),
            "{site} stub not flagged:\n{stdout}"
        );
    }
    assert_eq!(stdout.matches("is a stub").count(), 3, "{stdout}");
}

#[test]
fn the_real_estate_has_all_sixty_phe_sites() {
    let output = phe_migrate()
        .current_dir(repo_root())
        .args(["sites", "list", "--format", "csv"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let mut reader = csv::Reader::from_reader(output.stdout.as_slice());
    let abbrs: Vec<String> = reader
        .records()
        .map(|r| r.unwrap()[0].to_owned())
        .filter(|a| !a.starts_with("demo_"))
        .collect();
    assert_eq!(abbrs.len(), 60, "{abbrs:?}");
    let reference =
        std::fs::read_to_string(repo_root().join("fixtures/reference/phe_transition_sites.csv"))
            .unwrap();
    let mut reference = csv::Reader::from_reader(reference.as_bytes());
    let expected: Vec<String> = reference
        .records()
        .map(|r| r.unwrap()[0].to_owned())
        .collect();
    assert_eq!(abbrs, expected);
}

#[test]
fn the_terminal_table_keeps_its_short_columns_on_screen() {
    let output = phe_migrate()
        .current_dir(repo_root())
        .args(["sites", "list"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    let header = stdout.lines().next().unwrap();
    let columns: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        columns,
        [
            "ABBR",
            "HOST",
            "TNA_TIMESTAMP",
            "STUB",
            "PARAMS",
            "GLOBAL",
            "ALIASES"
        ]
    );
    // The estate's long aliases and global rules come last: every site's web archive
    // timestamp is within a terminal's first hundred columns.
    let at = header.find("TNA_TIMESTAMP").unwrap();
    assert!(at < 100, "{header}");
    for line in stdout.lines().skip(1) {
        let stamp = &line[at..at + 14];
        assert!(stamp.bytes().all(|b| b.is_ascii_digit()), "{line}");
    }
}

/// (what is broken, file name, file text, expected exit code, expected line in the output)
fn cases() -> Vec<(&'static str, &'static str, String, i32, &'static str)> {
    let with = |from: &str, to: &str| {
        assert!(CHIMAT.contains(from), "{from}");
        CHIMAT.replacen(from, to, 1)
    };
    vec![
        (
            "missing host",
            "phe_chimat.yml",
            with("host: www.chimat.org.uk\n", ""),
            2,
            "phe_chimat.yml:1:1: error: missing required key `host`",
        ),
        (
            "site differs from file name",
            "phe_chimat.yml",
            with("site: phe_chimat", "site: phe_chimatt"),
            2,
            "phe_chimat.yml:2:7: error: site `phe_chimatt` does not match the file name `phe_chimat`",
        ),
        (
            "homepage without scheme",
            "phe_chimat.yml",
            with("homepage: https://", "homepage: "),
            2,
            "phe_chimat.yml:4:11: error: homepage \"www.gov.uk/guidance/phe-data-and-analysis-tools#child-and-maternal-health\" must be a full URL",
        ),
        (
            "upper-case host",
            "phe_chimat.yml",
            with("host: www.chimat.org.uk", "host: www.ChiMat.org.uk"),
            2,
            "phe_chimat.yml:6:7: error: hostname www.ChiMat.org.uk must be lowercase",
        ),
        (
            "host with a path",
            "phe_chimat.yml",
            with("- chimat.org.uk", "- chimat.org.uk/foo/"),
            2,
            "phe_chimat.yml:8:3: error: \"chimat.org.uk/foo/\" is an invalid hostname",
        ),
        (
            "host of another site",
            "phe_chimat.yml",
            with("- chimat.org.uk", "- hpa.org.uk"),
            2,
            "phe_chimat.yml:8:3: error: the hostname hpa.org.uk already exists in site phe_hpa (crawl-configs/phe_hpa.yml:9)",
        ),
        (
            "alias repeats the host",
            "phe_chimat.yml",
            with("- chimat.org.uk", "- www.chimat.org.uk"),
            2,
            "phe_chimat.yml:8:3: error: host name www.chimat.org.uk is listed twice in this site (first at line 6)",
        ),
        (
            "upper-case query parameter",
            "phe_chimat.yml",
            with("rid:qn", "RID:qn"),
            2,
            "phe_chimat.yml:9:10: error: query parameter `RID` must be lowercase",
        ),
        (
            "unknown option",
            "phe_chimat.yml",
            with(
                "options: --query-string rid:qn",
                "options: --querystring rid:qn",
            ),
            2,
            "phe_chimat.yml:9:10: error: options \"--querystring rid:qn\" is not understood",
        ),
        (
            "global with another status",
            "phe_chimat.yml",
            format!("{CHIMAT}global: =302 https://www.gov.uk/phe\n"),
            2,
            "phe_chimat.yml:10:9: error: global must be `=301 URL` or `=410`",
        ),
        (
            "global redirect without URL",
            "phe_chimat.yml",
            format!("{CHIMAT}global: =301\n"),
            2,
            "phe_chimat.yml:10:9: error: a global redirect (=301) needs a URL",
        ),
        (
            "global archive with URL",
            "phe_chimat.yml",
            format!("{CHIMAT}global: =410 https://www.gov.uk/phe\n"),
            2,
            "phe_chimat.yml:10:9: error: a global archive (=410) takes no URL",
        ),
        (
            "global redirect URL without scheme",
            "phe_chimat.yml",
            format!("{CHIMAT}global: =301 www.gov.uk/phe\n"),
            2,
            "phe_chimat.yml:10:9: error: global redirect \"www.gov.uk/phe\" must be a full URL",
        ),
        (
            "append path without a global redirect",
            "phe_chimat.yml",
            format!("{CHIMAT}global_redirect_append_path: true\n"),
            2,
            "phe_chimat.yml:10:30: error: global_redirect_append_path is set but there is no `global: =301 URL`",
        ),
        (
            "append path with a query in the URL",
            "phe_chimat.yml",
            format!(
                "{CHIMAT}global: =301 https://www.gov.uk/phe?x=1\nglobal_redirect_append_path: true\n"
            ),
            2,
            "phe_chimat.yml:10:9: error: a global redirect URL may not contain `?` when global_redirect_append_path is set",
        ),
        (
            "malformed timestamp",
            "phe_chimat.yml",
            with("20170302101115", "2017030210111"),
            2,
            "phe_chimat.yml:5:16: error: tna_timestamp \"2017030210111\" is not a YYYYMMDDhhmmss date and time",
        ),
        (
            "impossible date",
            "phe_chimat.yml",
            with("20170302101115", "20170230101115"),
            2,
            "phe_chimat.yml:5:16: error: tna_timestamp \"20170230101115\" is not a YYYYMMDDhhmmss date and time",
        ),
        (
            "stub timestamp",
            "phe_chimat.yml",
            with("20170302101115", "20201010101010"),
            0,
            "phe_chimat.yml:5:16: warning: tna_timestamp 20201010101010 is a stub",
        ),
        (
            "stub timestamp named in a comment",
            "phe_chimat.yml",
            with(
                "20170302101115",
                "20170605150000 # Stub timestamp - site not in TNA",
            ),
            0,
            "phe_chimat.yml:5:16: warning: tna_timestamp 20170605150000 is a stub",
        ),
        (
            "duplicate key",
            "phe_chimat.yml",
            format!("{CHIMAT}tna_timestamp: 20170302101116\n"),
            2,
            "phe_chimat.yml:10:1: error: duplicate key `tna_timestamp` (first at line 5); YAML keeps only the last value",
        ),
        (
            "misspelt key",
            "phe_chimat.yml",
            with("aliases:", "alias:"),
            2,
            "phe_chimat.yml:7:1: error: unknown key `alias`",
        ),
        (
            "legacy key",
            "phe_chimat.yml",
            format!("{CHIMAT}furl: www.gov.uk/phe\n"),
            0,
            "phe_chimat.yml:10:1: warning: `furl` is an old key that GOV.UK Transition ignores",
        ),
        (
            "YAML syntax error",
            "phe_chimat.yml",
            with("- chimat.org.uk", "- [chimat.org.uk"),
            2,
            "phe_chimat.yml:9:8: error: YAML syntax error",
        ),
        (
            "wrong type",
            "phe_chimat.yml",
            with("aliases:\n- chimat.org.uk", "aliases: chimat.org.uk"),
            2,
            "phe_chimat.yml:7:10: error: aliases: invalid type: string \"chimat.org.uk\", expected a list (`- item` lines or `[a, b]`)",
        ),
        (
            "special redirect strategy",
            "phe_chimat.yml",
            format!("{CHIMAT}special_redirect_strategy: via-aka\n"),
            2,
            "phe_chimat.yml:10:28: error: special_redirect_strategy \"via-aka\" is not one of via_aka, supplier",
        ),
        (
            "organisation slug",
            "phe_chimat.yml",
            with("public-health-england", "Public Health England"),
            2,
            "phe_chimat.yml:3:17: error: \"Public Health England\" is not a GOV.UK organisation slug",
        ),
        (
            "empty file",
            "phe_chimat.yml",
            String::new(),
            2,
            "phe_chimat.yml:1:1: error: file is empty",
        ),
        (
            "crawl: unknown key",
            "phe_chimat.yml",
            format!("{CHIMAT}crawl:\n  max_page: 10\n"),
            2,
            "phe_chimat.yml:11:3: error: unknown key `crawl.max_page`",
        ),
        (
            "crawl: seed on another host",
            "phe_chimat.yml",
            format!("{CHIMAT}crawl:\n  seeds:\n  - /topics/\n  - http://www.hpa.org.uk/x\n"),
            2,
            "phe_chimat.yml:13:5: error: crawl.seeds entry \"http://www.hpa.org.uk/x\" is on www.hpa.org.uk, which is not one of this site's hosts",
        ),
        (
            "crawl: bad glob",
            "phe_chimat.yml",
            format!("{CHIMAT}crawl:\n  exclude: ['/admin/[a-']\n"),
            2,
            "phe_chimat.yml:11:13: error: crawl.exclude pattern \"/admin/[a-\" is not a valid glob",
        ),
        (
            "crawl: zero concurrency",
            "phe_chimat.yml",
            format!("{CHIMAT}crawl:\n  concurrency: 0\n"),
            2,
            "phe_chimat.yml:11:16: error: crawl.concurrency must be at least 1",
        ),
        (
            "crawl: endless retries",
            "phe_chimat.yml",
            format!("{CHIMAT}crawl:\n  retries: 1000\n"),
            2,
            "phe_chimat.yml:11:12: error: crawl.retries 1000 would hold a failing URL for hours",
        ),
        (
            "crawl: wrong type",
            "phe_chimat.yml",
            format!("{CHIMAT}crawl:\n  max_pages: lots\n"),
            2,
            "phe_chimat.yml:11:14: error: crawl.max_pages: invalid type: string \"lots\", expected a whole number, 0 or more",
        ),
        (
            "content: bad selector",
            "phe_chimat.yml",
            format!("{CHIMAT}content:\n  main: ['#content', 'div[']\n"),
            2,
            "phe_chimat.yml:11:22: error: content.main selector \"div[\" is not valid CSS",
        ),
        (
            "content: bad date pattern",
            "phe_chimat.yml",
            format!("{CHIMAT}content:\n  date_patterns: ['Updated %Q']\n"),
            2,
            "phe_chimat.yml:11:19: error: content.date_patterns entry \"Updated %Q\": unknown date field %Q",
        ),
    ]
}

#[test]
fn each_kind_of_mistake_is_caught_where_it_is() {
    let mut failures = Vec::new();
    for (what, name, text, code, expected) in cases() {
        let (got_code, stdout) = validate(name, text.as_bytes());
        if got_code != code || !stdout.lines().any(|l| l.starts_with(expected)) {
            failures.push(format!("{what}: exit {got_code} (want {code}), want a line starting\n  {expected}\ngot:\n{stdout}"));
        }
        // Every problem comes with what to do about it.
        let problems = stdout
            .lines()
            .filter(|l| l.contains(": error: ") || l.contains(": warning: "))
            .count();
        let helps = stdout
            .lines()
            .filter(|l| l.trim_start().starts_with("help: "))
            .count();
        if problems != helps {
            failures.push(format!(
                "{what}: {problems} problems but {helps} help lines:\n{stdout}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_duplicate_key_is_reported_once_at_its_second_place() {
    let text = format!("{CHIMAT}tna_timestamp: 20170302101116\n");
    let (code, stdout) = validate("phe_chimat.yml", text.as_bytes());
    assert_eq!(code, 2);
    let errors: Vec<&str> = stdout.lines().filter(|l| l.contains(": error: ")).collect();
    assert_eq!(errors.len(), 1, "{stdout}");
    assert!(
        errors[0].contains(":10:1: error: duplicate key"),
        "{stdout}"
    );
}

/// Notepad saves UTF-8 with a byte order mark: the file is read as it shows on screen, and
/// positions count from the first visible character.
#[test]
fn a_byte_order_mark_is_not_part_of_the_first_key() {
    let body = CHIMAT.trim_start_matches("---\n");
    let (code, stdout) = validate("phe_chimat.yml", format!("\u{feff}{body}").as_bytes());
    assert_eq!(code, 0, "{stdout}");
    let broken = body.replace("site: phe_chimat", "site: phe_chimat\nsitee: x");
    let (code, stdout) = validate("phe_chimat.yml", format!("\u{feff}{broken}").as_bytes());
    assert_eq!(code, 2, "{stdout}");
    assert!(
        stdout.contains("phe_chimat.yml:2:1: error: unknown key `sitee`"),
        "{stdout}"
    );
}

#[test]
fn an_empty_file_is_named_with_what_to_write() {
    let (code, stdout) = validate("phe_chimat.yml", b"\n");
    assert_eq!(code, 2, "{stdout}");
    assert!(
        stdout.contains(
            "phe_chimat.yml:1:1: error: file is empty\n    help: write its settings as a YAML \
             mapping (`key: value` lines)"
        ),
        "{stdout}"
    );
}

#[test]
fn non_utf8_file_is_reported_not_panicked_on() {
    let mut bytes = CHIMAT.as_bytes().to_vec();
    bytes.extend_from_slice(b"homepage_title: Caf\xe9\n");
    let (code, stdout) = validate("phe_chimat.yml", &bytes);
    assert_eq!(code, 2);
    assert!(
        stdout.contains("phe_chimat.yml:10:20: error: file is not valid UTF-8"),
        "{stdout}"
    );
}

#[test]
fn a_folder_of_configs_is_checked_as_one_estate() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("demo_one.yml"),
        CHIMAT
            .replace("phe_chimat", "demo_one")
            .replace("chimat.org.uk", "one.org.uk"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("demo_two.yml"),
        CHIMAT
            .replace("phe_chimat", "demo_two")
            .replace("www.chimat.org.uk", "two.org.uk")
            .replace("- chimat.org.uk", "- www.one.org.uk"),
    )
    .unwrap();
    let output = phe_migrate()
        .current_dir(repo_root())
        .args(["sites", "validate"])
        .arg(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains(
            "demo_two.yml:8:3: error: the hostname www.one.org.uk already exists in site demo_one"
        ),
        "{stdout}"
    );
}

#[test]
fn a_site_is_named_by_its_abbreviation_as_in_every_other_command() {
    let validate = |arg: &str| {
        let output = phe_migrate()
            .current_dir(repo_root())
            .args(["sites", "validate", arg])
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (code, stdout, stderr) = validate("phe_ndawg");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains(
            "crawl-configs/phe_ndawg.yml:6:16: warning: tna_timestamp 20170605150000 is a stub"
        ) && stdout.contains("checked 1 site config: 0 errors, 1 warning"),
        "{stdout}"
    );
    let (code, _, stderr) = validate("phe_ndawf");
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("unknown site \"phe_ndawf\": there is no crawl-configs/phe_ndawf.yml; did you mean phe_ndawg?"),
        "{stderr}"
    );
    let (code, _, stderr) = validate("crawl-configs/missing.yml");
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("crawl-configs/missing.yml: no such file or folder, nor such a file in"),
        "{stderr}"
    );
    // A config's bare file name, as `ls crawl-configs` shows it, is looked for there.
    let (code, stdout, stderr) = validate("phe_ndawg.yml");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stdout.contains("crawl-configs/phe_ndawg.yml:6:16: warning"),
        "{stdout}"
    );
}

/// A workspace holding only `site`'s config, with an empty mappings folder.
fn workspace_with(site: &str) -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    for folder in ["crawl-configs", "mappings"] {
        std::fs::create_dir_all(ws.path().join(folder)).unwrap();
    }
    let config = format!("crawl-configs/{site}.yml");
    std::fs::copy(repo_root().join(&config), ws.path().join(&config)).unwrap();
    ws
}

#[test]
fn a_sites_mappings_file_is_checked_with_its_config() {
    let ws = workspace_with("demo_comare");
    let mappings = std::fs::read_to_string(repo_root().join("mappings/demo_comare.yml")).unwrap();
    let validate = || {
        let output = phe_migrate()
            .args(["sites", "validate", "demo_comare", "--workspace"])
            .arg(ws.path())
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    // The demo's own file: its needs' warnings, as the audit would give them.
    std::fs::write(ws.path().join("mappings/demo_comare.yml"), &mappings).unwrap();
    let (code, stdout) = validate();
    assert_eq!(code, Some(0), "{stdout}");
    assert!(
        stdout.contains(
            "mappings/demo_comare.yml:6:7: warning: need \"comare-advice\" has no evidence"
        ) && stdout.ends_with("checked 1 site config and 1 mappings file: 0 errors, 1 warning\n"),
        "{stdout}"
    );
    // A misspelt `pages:` would drop every page decision: an error before any stage runs.
    let line = mappings.lines().position(|l| l == "pages:").unwrap() + 1;
    std::fs::write(
        ws.path().join("mappings/demo_comare.yml"),
        mappings.replace("\npages:\n", "\npage:\n"),
    )
    .unwrap();
    let (code, stdout) = validate();
    assert_eq!(code, Some(2), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "mappings/demo_comare.yml:{line}:1: error: unknown key `page`\n    help: did you mean `pages`?"
        )) && stdout.ends_with("checked 1 site config and 1 mappings file: 1 error, 0 warnings\n"),
        "{stdout}"
    );
}

#[test]
fn decisions_in_mappings_and_spreadsheets_are_checked_as_the_report_would() {
    let ws = workspace_with("demo_hpa");
    let validate = || {
        let output = phe_migrate()
            .args(["sites", "validate", "demo_hpa", "--workspace"])
            .arg(ws.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout)
            .replace(&format!("{}/", ws.path().display()), "");
        (output.status.code(), stdout)
    };
    let mappings = std::fs::read_to_string(repo_root().join("mappings/demo_hpa.yml")).unwrap();
    std::fs::write(ws.path().join("mappings/demo_hpa.yml"), &mappings).unwrap();
    let (code, stdout) = validate();
    assert_eq!(code, Some(0), "the demo's decisions are clean:\n{stdout}");
    assert!(stdout.contains(": 0 errors"), "{stdout}");

    // A misspelt type, and a redirect off the allow-list, in the YAML.
    let misspelt = "  - path: /topics/infectiousdiseases/infectionsaz/swineflu\n    type: archive";
    assert!(mappings.contains(misspelt));
    let broken = mappings
        .replace(
            misspelt,
            "  - path: /topics/infectiousdiseases/infectionsaz/swineflu\n    type: redirct\n    new_url: https://www.gov.uk/swine-flu",
        )
        .replace(
            "https://www.gov.uk/government/publications/measles-confirmed-cases",
            "https://www.example.com/measles",
        );
    let line_of = |needle: &str| {
        broken
            .lines()
            .position(|l| l.contains(needle))
            .map(|i| i + 1)
            .unwrap()
    };
    // A rule's findings stand at the line of its first key.
    let measles = line_of("path: /topics/infectiousdiseases/infectionsaz/measles/");
    let swineflu = line_of("path: /topics/infectiousdiseases/infectionsaz/swineflu");
    std::fs::write(ws.path().join("mappings/demo_hpa.yml"), &broken).unwrap();
    // A spreadsheet beside it: one good row, one target off the allow-list, one non-data row.
    std::fs::write(
        ws.path().join("mappings/demo_hpa.csv"),
        "old url,new url\n\
         http://www.hpa-demo.org.uk/a,https://www.gov.uk/a\n\
         http://www.hpa-demo.org.uk/b,https://evil.example.com/b\n\
         not a url,https://www.gov.uk/c\n",
    )
    .unwrap();
    let (code, stdout) = validate();
    assert_eq!(code, Some(2), "{stdout}");
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.starts_with(' ')).collect();
    let expected_prefixes = [
        "mappings/demo_hpa.csv:3:1: error: https://evil.example.com/b: the URL to redirect to must be on a whitelisted domain".to_string(),
        "mappings/demo_hpa.csv:4:1: warning: ignored: \"not a url\"".to_string(),
        format!("mappings/demo_hpa.yml:{measles}:1: error: https://www.example.com/measles: the URL to redirect to must be on a whitelisted domain"),
        format!("mappings/demo_hpa.yml:{swineflu}:1: error: type \"redirct\": did you mean `redirect`? the types are redirect, archive, unresolved"),
    ];
    let found: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("mappings/") && !l.contains("need \""))
        .collect();
    assert_eq!(found.len(), expected_prefixes.len(), "{stdout}");
    for (line, prefix) in found.iter().zip(&expected_prefixes) {
        assert!(
            line.starts_with(prefix.as_str()),
            "{line}\nis not\n{prefix}"
        );
    }
    assert!(
        stdout.ends_with(
            "checked 1 site config, 1 mappings file and 1 spreadsheet: 3 errors, 3 warnings\n"
        ),
        "{stdout}"
    );
}
