//! Traffic: which legacy URLs people actually request, from the files teams have. Reads
//! Transition's hits exports (CSV `date,count,status,host,url` and TSV
//! `date count status host path`), Apache and nginx access logs (combined and
//! vhost_combined, plain or gzip) and analytics pageview exports (`Page,Pageviews`),
//! applies Transition's ignore list (site furniture, assets, GOV.UK paths requested of old
//! hosts, exploit probes) and keeps each request under its raw URL and canonical key, so
//! traffic folds by page exactly as Transition folds it.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::canonical::{Canonicalizer, bouncer_lookup_host};
use crate::config::site::Site;
use crate::error::{Error, Result};
use crate::timefmt;

/// The file layouts read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    TransitionCsv,
    TransitionTsv,
    AccessLog,
    Pageviews,
}

impl Format {
    pub fn name(self) -> &'static str {
        match self {
            Format::TransitionCsv => "Transition hits CSV",
            Format::TransitionTsv => "Transition hits TSV",
            Format::AccessLog => "access log",
            Format::Pageviews => "pageviews CSV",
        }
    }
}

/// One line's worth of traffic.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit {
    /// Lower-cased host, when the line names one.
    pub host: Option<String>,
    /// The path and query as requested.
    pub target: String,
    /// What the server answered (0 when the file does not say).
    pub status: u16,
    /// `YYYY-MM-DD`, empty when the file does not say.
    pub day: String,
    pub count: u64,
}

/// A line that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineProblem {
    pub line: usize,
    pub message: String,
}

/// What a file gave.
#[derive(Clone, Debug)]
pub struct Parsed {
    pub format: Format,
    pub hits: Vec<Hit>,
    pub problems: Vec<LineProblem>,
    pub lines: usize,
}

/// Transition's ignore list (`lib/transition/import/hits/ignore.rb`): requests that are
/// never a page of the old site.
pub fn is_ignored(target: &str) -> bool {
    let path = target.split(['?', '#']).next().unwrap_or(target);
    let lower = path.to_ascii_lowercase();
    const FURNITURE: &[&str] = &[
        "/favicon.ico",
        "/robots.txt",
        "/sitemap.xml",
        "/browserconfig.xml",
    ];
    const ASSETS: &[&str] = &[
        ".css", ".js", ".gif", ".ico", ".jpg", ".jpeg", ".png", ".svg", ".eot", ".ttf", ".woff",
    ];
    const PROBES: &[&str] = &[
        ".htpasswd",
        "/etc/passwd",
        "/proc/self/environ",
        "phpmyadmin",
        "/_vti_",
        "wp-admin",
        "wp-login",
        "wp-cron",
        "sqlpatch.php",
    ];
    FURNITURE.contains(&lower.as_str())
        || ASSETS.iter().any(|ext| lower.ends_with(ext))
        || lower.starts_with("/browse/")
        || lower.starts_with("/government/")
        || lower.starts_with("/ukgwacnf.html")
        || lower.ends_with(".bat")
        || lower.ends_with(".ini")
        || PROBES.iter().any(|p| lower.contains(p))
}

/// Opens a file, gunzipping it when it starts with gzip's magic bytes, and reading it as
/// UTF-16 when it starts with that byte order mark (a spreadsheet saved as "Unicode Text";
/// such files are small, so it is decoded whole).
fn open(path: &Path) -> Result<Box<dyn BufRead>> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut magic = [0u8; 2];
    let n = file.read(&mut magic).map_err(|e| Error::io(path, e))?;
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(match (n, magic) {
        (2, [0x1f, 0x8b]) => Box::new(BufReader::new(flate2::read::MultiGzDecoder::new(file))),
        (2, [0xff, 0xfe] | [0xfe, 0xff]) => {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            // `decode` follows the byte order mark, big-endian included.
            let (text, _, _) = encoding_rs::UTF_16LE.decode(&bytes);
            Box::new(std::io::Cursor::new(text.into_owned().into_bytes()))
        }
        _ => Box::new(BufReader::new(file)),
    })
}

/// A read that failed; a gzip file that ends before its stream does was cut short, and
/// importing its first part would count that part twice once the whole file comes.
fn read_error(path: &Path, e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        return Error::Usage(format!(
            "{}: the gzip file ends early, cut short (a copy or download interrupted?): none of \
             it was imported (files named before it were, and are skipped when run again); copy \
             the whole file again and import that",
            path.display()
        ));
    }
    Error::io(path, e)
}

