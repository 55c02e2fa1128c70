//! Other ways into and out of a crawl store: WARC files in (a crawl someone already made),
//! WARC out (for archivists and replay tools), and URL lists in (list mode).

use std::io::{BufRead, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use url::Url;

use super::fetch::Exchange;
use super::frontier::Frontier;
use super::{Outcome, Prepared, apply, open_site_store, prepare, read_final};
use crate::config::Site;
use crate::diagnostic::{Diagnostic, Position};
use crate::error::{Error, Result};
use crate::store::{Job, Store};
use crate::timefmt::DateTime;
use crate::warc;

/// What an import did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ImportSummary {
    pub site: String,
    pub records: usize,
    /// Responses recorded as fetches.
    pub imported: usize,
    /// Responses for URLs the store had already fetched (the store's copy is kept).
    pub already_fetched: usize,
    /// Responses for other hosts.
    pub off_site: usize,
    /// Requests, metadata, revisits and other records that hold no response.
    pub other_records: usize,
    pub problems: Vec<String>,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {} WARC records read: {} responses imported, {} already in the store, {} for other hosts, {} other records",
            self.site,
            self.records,
            self.imported,
            self.already_fetched,
            self.off_site,
            self.other_records
        )?;
        for p in &self.problems {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

/// Imports the responses in WARC files as fetches of the site's URLs. Links in imported
/// pages are recorded and queued, so a later `crawl` fills in what the WARC lacks.
pub fn import_warc(site: &Site, out_dir: &Path, files: &[PathBuf]) -> Result<ImportSummary> {
    let store = open_site_store(site, out_dir)?;
    let mut frontier = Frontier::new(site, &store)?;
    let mut summary = ImportSummary {
        site: site.abbr.clone(),
        ..ImportSummary::default()
    };
    for file in files {
        let handle = std::fs::File::open(file).map_err(|e| Error::io(file, e))?;
        let reader = warc::Reader::new(handle).map_err(|e| Error::io(file, e))?;
        let mut pending: Vec<warc::Record> = Vec::new();
        for record in reader {
            match record {
                Ok(record) => {
                    summary.records += 1;
                    pending.push(record);
                    if pending.len() >= 200 {
                        store.transaction(|s| {
                            import_records(
                                s,
                                &mut frontier,
                                site,
                                std::mem::take(&mut pending),
                                &mut summary,
                            )
                        })?;
                    }
                }
                Err(e) => {
                    summary.problems.push(format!("{}: {e}", file.display()));
                    break;
                }
            }
        }
        store.transaction(|s| import_records(s, &mut frontier, site, pending, &mut summary))?;
    }
    store.transaction(|s| super::record_redirect_chains(s, &frontier))?;
    store.finish_tables()?;
    Ok(summary)
}

fn import_records(
    store: &Store,
    frontier: &mut Frontier,
    site: &Site,
    records: Vec<warc::Record>,
    summary: &mut ImportSummary,
) -> Result<()> {
    for record in records {
        let is_response = record
            .header("WARC-Type")
            .is_some_and(|t| t.eq_ignore_ascii_case("response"))
            && record
                .header("Content-Type")
                .is_some_and(|t| t.to_ascii_lowercase().starts_with("application/http"));
        let target = record
            .header("WARC-Target-URI")
            .map(|u| u.trim_matches(|c| c == '<' || c == '>'))
            .and_then(|u| Url::parse(u).ok());
        let (Some(mut url), true) = (target, is_response) else {
            summary.other_records += 1;
            continue;
        };
        url.set_fragment(None);
        if !url.host_str().is_some_and(|h| site.has_host(h)) {
            summary.off_site += 1;
            continue;
        }
        let Some(http) = warc::parse_http_response(&record.block) else {
            summary
                .problems
                .push(format!("{url}: the record does not hold an HTTP response"));
            continue;
        };
        let kind = if url.path().eq_ignore_ascii_case("/robots.txt") {
            Some("robots")
        } else {
            None
        };
        let (Some(id), _) = frontier.discover_url(store, &url, 0, "warc", None, kind, false)?
        else {
            summary.off_site += 1;
            continue;
        };
        let key = frontier.canonical.key(url.as_str()).unwrap_or_default();
        // A redirect within the same page (an alias or a trailing slash) continues that page's
        // hops, as a live crawl records them.
        let first_hop = match store.final_fetch(id)? {
            None => 0,
            Some(previous) => {
                let continues = previous.status.is_some_and(|s| (300..400).contains(&s))
                    && previous
                        .location
                        .as_deref()
                        .and_then(|l| frontier.canonical.key(l).ok())
                        .as_deref()
                        == Some(key.as_str());
                if !continues {
                    summary.already_fetched += 1;
                    continue;
                }
                previous.hop + 1
            }
        };
        let fetched_at = record
            .header("WARC-Date")
            .and_then(DateTime::parse_iso)
            .and_then(DateTime::to_system)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let exchange = Exchange {
            url: url.clone(),
            method: "GET",
            status: Some(http.status),
            headers: http.headers,
            body: http.body,
            body_read: true,
            truncated: false,
            error: None,
            attempts: 1,
            retried_errors: Vec::new(),
            elapsed: Duration::ZERO,
            fetched_at,
        };
        let kind = store
            .rows(&format!("SELECT kind FROM urls WHERE id = {id}"))?
            .pop()
            .and_then(|r| r.into_iter().next())
            .unwrap_or_else(|| "page".into());
        let hops = vec![exchange];
        let (page, sitemap) = read_final(&kind, &hops, site.crawl.max_body_bytes.0);
        let job = Job {
            id,
            key,
            url: url.to_string(),
            depth: 0,
            kind,
        };
        let mut outcome = Outcome {
            job,
            hops,
            page,
            sitemap,
            first_hop,
            prepared: Prepared::default(),
            blocked_by_robots: false,
        };
        outcome.prepared = prepare(&outcome, &frontier.canonical, &frontier.scope);
        apply(store, frontier, outcome)?;
        summary.imported += 1;
    }
    Ok(())
}

/// What a URL-list import did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct UrlImportSummary {
    pub site: String,
    pub added: usize,
    pub already_known: usize,
    pub off_site: usize,
    pub problems: Vec<Diagnostic>,
}

