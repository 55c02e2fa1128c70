//! WARC out (read back by Python's warcio, an independent reader), WARC in (from wget and
//! from ourselves), and URL lists in (list mode).

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use common::{demo_server, phe_migrate, repo_root};
use phe_migrate::config::Workspace;
use phe_migrate::crawl::{self, CrawlOptions};
use phe_migrate::fixtures::FixtureServer;
use phe_migrate::store::Store;

/// `phe-migrate import KIND SITE FILE --out OUT`, run from the repository.
fn run_import(kind: &str, site: &str, file: &Path, out: &Path) -> std::process::Output {
    phe_migrate()
        .current_dir(repo_root())
        .args(["import", kind, site])
        .arg(file)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

fn crawl_site(abbr: &str, out: &Path, server: &FixtureServer) {
    let site = Workspace::new(repo_root()).resolve_site(abbr).unwrap();
    let resolve = server
        .estate()
        .hosts()
        .into_iter()
        .map(|(h, _)| (h.to_owned(), server.addr()))
        .collect();
    let options = CrawlOptions {
        out_dir: out.to_path_buf(),
        resolve,
        no_delay: true,
        retry_base: Some(Duration::from_millis(20)),
        ..CrawlOptions::default()
    };
    crawl::crawl(&site, &options).unwrap();
}

/// (URI, status, payload digest) of every response, as our store holds them.
fn store_responses(store: &Store) -> BTreeSet<(String, String, String)> {
    store
        .rows("SELECT url, status, digest FROM fetches WHERE status IS NOT NULL")
        .unwrap()
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect()
}

const WARCIO_READ: &str = r#"
import base64, hashlib, sys
from warcio.archiveiterator import ArchiveIterator
with open(sys.argv[1], 'rb') as f:
    for record in ArchiveIterator(f):
        if record.rec_type != 'response':
            print(record.rec_type)
            continue
        body = record.content_stream().read()
        digest = 'sha1:' + base64.b32encode(hashlib.sha1(body).digest()).decode()
        assert digest == record.rec_headers.get_header('WARC-Payload-Digest'), record.rec_headers
        print('response', record.rec_headers.get_header('WARC-Target-URI'), record.http_headers.get_statuscode(), digest, sep='\t')
"#;

#[test]
fn exported_warc_reads_back_record_for_record_in_warcio() {
    let server = demo_server();
    let out = tempfile::tempdir().unwrap();
    crawl_site("demo_hpa", out.path(), &server);
    let export = phe_migrate()
        .current_dir(repo_root())
        .args(["export", "warc", "demo_hpa", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(
        export.status.success(),
        "{}",
        String::from_utf8_lossy(&export.stderr)
    );
    let warc = out.path().join("demo_hpa/demo_hpa.warc.gz");

    let check = Command::new("warcio")
        .arg("check")
        .arg(&warc)
        .output()
        .expect("warcio is installed (pip install warcio)");
    assert!(
        check.status.success(),
        "warcio check: {}",
        String::from_utf8_lossy(&check.stdout)
    );
    let read = Command::new("python3")
        .args(["-c", WARCIO_READ])
        .arg(&warc)
        .output()
        .unwrap();
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let text = String::from_utf8(read.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "warcinfo");
    let from_warcio: BTreeSet<(String, String, String)> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("response\t"))
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].to_owned(), f[1].to_owned(), f[2].to_owned())
        })
        .collect();
    let store = Store::open(&crawl::store_path(out.path(), "demo_hpa")).unwrap();
    let ours = store_responses(&store);
    assert_eq!(from_warcio, ours);
    assert_eq!(
        lines.iter().filter(|l| **l == "request").count(),
        ours.len()
    );

    // Exporting again writes the same bytes: record IDs and order are deterministic.
    let first = std::fs::read(&warc).unwrap();
    let again = phe_migrate()
        .current_dir(repo_root())
        .args(["export", "warc", "demo_hpa", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(again.status.success());
    assert_eq!(std::fs::read(&warc).unwrap(), first);

    // And our WARC, imported into an empty store, gives back every response.
    let fresh = tempfile::tempdir().unwrap();
    let import = run_import("warc", "demo_hpa", &warc, fresh.path());
    assert!(
        import.status.success(),
        "{}",
        String::from_utf8_lossy(&import.stdout)
    );
    let imported = Store::open(&crawl::store_path(fresh.path(), "demo_hpa")).unwrap();
    assert_eq!(store_responses(&imported), ours);
    assert_eq!(
        imported
            .count("SELECT COUNT(*) FROM redirect_chains WHERE is_loop = 1")
            .unwrap(),
        2
    );
}

#[test]
fn a_wget_warc_imports_and_a_crawl_completes_it() {
    let server = demo_server();
    let work = tempfile::tempdir().unwrap();
    // wget has no --resolve; the fixture server serves it as an HTTP proxy instead.
    let status = Command::new("wget")
        .current_dir(work.path())
        .args([
            "-q",
            "-r",
            "-l",
            "inf",
            "--no-parent",
            "--delete-after",
            "--warc-file=comare",
            "-e",
            "use_proxy=yes",
        ])
        .args([
            "-e",
            &format!("http_proxy={}", server.addr()),
            "http://www.comare-demo.org.uk/",
        ])
        .status()
        .expect("wget is installed");
    assert!(
        status.code().is_some_and(|c| c == 0 || c == 8),
        "wget exited with {status}"
    );
    let out = work.path().join("out");
    let import = run_import(
        "warc",
        "demo_comare",
        &work.path().join("comare.warc.gz"),
        &out,
    );
    let text = String::from_utf8_lossy(&import.stdout);
    assert!(import.status.success(), "{text}");
    assert!(text.contains("46 responses imported"), "{text}");
    let store = Store::open(&crawl::store_path(&out, "demo_comare")).unwrap();
    assert_eq!(
        store
            .count(
                "SELECT COUNT(*) FROM urls WHERE state = 'done' AND status = 200 AND kind = 'page'"
            )
            .unwrap(),
        28
    );
    assert_eq!(
        store
            .rows("SELECT status FROM urls WHERE key = '/minutes/2008-11.pdf'")
            .unwrap(),
        vec![vec!["404".to_owned()]]
    );
    // Links in the imported pages are in the link graph.
    assert!(store.count("SELECT COUNT(*) FROM links").unwrap() > 200);

    // wget does not read sitemaps; a crawl afterwards fetches only what is missing.
    let before = server.requests().len();
    let site = Workspace::new(repo_root())
        .resolve_site("demo_comare")
        .unwrap();
    let options = CrawlOptions {
        out_dir: out.clone(),
        resolve: vec![("www.comare-demo.org.uk".into(), server.addr())],
        no_delay: true,
        ..CrawlOptions::default()
    };
    crawl::crawl(&site, &options).unwrap();
    let new_requests: Vec<String> = server.requests()[before..]
        .iter()
        .map(|r| r.target.clone())
        .collect();
    assert!(
        new_requests.contains(&"/reports/2005-annual-report.html".to_owned()),
        "{new_requests:?}"
    );
    assert!(new_requests.len() <= 3, "{new_requests:?}");
    assert_eq!(
        store
            .count("SELECT COUNT(*) FROM urls WHERE status = 200 AND kind = 'page'")
            .unwrap(),
        29
    );
}

#[test]
fn broken_warc_files_are_reported_with_their_position() {
    let work = tempfile::tempdir().unwrap();
    let bad = work.path().join("bad.warc");
    std::fs::write(&bad, b"WARC/1.1\r\nWARC-Type: response\r\nContent-Length: 500\r\n\r\nHTTP/1.1 200 OK\r\n\r\nshort").unwrap();
    let output = run_import("warc", "demo_comare", &bad, work.path());
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains(
            "bad.warc: record 1 (at byte 0 of the uncompressed stream): record block is cut short"
        ),
        "{text}"
    );
    // A file that is no WARC at all (an HTML page saved from a browser) says so.
    let page = work.path().join("page.warc");
    std::fs::write(
        &page,
        "<!DOCTYPE html>\n<html><body>Saved page</body></html>\n",
    )
    .unwrap();
    let output = run_import("warc", "demo_comare", &page, work.path());
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(
        text.contains(
            "page.warc: record 1 (at byte 0 of the uncompressed stream): not a WARC file: it starts with \"<!DOCTYPE html>\" where a WARC/1.x version line should be"
        ),
        "{text}"
    );
}

