//! Mapping spreadsheets in the three formats GOV.UK teams hold them in, read with
//! Transition's import rules: its own import format (`old url,new url`, positional, tab or
//! comma), the legacy redirector's `Old Url,New Url,Status`, and Transition's export
//! (`Old URL,Type,New URL,Archive URL,Suggested URL`).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::canonical::Canonicalizer;

use super::{Finding, Outcome};

/// Transition's batch limit on a URL (64 KB − 1).
pub const MAX_BATCH_URL: usize = 65_535;

/// One data row of a spreadsheet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub line: usize,
    pub old: String,
    pub key: String,
    pub outcome: Outcome,
    /// Transition's export carries a suggested (non-government) URL for archived pages.
    pub suggested_url: Option<String>,
}

/// What a spreadsheet gave: its rows after Transition's deduplication, and what was wrong.
#[derive(Clone, Debug, Default)]
pub struct Imported {
    pub rows: Vec<Row>,
    pub findings: Vec<Finding>,
}

/// The layouts a mappings spreadsheet comes in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    TransitionImport,
    LegacyRedirector,
    TransitionExport,
}

/// Transition's separator rule: count tabs and commas in the first six lines; a tie is tab.
pub fn separator(text: &str) -> u8 {
    let head: Vec<&str> = text.lines().take(6).collect();
    let tabs: usize = head.iter().map(|l| l.matches('\t').count()).sum();
    let commas: usize = head.iter().map(|l| l.matches(',').count()).sum();
    if tabs >= commas { b'\t' } else { b',' }
}

fn layout(first_line: &str) -> Layout {
    let header = first_line.trim().to_ascii_lowercase();
    if header.starts_with("old url,new url,status") {
        Layout::LegacyRedirector
    } else if header.starts_with("old url,type,new url") {
        Layout::TransitionExport
    } else {
        Layout::TransitionImport
    }
}

/// The outcome Transition infers from an import row's new value.
pub fn infer(new: Option<&str>) -> Outcome {
    match new.map(str::trim).filter(|n| !n.is_empty()) {
        None => Outcome::Unresolved,
        Some(n) if n.eq_ignore_ascii_case("tna") => Outcome::Archive { archive_url: None },
        Some(n) if super::is_web_archive(n) => Outcome::Archive {
            archive_url: Some(n.to_owned()),
        },
        Some(n) => Outcome::Redirect {
            new_url: n.to_owned(),
        },
    }
}

/// Transition's precedence between rows for one path: redirect, then archive with its own
/// link, then archive, then unresolved.
fn rank(outcome: &Outcome) -> u8 {
    match outcome {
        Outcome::Redirect { .. } => 0,
        Outcome::Archive {
            archive_url: Some(_),
        } => 1,
        Outcome::Archive { archive_url: None } => 2,
        _ => 3,
    }
}

/// Line numbers from records' byte offsets. The csv crate's own count is one short after
/// CRLF line ends, which Excel writes, and after blank lines (BurntSushi/rust-csv#395 and
/// #208); its offsets can point at the line end before a record, which is skipped here.
struct LineCounter<'a> {
    text: &'a [u8],
    /// Where the last record started, and its line.
    byte: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter {
            text: text.as_bytes(),
            byte: 0,
            line: 1,
        }
    }

    /// Where the record the reader placed at `byte` starts, and its line. Records come in
    /// order, so each call counts only the bytes since the last.
    fn start_of(&mut self, byte: usize) -> (usize, usize) {
        let mut start = byte.min(self.text.len());
        while self
            .text
            .get(start)
            .is_some_and(|b| matches!(b, b'\r' | b'\n'))
        {
            start += 1;
        }
        if start < self.byte {
            (self.byte, self.line) = (0, 1);
        }
        self.line += self.text[self.byte..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        self.byte = start;
        (start, self.line)
    }
}

