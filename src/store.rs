//! The crawl store: one SQLite file (WAL) per site at `out/<abbr>/crawl.db`.
//!
//! It holds every URL known for the site under its canonical key (with every raw variant
//! seen), every HTTP exchange (each redirect hop is its own row), the link graph, skipped
//! URLs with the reason, failed attempts, and the frontier itself, so that a crawl killed at
//! any moment resumes where it stopped. Every fetch result is committed in one transaction
//! with the URLs it discovered: nothing is half-recorded.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};

use crate::error::{Error, Result};
use crate::warc::HttpHeader;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS urls (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,          -- canonical lookup key (GOV.UK rules, site's params)
    path_key TEXT NOT NULL,            -- the key without its query, for trap caps
    url TEXT NOT NULL,                 -- the raw URL fetched for this key (the first seen)
    depth INTEGER NOT NULL,
    source TEXT NOT NULL,              -- start | seed | link | sitemap | redirect | robots | list | warc
    kind TEXT NOT NULL,                -- page | attachment | robots | sitemap
    state TEXT NOT NULL,               -- queued | in_flight | done | failed | skipped
    skip_reason TEXT,
    status INTEGER,                    -- status of the last hop
    found_from INTEGER,
    in_sitemap INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS urls_queued ON urls (depth, id) WHERE state = 'queued';
CREATE TABLE IF NOT EXISTS variants (
    raw TEXT PRIMARY KEY,              -- every raw URL seen for a key
    url_id INTEGER NOT NULL REFERENCES urls (id),
    source TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fetches (
    id INTEGER PRIMARY KEY,
    url_id INTEGER NOT NULL REFERENCES urls (id),
    hop INTEGER NOT NULL,              -- 0, then 1.. for redirects followed within one key
    url TEXT NOT NULL,
    method TEXT NOT NULL,
    status INTEGER,                    -- NULL when no response arrived
    headers TEXT,                      -- JSON [[name, value(, 'iso-8859-1')], ...] as received
    content_type TEXT,
    location TEXT,                     -- absolute redirect target (HTTP or meta refresh)
    redirect_kind TEXT,                -- http | meta_refresh
    last_modified TEXT,
    size INTEGER,                      -- body bytes received (Content-Length when not fetched)
    body BLOB,                         -- raw body as received, LZ4 (older stores: zlib)
    body_truncated INTEGER NOT NULL DEFAULT 0,
    digest TEXT,                       -- sha1:BASE32 of the raw body, as WARC writes it
    charset TEXT,
    charset_source TEXT,
    title TEXT,
    canonical TEXT,
    attempts INTEGER NOT NULL,
    error TEXT,
    elapsed_ms INTEGER,
    fetched_at TEXT NOT NULL,
    UNIQUE (url_id, hop)
);
CREATE INDEX IF NOT EXISTS fetches_redirects ON fetches (url_id) WHERE location IS NOT NULL;
CREATE TABLE IF NOT EXISTS page_links (
    from_id INTEGER PRIMARY KEY REFERENCES urls (id),
    links TEXT NOT NULL                -- JSON [[to_id, to_url, anchor, rel, tag, internal], ...]
);
CREATE VIEW IF NOT EXISTS links AS     -- one row per link, in page then document order
    SELECT p.from_id AS from_id, j.value ->> 0 AS to_id, j.value ->> 1 AS to_url, j.value ->> 2 AS anchor,
           j.value ->> 3 AS rel, j.value ->> 4 AS tag, j.value ->> 5 AS internal
    FROM page_links p, json_each(p.links) j;
CREATE TABLE IF NOT EXISTS errors (
    url_id INTEGER NOT NULL REFERENCES urls (id),
    url TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    error TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS redirect_chains (
    url_id INTEGER PRIMARY KEY REFERENCES urls (id),
    final_url TEXT,                    -- where the chain ends (NULL for a loop)
    final_url_id INTEGER,
    hops INTEGER NOT NULL,
    is_loop INTEGER NOT NULL,
    final_status INTEGER
);
CREATE TABLE IF NOT EXISTS hits (
    raw TEXT NOT NULL,                 -- the URL as requested, on one of the site's hosts
    key TEXT NOT NULL,                 -- its canonical key
    status INTEGER NOT NULL,           -- what the server answered (0: not said)
    day TEXT NOT NULL,                 -- YYYY-MM-DD ('' : not said)
    count INTEGER NOT NULL,
    PRIMARY KEY (raw, status, day)
);
CREATE TABLE IF NOT EXISTS hit_files (
    digest TEXT PRIMARY KEY,           -- sha1 of the file as read: a file is imported once
    path TEXT NOT NULL,
    format TEXT NOT NULL,
    hits INTEGER NOT NULL,
    imported_at TEXT NOT NULL
);
";

/// Indexes built once a crawl finishes (cheaper than keeping them up to date per insert).
const QUERY_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS urls_state ON urls (state);
CREATE INDEX IF NOT EXISTS variants_url ON variants (url_id);
";

/// The schema version written to `meta`; a store from another version is refused.
pub const SCHEMA_VERSION: &str = "3";

/// A URL to add to the store.
#[derive(Clone, Debug)]
pub struct NewUrl<'a> {
    pub key: &'a str,
    pub path_key: &'a str,
    pub raw: &'a str,
    pub depth: u32,
    pub source: &'a str,
    pub kind: &'a str,
    /// `None` to queue it; `Some(reason)` to record it as skipped.
    pub skip_reason: Option<&'a str>,
    pub found_from: Option<i64>,
    pub in_sitemap: bool,
}

/// One link of a page: target id (when on the site), URL, anchor text, rel, tag, and
/// whether it is on the site.
pub type PageLink<'a> = (Option<i64>, &'a str, &'a str, &'a str, &'static str, bool);

/// A queued URL handed to a fetcher.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub key: String,
    pub url: String,
    pub depth: u32,
    pub kind: String,
}

/// One HTTP exchange to record.
#[derive(Clone, Debug, Default)]
pub struct FetchRecord {
    pub hop: u32,
    pub url: String,
    pub method: String,
    pub status: Option<u16>,
    /// The headers as received, as JSON (see [`headers_json`]).
    pub headers_json: String,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub redirect_kind: Option<&'static str>,
    pub last_modified: Option<String>,
    pub size: Option<u64>,
    /// The raw body, compressed, if it is to be kept.
    pub body: Option<StoredBody>,
    pub body_truncated: bool,
    pub charset: Option<String>,
    pub charset_source: Option<&'static str>,
    pub title: Option<String>,
    pub canonical: Option<String>,
    pub attempts: u32,
    pub error: Option<String>,
    pub elapsed_ms: u64,
    pub fetched_at: String,
}

/// A stored exchange read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredFetch {
    pub url_id: i64,
    pub hop: u32,
    pub url: String,
    pub method: String,
    pub status: Option<u16>,
    pub headers: Vec<HttpHeader>,
    pub content_type: Option<String>,
    pub location: Option<String>,
    pub digest: Option<String>,
    pub body: Option<Vec<u8>>,
    pub fetched_at: String,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// Runs WAL checkpoints on a background thread while it lives.
pub struct Checkpointer {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    /// Starts the last checkpoint without waiting for it (dropping the guard waits), so
    /// that it runs while the caller reads. Nothing may be written after this.
    pub fn start_final(&mut self) {
        drop(self.stop.take());
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn db_error(path: &Path, e: rusqlite::Error) -> Error {
    let site = path
        .parent()
        .and_then(Path::file_name)
        .map_or_else(|| "SITE".into(), |name| name.to_string_lossy());
    let help = match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => format!(
            "\n  help: the crawl store is damaged; move it aside and crawl again: `phe-migrate crawl {site} --fresh`"
        ),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
            "\n  help: another phe-migrate command is writing this store; wait for it to end"
                .to_owned()
        }
        Some(rusqlite::ErrorCode::DiskFull) => {
            "\n  help: free some disk space and run the command again".to_owned()
        }
        _ => String::new(),
    };
    Error::Other(format!("{}: {e}{help}", path.display()))
}

impl Store {
    /// Opens (or creates) a store, creating its folder.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let conn = Connection::open(path).map_err(|e| db_error(path, e))?;
        // 16 kB pages for a new store (an existing one keeps its own): a stored response is
        // a few kilobytes, so 4 kB pages held one each, a third empty, and every byte goes
        // through the WAL twice. A 20,000-page crawl: 100 MB -> 72 MB, 20% less CPU.
        conn.execute_batch("PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=5000; PRAGMA wal_autocheckpoint=4096; PRAGMA temp_store=MEMORY; PRAGMA cache_size=-8192;")
            .map_err(|e| db_error(path, e))?;
        conn.execute_batch(SCHEMA).map_err(|e| db_error(path, e))?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        match store.meta("schema_version")? {
            None => store.set_meta("schema_version", SCHEMA_VERSION)?,
            Some(v) if v == SCHEMA_VERSION => {}
            Some(v) => {
                return Err(Error::Other(format!(
                    "{} was written by another version of phe-migrate (store schema {v}, this one reads {SCHEMA_VERSION}); crawl again with --fresh",
                    path.display()
                )));
            }
        }
        Ok(store)
    }

    /// A larger page cache and a memory map, for a stage that reads the whole store once
    /// (the transform, the redirect table, the audit): reading a body's overflow pages
    /// through the map copies nothing. The crawl keeps the small cache: its memory must not
    /// grow with the site.
    pub fn prefer_bulk_reads(&self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA cache_size=-65536; PRAGMA mmap_size=1073741824;")
            .map_err(|e| db_error(&self.path, e))
    }

    /// Stops checking each reference as it is written, for the crawl's writer: it writes only
    /// ids it has just read or inserted, and with the checks on SQLite journals every page a
    /// statement touches (a fifth of the crawl's SQLite work). [`Store::broken_references`]
    /// checks them all at once.
    pub fn skip_reference_checks(&self) -> Result<()> {
        self.conn
            .execute_batch("PRAGMA foreign_keys=OFF;")
            .map_err(|e| self.err(e))
    }

    /// Rows whose references point nowhere, as `table: rowid -> parent`: none in a sound store.
    pub fn broken_references(&self) -> Result<Vec<String>> {
        let rows = self
            .rows("SELECT \"table\", COALESCE(rowid, 0), parent FROM pragma_foreign_key_check")?;
        Ok(rows
            .into_iter()
            .map(|r| format!("{}: {} -> {}", r[0], r[1], r[2]))
            .collect())
    }

    /// Opens an existing store read-only.
    pub fn open_existing(path: &Path) -> Result<Store> {
        if !path.is_file() {
            // Stores live at out/<abbr>/crawl.db: the folder names the site.
            let site = path
                .parent()
                .and_then(Path::file_name)
                .map_or_else(|| "SITE".into(), |n| n.to_string_lossy());
            return Err(Error::Usage(format!(
                "no crawl for {site} at {}: run `phe-migrate crawl {site}` first",
                path.display()
            )));
        }
        Store::open(path)
    }

    /// A second, read-only connection to a store another connection is writing: WAL lets it
    /// read the last committed state while the writer goes on.
    pub fn open_reader(path: &Path) -> Result<Store> {
        let conn = Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| db_error(path, e))?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Moves WAL checkpoints (and their fsyncs) off the writing thread: a second connection
    /// checkpoints in the background until the returned guard is dropped, which checkpoints
    /// one last time. Readers and the writer never wait for it (PASSIVE checkpoints).
    pub fn background_checkpoints(&self) -> Result<Checkpointer> {
        self.conn
            .execute_batch("PRAGMA wal_autocheckpoint=0;")
            .map_err(|e| self.err(e))?;
        let checkpoint_conn = Connection::open(&self.path).map_err(|e| self.err(e))?;
        let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("store-checkpoint".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stop_rx.recv_timeout(std::time::Duration::from_millis(250))
                {
                    let _ = checkpoint_conn.execute_batch("PRAGMA wal_checkpoint(PASSIVE);");
                }
                let _ = checkpoint_conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
            })
            .map_err(|e| Error::Other(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Checkpointer {
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    fn err(&self, e: rusqlite::Error) -> Error {
        db_error(&self.path, e)
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        self.conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()
            .map_err(|e| self.err(e))
    }

    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn
            .execute("INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [key, value])
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Runs `f` in one transaction: all of it is recorded, or none.
    pub fn transaction<T>(&self, f: impl FnOnce(&Store) -> Result<T>) -> Result<T> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.err(e))?;
        match f(self) {
            Ok(value) => {
                self.conn.execute_batch("COMMIT").map_err(|e| self.err(e))?;
                Ok(value)
            }
            Err(e) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                Err(e)
            }
        }
    }

    /// Opens a write transaction that [`Store::commit`] ends; for a writer that groups a
    /// long run of work into few commits. Dropping the store before committing rolls back.
    pub fn begin(&self) -> Result<()> {
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.err(e))
    }

    pub fn commit(&self) -> Result<()> {
        self.conn.execute_batch("COMMIT").map_err(|e| self.err(e))
    }

    /// Builds the indexes the reports query by; called when a crawl or an import finishes.
    pub fn finish_tables(&self) -> Result<()> {
        self.conn
            .execute_batch(QUERY_INDEXES)
            .map_err(|e| self.err(e))
    }

    /// URLs claimed by a run that was killed go back to the frontier.
    pub fn requeue_in_flight(&self) -> Result<usize> {
        self.conn
            .execute(
                "UPDATE urls SET state = 'queued' WHERE state = 'in_flight'",
                [],
            )
            .map_err(|e| self.err(e))
    }

    /// Queues again the URLs whose every attempt failed, so a later run retries them (the
    /// network or the site may have come back).
    pub fn requeue_failed(&self) -> Result<usize> {
        self.conn
            .execute(
                "UPDATE urls SET state = 'queued' WHERE state = 'failed'",
                [],
            )
            .map_err(|e| self.err(e))
    }

    /// Queues again the URLs a cap (`max_pages`, `max_depth`) held back that are within
    /// `max_depth` now, so that a crawl run again with a higher cap goes on from where the
    /// last one stopped; under the same caps they are held back again, and a lower depth
    /// (`--max-depth 0` for an imported list alone) keeps the deeper ones back.
    pub fn requeue_capped(&self, max_depth: u32) -> Result<usize> {
        self.conn
            .execute(
                "UPDATE urls SET state = 'queued', skip_reason = NULL WHERE state = 'skipped' \
                 AND skip_reason IN ('max_pages', 'max_depth') AND depth <= ?1",
                [max_depth],
            )
            .map_err(|e| self.err(e))
    }

    /// Inserts a new key (the caller knows it is new) and returns its id.
    pub fn insert_url(&self, url: &NewUrl) -> Result<i64> {
        let state = if url.skip_reason.is_some() {
            "skipped"
        } else {
            "queued"
        };
        self.conn
            .prepare_cached("INSERT INTO urls (key, path_key, url, depth, source, kind, state, skip_reason, found_from, in_sitemap) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")
            .and_then(|mut s| s.execute(params![url.key, url.path_key, url.raw, url.depth, url.source, url.kind, state, url.skip_reason, url.found_from, url.in_sitemap]))
            .map_err(|e| self.err(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records a raw URL seen for a key (once; later sightings are ignored).
    pub fn add_variant(&self, raw: &str, url_id: i64, source: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO variants (raw, url_id, source) VALUES (?1, ?2, ?3)",
            )
            .and_then(|mut s| s.execute(params![raw, url_id, source]))
            .map(drop)
            .map_err(|e| self.err(e))
    }

    pub fn mark_in_sitemap(&self, id: i64) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE urls SET in_sitemap = 1 WHERE id = ?1")
            .and_then(|mut s| s.execute([id]))
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// A key found again nearer the start: a queued URL moves up the frontier, and one
    /// skipped as too deep goes back to it when `requeue` says it is now in range.
    pub fn lower_depth(&self, id: i64, depth: u32, requeue: bool) -> Result<()> {
        self.conn
            .prepare_cached(
                "UPDATE urls SET depth = ?2,
                    state = CASE WHEN state = 'skipped' AND skip_reason = 'max_depth' AND ?3 THEN 'queued' ELSE state END,
                    skip_reason = CASE WHEN state = 'skipped' AND skip_reason = 'max_depth' AND ?3 THEN NULL ELSE skip_reason END
                 WHERE id = ?1 AND depth > ?2 AND (state = 'queued' OR (state = 'skipped' AND skip_reason = 'max_depth'))",
            )
            .and_then(|mut s| s.execute(params![id, depth, requeue]))
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Calls `f(id, key, path_key, depth)` for every stored key.
    pub fn for_each_key(&self, mut f: impl FnMut(i64, &str, &str, u32)) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, key, path_key, depth FROM urls")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, u32>(3)?,
                ))
            })
            .map_err(|e| self.err(e))?;
        for row in rows {
            let (id, key, path, depth) = row.map_err(|e| self.err(e))?;
            f(id, &key, &path, depth);
        }
        Ok(())
    }

    /// Calls `f(raw)` for every raw URL variant stored.
    pub fn for_each_variant(&self, mut f: impl FnMut(&str)) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT raw FROM variants")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?;
        for row in rows {
            f(&row.map_err(|e| self.err(e))?);
        }
        Ok(())
    }

    /// Each key's representative raw URL (see [`crate::canonical::representative`]), by id:
    /// the same for a resumed crawl as for an uninterrupted one.
    pub fn representative_urls(&self, host: &str) -> Result<HashMap<i64, String>> {
        let mut variants: HashMap<i64, Vec<String>> = HashMap::new();
        self.for_each_row("SELECT url_id, raw FROM variants", |row| {
            variants.entry(row.get(0)?).or_default().push(row.get(1)?);
            Ok(())
        })?;
        let mut out = HashMap::with_capacity(variants.len());
        self.for_each_row("SELECT id, url FROM urls", |row| {
            let (id, url): (i64, String) = (row.get(0)?, row.get(1)?);
            let seen = variants.get(&id).map(Vec::as_slice).unwrap_or_default();
            // Most URLs were only ever seen as themselves: nothing to choose between.
            let chosen = if seen.iter().all(|raw| *raw == url) {
                url
            } else {
                let candidates = seen.iter().map(String::as_str).chain([url.as_str()]);
                crate::canonical::representative(candidates, host)
                    .unwrap_or(&url)
                    .to_owned()
            };
            out.insert(id, chosen);
            Ok(())
        })?;
        Ok(out)
    }

    /// A URL's raw URL and the status of its last hop.
    pub fn url_and_status(&self, id: i64) -> Result<Option<(String, Option<u16>)>> {
        self.conn
            .prepare_cached("SELECT url, status FROM urls WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| Ok((r.get(0)?, r.get(1)?))).optional())
            .map_err(|e| self.err(e))
    }

    /// Takes up to `limit` queued URLs, shallowest first, and marks them in flight.
    pub fn claim(&self, limit: usize) -> Result<Vec<Job>> {
        let jobs: Vec<Job> = self
            .conn
            .prepare_cached("SELECT id, key, url, depth, kind FROM urls WHERE state = 'queued' ORDER BY depth, id LIMIT ?1")
            .and_then(|mut s| {
                s.query_map([limit as i64], |r| {
                    Ok(Job {
                        id: r.get(0)?,
                        key: r.get(1)?,
                        url: r.get(2)?,
                        depth: r.get(3)?,
                        kind: r.get(4)?,
                    })
                })?
                .collect()
            })
            .map_err(|e| self.err(e))?;
        for job in &jobs {
            self.set_state(job.id, "in_flight", None)?;
        }
        Ok(jobs)
    }

    pub fn set_state(&self, id: i64, state: &str, skip_reason: Option<&str>) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE urls SET state = ?2, skip_reason = ?3 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![id, state, skip_reason]))
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Records the outcome of fetching a URL: its final state, status and kind.
    pub fn finish_url(&self, id: i64, state: &str, status: Option<u16>, kind: &str) -> Result<()> {
        self.conn
            .prepare_cached("UPDATE urls SET state = ?2, status = ?3, kind = ?4 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![id, state, status, kind]))
            .map(drop)
            .map_err(|e| self.err(e))
    }

    pub fn add_fetch(&self, url_id: i64, f: &FetchRecord) -> Result<()> {
        let headers = if f.headers_json.is_empty() {
            "[]"
        } else {
            f.headers_json.as_str()
        };
        let (body, digest) = match &f.body {
            Some(b) => (Some(&b.compressed), Some(&b.digest)),
            None => (None, None),
        };
        self.conn
            .prepare_cached(
                "INSERT OR REPLACE INTO fetches (url_id, hop, url, method, status, headers, content_type, location, redirect_kind, last_modified, size, body, body_truncated, digest, charset, charset_source, title, canonical, attempts, error, elapsed_ms, fetched_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    url_id, f.hop, f.url, f.method, f.status, headers, f.content_type, f.location, f.redirect_kind,
                    f.last_modified, f.size.map(|n| n as i64), body, f.body_truncated, digest, f.charset, f.charset_source, f.title,
                    f.canonical, f.attempts, f.error, f.elapsed_ms as i64, f.fetched_at
                ])
            })
            .map(drop)
            .map_err(|e| self.err(e))
    }

    pub fn add_error(&self, url_id: i64, url: &str, attempt: u32, error: &str) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO errors (url_id, url, attempt, error) VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| s.execute(params![url_id, url, attempt, error]))
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// Records a page's links in one row: a crawl finds thousands of links a second, and one
    /// row per page keeps them off the critical path. The `links` view lists them one a row.
    pub fn set_page_links(&self, from: i64, links: &[PageLink]) -> Result<()> {
        let json = serde_json::to_string(links).unwrap_or_else(|_| "[]".into());
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO page_links (from_id, links) VALUES (?1, ?2)")
            .and_then(|mut s| s.execute(params![from, json]))
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// The last hop recorded for a URL.
    pub fn final_fetch(&self, url_id: i64) -> Result<Option<StoredFetch>> {
        self.conn
            .prepare_cached("SELECT url_id, hop, url, status, headers, content_type, location, digest, body, fetched_at, method FROM fetches WHERE url_id = ?1 ORDER BY hop DESC LIMIT 1")
            .and_then(|mut s| s.query_row([url_id], read_fetch).optional())
            .map_err(|e| self.err(e))
    }

    /// The body of a URL's last exchange, decompressed (`None` when none was stored): only
    /// the body, for a stage that already knows the rest.
    pub fn final_body(&self, url_id: i64) -> Result<Option<Vec<u8>>> {
        self.conn
            .prepare_cached("SELECT body FROM fetches WHERE url_id = ?1 ORDER BY hop DESC LIMIT 1")
            .and_then(|mut s| {
                s.query_row([url_id], |r| {
                    Ok(r.get_ref(0)?.as_blob_or_null()?.map(decompress))
                })
                .optional()
            })
            .map(Option::flatten)
            .map_err(|e| self.err(e))
    }

    /// Every URL's last exchange without its body, by URL id: what to know before reading
    /// bodies. One pass over the table, not a lookup per URL; of the headers, only the two
    /// the transform uses are copied out.
    pub fn final_fetch_heads(&self) -> Result<HashMap<i64, FinalHead>> {
        self.final_fetch_heads_in(i64::MIN..=i64::MAX)
    }

    /// [`Store::final_fetch_heads`] from the exchanges whose row ids are in `ids` (a URL's
    /// exchanges may fall either side of a split: [`merge_heads`] joins two halves), so
    /// that connections of their own can read parts of the table at once.
    pub fn final_fetch_heads_in(
        &self,
        ids: std::ops::RangeInclusive<i64>,
    ) -> Result<HashMap<i64, FinalHead>> {
        let mut heads: HashMap<i64, FinalHead> = HashMap::new();
        // In the table's order, keeping each URL's highest hop: sorting every exchange
        // first, by index lookups, made the transform's serial start a fifth longer.
        self.for_each_row_with(
            "SELECT url_id, hop, url, status, headers, content_type, digest, fetched_at
             FROM fetches WHERE id BETWEEN ?1 AND ?2",
            [ids.start(), ids.end()],
            |row| {
                let url_id: i64 = row.get(0)?;
                let hop: u32 = row.get(1)?;
                if heads.get(&url_id).is_some_and(|kept| kept.hop >= hop) {
                    return Ok(());
                }
                let (content_encoding, last_modified) =
                    transform_headers(row.get_ref(4)?.as_bytes_or_null()?);
                let head = FinalHead {
                    hop,
                    url: row.get(2)?,
                    status: row.get(3)?,
                    content_type: row.get(5)?,
                    digest: row.get(6)?,
                    content_encoding,
                    last_modified,
                    fetched_year: row.get_ref(7)?.as_str().ok().and_then(http_date_year),
                };
                heads.insert(url_id, head);
                Ok(())
            },
        )?;
        Ok(heads)
    }

    /// The largest exchange row id (0 for none): where to split the table between readers.
    pub fn last_fetch_id(&self) -> Result<i64> {
        self.conn
            .query_row("SELECT COALESCE(MAX(id), 0) FROM fetches", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    /// Calls `f` with each row of a query, read with its own types (no row is copied into
    /// strings first, as [`Store::rows`] does).
    pub fn for_each_row(
        &self,
        sql: &str,
        f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<()>,
    ) -> Result<()> {
        self.for_each_row_with(sql, [], f)
    }

    /// [`Store::for_each_row`] of a query with parameters.
    pub fn for_each_row_with(
        &self,
        sql: &str,
        params: impl rusqlite::Params,
        mut f: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let mut rows = stmt.query(params).map_err(|e| self.err(e))?;
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            f(row).map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// Every exchange, in URL then hop order.
    pub fn fetches(&self) -> Result<Vec<StoredFetch>> {
        self.conn
            .prepare("SELECT url_id, hop, url, status, headers, content_type, location, digest, body, fetched_at, method FROM fetches ORDER BY url_id, hop")
            .and_then(|mut s| s.query_map([], read_fetch)?.collect())
            .map_err(|e| self.err(e))
    }

    /// Calls `f` with every exchange, in URL then hop order, one at a time (bodies are not
    /// all held in memory).
    pub fn for_each_fetch(&self, mut f: impl FnMut(StoredFetch) -> Result<()>) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare("SELECT url_id, hop, url, status, headers, content_type, location, digest, body, fetched_at, method FROM fetches ORDER BY url, url_id, hop")
            .map_err(|e| self.err(e))?;
        let rows = stmt.query_map([], read_fetch).map_err(|e| self.err(e))?;
        for row in rows {
            f(row.map_err(|e| self.err(e))?)?;
        }
        Ok(())
    }

    pub fn url_id_for_key(&self, key: &str) -> Result<Option<i64>> {
        self.conn
            .prepare_cached("SELECT id FROM urls WHERE key = ?1")
            .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    /// Runs a query returning one integer (for summaries and tests).
    pub fn count(&self, sql: &str) -> Result<u64> {
        self.conn
            .query_row(sql, [], |r| r.get::<_, i64>(0))
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.err(e))
    }

    /// Every raw URL of a page or attachment with its key, the legacy status and where its
    /// redirect chain ended, streamed in store order (a store can hold millions; sorting is
    /// the caller's).
    pub fn for_each_known_url(
        &self,
        mut f: impl FnMut(String, String, Option<u16>, Option<String>),
    ) -> Result<()> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT v.raw, u.key, u.status, c.final_url
                 FROM variants v JOIN urls u ON u.id = v.url_id
                 LEFT JOIN redirect_chains c ON c.url_id = u.id
                 WHERE u.kind IN ('page', 'attachment')",
            )
            .map_err(|e| self.err(e))?;
        let mut rows = stmt.query([]).map_err(|e| self.err(e))?;
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            let status: Option<i64> = row.get(2).map_err(|e| self.err(e))?;
            f(
                row.get(0).map_err(|e| self.err(e))?,
                row.get(1).map_err(|e| self.err(e))?,
                status.and_then(|s| u16::try_from(s).ok()),
                row.get(3).map_err(|e| self.err(e))?,
            );
        }
        Ok(())
    }

    /// Each URL the legacy site redirected whose chain ended on one of its own pages: the
    /// key of the one and of the other.
    pub fn redirected_keys(&self) -> Result<Vec<(String, String)>> {
        let mut ends = Vec::new();
        self.for_each_row(
            "SELECT u.key, t.key FROM redirect_chains c
             JOIN urls u ON u.id = c.url_id JOIN urls t ON t.id = c.final_url_id
             WHERE t.key <> u.key ORDER BY u.key",
            |row| {
                ends.push((row.get(0)?, row.get(1)?));
                Ok(())
            },
        )?;
        Ok(ends)
    }

    /// Key and status of each URL the legacy site answered with an error (4xx or 5xx), so
    /// that a link to one can be called broken rather than merely unmigrated.
    pub fn error_keys(&self) -> Result<Vec<(String, u16)>> {
        let mut errors = Vec::new();
        self.for_each_row(
            "SELECT key, status FROM urls WHERE state = 'done' AND status >= 400 ORDER BY key",
            |row| {
                errors.push((row.get(0)?, row.get(1)?));
                Ok(())
            },
        )?;
        Ok(errors)
    }

    /// Whether a traffic file with this digest was imported already.
    pub fn hit_file_imported(&self, digest: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT 1 FROM hit_files WHERE digest = ?1",
                params![digest],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(|e| self.err(e))
    }

    /// Adds a file's folded hits, and records the file, in one transaction.
    pub fn add_hits(
        &self,
        rows: &std::collections::HashMap<(String, String, u16, String), u64>,
        file: (&str, &str, &str, &str),
    ) -> Result<()> {
        self.transaction(|store| {
            let mut insert = store
                .conn
                .prepare_cached(
                    "INSERT INTO hits (raw, key, status, day, count) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (raw, status, day) DO UPDATE SET count = count + excluded.count",
                )
                .map_err(|e| store.err(e))?;
            let mut sorted: Vec<_> = rows.iter().collect();
            sorted.sort();
            for ((raw, key, status, day), count) in sorted {
                insert
                    .execute(params![raw, key, status, day, *count as i64])
                    .map_err(|e| store.err(e))?;
            }
            let total: u64 = rows.values().sum();
            store
                .conn
                .execute(
                    "INSERT INTO hit_files (digest, path, format, hits, imported_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![file.0, file.1, file.2, total as i64, file.3],
                )
                .map_err(|e| store.err(e))?;
            Ok(())
        })
    }

    /// Hits per raw URL (summed over statuses and days), with its key, sorted by URL.
    pub fn hits_by_url(&self) -> Result<Vec<(String, String, u64)>> {
        let mut stmt = self
            .conn
            .prepare("SELECT raw, key, SUM(count) FROM hits GROUP BY raw, key ORDER BY raw")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get::<_, i64>(2)?.max(0) as u64))
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// Runs a query returning rows of text (for summaries and tests).
    pub fn rows(&self, sql: &str) -> Result<Vec<Vec<String>>> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let columns = stmt.column_count();
        let rows = stmt
            .query_map([], |r| {
                (0..columns)
                    .map(|i| {
                        let v: rusqlite::types::Value = r.get(i)?;
                        Ok(match v {
                            rusqlite::types::Value::Null => String::new(),
                            rusqlite::types::Value::Integer(n) => n.to_string(),
                            rusqlite::types::Value::Real(f) => f.to_string(),
                            rusqlite::types::Value::Text(t) => t,
                            rusqlite::types::Value::Blob(b) => format!("<{} bytes>", b.len()),
                        })
                    })
                    .collect()
            })
            .map_err(|e| self.err(e))?
            .collect::<rusqlite::Result<Vec<Vec<String>>>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    pub fn clear_redirect_chains(&self) -> Result<()> {
        self.conn
            .execute("DELETE FROM redirect_chains", [])
            .map(drop)
            .map_err(|e| self.err(e))
    }

    pub fn add_redirect_chain(
        &self,
        url_id: i64,
        final_url: Option<&str>,
        final_url_id: Option<i64>,
        hops: u32,
        is_loop: bool,
        final_status: Option<u16>,
    ) -> Result<()> {
        self.conn
            .prepare_cached("INSERT OR REPLACE INTO redirect_chains (url_id, final_url, final_url_id, hops, is_loop, final_status) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
            .and_then(|mut s| s.execute(params![url_id, final_url, final_url_id, hops, is_loop, final_status]))
            .map(drop)
            .map_err(|e| self.err(e))
    }

    /// The redirect edges: every URL whose last hop points elsewhere, with that target.
    /// Read through the small index of redirecting hops, not a scan of every fetch.
    pub fn redirect_edges(&self) -> Result<Vec<(i64, String, Option<u16>)>> {
        self.conn
            .prepare(
                "SELECT f.url_id, f.location, f.status FROM fetches f INDEXED BY fetches_redirects
                 WHERE f.location IS NOT NULL
                   AND f.hop = (SELECT MAX(hop) FROM fetches WHERE url_id = f.url_id)
                 ORDER BY f.url_id",
            )
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect()
            })
            .map_err(|e| self.err(e))
    }
}