#[test]
fn list_mode_fetches_exactly_the_list() {
    let server = demo_server();
    let work = tempfile::tempdir().unwrap();
    let list = work.path().join("urls.txt");
    std::fs::write(
        &list,
        "# URLs from the site owner's analytics\n/topics/oral-health.aspx\nhttp://www.chobs-demo.org.uk/resource/view.aspx?RID=101710&ASPSESSIONID=XYZ\n\nhttp://www.example.org/elsewhere\nnot a url\n/data/indicator.aspx?QN=IND_03\n",
    )
    .unwrap();
    let out = work.path().join("out");
    let import = run_import("urls", "demo_chobs", &list, &out);
    let text =
        String::from_utf8_lossy(&import.stdout).replace(&list.display().to_string(), "urls.txt");
    assert_eq!(import.status.code(), Some(2), "{text}");
    assert!(
        text.contains("urls.txt:6:1: error: \"not a url\" is not an http(s) URL or a path"),
        "{text}"
    );
    assert!(
        text.contains(
            "urls.txt:5:1: warning: http://www.example.org/elsewhere is not on demo_chobs's hosts"
        ),
        "{text}"
    );
    assert!(
        text.contains("3 URLs added to the frontier, 0 already known, 1 on other hosts"),
        "{text}"
    );
    // A file that is no list (a spreadsheet given by mistake): the first problems, then
    // how many more, not a screen per line.
    let not_a_list = work.path().join("figures.csv");
    let rows: String = (0..500)
        .map(|n| format!("E0600{n:04},{n},{}\n", "x".repeat(300)))
        .collect();
    std::fs::write(&not_a_list, rows).unwrap();
    let import = run_import("urls", "demo_chobs", &not_a_list, &out);
    let text = String::from_utf8_lossy(&import.stdout);
    assert_eq!(import.status.code(), Some(2), "{text}");
    assert_eq!(
        text.matches("is not an http(s) URL or a path").count(),
        20,
        "{text}"
    );
    assert!(
        text.contains(
            "... and 480 more lines like these: is the file a list of URLs, one per line?"
        ),
        "{text}"
    );
    assert!(text.lines().all(|l| l.chars().count() < 250), "{text}");

    let mut cmd = phe_migrate();
    cmd.current_dir(repo_root())
        .args([
            "crawl",
            "demo_chobs",
            "--max-depth",
            "0",
            "--no-delay",
            "--quiet",
            "--out",
        ])
        .arg(&out);
    cmd.args([
        "--resolve",
        &format!("www.chobs-demo.org.uk={}", server.addr()),
    ]);
    assert!(cmd.output().unwrap().status.success());
    let pages: BTreeSet<String> = server
        .requests()
        .into_iter()
        .map(|r| r.target)
        .filter(|t| !t.ends_with(".xml") && t != "/robots.txt")
        .collect();
    let expected: BTreeSet<String> = [
        "/",
        "/topics/oral-health.aspx",
        "/resource/view.aspx?RID=101710&ASPSESSIONID=XYZ",
        "/data/indicator.aspx?QN=IND_03",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(pages, expected);
}