/// Reads a spreadsheet for a site with `hosts`, keyed by `canonicalizer`.
pub fn read(file: &Path, text: &str, hosts: &[String], canonicalizer: &Canonicalizer) -> Imported {
    let mut out = Imported::default();
    let at = |line: usize| format!("{}:{line}", file.display());
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(first) = text.lines().find(|l| !l.trim().is_empty()) else {
        out.findings.push(Finding::blocking(
            file.display().to_string(),
            "Enter at least one valid line",
        ));
        return out;
    };
    let layout = layout(first);
    let delimiter = if layout == Layout::TransitionImport {
        separator(text)
    } else {
        b','
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut candidates: Vec<Row> = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut lines = LineCounter::new(text);
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e
                    .position()
                    .map_or(0, |p| lines.start_of(p.byte() as usize).1);
                out.findings.push(Finding::blocking(
                    at(line),
                    format!("not a readable CSV line ({e}); check its quotes"),
                ));
                continue;
            }
        }
        let (start, line) = record
            .position()
            .map_or((0, 0), |p| lines.start_of(p.byte() as usize));
        if record.iter().any(|cell| cell.contains(['\n', '\r'])) {
            // No cell of a mappings spreadsheet holds a line break: a stray quote has
            // swallowed the lines after it, which must not pass unchecked.
            let end = (reader.position().byte() as usize).min(text.len());
            let raw = text.get(start..end).unwrap_or_default();
            let raw = raw.trim_end_matches(['\n', '\r']);
            let last = line + raw.matches('\n').count();
            let closed = if raw.matches('"').count() % 2 == 0 {
                format!("is closed only on line {last}")
            } else {
                "is never closed".to_owned()
            };
            out.findings.push(Finding::blocking(
                at(line),
                format!(
                    "a quote opened on this line {closed}, so lines {line}-{last} read as \
                     one row; close the quote on this line or remove it"
                ),
            ));
            continue;
        }
        let field = |i: usize| record.get(i).map(str::trim).unwrap_or_default();
        let old = field(0);
        if !(old.starts_with('/') || old.starts_with("http://") || old.starts_with("https://")) {
            // Headers, prose and blank lines: Transition ignores them silently; we say so.
            if !old.is_empty() && line > 1 {
                out.findings.push(Finding::warning(
                    at(line),
                    format!(
                        "ignored: {old:?} is neither a path starting with / nor an http(s) URL"
                    ),
                ));
            }
            continue;
        }
        let outcome = match layout {
            Layout::TransitionImport => infer(Some(field(1))),
            Layout::LegacyRedirector => match field(2) {
                "301" => Outcome::Redirect {
                    new_url: field(1).to_owned(),
                },
                "410" => Outcome::Archive { archive_url: None },
                "418" | "200" => Outcome::Unresolved,
                other => {
                    out.findings.push(Finding::blocking(
                        at(line),
                        format!("status {other:?}: the legacy format allows 301, 410, 418 or 200"),
                    ));
                    continue;
                }
            },
            Layout::TransitionExport => match field(1).to_ascii_lowercase().as_str() {
                "redirect" => Outcome::Redirect {
                    new_url: field(2).to_owned(),
                },
                "archive" => Outcome::Archive {
                    archive_url: Some(field(3).to_owned()).filter(|u| !u.is_empty()),
                },
                "unresolved" | "" => Outcome::Unresolved,
                other => {
                    out.findings
                        .push(Finding::blocking(at(line), super::unknown_type(other)));
                    continue;
                }
            },
        };
        if old.starts_with("http") {
            let host = super::host_of(old);
            if !host
                .as_deref()
                .is_some_and(|h| hosts.iter().any(|s| s.eq_ignore_ascii_case(h)))
            {
                out.findings.push(Finding::blocking(
                    at(line),
                    format!(
                        "One or more of the URLs entered are not part of this site: {old} \
                         (the site's hosts are {}; a host it also answers to goes in the \
                         config's aliases:)",
                        hosts.join(", ")
                    ),
                ));
                continue;
            }
        }
        let key = match canonicalizer.key(old) {
            Ok(key) => key,
            Err(e) => {
                out.findings.push(Finding::blocking(
                    at(line),
                    format!("{old:?} is not a URL or path ({e})"),
                ));
                continue;
            }
        };
        if key.is_empty() {
            out.findings.push(Finding::warning(
                at(line),
                format!(
                    "ignored: {old} is the homepage, which always redirects to the site's homepage"
                ),
            ));
            continue;
        }
        for url in outcome.urls() {
            if url.len() > MAX_BATCH_URL {
                out.findings
                    .push(Finding::blocking(at(line), "A new URL is too long"));
            }
        }
        let suggested_url = match layout {
            Layout::TransitionExport => Some(field(4).to_owned()).filter(|u| !u.is_empty()),
            _ => None,
        };
        candidates.push(Row {
            line,
            old: old.to_owned(),
            key,
            outcome,
            suggested_url,
        });
    }
    // One row per path: the best by Transition's precedence, the earlier line on a tie.
    let mut best: HashMap<String, usize> = HashMap::new();
    for (i, row) in candidates.iter().enumerate() {
        match best.get(&row.key) {
            None => {
                best.insert(row.key.clone(), i);
            }
            Some(&j) => {
                let kept = &candidates[j];
                let (winner, loser) = if rank(&row.outcome) < rank(&kept.outcome) {
                    best.insert(row.key.clone(), i);
                    (row, kept)
                } else {
                    (kept, row)
                };
                out.findings.push(Finding::warning(
                    at(loser.line),
                    format!(
                        "{} is the same page as line {} ({}); line {} wins by Transition's precedence",
                        loser.old, winner.line, winner.old, winner.line
                    ),
                ));
            }
        }
    }
    let mut kept: Vec<usize> = best.into_values().collect();
    kept.sort_unstable();
    out.rows = kept.into_iter().map(|i| candidates[i].clone()).collect();
    if out.rows.is_empty() && !out.findings.iter().any(|f| f.blocking) {
        out.findings.push(Finding::blocking(
            file.display().to_string(),
            "Enter at least one valid path or full URL",
        ));
    }
    out
}

/// The spreadsheets for a site: `mappings/<abbr>.csv` and `mappings/<abbr>/*.csv`.
pub fn spreadsheets(mappings_dir: &Path, abbr: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let single = mappings_dir.join(format!("{abbr}.csv"));
    if single.is_file() {
        files.push(single);
    }
    if let Ok(entries) = std::fs::read_dir(mappings_dir.join(abbr)) {
        let mut more: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("csv") || x.eq_ignore_ascii_case("tsv"))
            })
            .collect();
        more.sort();
        files.extend(more);
    }
    files
}
