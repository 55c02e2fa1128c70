//! Traffic import: every layout teams hold (Transition's hits CSV and TSV, access logs
//! plain and gzipped, pageview exports), Transition's ignore list, folding by canonical key,
//! a file counted once however often it is imported, and coverage by traffic.

mod common;

use std::path::Path;

use common::{phe_migrate, repo_root};
use phe_migrate::hits::{self, Format};

fn traffic(name: &str) -> std::path::PathBuf {
    repo_root().join("fixtures/traffic").join(name)
}

#[test]
fn every_layout_is_read_with_its_problems_named_by_line() {
    let log = hits::parse_file(&traffic("demo_hpa-access.log")).unwrap();
    assert_eq!(log.format, Format::AccessLog);
    assert_eq!(log.problems.len(), 1);
    assert_eq!(log.problems[0].line, 16);
    // POST is not a page view; everything else is, ignored or not.
    assert_eq!(log.hits.len(), 15);
    let first = &log.hits[0];
    assert_eq!(first.host.as_deref(), Some("www.hpa-demo.org.uk"));
    assert_eq!(
        first.target,
        "/Topics/InfectiousDiseases/InfectionsAZ/Measles/"
    );
    assert_eq!((first.status, first.day.as_str()), (200, "2014-03-03"));
    let gz = hits::parse_file(&traffic("demo_hpa-access.log.gz")).unwrap();
    assert_eq!(gz.hits, log.hits);

    let csv = hits::parse_file(&traffic("demo_hpa-hits.csv")).unwrap();
    assert_eq!(csv.format, Format::TransitionCsv);
    assert_eq!(csv.hits.iter().map(|h| h.count).sum::<u64>(), 215);
    assert_eq!(csv.problems[0].line, 7);
    assert!(csv.problems[0].message.contains("\"x\""));

    // The same export saved by a spreadsheet as "Unicode Text" (UTF-16 with its byte order
    // mark) reads the same.
    let text = std::fs::read_to_string(traffic("demo_hpa-hits.csv")).unwrap();
    let utf16 = tempfile::NamedTempFile::new().unwrap();
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(utf16.path(), bytes).unwrap();
    let wide = hits::parse_file(utf16.path()).unwrap();
    assert_eq!(
        (wide.format, &wide.hits),
        (Format::TransitionCsv, &csv.hits)
    );
    assert_eq!(wide.problems.len(), csv.problems.len());

    // A line with a byte that is not UTF-8 costs that line only, named with its column;
    // the lines after it are read (the file used to end there).
    let mut bytes = std::fs::read(traffic("demo_hpa-access.log")).unwrap();
    let at = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    bytes.splice(
        at..at,
        b"10.0.0.9 - - [03/Mar/2014:10:00:00 +0000] \"GET /caf\xe9 HTTP/1.1\" 200 5 \"-\" \"-\"\n"
            .iter()
            .copied(),
    );
    let stray = hits::parse_reader(Path::new("access.log"), bytes.as_slice()).unwrap();
    assert_eq!(stray.hits, log.hits);
    let lines: Vec<usize> = stray.problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [2, 17]);
    assert!(
        stray.problems[0]
            .message
            .starts_with("column 52: not UTF-8 (byte 0xE9): line skipped"),
        "{}",
        stray.problems[0].message
    );

    // The same as the first line: it still tells the layout, and is skipped as data.
    let first = hits::parse_reader(Path::new("access.log"), &bytes[at..]).unwrap();
    assert_eq!(first.format, Format::AccessLog);
    assert_eq!(first.hits.len(), log.hits.len() - 1);
    assert_eq!(first.problems[0].line, 1);
    assert!(first.problems[0].message.contains("not UTF-8"));

    // A log cut mid-line (by `tail`, `split` or a rotation): the partial first line is
    // reported, and the lines after it tell the layout.
    let whole = std::fs::read(traffic("demo_hpa-access.log")).unwrap();
    let mid_date = whole.iter().position(|&b| b == b'[').unwrap() + 3;
    let partial = hits::parse_reader(Path::new("access.log"), &whole[mid_date..]).unwrap();
    assert_eq!(partial.format, Format::AccessLog);
    assert_eq!(partial.hits, log.hits[1..]);
    assert_eq!(
        (
            partial.problems[0].line,
            partial.problems[0].message.as_str()
        ),
        (1, "not an access-log line: no [date]")
    );

    // The same for a vhost_combined log cut just after its first host's colon: what is left
    // of that line starts with the port, which is no host.
    let vhost = "www.hpa-demo.org.uk:80 10.0.0.1 - - [03/Mar/2014:10:00:00 +0000] \"GET /a HTTP/1.1\" 200 5 \"-\" \"-\"\n\
                 www.hpa-demo.org.uk:80 10.0.0.2 - - [03/Mar/2014:10:00:01 +0000] \"GET /b HTTP/1.1\" 200 5 \"-\" \"-\"\n";
    let cut = &vhost[vhost.find(':').unwrap() + 1..];
    let partial = hits::parse_reader(Path::new("access.log"), cut.as_bytes()).unwrap();
    let targets: Vec<&str> = partial.hits.iter().map(|h| h.target.as_str()).collect();
    assert_eq!(targets, ["/b"]);
    assert_eq!(partial.hits[0].host.as_deref(), Some("www.hpa-demo.org.uk"));
    assert_eq!(
        (
            partial.problems[0].line,
            partial.problems[0].message.as_str()
        ),
        (
            1,
            "`80` where the virtual host should be: the line is cut short"
        )
    );

    let views = hits::parse_file(&traffic("demo_hpa-pageviews.csv")).unwrap();
    assert_eq!(views.format, Format::Pageviews);
    assert_eq!(views.hits[0].count, 1_204);

    let dir = tempfile::tempdir().unwrap();
    let tsv = dir.path().join("hits.tsv");
    std::fs::write(&tsv, "2012-10-14\t12\t301\twww.hpa-demo.org.uk\t/Topics/\n2012-10-14\t3\t404\twww.hpa-demo.org.uk\t/nope\n").unwrap();
    let parsed = hits::parse_file(&tsv).unwrap();
    assert_eq!(parsed.format, Format::TransitionTsv);
    assert_eq!(parsed.hits.len(), 2);

    // A day the calendar lacks is named, not stored as 2013-10-32; an analytics export's
    // YYYYMMDD is read as the day it is.
    let log = "10.0.0.1 - - [10/Oct/2013:13:55:36 +0100] \"GET /a HTTP/1.1\" 200 5\n\
               10.0.0.1 - - [32/Oct/2013:13:55:36 +0100] \"GET /b HTTP/1.1\" 200 5\n";
    let parsed = hits::parse_reader(Path::new("access.log"), log.as_bytes()).unwrap();
    assert_eq!(parsed.hits.len(), 1);
    assert_eq!(
        (parsed.problems[0].line, parsed.problems[0].message.as_str()),
        (2, "a date that is no day in the log's dd/Mon/yyyy form")
    );
    let csv = "hit_on,count,http_status,hostname,path\n\
               2013-02-29,4,200,www.hpa-demo.org.uk,/a\n\
               20131010,5,200,www.hpa-demo.org.uk,/b\n\
               2013-10-10T09:00:00Z,6,200,www.hpa-demo.org.uk,/c\n\
               10/10/2013,7,200,www.hpa-demo.org.uk,/d\n\
               2013-10-1é,8,200,www.hpa-demo.org.uk,/e\n\
               20131é0,9,200,www.hpa-demo.org.uk,/f\n";
    let parsed = hits::parse_reader(Path::new("hits.csv"), csv.as_bytes()).unwrap();
    let days: Vec<(&str, &str)> = parsed
        .hits
        .iter()
        .map(|h| (h.target.as_str(), h.day.as_str()))
        .collect();
    assert_eq!(days, [("/b", "2013-10-10"), ("/c", "2013-10-10")]);
    let problems: Vec<(usize, &str)> = parsed
        .problems
        .iter()
        .map(|p| (p.line, p.message.as_str()))
        .collect();
    assert_eq!(
        problems,
        [
            (
                2,
                "date \"2013-02-29\" is not a day in the form YYYY-MM-DD (or YYYYMMDD)"
            ),
            (
                5,
                "date \"10/10/2013\" is not a day in the form YYYY-MM-DD (or YYYYMMDD)"
            ),
            // Letters where digits should be, even one of two bytes, are named, not a panic.
            (
                6,
                "date \"2013-10-1é\" is not a day in the form YYYY-MM-DD (or YYYYMMDD)"
            ),
            (
                7,
                "date \"20131é0\" is not a day in the form YYYY-MM-DD (or YYYYMMDD)"
            )
        ]
    );

    let junk = dir.path().join("junk.txt");
    std::fs::write(&junk, "\nhello world\n").unwrap();
    let error = hits::parse_file(&junk).unwrap_err().to_string();
    assert!(error.contains("junk.txt:2: not a traffic file"), "{error}");
}