/// The problems a URL list's summary shows: a file that is no list at all (a spreadsheet
/// or a binary given by mistake) would otherwise fill the terminal.
const PROBLEMS_SHOWN: usize = 20;

impl std::fmt::Display for UrlImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for p in self.problems.iter().take(PROBLEMS_SHOWN) {
            writeln!(f, "{p}")?;
        }
        if let Some(more) = self
            .problems
            .len()
            .checked_sub(PROBLEMS_SHOWN)
            .filter(|n| *n > 0)
        {
            writeln!(
                f,
                "... and {more} more lines like these: is the file a list of URLs, one per line?"
            )?;
        }
        write!(
            f,
            "{}: {} URLs added to the frontier, {} already known, {} on other hosts (not added)",
            self.site, self.added, self.already_known, self.off_site
        )
    }
}

/// Adds the URLs in a list (one per line; `#` comments and blank lines ignored; paths are
/// taken as on the site's host) to the site's frontier. `crawl --max-depth 0` then fetches
/// just them: list mode.
pub fn import_urls(site: &Site, out_dir: &Path, file: &Path) -> Result<UrlImportSummary> {
    let store = open_site_store(site, out_dir)?;
    let mut frontier = Frontier::new(site, &store)?;
    let input = std::fs::File::open(file).map_err(|e| Error::io(file, e))?;
    let mut summary = UrlImportSummary {
        site: site.abbr.clone(),
        ..UrlImportSummary::default()
    };
    let origin = format!("http://{}", site.host);
    let mut lines = Vec::new();
    for (n, line) in std::io::BufReader::new(input).split(b'\n').enumerate() {
        let line = line.map_err(|e| Error::io(file, e))?;
        lines.push((n + 1, String::from_utf8_lossy(&line).trim().to_owned()));
    }
    store.transaction(|s| {
        for (number, line) in &lines {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let text = if line.starts_with('/') {
                format!("{origin}{line}")
            } else {
                line.clone()
            };
            let Ok(url) = Url::parse(&text).map_err(|_| ()).and_then(|u| {
                if matches!(u.scheme(), "http" | "https") {
                    Ok(u)
                } else {
                    Err(())
                }
            }) else {
                summary.problems.push(
                    Diagnostic::error(
                        file,
                        Position::new(*number, 1),
                        format!(
                            "{:?} is not an http(s) URL or a path",
                            crate::diagnostic::excerpt(line, 100)
                        ),
                    )
                    .with_help("write one URL (http://...) or path (/...) per line"),
                );
                continue;
            };
            let known_before = frontier
                .canonical
                .key(url.as_str())
                .ok()
                .and_then(|k| frontier.id_of_key(&k));
            match frontier.discover_url(s, &url, 0, "list", None, None, false)? {
                (Some(_), _) if known_before.is_some() => summary.already_known += 1,
                (Some(_), _) => summary.added += 1,
                (None, _) => {
                    summary.off_site += 1;
                    summary.problems.push(
                        Diagnostic::warning(
                            file,
                            Position::new(*number, 1),
                            format!("{} is not on {}'s hosts", url, site.abbr),
                        )
                        .with_help("add the host to the site's aliases if it belongs to the site"),
                    );
                }
            }
        }
        Ok(())
    })?;
    Ok(summary)
}

/// What an export wrote.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct ExportSummary {
    pub path: PathBuf,
    pub records: usize,
    pub responses: usize,
    /// Fetches that got no response (nothing to archive).
    pub skipped: usize,
}

impl std::fmt::Display for ExportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "wrote {} ({} records: {} responses with their requests; {} fetches without a response left out)",
            self.path.display(),
            self.records,
            self.responses,
            self.skipped
        )
    }
}