fn month(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    MONTHS.iter().position(|m| *m == name).map(|i| i as u32 + 1)
}

/// `10/Oct/2000:13:55:36 -0700` → `2000-10-10`.
fn log_day(stamp: &str) -> Option<String> {
    let mut parts = stamp.split(['/', ':']);
    let day: u32 = parts.next()?.parse().ok()?;
    let month = month(parts.next()?)?;
    let year: u32 = parts.next()?.parse().ok()?;
    timefmt::is_civil_date(year.into(), month, day)
        .then(|| format!("{year:04}-{month:02}-{day:02}"))
}

/// A hits file's date cell as `YYYY-MM-DD`: Transition's `2013-10-10` (a time after it is
/// dropped) or an analytics export's `20131010`; empty when the file gives none.
fn cell_day(text: &str) -> std::result::Result<String, String> {
    if text.is_empty() {
        return Ok(String::new());
    }
    // By `get`: a cell of other characters has no char boundary where a digit would be.
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let s = text.get(range)?;
        s.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let bytes = text.as_bytes();
    let (year, month, day) = if bytes.len() >= 10 && bytes[4] == b'-' && bytes[7] == b'-' {
        (digits(0..4), digits(5..7), digits(8..10))
    } else if bytes.len() == 8 {
        (digits(0..4), digits(4..6), digits(6..8))
    } else {
        (None, None, None)
    };
    match (year, month, day) {
        (Some(y), Some(m), Some(d)) if timefmt::is_civil_date(y.into(), m, d) => {
            Ok(format!("{y:04}-{m:02}-{d:02}"))
        }
        _ => Err(format!(
            "date {text:?} is not a day in the form YYYY-MM-DD (or YYYYMMDD)"
        )),
    }
}

/// One access-log line: `[vhost[:port] ]ip ident user [time] "METHOD target PROTO" status ...`.
pub fn parse_log_line(line: &str) -> std::result::Result<Option<Hit>, String> {
    let open = line.find('[').ok_or("not an access-log line: no [date]")?;
    let close = line[open..]
        .find(']')
        .ok_or("no closing ] after the date")?
        + open;
    let before: Vec<&str> = line[..open].split_whitespace().collect();
    // combined has "ip ident user"; vhost_combined puts "host:port" first.
    let host = match before.len() {
        4 => {
            let host = before[0].split(':').next().unwrap_or(before[0]);
            // A port alone ("80 1.2.3.4 - - [...") is a line cut just after its host.
            if host.is_empty() || host.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "`{}` where the virtual host should be: the line is cut short",
                    before[0]
                ));
            }
            Some(host.to_ascii_lowercase())
        }
        3 => None,
        _ => return Err("expected `ip ident user [date]` before the request".into()),
    };
    let day = log_day(&line[open + 1..close])
        .ok_or("a date that is no day in the log's dd/Mon/yyyy form")?;
    let rest = line[close + 1..].trim_start();
    let rest = rest
        .strip_prefix('"')
        .ok_or("no quoted request after the date")?;
    let end = rest
        .find('"')
        .ok_or("the request's closing quote is missing")?;
    let request = &rest[..end];
    let mut fields = request.split(' ');
    let method = fields.next().unwrap_or_default();
    let Some(target) = fields.next() else {
        return Ok(None); // "-" or a garbled request: not a page view
    };
    let status: u16 = rest[end + 1..]
        .split_whitespace()
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or("no status after the request")?;
    if !matches!(method, "GET" | "HEAD") {
        return Ok(None);
    }
    // An absolute-form request names its own host.
    let (host, target) = match absolute(target) {
        Some((h, t)) => (Some(h), t),
        None => (host, target.to_owned()),
    };
    Ok(Some(Hit {
        host,
        target: if target.is_empty() {
            "/".into()
        } else {
            target
        },
        status,
        day,
        count: 1,
    }))
}

/// The host and the path and query of a request target written as a whole URL.
fn absolute(target: &str) -> Option<(String, String)> {
    target.contains("://").then(|| {
        let (host, rest) = crate::redirects::raw_parts(target);
        (host.to_ascii_lowercase(), rest.to_owned())
    })
}

fn header_index(header: &[String], names: &[&str]) -> Option<usize> {
    header
        .iter()
        .position(|h| names.iter().any(|n| h.eq_ignore_ascii_case(n)))
}