#[test]
fn transitions_ignore_list_applies() {
    for ignored in [
        "/favicon.ico",
        "/robots.txt",
        "/css/site.css",
        "/img/logo.PNG",
        "/browse/health",
        "/government/publications/x",
        "/ukgwacnf.html?url=x",
        "/wp-login.php",
        "/cgi-bin/x.bat",
        "/etc/passwd",
        "/phpMyAdmin/index.php",
        "/_vti_bin/x",
    ] {
        assert!(hits::is_ignored(ignored), "{ignored}");
    }
    for page in [
        "/",
        "/Topics/",
        "/report.pdf",
        "/data.xls",
        "/page.aspx?id=1",
    ] {
        assert!(!hits::is_ignored(page), "{page}");
    }
}

fn import(out: &Path, files: &[&str]) -> String {
    let output = phe_migrate()
        .current_dir(repo_root())
        .args(["import", "hits", "demo_hpa", "--out"])
        .arg(out)
        .args(files.iter().map(|f| traffic(f)))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn traffic_folds_by_page_counts_once_and_measures_coverage() {
    let out = tempfile::tempdir().unwrap();
    let printed = import(
        out.path(),
        &[
            "demo_hpa-access.log",
            "demo_hpa-hits.csv",
            "demo_hpa-pageviews.csv",
        ],
    );
    assert!(
        printed.contains("10 hits kept, 4 ignored (Transition's ignore list), 1 for other hosts"),
        "{printed}"
    );
    assert!(
        printed.contains("demo_hpa-access.log:16: not an access-log line"),
        "{printed}"
    );
    // The same log again, plain or gzipped: nothing is counted twice.
    let again = import(out.path(), &["demo_hpa-access.log.gz", "demo_hpa-hits.csv"]);
    assert_eq!(
        again
            .matches("imported before (same content): skipped")
            .count(),
        2,
        "{again}"
    );

    // No crawl at all: the traffic and the mappings alone give a table with coverage.
    let report = phe_migrate()
        .current_dir(repo_root())
        .args([
            "report",
            "redirects",
            "demo_hpa",
            "--format",
            "json",
            "--out",
        ])
        .arg(out.path())
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&report.stdout);
    let table: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.path().join("demo_hpa/redirects.json")).unwrap())
            .unwrap();
    let entry = |key: &str| {
        table["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["key"] == key)
            .unwrap_or_else(|| panic!("{key} not in the table"))
            .clone()
    };
    // Measles: 3 log lines in three spellings, 120 from Transition, 1,204 pageviews.
    let measles = entry("/topics/infectiousdiseases/infectionsaz/measles");
    assert_eq!(measles["hits"], 3 + 120 + 1_204);
    assert_eq!(measles["urls"].as_array().unwrap().len(), 3);
    // Seen only in traffic, never decided: unresolved, and counted against coverage.
    let never = entry("/topics/infectiousdiseases/infectionsaz/notapagethateverexisted");
    assert_eq!(never["outcome"]["type"], "unresolved");
    let coverage = &table["coverage"];
    let (decided, hits) = (
        coverage["hits_decided"].as_u64().unwrap(),
        coverage["hits"].as_u64().unwrap(),
    );
    assert_eq!(hits, 10 + 203 + 1_514);
    assert!(decided < hits);
    assert!(
        printed.contains(&format!(
            "coverage by traffic {decided} of {hits} requests decided"
        )),
        "{printed}"
    );
}

#[test]
fn a_gzip_log_cut_short_is_refused_whole_so_that_the_full_file_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(traffic("demo_hpa-access.log.gz")).unwrap();
    let cut = dir.path().join("access.log.gz");
    std::fs::write(&cut, &whole[..whole.len() - 20]).unwrap();
    let out = dir.path().join("out");
    let run = phe_migrate()
        .current_dir(repo_root())
        .args(["import", "hits", "demo_hpa", "--out"])
        .arg(&out)
        .arg(traffic("demo_hpa-hits.csv"))
        .arg(&cut)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{run:?}");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("access.log.gz: the gzip file ends early, cut short (a copy or download interrupted?): none of it was imported"),
        "{stderr}"
    );
    // The whole file later counts in full, and the file named before the cut one, once.
    let printed = import(&out, &["demo_hpa-hits.csv", "demo_hpa-access.log.gz"]);
    assert!(
        printed.contains("imported before (same content): skipped"),
        "{printed}"
    );
    assert!(
        printed.contains("10 hits kept, 4 ignored (Transition's ignore list), 1 for other hosts"),
        "{printed}"
    );
}