fn read_fetch(r: &rusqlite::Row) -> rusqlite::Result<StoredFetch> {
    let headers: Option<String> = r.get(4)?;
    let body: Option<Vec<u8>> = r.get(8)?;
    Ok(StoredFetch {
        url_id: r.get(0)?,
        hop: r.get(1)?,
        url: r.get(2)?,
        status: r.get(3)?,
        headers: headers
            .map(|h| {
                stored_headers(h.as_bytes())
                    .into_iter()
                    .map(StoredHeader::into_owned)
                    .collect()
            })
            .unwrap_or_default(),
        content_type: r.get(5)?,
        location: r.get(6)?,
        digest: r.get(7)?,
        body: body.map(|b| decompress(&b)),
        fetched_at: r.get(9)?,
        method: r.get(10)?,
    })
}

/// What the transform reads of a URL's last exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FinalHead {
    pub hop: u32,
    pub url: String,
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub digest: Option<String>,
    pub content_encoding: Option<String>,
    pub last_modified: Option<String>,
    /// The year of the exchange: the latest a date in the page can be.
    pub fetched_year: Option<u16>,
}

/// The year of a stored HTTP date (`Mon, 07 Dec 2026 20:10:13 GMT`).
fn http_date_year(date: &str) -> Option<u16> {
    let time = httpdate::parse_http_date(date).ok()?;
    u16::try_from(crate::timefmt::DateTime::from_system(time).year).ok()
}

