//! kill -9 at random moments in each stage, 20 times a stage. After every kill, each output
//! file that is visible under its final name is whole (byte-identical to a clean run's) and
//! the crawl store passes SQLite's integrity check; after the same command runs again, every
//! output is identical to a clean run's.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{demo_server, phe_migrate, repo_root};
use phe_migrate::store::Store;

const SITE: &str = "demo_hpa";
const KILLS: usize = 20;

/// A small, seeded generator: the kill moments are random but the same on every run.
struct Moments(u64);

impl Moments {
    fn next(&mut self, up_to: Duration) -> Duration {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        up_to.mul_f64((self.0 % 10_000) as f64 / 10_000.0)
    }
}

/// Every file under `dir` (relative path -> bytes), leaving out what is not an output:
/// the store itself (compared by its rows) and the files a killed run builds under a
/// temporary name.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_temporary(&name) || name.starts_with("crawl.db") {
                continue;
            }
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                // Generated server configs name their map files by absolute path.
                let bytes = std::fs::read(&path).unwrap();
                let text = String::from_utf8_lossy(&bytes);
                let root_text = root.display().to_string();
                let bytes = if text.contains(&root_text) {
                    text.replace(&root_text, "OUT").into_bytes()
                } else {
                    bytes
                };
                out.insert(path.strip_prefix(root).unwrap().to_path_buf(), bytes);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn is_temporary(name: &str) -> bool {
    name.ends_with(".partial") || name.ends_with(".part") || name.ends_with(".old")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The crawl's rows: keys, states, statuses and body digests, and every raw URL under its
/// key. (Which raw URL of a key is fetched depends on which link arrives first, so it is
/// left out; every raw URL is in `variants`.)
fn crawl_rows(out: &Path) -> Vec<Vec<String>> {
    let store = Store::open(&phe_migrate::crawl::store_path(out, SITE)).unwrap();
    let mut rows = store
        .rows("SELECT u.key, u.state, COALESCE(u.status, ''), COALESCE((SELECT GROUP_CONCAT(f.hop || ':' || COALESCE(f.status, '') || ':' || COALESCE(f.digest, '-'), ' ') FROM fetches f WHERE f.url_id = u.id), '') FROM urls u")
        .unwrap();
    rows.extend(
        store
            .rows("SELECT raw, (SELECT key FROM urls WHERE id = url_id) FROM variants")
            .unwrap(),
    );
    rows.sort();
    rows
}

fn integrity(out: &Path) -> String {
    let store = Store::open(&phe_migrate::crawl::store_path(out, SITE)).unwrap();
    store.rows("PRAGMA integrity_check").unwrap()[0][0].clone()
}

fn run(mut command: Command) {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Starts `command`, kills it with SIGKILL after `after`; whether it had finished by then.
fn kill_after(mut command: Command, after: Duration) -> bool {
    let mut child = command
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + after;
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill();
    child.wait().unwrap();
    false
}

/// Kills a run of `command` at `at`; if that run finished first, runs it again and kills it
/// sooner (at a half, a quarter, an eighth), so that a run that happens to be quicker than
/// the clean one still gets interrupted. Whether a kill landed mid-run.
fn kill_within(command: impl Fn() -> Command, at: Duration) -> bool {
    (0..4).any(|halvings| !kill_after(command(), at / (1 << halvings)))
}

/// Every visible output is whole: absent, or as it is before the stage, or as a clean run
/// leaves it.
fn assert_whole(
    out: &Path,
    before: &BTreeMap<PathBuf, Vec<u8>>,
    clean: &BTreeMap<PathBuf, Vec<u8>>,
    what: &str,
) {
    for (path, bytes) in files(out) {
        let whole = clean.get(&path) == Some(&bytes) || before.get(&path) == Some(&bytes);
        assert!(
            whole,
            "{what}: {} is visible but not whole ({} bytes)",
            path.display(),
            bytes.len()
        );
    }
}

/// The same files with the same bytes; names the ones that differ.
fn assert_same(got: &BTreeMap<PathBuf, Vec<u8>>, want: &BTreeMap<PathBuf, Vec<u8>>, what: &str) {
    let differ: Vec<String> = got
        .keys()
        .chain(want.keys())
        .filter(|p| got.get(*p) != want.get(*p))
        .map(|p| p.display().to_string())
        .collect();
    assert!(
        differ.is_empty(),
        "{what}: the re-run's outputs differ from a clean run's: {differ:?}"
    );
}

struct Estate {
    _server: phe_migrate::fixtures::FixtureServer,
    resolve: Vec<String>,
}

fn estate() -> Estate {
    let server = demo_server();
    let resolve = server
        .estate()
        .hosts()
        .into_iter()
        .flat_map(|(h, _)| ["--resolve".to_owned(), format!("{h}={}", server.addr())])
        .collect();
    Estate {
        _server: server,
        resolve,
    }
}

fn command(out: &Path, args: &[&str]) -> Command {
    let mut cmd = phe_migrate();
    cmd.current_dir(repo_root())
        .args(args)
        .arg("--out")
        .arg(out);
    cmd
}

fn crawl_command(out: &Path, estate: &Estate) -> Command {
    let mut cmd = command(out, &["crawl", SITE, "--no-delay", "--quiet"]);
    cmd.args(&estate.resolve);
    cmd
}

#[test]
fn kill_dash_nine_during_the_crawl() {
    let estate = estate();
    let work = tempfile::tempdir().unwrap();
    let clean_out = work.path().join("clean");
    let started = Instant::now();
    run(crawl_command(&clean_out, &estate));
    let took = started.elapsed();
    let expected = crawl_rows(&clean_out);

    let mut moments = Moments(0x5eed_c4a1);
    let mut interrupted = 0;
    for round in 0..KILLS {
        let out = work.path().join(format!("killed-{round}"));
        // Up to three kills in a row before the crawl is allowed to finish.
        for _ in 0..=(round % 3) {
            if !kill_after(crawl_command(&out, &estate), moments.next(took)) {
                interrupted += 1;
            }
            if phe_migrate::crawl::store_path(&out, SITE).exists() {
                assert_eq!(integrity(&out), "ok", "round {round}: the store is damaged");
            }
        }
        run(crawl_command(&out, &estate));
        let got = crawl_rows(&out);
        let missing: Vec<_> = expected.iter().filter(|r| !got.contains(r)).collect();
        let extra: Vec<_> = got.iter().filter(|r| !expected.contains(r)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "round {round}: the resumed crawl differs from a clean one\nmissing: {missing:?}\nextra: {extra:?}"
        );
        std::fs::remove_dir_all(&out).unwrap();
    }
    assert!(
        interrupted >= KILLS,
        "only {interrupted} kills landed mid-crawl"
    );
}

#[test]
fn kill_dash_nine_during_the_transform() {
    let estate = estate();
    let work = tempfile::tempdir().unwrap();
    let crawled = work.path().join("crawled");
    run(crawl_command(&crawled, &estate));
    let before = files(&crawled);

    let clean_out = work.path().join("clean");
    copy_dir(&crawled, &clean_out);
    let transform = |out: &Path| command(out, &["transform", SITE, "--jobs", "2", "--quiet"]);
    let started = Instant::now();
    run(transform(&clean_out));
    let took = started.elapsed();
    let clean = files(&clean_out);
    assert!(clean.keys().any(|p| p.ends_with("transform.csv")));

    let mut moments = Moments(0x7a5f_0e11);
    let mut interrupted = 0;
    for round in 0..KILLS {
        let out = work.path().join(format!("killed-{round}"));
        copy_dir(&crawled, &out);
        if kill_within(|| transform(&out), moments.next(took)) {
            interrupted += 1;
        }
        assert_whole(&out, &before, &clean, &format!("round {round}"));
        run(transform(&out));
        assert_same(&files(&out), &clean, &format!("round {round}"));
        std::fs::remove_dir_all(&out).unwrap();
    }
    assert!(
        interrupted == KILLS,
        "only {interrupted} kills landed mid-transform"
    );
}

#[test]
fn kill_dash_nine_during_the_reports() {
    let estate = estate();
    let work = tempfile::tempdir().unwrap();
    let transformed = work.path().join("transformed");
    run(crawl_command(&transformed, &estate));
    run(command(&transformed, &["transform", SITE]));
    let before = files(&transformed);

    // The hand-over: redirect tables for nginx and Apache, then the audit.
    let reports: [&[&str]; 3] = [
        &["report", "redirects", SITE, "--format", "nginx"],
        &["report", "redirects", SITE, "--format", "apache"],
        &["report", "audit", SITE],
    ];
    let clean_out = work.path().join("clean");
    copy_dir(&transformed, &clean_out);
    let mut took = Vec::new();
    for args in reports {
        let started = Instant::now();
        run(command(&clean_out, args));
        took.push(started.elapsed());
    }
    let clean = files(&clean_out);
    assert!(clean.keys().any(|p| p.ends_with("report.html")));

    let mut moments = Moments(0x0badc0de);
    let mut interrupted = 0;
    for round in 0..KILLS {
        let out = work.path().join(format!("killed-{round}"));
        copy_dir(&transformed, &out);
        // Each report is killed in turn (the earlier ones having finished).
        let killed = round % reports.len();
        for args in &reports[..killed] {
            run(command(&out, args));
        }
        if kill_within(
            || command(&out, reports[killed]),
            moments.next(took[killed]),
        ) {
            interrupted += 1;
        }
        assert_whole(&out, &before, &clean, &format!("round {round}"));
        for args in reports {
            run(command(&out, args));
        }
        assert_same(&files(&out), &clean, &format!("round {round}"));
        std::fs::remove_dir_all(&out).unwrap();
    }
    assert!(
        interrupted == KILLS,
        "only {interrupted} kills landed mid-report"
    );
}