fn detect(first: &str) -> Option<Format> {
    let lower = first
        .trim()
        .trim_start_matches('\u{feff}')
        .to_ascii_lowercase();
    let cells: Vec<String> = lower
        .split([',', '\t'])
        .map(|c| c.trim().trim_matches('"').to_owned())
        .collect();
    let has = |name: &str| cells.iter().any(|c| c == name);
    if (has("date") || has("hit_on")) && has("count") && (has("url") || has("path")) {
        return Some(Format::TransitionCsv);
    }
    if (has("page") || has("path") || has("url") || has("page path"))
        && (has("pageviews") || has("views") || has("hits") || has("page views"))
    {
        return Some(Format::Pageviews);
    }
    let tabs: Vec<&str> = first.split('\t').collect();
    if tabs.len() == 5 && tabs[0].len() == 10 && tabs[0].as_bytes()[4] == b'-' {
        return Some(Format::TransitionTsv);
    }
    if first.contains('[') && first.contains("] \"") {
        return Some(Format::AccessLog);
    }
    None
}

/// Reads one traffic file, whatever its layout.
pub fn parse_file(path: &Path) -> Result<Parsed> {
    parse_reader(path, open(path)?)
}

/// A line that is not UTF-8: where its first bad byte is, and the line with replacement
/// characters.
struct NotUtf8 {
    column: usize,
    byte: u8,
    lossy: String,
}

impl NotUtf8 {
    fn problem(&self, line: usize) -> LineProblem {
        LineProblem {
            line,
            message: format!(
                "column {}: not UTF-8 (byte 0x{:02X}): line skipped; save the file as UTF-8 to count it",
                self.column, self.byte
            ),
        }
    }
}

/// The reader's lines as `BufRead::lines` gives them (without `\n` or `\r\n`), except that
/// a line that is not UTF-8 is an item of its own instead of an error that ends the file.
fn text_lines(
    mut reader: impl BufRead,
) -> impl Iterator<Item = std::io::Result<std::result::Result<String, NotUtf8>>> {
    let mut buf = Vec::new();
    std::iter::from_fn(move || {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                if buf.last() == Some(&b'\n') {
                    buf.pop();
                    if buf.last() == Some(&b'\r') {
                        buf.pop();
                    }
                }
                Some(Ok(match std::str::from_utf8(&buf) {
                    Ok(text) => Ok(text.to_owned()),
                    Err(e) => {
                        let at = e.valid_up_to();
                        Err(NotUtf8 {
                            column: crate::config::yaml::line_column_of_byte(&buf, at).1,
                            byte: buf[at],
                            lossy: String::from_utf8_lossy(&buf).into_owned(),
                        })
                    }
                }))
            }
            Err(e) => Some(Err(e)),
        }
    })
}

/// How many lines after an unrecognised first one may show that a file is an access log.
const LOG_LINES_TO_SNIFF: usize = 10;