/// Two parts of [`Store::final_fetch_heads_in`] as one: each URL's highest hop.
pub fn merge_heads(
    mut into: HashMap<i64, FinalHead>,
    from: HashMap<i64, FinalHead>,
) -> HashMap<i64, FinalHead> {
    for (url_id, head) in from {
        match into.get(&url_id) {
            Some(kept) if kept.hop >= head.hop => {}
            _ => {
                into.insert(url_id, head);
            }
        }
    }
    into
}

/// The first `Content-Encoding` and `Last-Modified` of stored headers (see [`headers_json`]),
/// without copying the other headers out of the JSON. Unreadable JSON has neither.
fn transform_headers(json: Option<&[u8]>) -> (Option<String>, Option<String>) {
    let headers = json.map(stored_headers).unwrap_or_default();
    let first = |name: &str| {
        headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value.clone().into_owned())
    };
    (first("content-encoding"), first("last-modified"))
}

/// The marker of a header value the server sent in ISO-8859-1 (see [`HttpHeader`]).
const LATIN1: &str = "iso-8859-1";

/// Headers as the store keeps them: JSON `[[name, value], ...]`, in the order received; a
/// value that came as ISO-8859-1 bytes is `[name, value, "iso-8859-1"]`.
pub fn headers_json(headers: &[HttpHeader]) -> String {
    let entries: Vec<Vec<&str>> = headers
        .iter()
        .map(|h| {
            let mut entry = vec![h.name.as_str(), h.value.as_str()];
            if h.latin1 {
                entry.push(LATIN1);
            }
            entry
        })
        .collect();
    serde_json::to_string(&entries).unwrap_or_else(|_| "[]".into())
}