/// Writes the site's crawl as WARC 1.1 (one gzip member per record): a warcinfo record,
/// then a request and a response record for every exchange, in URL order. Bodies are as
/// received, with chunked transfer coding already undone.
pub fn export_warc(site: &Site, out_dir: &Path, path: Option<&Path>) -> Result<ExportSummary> {
    let store_path = super::store_path(out_dir, &site.abbr);
    let store = Store::open_existing(&store_path)?;
    let path = path.map(Path::to_path_buf).unwrap_or_else(|| {
        out_dir
            .join(&site.abbr)
            .join(format!("{}.warc.gz", site.abbr))
    });
    let partial = PathBuf::from(format!("{}.part", path.display()));
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let file = std::fs::File::create(&partial).map_err(|e| Error::io(&partial, e))?;
    let mut writer = warc::Writer::new(BufWriter::new(file));
    let mut summary = ExportSummary {
        path: path.clone(),
        ..ExportSummary::default()
    };
    let user_agent = store.meta("user_agent")?.unwrap_or_default();
    let started = store
        .meta("finished_at")?
        .and_then(|d| httpdate::parse_http_date(&d).ok())
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let filename = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let info = format!(
        "software: phe-migrate/{}\r\nformat: WARC File Format 1.1\r\nconformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\nisPartOf: {}\r\nhostname: {}\r\nhttp-header-user-agent: {user_agent}\r\ndescription: Legacy site crawl for migration to GOV.UK; HTTP bodies as received, chunked transfer coding removed\r\n",
        env!("CARGO_PKG_VERSION"),
        site.abbr,
        site.hosts().collect::<Vec<_>>().join(" "),
    );
    let io = |e: std::io::Error| Error::io(&partial, e);
    writer
        .write(
            &[
                ("WARC-Type", "warcinfo".into()),
                (
                    "WARC-Record-ID",
                    warc::record_id(&format!("{}/warcinfo", site.abbr)),
                ),
                ("WARC-Date", DateTime::from_system(started).iso8601()),
                ("WARC-Filename", filename),
                ("Content-Type", "application/warc-fields".into()),
            ],
            info.as_bytes(),
        )
        .map_err(io)?;
    summary.records += 1;
    store.for_each_fetch(|fetch| {
        let Some(status) = fetch.status else {
            summary.skipped += 1;
            return Ok(());
        };
        let Ok(url) = Url::parse(&fetch.url) else {
            summary.skipped += 1;
            return Ok(());
        };
        let date = httpdate::parse_http_date(&fetch.fetched_at)
            .map(|t| DateTime::from_system(t).iso8601())
            .unwrap_or_default();
        let name = format!("{}/{}/{}", fetch.url, fetch.hop, fetch.fetched_at);
        let response_id = warc::record_id(&format!("{name}/response"));
        let mut target = url.path().to_owned();
        if let Some(q) = url.query() {
            target = format!("{target}?{q}");
        }
        let host = match url.port() {
            Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
            None => url.host_str().unwrap_or("").to_owned(),
        };
        let request = format!(
            "{} {target} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {user_agent}\r\n\r\n",
            fetch.method
        );
        writer
            .write(
                &[
                    ("WARC-Type", "request".into()),
                    (
                        "WARC-Record-ID",
                        warc::record_id(&format!("{name}/request")),
                    ),
                    ("WARC-Date", date.clone()),
                    ("WARC-Target-URI", fetch.url.clone()),
                    ("WARC-Concurrent-To", response_id.clone()),
                    ("Content-Type", "application/http;msgtype=request".into()),
                ],
                request.as_bytes(),
            )
            .map_err(io)?;
        let mut block =
            format!("HTTP/1.1 {status} {}\r\n", warc::reason_phrase(status)).into_bytes();
        for header in &fetch.headers {
            if !header.name.eq_ignore_ascii_case("transfer-encoding") {
                // The server's bytes: an ISO-8859-1 value goes back as ISO-8859-1.
                block.extend_from_slice(header.name.as_bytes());
                block.extend_from_slice(b": ");
                block.extend_from_slice(&header.value_bytes());
                block.extend_from_slice(b"\r\n");
            }
        }
        block.extend_from_slice(b"\r\n");
        let body = fetch.body.as_deref().unwrap_or_default();
        block.extend_from_slice(body);
        writer
            .write(
                &[
                    ("WARC-Type", "response".into()),
                    ("WARC-Record-ID", response_id),
                    ("WARC-Date", date),
                    ("WARC-Target-URI", fetch.url.clone()),
                    ("WARC-Payload-Digest", crate::store::sha1_digest(body)),
                    ("Content-Type", "application/http;msgtype=response".into()),
                ],
                &block,
            )
            .map_err(io)?;
        summary.records += 2;
        summary.responses += 1;
        Ok(())
    })?;
    let mut out = writer.into_inner();
    out.flush().map_err(io)?;
    out.into_inner()
        .map_err(|e| io(e.into_error()))?
        .sync_all()
        .map_err(io)?;
    std::fs::rename(&partial, &path).map_err(|e| Error::io(&path, e))?;
    Ok(summary)
}