/// Reads a traffic file's lines; `path` names it in messages.
pub fn parse_reader(path: &Path, reader: impl BufRead) -> Result<Parsed> {
    let mut lines = text_lines(reader);
    let mut problems = Vec::new();
    let mut hits = Vec::new();
    let mut number = 0;
    let mut first = None;
    // The first line tells the layout even with a stray byte; as data, it is skipped.
    let mut first_not_utf8 = None;
    for line in lines.by_ref() {
        number += 1;
        let line = match line.map_err(|e| read_error(path, e))? {
            Ok(line) => line,
            Err(mut bad) => {
                let lossy = std::mem::take(&mut bad.lossy);
                first_not_utf8 = Some(bad);
                lossy
            }
        };
        if !line.trim().is_empty() {
            first = Some(line);
            break;
        }
        first_not_utf8 = None;
    }
    let Some(first) = first else {
        return Err(Error::Usage(format!(
            "{}: the file is empty",
            path.display()
        )));
    };
    // A log cut from a longer one (by `tail`, `split` or a rotation mid-write) can start
    // with a partial line: the next lines tell, and the partial one is reported.
    let mut read_ahead = Vec::new();
    let detected = match detect(&first) {
        Some(format) => Some(format),
        None => {
            for line in lines.by_ref().take(LOG_LINES_TO_SNIFF) {
                read_ahead.push(line.map_err(|e| read_error(path, e))?);
            }
            read_ahead
                .iter()
                .filter_map(|line| line.as_ref().ok())
                .any(|line| detect(line) == Some(Format::AccessLog))
                .then_some(Format::AccessLog)
        }
    };
    let format = detected.ok_or_else(|| {
        Error::Usage(format!(
            "{}:{number}: not a traffic file phe-migrate reads: expected a Transition hits CSV \
             (date,count,status,host,url) or TSV, an Apache/nginx combined access log, or a \
             pageviews CSV (Page,Pageviews)",
            path.display()
        ))
    })?;
    let header: Vec<String> = match format {
        Format::TransitionCsv | Format::Pageviews => csv_cells(&first),
        _ => Vec::new(),
    };
    let columns = match format {
        Format::TransitionCsv => [
            header_index(&header, &["date", "hit_on"]),
            header_index(&header, &["count"]),
            header_index(&header, &["status", "http_status"]),
            header_index(&header, &["host", "hostname"]),
            header_index(&header, &["url", "path"]),
        ],
        Format::Pageviews => [
            None,
            header_index(&header, &["pageviews", "views", "hits", "page views"]),
            None,
            None,
            header_index(&header, &["page", "path", "url", "page path"]),
        ],
        _ => [None; 5],
    };
    let mut handle = |number: usize, line: &str| {
        if line.trim().is_empty() {
            return;
        }
        let parsed = match format {
            Format::AccessLog => parse_log_line(line),
            Format::TransitionTsv => parse_cells(
                &line.split('\t').map(str::to_owned).collect::<Vec<_>>(),
                [Some(0), Some(1), Some(2), Some(3), Some(4)],
            ),
            Format::TransitionCsv | Format::Pageviews => parse_cells(&csv_cells(line), columns),
        };
        match parsed {
            Ok(Some(hit)) => hits.push(hit),
            Ok(None) => {}
            Err(message) => problems.push(LineProblem {
                line: number,
                message,
            }),
        }
    };
    let mut not_utf8 = Vec::new();
    if header.is_empty() {
        match first_not_utf8 {
            Some(bad) => not_utf8.push(bad.problem(number)),
            None => handle(number, &first),
        }
    }
    let read_ahead = read_ahead.into_iter().map(Ok);
    for line in read_ahead.chain(lines) {
        number += 1;
        match line {
            Ok(Ok(line)) => handle(number, &line),
            // One line with a stray byte costs that line, not the rest of the file.
            Ok(Err(bad)) => not_utf8.push(bad.problem(number)),
            Err(e) => {
                problems.push(LineProblem {
                    line: number,
                    message: format!("unreadable: {e}"),
                });
                break;
            }
        }
    }
    problems.extend(not_utf8);
    problems.sort_by_key(|p| p.line);
    Ok(Parsed {
        format,
        hits,
        problems,
        lines: number,
    })
}

fn csv_cells(line: &str) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes());
    reader
        .records()
        .next()
        .and_then(|r| r.ok())
        .map(|r| r.iter().map(|c| c.trim().to_owned()).collect())
        .unwrap_or_default()
}

/// A row of a hits or pageviews file, by column: date, count, status, host, path or URL.
fn parse_cells(
    cells: &[String],
    columns: [Option<usize>; 5],
) -> std::result::Result<Option<Hit>, String> {
    let cell = |i: usize| columns[i].and_then(|c| cells.get(c)).map(|s| s.trim());
    let target = cell(4).filter(|t| !t.is_empty()).ok_or("no path or URL")?;
    let count_text = cell(1).unwrap_or("1").replace(',', "");
    let count: u64 = count_text
        .parse()
        .map_err(|_| format!("count {count_text:?} is not a whole number"))?;
    let status: u16 = match cell(2) {
        Some(s) if !s.is_empty() => s
            .parse()
            .map_err(|_| format!("status {s:?} is not a number"))?,
        _ => 0,
    };
    let day = cell_day(cell(0).unwrap_or_default())?;
    let (host, target) = match absolute(target) {
        Some((h, t)) => (Some(h), t),
        None => (
            cell(3)
                .filter(|h| !h.is_empty())
                .map(str::to_ascii_lowercase),
            target.to_owned(),
        ),
    };
    if !target.starts_with('/') && !target.is_empty() {
        return Err(format!(
            "{target:?} is neither a path starting with / nor a URL"
        ));
    }
    Ok(Some(Hit {
        host,
        target: if target.is_empty() {
            "/".into()
        } else {
            target
        },
        status,
        day,
        count,
    }))
}