/// A stored header read back without copying (see [`headers_json`]).
pub struct StoredHeader<'a> {
    pub name: std::borrow::Cow<'a, str>,
    pub value: std::borrow::Cow<'a, str>,
    pub latin1: bool,
}

impl StoredHeader<'_> {
    pub fn into_owned(self) -> HttpHeader {
        HttpHeader {
            name: self.name.into_owned(),
            value: self.value.into_owned(),
            latin1: self.latin1,
        }
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for StoredHeader<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entry;
        impl<'de> serde::de::Visitor<'de> for Entry {
            type Value = StoredHeader<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("[name, value] or [name, value, encoding]")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<Self::Value, A::Error> {
                use serde::de::Error;
                #[derive(serde::Deserialize)]
                struct Text<'a>(#[serde(borrow)] std::borrow::Cow<'a, str>);
                let mut next = |i| {
                    seq.next_element::<Text>()?
                        .map(|t| t.0)
                        .ok_or_else(|| A::Error::invalid_length(i, &self))
                };
                let (name, value) = (next(0)?, next(1)?);
                let encoding = seq.next_element::<Text>()?;
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(StoredHeader {
                    name,
                    value,
                    latin1: encoding.is_some_and(|e| e.0 == LATIN1),
                })
            }
        }
        deserializer.deserialize_seq(Entry)
    }
}