/// Hits folded for a site: by raw URL (on the site's own hosts) with status and day.
#[derive(Clone, Debug, Default)]
pub struct Folded {
    /// (raw URL, key, status, day) → count.
    pub rows: HashMap<(String, String, u16, String), u64>,
    pub ignored: u64,
    pub other_hosts: u64,
    pub unparseable: u64,
}

/// Keeps the hits for the site's hosts (AKA hosts count as theirs), drops what
/// Transition ignores, and keys each by the site's canonicaliser.
pub fn fold(site: &Site, canonicalizer: &Canonicalizer, hits: &[Hit], into: &mut Folded) {
    for hit in hits {
        let host = hit
            .host
            .as_deref()
            .map(bouncer_lookup_host)
            .unwrap_or_else(|| site.host.clone());
        if !site.has_host(&host) {
            into.other_hosts += hit.count;
            continue;
        }
        if is_ignored(&hit.target) {
            into.ignored += hit.count;
            continue;
        }
        let raw = format!("http://{host}{}", hit.target);
        match canonicalizer.key(&raw) {
            Ok(key) => {
                *into
                    .rows
                    .entry((raw, key, hit.status, hit.day.clone()))
                    .or_insert(0) += hit.count;
            }
            Err(_) => into.unparseable += hit.count,
        }
    }
}

/// What importing one file did.
#[derive(Clone, Debug)]
pub struct FileReport {
    pub path: std::path::PathBuf,
    pub format: Option<Format>,
    pub already: bool,
    pub lines: usize,
    pub kept: u64,
    pub ignored: u64,
    pub other_hosts: u64,
    pub unparseable: u64,
    pub problems: Vec<LineProblem>,
}

impl std::fmt::Display for FileReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.path.display();
        if self.already {
            return write!(f, "{path}: imported before (same content): skipped");
        }
        write!(
            f,
            "{path}: {} of {} lines; {} hits kept, {} ignored (Transition's ignore list), {} for other hosts",
            self.format.map_or("?", Format::name),
            self.lines,
            self.kept,
            self.ignored,
            self.other_hosts
        )?;
        if self.unparseable > 0 {
            write!(f, ", {} not URLs", self.unparseable)?;
        }
        for p in self.problems.iter().take(10) {
            write!(f, "\n  {path}:{}: {}", p.line, p.message)?;
        }
        if self.problems.len() > 10 {
            write!(
                f,
                "\n  ... and {} more unreadable lines",
                self.problems.len() - 10
            )?;
        }
        Ok(())
    }
}

/// The digest of a file's content as read (gunzipped), so a log and its .gz are one file.
fn file_digest(path: &Path) -> Result<String> {
    use sha1::Digest;
    let mut file = open(path)?;
    let mut hasher = sha1::Sha1::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(|e| read_error(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(crate::store::hex(&hasher.finalize()))
}

/// Imports traffic files into the site's store (`out/<abbr>/crawl.db`). A file whose
/// content was imported before is skipped, so re-running never counts a hit twice.
pub fn import(
    site: &Site,
    out_dir: &Path,
    files: &[std::path::PathBuf],
) -> Result<Vec<FileReport>> {
    let store = crate::store::Store::open(&out_dir.join(&site.abbr).join("crawl.db"))?;
    let canonicalizer = site.canonicalizer(crate::canonical::Mode::Govuk);
    let mut reports = Vec::new();
    for path in files {
        let digest = file_digest(path)?;
        if store.hit_file_imported(&digest)? {
            reports.push(FileReport {
                path: path.clone(),
                format: None,
                already: true,
                lines: 0,
                kept: 0,
                ignored: 0,
                other_hosts: 0,
                unparseable: 0,
                problems: Vec::new(),
            });
            continue;
        }
        let parsed = parse_file(path)?;
        let mut folded = Folded::default();
        fold(site, &canonicalizer, &parsed.hits, &mut folded);
        let now = crate::timefmt::DateTime::from_system(std::time::SystemTime::now()).iso8601();
        store.add_hits(
            &folded.rows,
            (
                &digest,
                &path.display().to_string(),
                parsed.format.name(),
                &now,
            ),
        )?;
        reports.push(FileReport {
            path: path.clone(),
            format: Some(parsed.format),
            already: false,
            lines: parsed.lines,
            kept: folded.rows.values().sum(),
            ignored: folded.ignored,
            other_hosts: folded.other_hosts,
            unparseable: folded.unparseable,
            problems: parsed.problems,
        });
    }
    Ok(reports)
}