/// Stored headers (see [`headers_json`]); unreadable JSON has none.
pub fn stored_headers(json: &[u8]) -> Vec<StoredHeader<'_>> {
    serde_json::from_slice(json).unwrap_or_default()
}

/// A body ready for the store: compressed, with its digest. Built on the fetch
/// workers, so the thread that writes the store only writes.
#[derive(Clone, Debug, Default)]
pub struct StoredBody {
    pub compressed: Vec<u8>,
    pub digest: String,
}

impl StoredBody {
    pub fn new(bytes: &[u8]) -> StoredBody {
        StoredBody {
            compressed: compress(bytes),
            digest: sha1_digest(bytes),
        }
    }
}

/// Marks a body stored as an LZ4 block; a body without it is zlib, as stores written before
/// LZ4 hold (a zlib stream's first byte always ends in the nibble 8, so never reads `L`).
const LZ4_MAGIC: &[u8; 4] = b"LZ4\0";

/// The magic, the body's length (u64, little-endian), then an LZ4 block: compressing costs a
/// crawl a third of zlib's time and reading back costs a transform a seventh, for a store
/// about a seventh larger.
fn compress(bytes: &[u8]) -> Vec<u8> {
    let header = LZ4_MAGIC.len() + 8;
    let mut out = vec![0; header + lz4_flex::block::get_maximum_output_size(bytes.len())];
    out[..LZ4_MAGIC.len()].copy_from_slice(LZ4_MAGIC);
    out[LZ4_MAGIC.len()..header].copy_from_slice(&(bytes.len() as u64).to_le_bytes());
    match lz4_flex::block::compress_into(bytes, &mut out[header..]) {
        Ok(written) => out.truncate(header + written),
        Err(_) => out.clear(),
    }
    out
}

fn decompress(bytes: &[u8]) -> Vec<u8> {
    if let Some(rest) = bytes.strip_prefix(LZ4_MAGIC.as_slice())
        && let Some((len, block)) = rest.split_first_chunk::<8>()
    {
        // LZ4 expands at most 255-fold: a larger length is damage, not a body.
        let len = u64::from_le_bytes(*len);
        if len > (block.len() as u64 + 1) * 255 {
            return Vec::new();
        }
        return lz4_flex::block::decompress(block, len as usize).unwrap_or_default();
    }
    let mut out = Vec::with_capacity(bytes.len() * 3);
    let _ = flate2::read::ZlibDecoder::new(bytes).read_to_end(&mut out);
    out
}

/// `sha1:` plus the RFC 4648 base32 of the SHA-1, the form WARC payload digests take.
/// Bytes as lower-case hexadecimal (for digests that name things: files, texts, inputs).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

pub fn sha1_digest(bytes: &[u8]) -> String {
    use sha1::Digest;
    let hash = sha1::Sha1::digest(bytes);
    format!("sha1:{}", base32(&hash))
}

fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u64 = 0;
    let mut bits = 0;
    for &b in bytes {
        buffer = (buffer << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    while !out.len().is_multiple_of(8) {
        out.push('=');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_year_of_a_stored_http_date_is_its_four_digits() {
        assert_eq!(http_date_year("Mon, 07 Dec 2026 20:10:13 GMT"), Some(2026));
        assert_eq!(http_date_year("t"), None);
    }

    #[test]
    fn base32_matches_rfc4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI======");
        assert_eq!(base32(b"f"), "MY======");
        // The WARC digest of an empty payload.
        assert_eq!(sha1_digest(b""), "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ");
    }

    /// A damaged store says what to do, naming the site's own crawl command.
    #[test]
    fn a_damaged_store_says_how_to_start_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("demo_hpa").join("crawl.db");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        for damage in [b"garbage, not a database".to_vec(), {
            let good = dir.path().join("good.db");
            let store = Store::open(&good).unwrap();
            store
                .conn
                .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
                .unwrap();
            drop(store);
            // The header of a real store, cut short: its pages are missing.
            std::fs::read(&good).unwrap()[..5000].to_vec()
        }] {
            std::fs::write(&path, damage).unwrap();
            let message = match Store::open_existing(&path) {
                Ok(_) => panic!("a damaged store opened"),
                Err(e) => e.to_string(),
            };
            assert!(
                message.contains("crawl again: `phe-migrate crawl demo_hpa --fresh`"),
                "{message}"
            );
        }
    }

    #[test]
    fn references_unchecked_on_write_are_checked_after() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("crawl.db")).unwrap();
        assert!(store.add_variant("http://x.org/a", 7, "link").is_err());
        store.skip_reference_checks().unwrap();
        store.add_variant("http://x.org/a", 7, "link").unwrap();
        assert_eq!(store.broken_references().unwrap(), ["variants: 0 -> urls"]);
    }

    #[test]
    fn urls_variants_and_frontier() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("a/crawl.db")).unwrap();
        let new = |raw, depth| NewUrl {
            key: "/a",
            path_key: "/a",
            raw,
            depth,
            source: "link",
            kind: "page",
            skip_reason: None,
            found_from: None,
            in_sitemap: false,
        };
        assert_eq!(store.insert_url(&new("http://x.org/A", 3)).unwrap(), 1);
        store.add_variant("http://x.org/A", 1, "link").unwrap();
        store.add_variant("http://www.x.org/a/", 1, "link").unwrap();
        store.add_variant("http://www.x.org/a/", 1, "link").unwrap();
        store.lower_depth(1, 1, true).unwrap();
        assert_eq!(store.count("SELECT COUNT(*) FROM variants").unwrap(), 2);
        assert_eq!(store.count("SELECT depth FROM urls").unwrap(), 1);
        let jobs = store.claim(10).unwrap();
        assert_eq!(jobs.len(), 1);
        assert!(store.claim(10).unwrap().is_empty());
        assert_eq!(store.requeue_in_flight().unwrap(), 1);
        let body = b"<html>hello</html>".to_vec();
        store
            .add_fetch(
                1,
                &FetchRecord {
                    url: "http://x.org/A".into(),
                    method: "GET".into(),
                    status: Some(200),
                    body: Some(StoredBody::new(&body)),
                    attempts: 1,
                    fetched_at: "t".into(),
                    ..FetchRecord::default()
                },
            )
            .unwrap();
        let f = store.final_fetch(1).unwrap().unwrap();
        assert_eq!(f.body, Some(body));
        assert_eq!(f.status, Some(200));
    }

    #[test]
    fn final_fetch_heads_are_each_urls_last_hop_in_any_table_order() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("crawl.db")).unwrap();
        let new = |key, raw| NewUrl {
            key,
            path_key: key,
            raw,
            depth: 0,
            source: "link",
            kind: "page",
            skip_reason: None,
            found_from: None,
            in_sitemap: false,
        };
        let a = store.insert_url(&new("/a", "http://x.org/a")).unwrap();
        let b = store.insert_url(&new("/b", "http://x.org/b")).unwrap();
        let fetch = |url: &str, hop, status| FetchRecord {
            url: url.into(),
            hop,
            method: "GET".into(),
            status: Some(status),
            attempts: 1,
            fetched_at: "t".into(),
            ..FetchRecord::default()
        };
        // A resumed crawl can store a later hop before an earlier one.
        let mut last = fetch("http://x.org/a/", 1, 200);
        last.headers_json = headers_json(&[
            HttpHeader::from_bytes(b"Content-Encoding", b"gzip"),
            HttpHeader::from_bytes(b"X-Name", b"caf\xe9"),
            HttpHeader::from_bytes(b"last-modified", b"Tue, 1 \"May\" 2012"),
            HttpHeader::from_bytes(b"Content-Encoding", b"br"),
        ]);
        store.add_fetch(a, &last).unwrap();
        store
            .add_fetch(a, &fetch("http://x.org/a", 0, 301))
            .unwrap();
        store
            .add_fetch(b, &fetch("http://x.org/b", 0, 404))
            .unwrap();
        let heads = store.final_fetch_heads().unwrap();
        assert_eq!(heads.len(), 2);
        assert_eq!((heads[&a].hop, heads[&a].status), (1, Some(200)));
        assert_eq!(heads[&a].url, "http://x.org/a/");
        // The first of each header the transform reads, names in any case, escapes undone.
        assert_eq!(heads[&a].content_encoding.as_deref(), Some("gzip"));
        assert_eq!(
            heads[&a].last_modified.as_deref(),
            Some("Tue, 1 \"May\" 2012")
        );
        assert_eq!(heads[&b].content_encoding, None);
        assert_eq!(
            transform_headers(Some(b"[[\"Content-Encoding\"")),
            (None, None),
            "unreadable headers have neither"
        );
        assert_eq!((heads[&b].hop, heads[&b].status), (0, Some(404)));
        // A value sent as ISO-8859-1 is marked so, to be written back as it came; stores
        // written before the mark read as they did.
        let stored = store.final_fetch(a).unwrap().unwrap();
        assert_eq!(
            (stored.headers[1].value.as_str(), stored.headers[1].latin1),
            ("café", true)
        );
        assert!(!stored.headers[0].latin1 && !stored.headers[2].latin1);
        assert_eq!(&*stored.headers[1].value_bytes(), b"caf\xe9");
        let old = stored_headers(br#"[["Content-Type","text/html"]]"#);
        assert_eq!(
            (old.len(), &*old[0].value, old[0].latin1),
            (1, "text/html", false)
        );
        // Read in two parts split anywhere (a URL's hops either side), merged: the same.
        let last = store.last_fetch_id().unwrap();
        assert_eq!(last, 3);
        for middle in 0..=last {
            let merged = merge_heads(
                store.final_fetch_heads_in(i64::MIN..=middle).unwrap(),
                store.final_fetch_heads_in(middle + 1..=i64::MAX).unwrap(),
            );
            assert_eq!(merged, heads, "split after {middle}");
        }
    }

    #[test]
    fn bodies_round_trip_and_older_zlib_bodies_still_read() {
        let page = "<p>Legacy text, repeated. ".repeat(400);
        for body in [&b""[..], b"x", page.as_bytes()] {
            let stored = compress(body);
            assert!(stored.starts_with(LZ4_MAGIC));
            assert_eq!(decompress(&stored), body);
        }
        assert!(compress(page.as_bytes()).len() < page.len() / 4);
        // What stores written before LZ4 hold.
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut zlib, page.as_bytes()).unwrap();
        assert_eq!(decompress(&zlib.finish().unwrap()), page.as_bytes());
    }

    #[test]
    fn a_damaged_body_reads_as_empty_without_a_huge_allocation() {
        let mut stored = compress(b"<html>hello</html>");
        stored[LZ4_MAGIC.len()..LZ4_MAGIC.len() + 8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(decompress(&stored).is_empty());
        let mut truncated = compress("<p>text</p>".repeat(100).as_bytes());
        truncated.truncate(truncated.len() / 2);
        assert!(decompress(&truncated).is_empty());
    }

    #[test]
    fn transactions_roll_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("crawl.db")).unwrap();
        let result: Result<()> = store.transaction(|s| {
            s.set_meta("x", "1")?;
            Err(Error::Other("boom".into()))
        });
        assert!(result.is_err());
        assert_eq!(store.meta("x").unwrap(), None);
    }
}
