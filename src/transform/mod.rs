//! The transform stage: every HTML page of a crawl becomes a Govspeak draft and a GOV.UK
//! content item, in parallel (rayon), with output independent of the thread count.
//!
//! Pass 1 (parallel) parses each page once: main content, metadata, Govspeak with links to
//! other legacy pages left as placeholders, format choice. Then, in a fixed order, each page
//! gets its slug and base path. Pass 2 (parallel) fills the placeholders with new URLs,
//! renders the body and builds and validates the content item. Files are written into a
//! fresh folder that replaces `content/` only when complete. Between the passes the drafts'
//! Govspeak waits in a file, so memory holds the site's metadata, not its text.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use scraper::Html;
use url::Url;

use crate::canonical::{Canonicalizer, Mode};
use crate::config::site::Site;
use crate::error::{Error, Result};
use crate::extract::charset;
use crate::extract::content::{self, ContentRules};
use crate::extract::facts::PageElements;
use crate::formats::file_names;
use crate::formats::item::{self, Attachment, ItemInput};
use crate::formats::{self, Choice, Mappings, Signals};
use crate::govspeak::{self, AttachmentRef, LinkTarget, RenderOptions};
use crate::redirects::{Decisions, Elsewhere, Outcome};
use crate::store::Store;

mod edits;

/// Options for one transform run.
pub struct TransformOptions {
    pub out_dir: PathBuf,
    pub mappings_dir: PathBuf,
    /// Worker threads; `None` for one per core.
    pub jobs: Option<usize>,
    pub progress: bool,
    /// Rebuild `content/` even where files in it were changed since the last transform
    /// (each is copied to `content-edited/<time>/` first); without it, such a run stops.
    pub replace_edited: bool,
}

/// What a run produced.
#[derive(Debug, Default, serde::Serialize)]
pub struct TransformSummary {
    pub site: String,
    pub pages: usize,
    pub by_format: BTreeMap<String, usize>,
    pub attachments: usize,
    pub failed: Vec<(String, String)>,
    pub schema_errors: usize,
    pub warnings: usize,
    /// The warnings by kind (their opening words, numbers and addresses generalised).
    pub warning_kinds: BTreeMap<String, usize>,
    pub content_dir: String,
    /// Where the files changed since the last transform were copied, when there were any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kept_edits: Option<String>,
    /// A warning for each mappings rule that no page matched, at its file:line:column.
    pub unmatched_rules: Vec<String>,
    /// Drafts of pages whose URLs the mappings redirect elsewhere, archive or leave
    /// unresolved: nothing will send a reader to them as things stand.
    pub sent_elsewhere: usize,
    /// A part most titles share (the site's name, " - Child Health Observatory"), and how
    /// many titles have it: for `title_strip` in the site's config.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shared_title_part: Option<SharedTitlePart>,
    /// How many pages the site's `content.main` selectors found the main content of, when
    /// it has any: a selector that matches nothing is valid CSS, and only this shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub main_selector_matched: Option<usize>,
}

/// A start or end most of a site's titles share.
#[derive(Debug, PartialEq, Eq, serde::Serialize)]
pub struct SharedTitlePart {
    pub part: String,
    /// How many titles have it.
    pub titles: usize,
}

/// The separators a site's name hangs on in titles ("Page - Site", "Site | Page").
const TITLE_SEPARATORS: [&str; 5] = [" - ", " | ", " – ", " — ", " :: "];

/// The start or end of a title ("HPA - ", " - ChObs - Child Health Observatory") that at
/// least half the titles, and at least five, share: most likely the site's name, which
/// `title_strip` would remove. The most shared wins, the longer on a tie (the whole name).
fn shared_title_part<'a>(titles: impl Iterator<Item = &'a str>) -> Option<SharedTitlePart> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut total = 0;
    for title in titles {
        total += 1;
        let mut parts: Vec<&str> = Vec::new();
        for separator in TITLE_SEPARATORS {
            for (at, _) in title.match_indices(separator) {
                parts.push(&title[..at + separator.len()]);
                parts.push(&title[at..]);
            }
        }
        parts.sort_unstable();
        parts.dedup();
        for part in parts {
            *counts.entry(part).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .filter(|(_, n)| *n >= 5 && n * 2 >= total)
        .max_by(|(a, m), (b, n)| m.cmp(n).then_with(|| a.len().cmp(&b.len())).then(b.cmp(a)))
        .map(|(part, titles)| SharedTitlePart {
            part: part.to_owned(),
            titles,
        })
}

/// A page read from the store.
struct SourcePage {
    id: i64,
    /// The URL whose answer was stored: relative links resolve against it.
    fetched_url: String,
    /// The key's representative raw URL: what the item names as its legacy URL.
    url: String,
    key: String,
    body: Vec<u8>,
    content_type: Option<String>,
    last_modified: Option<String>,
    /// The year the page was fetched (the latest year its text can date it to).
    fetched_year: Option<u16>,
    variants: Vec<String>,
    /// Other URLs that served exactly this page.
    also_at: Vec<String>,
    content_encoding: Option<String>,
}

/// Pages whose bodies are in memory at once.
const BATCH: usize = 512;

/// The most pages a worker takes as one task. Rayon otherwise splits a batch into a few
/// long runs that cannot be shared once started, and at the end of a pass one worker waits
/// while the other finishes its run.
const PAGES_PER_TASK: usize = 4;

/// A page's body as served, decompressed (empty when the store holds none).
fn read_body(store: &Store, id: i64, content_encoding: Option<&str>) -> Result<Vec<u8>> {
    let body = store.final_body(id)?.unwrap_or_default();
    let (decoded, _) = charset::decode_content(&body, content_encoding, 64 << 20);
    // A body served without a content-encoding is used as it is, not copied.
    Ok(match decoded {
        std::borrow::Cow::Owned(decoded) => decoded,
        std::borrow::Cow::Borrowed(_) => body,
    })
}

/// Reads the pages' bodies a batch at a time on a thread of its own, one batch ahead of
/// the conversion, so that the workers never wait for the store.
fn read_ahead<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    db: &Path,
    pages: &[SourcePage],
) -> std::sync::mpsc::Receiver<Result<Vec<Vec<u8>>>> {
    let wanted: Vec<(i64, Option<String>)> = pages
        .iter()
        .map(|p| (p.id, p.content_encoding.clone()))
        .collect();
    let db = db.to_path_buf();
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    scope.spawn(move || {
        let store = match Store::open_existing(&db).and_then(|s| s.prefer_bulk_reads().map(|_| s)) {
            Ok(store) => store,
            Err(e) => return drop(tx.send(Err(e))),
        };
        for batch in wanted.chunks(BATCH) {
            let bodies = batch
                .iter()
                .map(|(id, encoding)| read_body(&store, *id, encoding.as_deref()))
                .collect();
            if tx.send(bodies).is_err() {
                return;
            }
        }
    });
    rx
}

/// Batches of pages handed to the workers and not yet done: enough that a worker always
/// finds pages to take, few enough that memory holds a few batches' bodies, not the site's.
const BATCHES_IN_FLIGHT: usize = 2;

/// A counting semaphore: how many batches the workers hold.
struct InFlight {
    count: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
    limit: usize,
}

/// A batch's place among those in flight, given back when dropped.
struct Permit<'a>(&'a InFlight);

impl InFlight {
    fn new(limit: usize) -> InFlight {
        InFlight {
            count: std::sync::Mutex::new(0),
            freed: std::sync::Condvar::new(),
            limit,
        }
    }

    /// Waits until fewer than the limit are in flight, then takes a place.
    fn acquire(&self) -> Permit<'_> {
        let mut count = self.count.lock().unwrap_or_else(|e| e.into_inner());
        while *count >= self.limit {
            count = self.freed.wait(count).unwrap_or_else(|e| e.into_inner());
        }
        *count += 1;
        Permit(self)
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        *self.0.count.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        self.0.freed.notify_one();
    }
}

/// The draft's paragraphs that only restate one of the item's dates ("Last reviewed:
/// 2010-01-01"). GOV.UK shows an item's dates beside it, and a date in the body goes stale
/// at the first edit, so the editor is told; the text stays, as the page's own words.
fn restated_dates<'a>(
    govspeak: &'a str,
    item_dates: &[Option<crate::extract::dates::Date>],
) -> Vec<&'a str> {
    const LONGEST_LINE: usize = 80;
    let lines: Vec<&str> = govspeak.lines().collect();
    // A paragraph of one line: a list item, heading or table row starts with its marker,
    // which no date phrase does.
    let paragraph = |i: usize| {
        (i == 0 || lines[i - 1].is_empty()) && lines.get(i + 1).is_none_or(|next| next.is_empty())
    };
    (0..lines.len())
        .filter(|&i| lines[i].len() <= LONGEST_LINE && paragraph(i))
        .map(|i| lines[i])
        .filter(|line| {
            let text = emphasised(line).unwrap_or(line);
            crate::extract::dates::dated_line(text).is_some_and(|d| item_dates.contains(&Some(d)))
        })
        .collect()
}

/// The body's opening heading when the title already holds its words (a legacy page's
/// `<h1>` of the site's name over an `<h2>` of the report's, which became the title).
fn heading_repeating_title<'a>(govspeak: &'a str, title: &str) -> Option<&'a str> {
    let first = govspeak.lines().find(|l| !l.trim().is_empty())?;
    let heading = first.trim_start_matches('#');
    if heading.len() == first.len() || !heading.starts_with(' ') {
        return None;
    }
    let heading = heading.trim();
    let words = |text: &str| -> String {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect::<Vec<_>>()
            .join(" ")
    };
    let (heading_words, title_words) = (words(heading), words(title));
    // One word ("Summary") is more likely a section's heading than the title again.
    let within = (heading_words.contains(' ') || heading_words == title_words)
        && format!(" {title_words} ").contains(&format!(" {heading_words} "));
    within.then_some(heading)
}

/// The text of a line written wholly in emphasis (`*Last updated: ...*`, `_..._`).
fn emphasised(line: &str) -> Option<&str> {
    ["**", "*", "__", "_"].iter().find_map(|mark| {
        line.strip_prefix(mark)
            .and_then(|rest| rest.strip_suffix(mark))
            .filter(|inner| !inner.is_empty() && !inner.contains(mark))
    })
}

/// A known attachment of the site.
#[derive(Clone)]
struct KnownFile {
    url: String,
    /// The name it is uploaded with, unique in the site: see [`file_names`].
    name: String,
    content_type: String,
    size: Option<u64>,
    last_modified: Option<String>,
    /// The server's `Content-Disposition`, which may name the file.
    disposition: Option<String>,
}

/// Names each file for upload, unique in the site (so on any page that lists several),
/// repeats numbered in the order of their URLs so that a name does not depend on the crawl.
fn name_files(files: &mut HashMap<i64, KnownFile>) {
    let mut by_url: Vec<(&String, i64)> = files.iter().map(|(id, f)| (&f.url, *id)).collect();
    by_url.sort();
    let ids: Vec<i64> = by_url.into_iter().map(|(_, id)| id).collect();
    let mut names: Vec<String> = ids
        .iter()
        .map(|id| {
            let file = &files[id];
            file_names::attachment_name(
                &file.url,
                &file.content_type,
                file.disposition.as_deref(),
                &format!("file-{id}"),
            )
        })
        .collect();
    file_names::made_unique(&mut names);
    for (id, name) in ids.into_iter().zip(names) {
        if let Some(file) = files.get_mut(&id) {
            file.name = name;
        }
    }
}

/// The `Content-Disposition` among a fetch's stored headers (see [`crate::store::headers_json`]).
fn content_disposition(headers_json: &str) -> Option<String> {
    crate::store::stored_headers(headers_json.as_bytes())
        .into_iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-disposition"))
        .map(|h| h.value.into_owned())
}

/// What an editor needs to know of drafts whose titles make one path (`group`, in key
/// order): a warning list for each, and the newest version of a text among them, which
/// takes the path without a number. Versions of one text (the same words, other dates and
/// figures: a resource republished under new ids) are one item to publish, the newest;
/// other texts need titles of their own, since readers and search see only the title.
fn shared_title_warnings(
    group: &[&Draft],
    stem: &str,
    abbr: &str,
) -> (Vec<Vec<String>>, Option<i64>) {
    // Versions by their wording; a draft without words is a text of its own.
    let mut texts: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, draft) in group.iter().enumerate() {
        if draft.facts.words > 0 {
            texts
                .entry(&draft.facts.wording_digest)
                .or_default()
                .push(i);
        }
    }
    let date = |d: &Draft| d.updated.clone().or_else(|| d.published.clone());
    let when = |d: &Draft| {
        date(d).map_or(String::new(), |at| {
            format!(", dated {}", at.get(..10).unwrap_or(&at))
        })
    };
    let mut warnings: Vec<Vec<String>> = vec![Vec::new(); group.len()];
    let mut newest_of_all = None;
    for (i, draft) in group.iter().enumerate() {
        let versions = texts
            .get(draft.facts.wording_digest.as_str())
            .filter(|_| draft.facts.words > 0);
        if versions.map_or(1, Vec::len) < group.len() {
            warnings[i].push(format!(
                "{} pages of this site have this title (slug {stem}): give each a title of its own",
                group.len()
            ));
        }
    }
    for members in texts.values() {
        // Versions the mappings already decide for are settled.
        let open: Vec<&Draft> = members
            .iter()
            .map(|&i| group[i])
            .filter(|d| d.decided.is_none())
            .collect();
        if open.len() < 2 {
            continue;
        }
        // The newest; of equal dates, the first in key order.
        let newest = open
            .iter()
            .copied()
            .reduce(|kept, d| if date(d) > date(kept) { d } else { kept })
            .expect("two versions");
        const LISTED: usize = 3;
        let older: Vec<&&Draft> = open.iter().filter(|d| d.id != newest.id).collect();
        let mut listed: Vec<String> = older
            .iter()
            .take(LISTED)
            .map(|d| format!("{}{}", d.url, when(d)))
            .collect();
        if older.len() > LISTED {
            listed.push(format!("{} more", older.len() - LISTED));
        }
        // Versions of equal dates (or none) are not older: the first by address is chosen.
        let any_older = older.iter().any(|d| date(d) < date(newest));
        let to_newest = format!(
            "the {} of {} versions of one text (this title and these words, other dates \
             and figures): publish this one, and send the others ({}) to it with page \
             decisions in mappings/{abbr}.yml",
            if any_older {
                "newest"
            } else {
                "first by address, none dated later,"
            },
            open.len(),
            listed.join("; ")
        );
        let to_other = |d: &Draft| {
            let (url, dated) = (&newest.url, when(newest));
            let which = match (date(d), date(newest)) {
                (Some(at), Some(newest_at)) if at < newest_at => {
                    format!("an older version of {url}{dated}")
                }
                (Some(_), Some(_)) => format!(
                    "another version of {url}{dated}, the same date, chosen as the first by address"
                ),
                (None, Some(_)) => format!("an undated version of {url}{dated}"),
                _ => format!(
                    "another version of {url}, neither dated, chosen as the first by address"
                ),
            };
            format!(
                "{which} (this title and these words, other dates and figures): send this page \
                 to it with a page decision in mappings/{abbr}.yml rather than publish it"
            )
        };
        for &i in members {
            let draft = group[i];
            if draft.decided.is_none() {
                warnings[i].push(if draft.id == newest.id {
                    to_newest.clone()
                } else {
                    to_other(draft)
                });
            }
        }
        // Of several texts under one title, the newest version of any takes the slug.
        if newest_of_all.is_none_or(|kept: &Draft| date(newest) > date(kept)) {
            newest_of_all = Some(newest);
        }
    }
    (warnings, newest_of_all.map(|d| d.id))
}

/// Pass-1 result.
struct Draft {
    id: i64,
    url: String,
    key: String,
    variants: Vec<String>,
    title: String,
    /// The page's `<title>` less the configured site name, for [`shared_title_part`].
    written_title: String,
    /// Whether one of the site's `content.main` selectors found the main content.
    main_by_selector: bool,
    description: Option<String>,
    language: String,
    published: Option<String>,
    updated: Option<String>,
    choice: Choice,
    /// Where the Govspeak (links to other pages still placeholders) waits for pass 2.
    govspeak: Spilled,
    words: usize,
    attachments: Vec<String>,
    /// (attachment id, title from the text of a link to it), where a link says more than
    /// "download" or the file's name.
    attachment_titles: Vec<(String, String)>,
    linked_pages: Vec<i64>,
    warnings: Vec<String>,
    needs: Vec<String>,
    facts: crate::extract::facts::PageFacts,
    /// What the mappings decide for the page's own URLs, and why, when they decide.
    decided: Option<(Outcome, String)>,
}

const PLACEHOLDER: &str = "phe-migrate-page:";

/// A text's place in the [`Spill`] file.
#[derive(Clone, Copy, Debug, Default)]
struct Spilled {
    offset: u64,
    len: usize,
}

/// The drafts' Govspeak between the two passes: written by the workers as each page is
/// drafted, read back by position in pass 2. On Unix the file's name is removed as soon as
/// it is open, so it is never a visible output and even a kill -9 leaves nothing behind;
/// elsewhere it is removed when the run ends (a killed run's file is overwritten by the next).
struct Spill {
    path: PathBuf,
    file: std::fs::File,
    /// Where the next text goes: each writer takes its place, then writes without a lock.
    len: std::sync::atomic::AtomicU64,
    /// Seeking and reading are one step only on Unix; elsewhere a lock keeps them together.
    #[cfg(not(unix))]
    seek: std::sync::Mutex<()>,
}

impl Spill {
    fn create(path: PathBuf) -> Result<Spill> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        if cfg!(unix) {
            std::fs::remove_file(&path).map_err(|e| Error::io(&path, e))?;
        }
        Ok(Spill {
            path,
            file,
            len: std::sync::atomic::AtomicU64::new(0),
            #[cfg(not(unix))]
            seek: std::sync::Mutex::new(()),
        })
    }

    /// Appends a text (from any thread).
    fn put(&self, text: &str) -> Result<Spilled> {
        let offset = self
            .len
            .fetch_add(text.len() as u64, std::sync::atomic::Ordering::Relaxed);
        self.write_at(text.as_bytes(), offset)
            .map_err(|e| Error::io(&self.path, e))?;
        Ok(Spilled {
            offset,
            len: text.len(),
        })
    }

    fn get(&self, place: Spilled) -> Result<String> {
        let mut bytes = vec![0; place.len];
        self.read_at(&mut bytes, place.offset)
            .map_err(|e| Error::io(&self.path, e))?;
        String::from_utf8(bytes).map_err(|_| {
            Error::Other(format!(
                "{}: a draft came back changed; run the transform again",
                self.path.display()
            ))
        })
    }

    #[cfg(unix)]
    fn write_at(&self, bytes: &[u8], offset: u64) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::write_all_at(&self.file, bytes, offset)
    }

    #[cfg(unix)]
    fn read_at(&self, bytes: &mut [u8], offset: u64) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, bytes, offset)
    }

    #[cfg(not(unix))]
    fn write_at(&self, bytes: &[u8], offset: u64) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom, Write};
        let _held = self.seek.lock().unwrap_or_else(|e| e.into_inner());
        let mut file = &self.file;
        file.seek(SeekFrom::Start(offset))?;
        file.write_all(bytes)
    }

    #[cfg(not(unix))]
    fn read_at(&self, bytes: &mut [u8], offset: u64) -> std::io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        let _held = self.seek.lock().unwrap_or_else(|e| e.into_inner());
        let mut file = &self.file;
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(bytes)
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        if !cfg!(unix) {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Reads the site's crawl and writes `content/`, `transform.csv` and `attachments.csv`.
pub fn transform_site(site: &Site, options: &TransformOptions) -> Result<TransformSummary> {
    let site_dir = options.out_dir.join(&site.abbr);
    let db = site_dir.join("crawl.db");
    if !db.is_file() {
        return Err(Error::Usage(format!(
            "no crawl for {} at {}: run `phe-migrate crawl {}` first",
            site.abbr,
            db.display(),
            site.abbr
        )));
    }
    // Before any work: a transform must not lose what editors changed in the drafts.
    let content_dir = site_dir.join("content");
    let edited = edits::find(&content_dir)?;
    let kept_edits = match (edited.is_empty(), options.replace_edited) {
        (true, _) => None,
        (false, false) => {
            return Err(Error::Usage(edits::refusal(
                &site.abbr,
                &content_dir,
                &edited,
            )));
        }
        (false, true) => Some(edits::keep_copies(&content_dir, &edited.files)?),
    };
    let store = Store::open_existing(&db)?;
    store.prefer_bulk_reads()?;
    let canonicalizer = Canonicalizer::new(site.significant_params.clone(), Mode::Govuk);
    let mappings = Mappings::load(&options.mappings_dir.join(format!("{}.yml", site.abbr)))?
        .with_keys(|path| canonicalizer.key(path).ok());
    let rules = ContentRules::new(&site.content);
    let written =
        crate::redirects::sources::decisions(site, &canonicalizer, &options.mappings_dir)?;
    let decisions = Decisions::new(site, &written);
    let moved: HashMap<String, String> = store.redirected_keys()?.into_iter().collect();
    let errors: HashMap<String, u16> = store.error_keys()?.into_iter().collect();
    let (mut pages, keys, files) = read_store(&store, &db, &site.host)?;

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(options.jobs.unwrap_or(0))
        .build()
        .map_err(|e| Error::Other(format!("cannot start worker threads: {e}")))?;
    let bar = progress_bar(options.progress, pages.len() as u64 * 2, &site.abbr);
    let page_keys: HashMap<i64, String> = pages.iter().map(|p| (p.id, p.key.clone())).collect();
    let context = Context {
        site,
        canonicalizer: &canonicalizer,
        keys: &keys,
        files: &files,
        mappings: &mappings,
        rules: &rules,
        decisions: &decisions,
        moved: &moved,
        errors: &errors,
        page_keys: &page_keys,
    };
    // Bodies are read a batch at a time, so memory holds a few batches of pages (those
    // being converted, the next read ahead), not the site.
    let mut drafts: Vec<Draft> = Vec::with_capacity(pages.len());
    let mut failed: Vec<(String, String)> = Vec::new();
    let spill = Spill::create(site_dir.join(".transform-drafts.partial"))?;
    drop(store);
    type Drafted = Vec<Result<std::result::Result<Draft, (String, String)>>>;
    let slots: Vec<std::sync::Mutex<Drafted>> = (0..pages.len().div_ceil(BATCH))
        .map(|_| std::sync::Mutex::new(Vec::new()))
        .collect();
    let in_flight = InFlight::new(BATCHES_IN_FLIGHT);
    std::thread::scope(|scope| -> Result<()> {
        let bodies = read_ahead(scope, &db, &pages);
        // Each batch is handed to the workers as soon as its bodies are read, without
        // waiting for the one before to finish: a worker that runs out of pages in one
        // batch takes the next instead of idling until the other worker ends its last.
        pool.in_place_scope(|workers| -> Result<()> {
            for (batch, slot) in pages.chunks_mut(BATCH).zip(&slots) {
                let read = bodies.recv().map_err(|_| {
                    Error::Other(format!("{}: the store reader stopped", db.display()))
                })??;
                for (page, body) in batch.iter_mut().zip(read) {
                    page.body = body;
                }
                let permit = in_flight.acquire();
                let (context, spill, bar) = (&context, &spill, &bar);
                workers.spawn(move |_| {
                    let drafted: Drafted = batch
                        .par_iter()
                        .with_max_len(PAGES_PER_TASK)
                        .map(|page| draft_page(context, spill, bar.as_ref(), page))
                        .collect();
                    for page in batch.iter_mut() {
                        page.body = Vec::new();
                    }
                    *slot.lock().unwrap_or_else(|e| e.into_inner()) = drafted;
                    drop(permit);
                });
            }
            Ok(())
        })
    })?;
    for slot in slots {
        for result in slot.into_inner().unwrap_or_else(|e| e.into_inner()) {
            match result? {
                Ok(draft) => drafts.push(draft),
                Err(failure) => failed.push(failure),
            }
        }
    }
    let mut matched = vec![false; mappings.rules.len()];
    for rule in drafts.iter().filter_map(|d| d.choice.rule) {
        matched[rule] = true;
    }
    let mut summary = TransformSummary {
        site: site.abbr.clone(),
        failed,
        kept_edits: kept_edits.map(|folder| folder.display().to_string()),
        unmatched_rules: mappings
            .unmatched(&matched)
            .iter()
            .map(ToString::to_string)
            .collect(),
        shared_title_part: shared_title_part(drafts.iter().map(|d| d.written_title.as_str())),
        main_selector_matched: rules
            .has_main_selectors()
            .then(|| drafts.iter().filter(|d| d.main_by_selector).count()),
        ..TransformSummary::default()
    };
    drafts.sort_by(|a, b| a.key.cmp(&b.key));
    // Slugs and base paths, in key order so that `--2` goes to the same page every run.
    let organisation = site.whitehall_slug.clone();
    // Slugging a title (Unicode normalisation) is the costly part: done on the workers, with
    // each page's first-choice base path and its content_id.
    let named: Vec<(String, String, String)> = pool.install(|| {
        drafts
            .par_iter()
            .map(|d| {
                let stem = d
                    .choice
                    .slug
                    .clone()
                    .unwrap_or_else(|| formats::slug(&d.title));
                let base_path = formats::base_path(&d.choice, &stem, &organisation);
                (stem, base_path, content_id(&d.url))
            })
            .collect()
    });
    let mut used: FxHashSet<String> = FxHashSet::default();
    used.reserve(drafts.len());
    let mut base_paths: FxHashMap<i64, (String, String)> = FxHashMap::default();
    base_paths.reserve(drafts.len());
    let mut content_ids: FxHashMap<i64, String> = FxHashMap::default();
    content_ids.reserve(drafts.len());
    // Pages whose titles make the same slug are told apart by `--2`, `--3`: an editor should
    // give each a title of its own, since GOV.UK readers (and search) see only the title.
    // Slugs are unique across formats, not only per path: each item's files are named by its
    // slug, so `/guidance/x` beside `/government/publications/x` would overwrite `x.md`.
    let mut sharing: FxHashMap<&str, Vec<usize>> = FxHashMap::default();
    for (i, (stem, _, _)) in named.iter().enumerate() {
        sharing.entry(stem.as_str()).or_default().push(i);
    }
    // Each draft's warnings, and per slug the newest version of a text, which takes the slug
    // without a number: it is the one to publish.
    let mut title_warnings: Vec<Vec<String>> = vec![Vec::new(); drafts.len()];
    let mut reserved: FxHashMap<String, i64> = FxHashMap::default();
    for (stem, members) in &sharing {
        let group: Vec<&Draft> = members
            .iter()
            .map(|&i| &drafts[i])
            .filter(|d| !d.title.is_empty())
            .collect();
        if group.len() < 2 {
            continue;
        }
        let (warnings, newest) = shared_title_warnings(&group, stem, &site.abbr);
        let titled = members.iter().filter(|&&i| !drafts[i].title.is_empty());
        for (&i, warnings) in titled.zip(warnings) {
            title_warnings[i] = warnings;
        }
        if let Some(newest) = newest {
            reserved.insert(stem.to_string(), newest);
        }
    }
    for (draft, warnings) in drafts.iter_mut().zip(title_warnings) {
        draft.warnings.extend(warnings);
    }
    let mut next_number: FxHashMap<String, usize> = FxHashMap::default();
    for (draft, (stem, first_choice, id)) in drafts.iter().zip(named) {
        let kept_for_another = reserved
            .get(stem.as_str())
            .is_some_and(|&newest| newest != draft.id);
        let (slug, base_path) = if kept_for_another || used.contains(&stem) {
            // Each stem's numbers below its counter are taken (slugs are never freed), so the
            // search starts there: thousands of pages of one title stay linear.
            let next = next_number.entry(stem.clone()).or_insert(2);
            let numbered = |n: usize| format!("{stem}--{n}");
            let n = (*next..)
                .find(|&n| !used.contains(&numbered(n)))
                .expect("some numbered slug is free");
            *next = n + 1;
            let slug = numbered(n);
            let base_path = formats::base_path(&draft.choice, &slug, &organisation);
            (slug, base_path)
        } else {
            (stem, first_choice)
        };
        used.insert(slug.clone());
        base_paths.insert(draft.id, (slug, base_path));
        content_ids.insert(draft.id, id);
    }
    let organisation_id = content_id(&crate::formats::govuk_url(&format!(
        "/government/organisations/{organisation}"
    )));
    let by_name: HashMap<&str, &KnownFile> = files.values().map(|f| (f.name.as_str(), f)).collect();
    // Each item is written as soon as it is built, so memory holds drafts, not items.
    let partial = crate::atomic::start_folder(&site_dir.join("content"))?;
    let outputs: Vec<Output> = pool.install(|| {
        // Each draft is dropped once its item is written.
        drafts
            .into_par_iter()
            .with_max_len(PAGES_PER_TASK)
            .map(|draft| {
                let text = spill.get(draft.govspeak)?;
                let mut out = finish(
                    &draft,
                    &text,
                    &base_paths,
                    &content_ids,
                    &by_name,
                    &organisation_id,
                );
                write_file(
                    &partial.join(format!("{}.md", out.slug)),
                    std::mem::take(&mut out.markdown).as_bytes(),
                )?;
                write_file(
                    &partial.join(format!("{}.json", out.slug)),
                    std::mem::take(&mut out.json).as_bytes(),
                )?;
                if let Some(bar) = &bar {
                    bar.inc(1);
                }
                Ok(out)
            })
            .collect::<Result<Vec<Output>>>()
    })?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    write_outputs(&site_dir, &outputs, &files, &mut summary)?;
    // Freeing tens of thousands of items, and the drafts' file (the system frees its pages
    // as it is closed), takes a noticeable moment of one core: leave it to a thread of its
    // own rather than keep the next site, or the exit, waiting. Should no thread start,
    // all is freed here as the closure is dropped.
    let leftovers = (
        outputs,
        spill,
        pages,
        keys,
        files,
        base_paths,
        content_ids,
        used,
    );
    let _ = std::thread::Builder::new().spawn(move || drop(leftovers));
    Ok(summary)
}

/// One page's draft, its Govspeak spilled as soon as it is made; a page that cannot be
/// converted (even by a bug that panics) is a failure with its reason, not the run's end.
fn draft_page(
    context: &Context<'_>,
    spill: &Spill,
    bar: Option<&indicatif::ProgressBar>,
    page: &SourcePage,
) -> Result<std::result::Result<Draft, (String, String)>> {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| context.draft(page)))
        .unwrap_or_else(|_| Err("the page could not be converted (internal error)".to_owned()));
    if let Some(bar) = bar {
        bar.inc(1);
    }
    match result {
        Ok((mut draft, govspeak)) => {
            draft.govspeak = spill.put(&govspeak)?;
            Ok(Ok(draft))
        }
        Err(reason) => Ok(Err((page.url.clone(), reason))),
    }
}

struct Context<'a> {
    site: &'a Site,
    canonicalizer: &'a Canonicalizer,
    /// Canonical key -> (url id, kind) of every URL the crawl fetched successfully.
    keys: &'a HashMap<String, (i64, String)>,
    files: &'a HashMap<i64, KnownFile>,
    mappings: &'a Mappings,
    rules: &'a ContentRules,
    /// The redirect decisions in the mappings: a link goes where the table will send it.
    decisions: &'a Decisions<'a>,
    /// Key -> key of the page on the site each redirect's chain ended at, as the crawl
    /// found them.
    moved: &'a HashMap<String, String>,
    /// Key -> status of each URL the legacy site answered with an error.
    errors: &'a HashMap<String, u16>,
    /// Page id -> its own key, for pages another (`/index.html` beside `/`) merged into.
    page_keys: &'a HashMap<i64, String>,
}

impl Context<'_> {
    /// Where a link to a page the mappings decide goes: the redirect's target, or the
    /// page's copy in the web archive, as Bouncer answers for the link without its
    /// insignificant parameters (a published page should not carry the crawl's session
    /// id). A page left unresolved keeps its link (`key` is the link's own).
    fn followed(&self, outcome: &Outcome, url: &Url, key: &str) -> LinkTarget {
        if matches!(outcome, Outcome::Unresolved | Outcome::NotFound) {
            return self.kept(key);
        }
        let mut link = url.clone();
        if let Some(query) = url.query() {
            let kept = self.canonicalizer.params.significant_only(query);
            link.set_query((!kept.is_empty()).then_some(kept.as_str()));
        }
        let answer = outcome.answer(self.site, link.as_str());
        answer
            .location
            .or(answer.archive_url)
            .map_or_else(|| self.kept(key), LinkTarget::Rewrite)
    }

    /// A link to a legacy page that stays as it is: broken when the legacy site answered
    /// it (or the end of the redirect chain it starts) with an error, otherwise undecided.
    fn kept(&self, key: &str) -> LinkTarget {
        std::iter::once(key)
            .chain(self.moved.get(key).map(String::as_str))
            .find_map(|key| self.errors.get(key).copied())
            .map_or(LinkTarget::Undecided, LinkTarget::Broken)
    }

    /// A page's draft and its Govspeak.
    fn draft(&self, page: &SourcePage) -> std::result::Result<(Draft, String), String> {
        let decoded = charset::decode(&page.body, page.content_type.as_deref());
        let html = crate::extract::cap_nesting(&decoded.text, crate::extract::MAX_NESTING);
        let document = Html::parse_document(&html);
        let mut extracted = content::extract(&document, self.rules, page.last_modified.as_deref());
        let mut data_files = 0;
        let mut internal_links = 0;
        let link_target = |url: &Url| -> LinkTarget {
            let host = url.host_str().unwrap_or_default();
            if !self.site.has_host(host) {
                return LinkTarget::Keep;
            }
            let Ok(link_key) = self.canonicalizer.key(url.as_str()) else {
                return LinkTarget::Undecided;
            };
            // A URL the legacy site redirected stands for the page its chain ended at, as
            // the table folds chains; its own decision, if any, comes first.
            for key in std::iter::once(&link_key).chain(self.moved.get(&link_key)) {
                let found = self.keys.get(key);
                if let Some((id, kind)) = found
                    && kind == "attachment"
                {
                    return match self.files.get(id) {
                        Some(file) => LinkTarget::Attachment(file.name.clone()),
                        None => self.kept(&link_key),
                    };
                }
                // A page the mappings decide goes where the table sends it, not to its draft.
                if let Some(outcome) = self.decisions.outcome(key) {
                    return self.followed(&outcome, url, &link_key);
                }
                if let Some((id, _)) = found {
                    // A URL merged into another page goes where that page goes.
                    if let Some(page_key) = self.page_keys.get(id)
                        && page_key != key
                        && let Some(outcome) = self.decisions.outcome(page_key)
                    {
                        return self.followed(&outcome, url, &link_key);
                    }
                    return LinkTarget::Rewrite(format!("{PLACEHOLDER}{id}"));
                }
            }
            self.kept(&link_key)
        };
        let path_key = crate::canonical::key_as_path(&page.key);
        // Publications list their files; other formats embed them. The format depends on
        // the conversion, so convert with embeds and rewrite them if the format lists files.
        let main =
            scraper::ElementRef::wrap(document.tree.get(extracted.main).ok_or("no main content")?)
                .ok_or("no main content")?;
        let elements = PageElements::collect(&document, main, &extracted.skip);
        let base = base_url(elements.base_href, &page.fetched_url);
        let options = govspeak::Options {
            base: base.as_ref(),
            link_target: &link_target,
            skip: &extracted.skip,
        };
        let mut conversion = govspeak::convert(main, &options);
        let text = &extracted.main_text;
        // The visible text is collapsed: its words are one space apart.
        let words = match text.is_empty() {
            true => 0,
            false => 1 + memchr::memchr_iter(b' ', text.as_bytes()).count(),
        };
        let facts = crate::extract::facts::page_facts(
            &elements,
            text,
            base.as_ref(),
            page.fetched_year.unwrap_or(u16::MAX),
        );
        // A link the legacy site itself answered with an error is broken already: the
        // editor's fix is to remove or replace it, not to wait for a decision.
        let (mut broken, mut undecided) = (Vec::new(), Vec::new());
        for link in &conversion.links {
            match &link.target {
                LinkTarget::Attachment(id) => {
                    if matches!(
                        file_names::extension_of(id).as_deref(),
                        Some("xls" | "xlsx" | "csv" | "ods")
                    ) {
                        data_files += 1;
                    }
                }
                LinkTarget::Rewrite(_) => internal_links += 1,
                LinkTarget::Broken(status) => broken.push((link.href.as_str(), *status)),
                LinkTarget::Undecided => undecided.push(link.href.as_str()),
                LinkTarget::Keep => {}
            }
        }
        let signals = Signals {
            path: path_key,
            title: &extracted.title,
            words,
            headings: conversion.headings.len(),
            tables: conversion.tables,
            numeric_tables: conversion.numeric_tables,
            attachments: conversion.attachments.len(),
            data_attachments: data_files,
            internal_links,
            has_date: extracted.published.is_some(),
        };
        let choice = formats::choose(&signals, self.mappings.rule_for(path_key, &extracted.title));
        if matches!(choice.schema_name.as_str(), "publication" | "consultation")
            && !conversion.attachments.is_empty()
        {
            conversion.govspeak = govspeak::with_attachments_listed(&conversion);
        }
        let mut warnings = Vec::new();
        let item_dates = [extracted.published, extracted.updated];
        if item_dates.iter().any(Option::is_some)
            && let Some(line) = restated_dates(&conversion.govspeak, &item_dates).first()
        {
            warnings.push(format!(
                "the body restates the item's date (\"{line}\"): remove it, as GOV.UK shows an item's dates beside it"
            ));
        }
        if let Some(heading) = heading_repeating_title(&conversion.govspeak, &extracted.title) {
            warnings.push(format!(
                "the body opens with a heading the title already says (\"{heading}\"): remove it, as GOV.UK shows the title above the body"
            ));
        }
        if self.rules.has_main_selectors() && extracted.method != "selector" {
            warnings.push(
                "none of the site's `content.main` selectors matched this page, so its main content was found without them: check the draft for menus or missing parts, or add a selector"
                    .to_owned(),
            );
        }
        if extracted.title.is_empty() {
            warnings.push("no title found: write one".to_owned());
        } else if extracted.title.chars().count() > 65 {
            warnings.push(format!(
                "title is {} characters: GOV.UK titles should be 65 or fewer",
                extracted.title.chars().count()
            ));
        }
        if extracted.description.is_none() {
            warnings.push(
                "no summary found: write one (160 characters or fewer, ending with a full stop)"
                    .to_owned(),
            );
        }
        if choice.schema_name == "publication" && conversion.attachments.is_empty() {
            warnings.push("a publication needs at least one attachment".to_owned());
        }
        if let Some((href, status)) = broken.first() {
            warnings.push(format!(
                "{} broken link(s) kept as they are (e.g. {href}, which the legacy site answered with {status}): remove or replace them",
                broken.len(),
            ));
        }
        if let Some(href) = undecided.first() {
            warnings.push(format!(
                "{} link(s) to legacy pages with no new URL kept as they are (e.g. {href})",
                undecided.len(),
            ));
        }
        if !page.also_at.is_empty() {
            warnings.push(format!(
                "the same page is also served at {}: one item for all",
                page.also_at.join(", ")
            ));
        }
        warnings.extend(conversion.warnings.iter().cloned());
        let linked_pages = conversion
            .links
            .iter()
            .filter_map(|l| match &l.target {
                LinkTarget::Rewrite(p) => {
                    p.strip_prefix(PLACEHOLDER).and_then(|id| id.parse().ok())
                }
                _ => None,
            })
            .collect();
        let draft = Draft {
            id: page.id,
            url: page.url.clone(),
            key: page.key.clone(),
            variants: page.variants.clone(),
            title: extracted.title.clone(),
            written_title: std::mem::take(&mut extracted.written_title),
            main_by_selector: extracted.method == "selector",
            description: extracted.description.clone(),
            language: extracted.language.clone(),
            published: extracted.published.map(|d| d.iso8601()),
            updated: extracted.updated.map(|d| d.iso8601()),
            choice,
            govspeak: Spilled::default(),
            words,
            attachment_titles: conversion
                .attachments
                .iter()
                .filter_map(|id| {
                    conversion
                        .links
                        .iter()
                        .filter(|l| matches!(&l.target, LinkTarget::Attachment(a) if a == id))
                        .find_map(|l| attachment_title(&l.text, id, &extracted.title))
                        .map(|title| (id.clone(), title))
                })
                .collect(),
            attachments: conversion.attachments,
            linked_pages,
            warnings,
            needs: self.mappings.needs_for(path_key),
            facts,
            decided: self
                .decisions
                .written(&page.key)
                .map(|(outcome, because)| (outcome, because.into_owned())),
        };
        Ok((draft, conversion.govspeak))
    }
}

/// An attachment's title from the text of a link to it: "Download the full report (PDF,
/// 2MB)" on a page titled "Sunbeds" gives "Sunbeds: full report" (a word or two alone
/// would not tell one page's data from another's). `None` when the text says no more than
/// "download", "here" or the file's name, so the file name stands.
fn attachment_title(link_text: &str, file_name: &str, page_title: &str) -> Option<String> {
    use crate::extract::facts::{DATA_FORMATS, DOCUMENT_FORMATS, VAGUE_LINK_TEXT};
    let file_type = |word: &str| {
        DOCUMENT_FORMATS.contains(&word)
            || DATA_FORMATS.iter().any(|(format, _)| *format == word)
            || ["excel", "odp", "txt"].contains(&word)
    };
    // A word of a note on the file: its type, its size ("245kb", "2 MB"), a new window.
    let about_the_file = |word: &str| {
        let unit = word.trim_start_matches(|c: char| c.is_ascii_digit());
        file_type(word)
            || ["word", "powerpoint", "opens", "window", "bytes"].contains(&word)
            || ["kb", "mb", "gb"].contains(&unit)
    };
    let mut text = crate::extract::links::collapse_whitespace(link_text);
    // Trailing notes on the file: "(PDF)", "[XLS, 30KB]", "(opens in a new window)".
    loop {
        let trimmed = text.trim_end_matches([' ', '.', ',', ':', '-', '–']);
        let Some(close) = trimmed.chars().last().filter(|c| matches!(c, ')' | ']')) else {
            break;
        };
        let open = if close == ')' { '(' } else { '[' };
        let Some(start) = trimmed.rfind(open) else {
            break;
        };
        let note = trimmed[start..].to_ascii_lowercase();
        if !note
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(about_the_file)
        {
            break;
        }
        text = trimmed[..start].to_owned();
    }
    // `word` at the start of `text`, in any case, and what follows it.
    let after = |text: &'_ str, word: &str| -> Option<usize> {
        text.get(..word.len())
            .filter(|head| head.eq_ignore_ascii_case(word))
            .map(|_| word.len())
    };
    let mut title = text.trim_matches([' ', '.', ',', ':', '-', '–']);
    for lead in ["click here to download", "download", "view", "read"] {
        if let Some(end) = after(title, lead)
            && title[end..].starts_with([' ', ':'])
        {
            title = title[end..].trim_start_matches([' ', ':']);
            if let Some(end) = ["the ", "a ", "an ", "our "]
                .into_iter()
                .find_map(|article| after(title, article))
            {
                title = &title[end..];
            }
            break;
        }
    }
    let lower = title.to_lowercase();
    let says_nothing = VAGUE_LINK_TEXT.contains(&lower.as_str())
        || ["", "this", "file", "document", "view", "open"].contains(&lower.as_str());
    if says_nothing || file_type(&lower) || lower == file_name.to_lowercase() {
        return None;
    }
    let mut chars = title.chars();
    let first = chars.next()?;
    if title.split(' ').count() <= 2 && !page_title.is_empty() {
        let rest = chars.as_str();
        return Some(
            match first.is_uppercase() && rest.chars().any(char::is_uppercase) {
                true => format!("{page_title}: {title}"), // an acronym or a name: as it is
                false => format!("{page_title}: {}{rest}", first.to_lowercase()),
            },
        );
    }
    Some(first.to_uppercase().chain(chars).collect())
}

/// The page URL, or its `<base href>`.
fn base_url(base_href: Option<&str>, page_url: &str) -> Option<Url> {
    let page = Url::parse(page_url).ok()?;
    match base_href {
        Some(href) => page.join(href).ok().or(Some(page)),
        None => Some(page),
    }
}

/// A deterministic content_id: UUIDv5 of the legacy URL.
pub fn content_id(url: &str) -> String {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_URL, url.as_bytes()).to_string()
}

struct Output {
    slug: String,
    markdown: String,
    json: String,
    csv_row: Vec<String>,
    /// The page's line in pages.jsonl, for the audits.
    page_line: String,
    attachment_uses: Vec<(String, String)>,
    schema_errors: usize,
    /// The kind of each warning, for the summary.
    warning_kinds: Vec<String>,
    schema_name: String,
    /// Of the .md and the .json as written, for the manifest.
    digests: [u64; 2],
    /// True when the redirect table will send the page's URLs somewhere else.
    sent_elsewhere: bool,
}

/// Where the redirect table sends a draft's own URLs, when it does not send them to it.
struct SentElsewhere {
    /// For the front matter (and the report's check of paths two sites draft).
    to: Elsewhere,
    /// For the editor: where, by which decision, and what to do.
    warning: String,
}

fn sent_elsewhere(outcome: &Outcome, because: &str, base_path: &str) -> Option<SentElsewhere> {
    let to = Elsewhere::of(outcome, base_path)?;
    let by = match because {
        "homepage" => "the site's homepage in its crawl config".to_owned(),
        "global" => "the site's global rule".to_owned(),
        rule => format!("the {rule}"),
    };
    let tail = "publish this draft only if that decision changes";
    let warning = match &to {
        Elsewhere::Url(new_url) => format!(
            "the redirect table sends this page's URLs to {new_url}, as {by} decides: {tail}"
        ),
        Elsewhere::Archive => format!(
            "the redirect table archives this page (410 with a link to the web archive), as {by} decides: {tail}"
        ),
        Elsewhere::Global => format!(
            "the redirect table answers every URL of the site by {by}, not with this draft: {tail}"
        ),
        Elsewhere::Unresolved => format!(
            "{by} leaves this page unresolved: its URLs answer 410 until a redirect is decided"
        ),
    };
    Some(SentElsewhere { to, warning })
}

fn finish(
    draft: &Draft,
    draft_govspeak: &str,
    base_paths: &FxHashMap<i64, (String, String)>,
    content_ids: &FxHashMap<i64, String>,
    by_name: &HashMap<&str, &KnownFile>,
    organisation_id: &str,
) -> Output {
    let (slug, base_path) = base_paths[&draft.id].clone();
    // Links to migrated pages point at their new GOV.UK URLs.
    let mut govspeak = String::with_capacity(draft_govspeak.len() + 256);
    let mut rest = draft_govspeak;
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(PLACEHOLDER));
    while let Some(at) = FINDER.find(rest.as_bytes()) {
        govspeak.push_str(&rest[..at]);
        let after = &rest[at + PLACEHOLDER.len()..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let id: i64 = after[..digits].parse().unwrap_or(-1);
        if let Some((_, path)) = base_paths.get(&id) {
            govspeak.push_str(crate::formats::GOVUK_ORIGIN);
            govspeak.push_str(path);
        }
        rest = &after[digits..];
    }
    govspeak.push_str(rest);
    let attachments: Vec<Attachment> = draft
        .attachments
        .iter()
        .filter_map(|name| by_name.get(name.as_str()))
        .map(|f| Attachment {
            id: f.name.clone(),
            title: draft
                .attachment_titles
                .iter()
                .find(|(id, _)| *id == f.name)
                .map_or_else(|| f.name.clone(), |(_, title)| title.clone()),
            url: f.url.clone(),
            content_type: f.content_type.clone(),
            file_size: f.size,
        })
        .collect();
    let refs: Vec<AttachmentRef> = attachments
        .iter()
        .map(|a| AttachmentRef {
            id: a.id.clone(),
            url: a.url.clone(),
            title: a.title.clone(),
        })
        .collect();
    let rendered = govspeak::render(
        &govspeak,
        &RenderOptions {
            attachments: &refs,
            images: &[],
            auto_numbered_headings: false,
        },
    );
    // The linked pages' content ids in order of first link (an A to Z page links thousands).
    let mut seen = std::collections::HashSet::new();
    let documents_unique: Vec<String> = draft
        .linked_pages
        .iter()
        .filter_map(|id| content_ids.get(id))
        .filter(|d| seen.insert(*d))
        .cloned()
        .collect();
    let item = item::build(&ItemInput {
        choice: &draft.choice,
        base_path: &base_path,
        title: &draft.title,
        description: draft.description.as_deref(),
        locale: if draft.language == "cy" { "cy" } else { "en" },
        body_html: &rendered.html,
        headers: &rendered.headers,
        first_published_at: draft.published.clone(),
        public_updated_at: draft.updated.clone(),
        attachments: &attachments,
        organisation_id,
        collection_documents: &documents_unique,
    });
    let errors = item::validate(&item);
    let mut warnings = draft.warnings.clone();
    let elsewhere = draft
        .decided
        .as_ref()
        .and_then(|(outcome, because)| sent_elsewhere(outcome, because, &base_path));
    warnings.extend(elsewhere.as_ref().map(|e| e.warning.clone()));
    if rendered.sanitised {
        warnings.push("raw HTML in the body was sanitised".to_owned());
    }
    // One warning per problem with the files: how many, the first, and what to do.
    let mut files_warning =
        |has_problem: &dyn Fn(&Attachment) -> bool, problem: &str, todo: &str| {
            let mut with = attachments.iter().filter(|a| has_problem(a));
            if let Some(first) = with.next() {
                warnings.push(format!(
                    "{} attachment(s) {problem} (e.g. {}): {todo}",
                    1 + with.count(),
                    first.id
                ));
            }
        };
    // Publishing needs a title per file that says what it holds; its name rarely does.
    files_warning(
        &|a| a.title == a.id,
        "titled with the file name",
        "give each a title that says what it holds",
    );
    files_warning(
        &|a| !file_names::accepted_by_whitehall(&a.id),
        "of a type GOV.UK publishing does not take",
        "convert each to an open format (CSV, ODS, PDF) or leave it to the web archive",
    );
    for e in &errors {
        warnings.push(format!("schema: {e}"));
    }
    let json = serde_json::to_string_pretty(&item).expect("a JSON value") + "\n";
    let front = FrontMatter {
        base_path: &base_path,
        content_id: &content_ids[&draft.id],
        attachments: &attachments,
        sent_elsewhere: elsewhere.as_ref().map(|e| e.to.as_str()),
        warnings: &warnings,
    };
    let markdown = front_matter(draft, &front) + "---\n\n" + &govspeak;
    let csv_row = vec![
        draft.url.clone(),
        draft.key.clone(),
        draft.choice.schema_name.clone(),
        draft.choice.document_type.clone(),
        base_path.clone(),
        draft.title.clone(),
        draft.words.to_string(),
        content_ids[&draft.id].clone(),
        draft.choice.reason.clone(),
        elsewhere
            .as_ref()
            .map_or_else(String::new, |e| e.to.as_str().to_owned()),
        warnings.join("; "),
    ];
    let page_line = serde_json::to_string(&serde_json::json!({
        "url": draft.url,
        "key": draft.key,
        "variants": draft.variants,
        "title": draft.title,
        "description": draft.description,
        "published": draft.published,
        "updated": draft.updated,
        "language": draft.language,
        "format": draft.choice.schema_name,
        "document_type": draft.choice.document_type,
        "base_path": base_path,
        "attachments": draft.attachments,
        "facts": draft.facts,
    }))
    .expect("a JSON value");
    Output {
        slug,
        sent_elsewhere: elsewhere.is_some(),
        digests: [
            edits::digest(markdown.as_bytes()),
            edits::digest(json.as_bytes()),
        ],
        markdown,
        json,
        csv_row,
        page_line,
        attachment_uses: draft
            .attachments
            .iter()
            .map(|a| (a.clone(), base_path.clone()))
            .collect(),
        schema_errors: errors.len(),
        warning_kinds: warnings.iter().map(|w| warning_kind(w)).collect(),
        schema_name: draft.choice.schema_name.clone(),
    }
}

/// A warning's kind, for counting: its opening words up to the first `:`, `(` or `,`, with
/// addresses as URL and numbers as N ("N broken link(s) kept as they are", "an older
/// version of URL").
fn warning_kind(warning: &str) -> String {
    let mut kind = String::new();
    for word in warning.split(' ') {
        if !kind.is_empty() {
            kind.push(' ');
        }
        if word.starts_with("http://") || word.starts_with("https://") {
            kind.push_str("URL");
            if word.ends_with([',', ':']) {
                break;
            }
            continue;
        }
        // A plural's "(s)" belongs to its word; any other bracket, colon or comma ends it.
        let end = word
            .char_indices()
            .find(|&(i, c)| match c {
                ':' | ',' => true,
                '(' => !word[i..].starts_with("(s)"),
                _ => false,
            })
            .map(|(i, _)| i);
        let mut in_number = false;
        for c in word[..end.unwrap_or(word.len())].chars() {
            if c.is_ascii_digit() {
                if !in_number {
                    kind.push('N');
                }
                in_number = true;
            } else {
                kind.push(c);
                in_number = false;
            }
        }
        if end.is_some() {
            break;
        }
    }
    kind.trim_end().to_owned()
}

fn yaml_string(s: &str) -> String {
    serde_json::to_string(s).expect("a string")
}

/// What the front matter holds beside the draft's own facts.
struct FrontMatter<'a> {
    base_path: &'a str,
    content_id: &'a str,
    /// Listed for the editor: a publication's body does not show its files.
    attachments: &'a [Attachment],
    sent_elsewhere: Option<&'a str>,
    warnings: &'a [String],
}

fn front_matter(draft: &Draft, front: &FrontMatter) -> String {
    let FrontMatter {
        base_path,
        content_id,
        attachments,
        sent_elsewhere,
        warnings,
    } = front;
    let mut out = String::from("---\n");
    out.push_str(&format!("title: {}\n", yaml_string(&draft.title)));
    out.push_str(&format!(
        "description: {}\n",
        draft
            .description
            .as_deref()
            .map(yaml_string)
            .unwrap_or_else(|| "null".into())
    ));
    out.push_str(&format!("format: {}\n", draft.choice.schema_name));
    out.push_str(&format!("document_type: {}\n", draft.choice.document_type));
    out.push_str(&format!(
        "format_reason: {}\n",
        yaml_string(&draft.choice.reason)
    ));
    out.push_str(&format!("base_path: {base_path}\n"));
    out.push_str(&format!("content_id: {content_id}\n"));
    if let Some(p) = &draft.published {
        out.push_str(&format!("first_published_at: {p}\n"));
    }
    if let Some(u) = &draft.updated {
        out.push_str(&format!("public_updated_at: {u}\n"));
    }
    out.push_str("legacy_urls:\n");
    for v in &draft.variants {
        out.push_str(&format!("  - {}\n", yaml_string(v)));
    }
    out.push_str("needs:");
    if draft.needs.is_empty() {
        out.push_str(" []\n");
    } else {
        out.push('\n');
        for n in &draft.needs {
            out.push_str(&format!("  - {}\n", yaml_string(n)));
        }
    }
    out.push_str("attachments:");
    if attachments.is_empty() {
        out.push_str(" []\n");
    } else {
        out.push('\n');
        for a in attachments.iter() {
            out.push_str(&format!("  - file: {}\n", yaml_string(&a.id)));
            out.push_str(&format!("    title: {}\n", yaml_string(&a.title)));
        }
    }
    if let Some(to) = sent_elsewhere {
        out.push_str(&format!("sent_elsewhere: {}\n", yaml_string(to)));
    }
    out.push_str("warnings:");
    if warnings.is_empty() {
        out.push_str(" []\n");
    } else {
        out.push('\n');
        for w in warnings.iter() {
            out.push_str(&format!("  - {}\n", yaml_string(w)));
        }
    }
    out
}

/// Pages to convert, every fetched URL by key, and the site's attachments.
type StoreContents = (
    Vec<SourcePage>,
    HashMap<String, (i64, String)>,
    HashMap<i64, KnownFile>,
);

/// Runs before any worker can start, so its biggest reads (each URL's last exchange, in two
/// halves; each URL's representative, the URL the redirect table will answer for, with its
/// raw forms) run on connections of their own meanwhile.
fn read_store(store: &Store, db: &Path, host: &str) -> Result<StoreContents> {
    std::thread::scope(|scope| {
        let open = move || Store::open_existing(db).and_then(|s| s.prefer_bulk_reads().map(|_| s));
        // The two lighter reads share a connection; the heads, the heaviest, has its own.
        let representatives = scope.spawn(move || {
            let other = open()?;
            Ok::<_, Error>((other.representative_urls(host)?, read_variants(&other)?))
        });
        // The heads, the heaviest read (the scan passes over every stored body), in two
        // halves of the table at once.
        let middle = store.last_fetch_id()? / 2;
        let heads_below = scope
            .spawn(move || open().and_then(|other| other.final_fetch_heads_in(i64::MIN..=middle)));
        let heads_above = scope.spawn(move || {
            open().and_then(|other| other.final_fetch_heads_in(middle + 1..=i64::MAX))
        });
        read_store_with(store, || {
            let (representatives, variants) = joined(representatives)?;
            let heads = crate::store::merge_heads(joined(heads_below)?, joined(heads_above)?);
            Ok((heads, representatives, variants))
        })
    })
}

/// Every URL's raw forms, by URL id.
fn read_variants(store: &Store) -> Result<HashMap<i64, Vec<String>>> {
    let mut variants: HashMap<i64, Vec<String>> = HashMap::new();
    store.for_each_row(
        "SELECT url_id, raw FROM variants ORDER BY url_id, raw",
        |row| {
            variants.entry(row.get(0)?).or_default().push(row.get(1)?);
            Ok(())
        },
    )?;
    Ok(variants)
}

type Heads = HashMap<i64, crate::store::FinalHead>;

/// A scoped thread's result; its panic goes on unwinding here.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

fn read_store_with(
    store: &Store,
    heads_representatives_and_variants: impl FnOnce() -> Result<(
        Heads,
        HashMap<i64, String>,
        HashMap<i64, Vec<String>>,
    )>,
) -> Result<StoreContents> {
    let mut keys = HashMap::new();
    store.for_each_row(
        "SELECT id, key, kind FROM urls WHERE state = 'done' AND status BETWEEN 200 AND 299",
        |row| {
            keys.insert(row.get::<_, String>(1)?, (row.get(0)?, row.get(2)?));
            Ok(())
        },
    )?;
    // Each attachment's exchanges, its last first; the URL is the one fetched until the
    // representatives are known.
    let mut file_rows: Vec<(i64, KnownFile)> = Vec::new();
    store.for_each_row(
        "SELECT u.id, f.url, COALESCE(f.content_type, ''), f.size, f.last_modified, f.headers
         FROM urls u JOIN fetches f ON f.url_id = u.id
         WHERE u.kind = 'attachment' AND u.state = 'done' AND f.status BETWEEN 200 AND 299
         ORDER BY u.id, f.hop DESC",
        |row| {
            // A size that is not a whole number of bytes (none is stored so) is unknown.
            let size = match row.get_ref(3)? {
                rusqlite::types::ValueRef::Integer(n) => u64::try_from(n).ok(),
                rusqlite::types::ValueRef::Text(t) => {
                    std::str::from_utf8(t).ok().and_then(|t| t.parse().ok())
                }
                _ => None,
            };
            let file = KnownFile {
                url: row.get(1)?,
                name: String::new(),
                content_type: row.get(2)?,
                size,
                last_modified: row.get(4)?,
                disposition: row
                    .get::<_, Option<String>>(5)?
                    .as_deref()
                    .and_then(content_disposition),
            };
            file_rows.push((row.get(0)?, file));
            Ok(())
        },
    )?;
    let mut ids: Vec<(i64, String)> = Vec::new();
    store.for_each_row(
        "SELECT id, key FROM urls WHERE kind = 'page' AND state = 'done' AND status BETWEEN 200 AND 299 ORDER BY key",
        |row| {
            ids.push((row.get(0)?, row.get(1)?));
            Ok(())
        },
    )?;
    let (mut heads, representatives, mut variants) = heads_representatives_and_variants()?;
    let legacy_url = |id: i64, fetched: &str| {
        representatives
            .get(&id)
            .cloned()
            .unwrap_or_else(|| fetched.to_owned())
    };
    let mut files = HashMap::new();
    for (id, file) in file_rows {
        if files.contains_key(&id) {
            continue;
        }
        let url = legacy_url(id, &file.url);
        let content_type = file
            .content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        files.insert(
            id,
            KnownFile {
                url,
                name: String::new(),
                content_type: if content_type.is_empty() {
                    "application/octet-stream".into()
                } else {
                    content_type
                },
                size: file.size,
                last_modified: file.last_modified.filter(|s| !s.is_empty()),
                disposition: file.disposition,
            },
        );
    }
    name_files(&mut files);
    let mut pages: Vec<SourcePage> = Vec::new();
    // Byte-identical pages (`/` and `/index.html`) become one item answering every URL.
    let mut by_digest: HashMap<String, usize> = HashMap::new();
    let mut merged: HashMap<i64, i64> = HashMap::new();
    for (id, key) in ids {
        let Some(fetch) = heads.remove(&id) else {
            continue;
        };
        let is_html = fetch
            .content_type
            .as_deref()
            .is_some_and(|c| c.contains("html"));
        if !is_html {
            continue;
        }
        if let Some(&first) = fetch.digest.as_ref().and_then(|d| by_digest.get(d)) {
            let kept = &mut pages[first];
            kept.also_at.push(legacy_url(id, &fetch.url));
            kept.variants
                .extend(variants.remove(&id).unwrap_or_default());
            kept.variants.sort();
            kept.variants.dedup();
            merged.insert(id, kept.id);
            continue;
        }
        if let Some(digest) = fetch.digest {
            by_digest.insert(digest, pages.len());
        }
        pages.push(SourcePage {
            id,
            url: legacy_url(id, &fetch.url),
            fetched_url: fetch.url,
            key,
            body: Vec::new(),
            content_encoding: fetch.content_encoding,
            content_type: fetch.content_type,
            last_modified: fetch.last_modified,
            fetched_year: fetch.fetched_year,
            variants: variants.remove(&id).unwrap_or_default(),
            also_at: Vec::new(),
        });
    }
    for (id, _) in keys.values_mut() {
        if let Some(kept) = merged.get(id) {
            *id = *kept;
        }
    }
    Ok((pages, keys, files))
}

fn progress_bar(show: bool, len: u64, abbr: &str) -> Option<indicatif::ProgressBar> {
    if !show {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{prefix} transform [{bar:30}] {pos}/{len} {per_sec}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(abbr.to_owned());
    Some(bar)
}

fn write_file(path: &Path, contents: &[u8]) -> Result<()> {
    std::fs::write(path, contents).map_err(|e| Error::io(path, e))
}

/// Writes the CSVs into `content.partial/` (the items are there already), then swaps them in.
/// Writes one record of cells no spreadsheet evaluates, each as it is (no copy).
fn write_cells<'a, W: std::io::Write>(
    writer: &mut csv::Writer<W>,
    cells: impl IntoIterator<Item = &'a str>,
) -> csv::Result<()> {
    for cell in cells {
        writer.write_field(crate::csv_cell::cell(cell).as_bytes())?;
    }
    // No more fields: ends the record.
    writer.write_record(None::<&[u8]>)
}

fn write_outputs(
    site_dir: &Path,
    outputs: &[Output],
    files: &HashMap<i64, KnownFile>,
    summary: &mut TransformSummary,
) -> Result<()> {
    let partial = crate::atomic::partial_path(&site_dir.join("content"));
    // The outputs come in key order (the pages were read so): sorting them again costs
    // next to nothing, and keeps each file's order whatever comes before.
    let mut sorted: Vec<&Output> = outputs.iter().collect();
    sorted.sort_by(|a, b| a.csv_row[1].cmp(&b.csv_row[1]));
    // pages.jsonl, the largest of the three, is written meanwhile on a thread of its own.
    std::thread::scope(|scope| {
        let pages = scope.spawn(|| write_page_lines(&partial.join(".pages.jsonl"), &sorted));
        let tables = write_tables(&partial, &sorted, files, summary);
        joined(pages).and(tables)
    })?;
    let written = sorted
        .iter()
        .flat_map(|o| {
            [
                (format!("{}.md", o.slug), o.digests[0]),
                (format!("{}.json", o.slug), o.digests[1]),
            ]
        })
        .collect();
    write_file(
        &partial.join(edits::MANIFEST),
        edits::manifest(written).as_bytes(),
    )?;
    // Swap in: the CSVs first (rename is atomic), then the folder.
    for (hidden, name) in [
        (".transform.csv", "transform.csv"),
        (".attachments.csv", "attachments.csv"),
        (".pages.jsonl", "pages.jsonl"),
    ] {
        let to = site_dir.join(name);
        std::fs::rename(partial.join(hidden), &to).map_err(|e| Error::io(&to, e))?;
    }
    let content = site_dir.join("content");
    crate::atomic::finish_folder(&content)?;
    summary.pages = outputs.len();
    summary.attachments = files.len();
    summary.content_dir = content.display().to_string();
    summary.failed.sort();
    Ok(())
}

/// Each page's line for the audits, in key order.
fn write_page_lines(path: &Path, sorted: &[&Output]) -> Result<()> {
    use std::io::Write;
    let file = std::fs::File::create(path).map_err(|e| Error::io(path, e))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    for output in sorted {
        out.write_all(output.page_line.as_bytes())
            .and_then(|_| out.write_all(b"\n"))
            .map_err(|e| Error::io(path, e))?;
    }
    out.into_inner()
        .map_err(|e| Error::io(path, e.into_error()))
        .map(drop)
}

/// transform.csv and attachments.csv, and the summary's counts.
fn write_tables(
    partial: &Path,
    sorted: &[&Output],
    files: &HashMap<i64, KnownFile>,
    summary: &mut TransformSummary,
) -> Result<()> {
    let mut transform_csv = csv::Writer::from_writer(Vec::new());
    let csv_error = |e: csv::Error| Error::Other(format!("writing CSV: {e}"));
    transform_csv
        .write_record([
            "legacy_url",
            "canonical_key",
            "format",
            "document_type",
            "base_path",
            "title",
            "words",
            "content_id",
            "format_reason",
            "sent_elsewhere",
            "warnings",
        ])
        .map_err(csv_error)?;
    for output in sorted {
        write_cells(
            &mut transform_csv,
            output.csv_row.iter().map(String::as_str),
        )
        .map_err(csv_error)?;
    }
    let mut uses: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for output in sorted {
        *summary
            .by_format
            .entry(output.schema_name.clone())
            .or_insert(0) += 1;
        summary.schema_errors += output.schema_errors;
        summary.warnings += output.warning_kinds.len();
        for kind in &output.warning_kinds {
            *summary.warning_kinds.entry(kind.clone()).or_default() += 1;
        }
        summary.sent_elsewhere += usize::from(output.sent_elsewhere);
        for (name, base_path) in &output.attachment_uses {
            uses.entry(name.clone())
                .or_default()
                .push(base_path.clone());
        }
    }
    let mut attachments_csv = csv::Writer::from_writer(Vec::new());
    attachments_csv
        .write_record([
            "legacy_url",
            "filename",
            "content_type",
            "file_size",
            "last_modified",
            "used_on",
        ])
        .map_err(csv_error)?;
    let mut known: Vec<&KnownFile> = files.values().collect();
    known.sort_by(|a, b| a.url.cmp(&b.url));
    for file in known {
        let mut used_on = uses.get(&file.name).cloned().unwrap_or_default();
        used_on.sort();
        used_on.dedup();
        write_cells(
            &mut attachments_csv,
            [
                file.url.as_str(),
                file.name.as_str(),
                file.content_type.as_str(),
                &file.size.map(|s| s.to_string()).unwrap_or_default(),
                file.last_modified.as_deref().unwrap_or_default(),
                &used_on.join(" "),
            ],
        )
        .map_err(csv_error)?;
    }
    let transform_bytes = transform_csv
        .into_inner()
        .map_err(|e| Error::Other(e.to_string()))?;
    let attachment_bytes = attachments_csv
        .into_inner()
        .map_err(|e| Error::Other(e.to_string()))?;
    write_file(&partial.join(".transform.csv"), &transform_bytes)?;
    write_file(&partial.join(".attachments.csv"), &attachment_bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{
        SharedTitlePart, attachment_title, heading_repeating_title, restated_dates,
        shared_title_part, warning_kind,
    };
    use crate::extract::dates::Date;

    #[test]
    fn warnings_are_counted_by_their_opening_words() {
        for (warning, kind) in [
            (
                "9399 pages of this site have this title (slug x): give each a title",
                "N pages of this site have this title",
            ),
            (
                "an older version of http://www.a.org.uk/b.html, dated 2013-05-01 (this title)",
                "an older version of URL",
            ),
            (
                "the redirect table sends this page's URLs to https://www.gov.uk/x, as the page",
                "the redirect table sends this page's URLs to URL",
            ),
            (
                "3 attachment(s) titled with the file name (e.g. a.csv): give each a title",
                "N attachment(s) titled with the file name",
            ),
            ("no summary found: write one", "no summary found"),
            (
                "the body restates the item's date (\"Published\"): remove it",
                "the body restates the item's date",
            ),
            (
                "a publication needs at least one attachment",
                "a publication needs at least one attachment",
            ),
        ] {
            assert_eq!(warning_kind(warning), kind, "{warning}");
        }
    }

    #[test]
    fn paragraphs_that_restate_the_items_dates_are_found() {
        let published = Date {
            year: 2012,
            month: 1,
            day: 19,
        };
        let reviewed = Date {
            year: 2010,
            month: 1,
            day: 1,
        };
        let draft = "Published: 19 January 2012\n\nThe guidance.\n\n\
                     - Last reviewed: 2010-01-01\n\n\
                     Last updated: 3 March 2009\n\n\
                     *Last reviewed: 2010-01-01*\n";
        // A list item is the page's content; a date the item does not carry is not a
        // restatement.
        assert_eq!(
            restated_dates(draft, &[Some(published), Some(reviewed)]),
            ["Published: 19 January 2012", "*Last reviewed: 2010-01-01*"]
        );
        assert!(restated_dates("The guidance.\n", &[Some(published)]).is_empty());
        // A line inside a paragraph is part of it.
        assert!(
            restated_dates(
                "Figures for 2011.\nPublished: 19 January 2012\n",
                &[Some(published)]
            )
            .is_empty()
        );
    }

    #[test]
    fn an_opening_heading_the_title_holds_is_found() {
        let title = "14th report: Further consideration of leukaemia near nuclear plants";
        assert_eq!(
            heading_repeating_title(
                "\n## Further consideration of leukaemia near nuclear plants\n\nText.\n",
                title
            ),
            Some("Further consideration of leukaemia near nuclear plants")
        );
        assert_eq!(
            heading_repeating_title("## 14th Report\n\nText.\n", title),
            Some("14th Report")
        );
        // A heading with words of its own, a heading later on, or a paragraph: kept quiet.
        assert_eq!(
            heading_repeating_title("## Summary\n\nText.\n", title),
            None
        );
        assert_eq!(
            heading_repeating_title("Text.\n\n## Further consideration\n", title),
            None
        );
        assert_eq!(heading_repeating_title("#hashtag 14th\n", title), None);
        assert_eq!(heading_repeating_title("## Report\n", title), None);
        assert_eq!(
            heading_repeating_title("## Report\n", "Report"),
            Some("Report")
        );
    }

    #[test]
    fn a_site_name_most_titles_share_is_found_at_either_end() {
        let titles = |names: &[&str], part: &str, suffix: bool| -> Vec<String> {
            names
                .iter()
                .map(|n| match suffix {
                    true => format!("{n}{part}"),
                    false => format!("{part}{n}"),
                })
                .collect()
        };
        let pages = [
            "Measles",
            "Mumps",
            "Rubella",
            "Hepatitis A - travel",
            "Rabies",
        ];
        let suffixed = titles(&pages, " - ChObs - Child Health Observatory", true);
        assert_eq!(
            shared_title_part(suffixed.iter().map(String::as_str)),
            Some(SharedTitlePart {
                part: " - ChObs - Child Health Observatory".to_owned(),
                titles: 5
            })
        );
        let prefixed = titles(&pages, "HPA | ", false);
        assert_eq!(
            shared_title_part(prefixed.iter().map(String::as_str)),
            Some(SharedTitlePart {
                part: "HPA | ".to_owned(),
                titles: 5
            })
        );
        // Fewer than half, or fewer than five, is no pattern.
        let mut mixed = suffixed.clone();
        mixed.extend(pages.iter().map(|p| format!("{p} guidance")));
        mixed.push("Contact us".to_owned());
        assert_eq!(shared_title_part(mixed.iter().map(String::as_str)), None);
        assert_eq!(
            shared_title_part(suffixed[..4].iter().map(String::as_str)),
            None
        );
    }

    #[test]
    fn an_attachment_is_titled_by_what_its_link_says() {
        let file = "comare-tenth-report.pdf";
        let page = "Sunbeds";
        for (text, title) in [
            (
                "Download the full report (PDF)",
                Some("Sunbeds: full report"),
            ),
            ("Download the data (CSV)", Some("Sunbeds: data")),
            ("COMARE statement", Some("Sunbeds: COMARE statement")),
            (
                "Annual report 2008/09 [PDF, 245KB]",
                Some("Annual report 2008/09"),
            ),
            (
                "Case counts by region (XLS, 30 KB) (opens in a new window)",
                Some("Case counts by region"),
            ),
            (
                "download: guidance for schools",
                Some("Guidance for schools"),
            ),
            (
                "Click here to download our leaflet",
                Some("Sunbeds: leaflet"),
            ),
            (
                "Readings of radon levels (CSV)",
                Some("Readings of radon levels"),
            ),
            ("Minutes (July 2012)", Some("Minutes (July 2012)")),
            ("Sunbed study (embargoed)", Some("Sunbed study (embargoed)")),
            (
                "Annual report (Word, 1.2 MB)",
                Some("Sunbeds: annual report"),
            ),
            ("Télécharger le rapport", Some("Télécharger le rapport")),
            ("Download (PDF)", None),
            ("click here", None),
            ("PDF", None),
            ("  ", None),
            ("COMARE-tenth-report.pdf", None),
        ] {
            assert_eq!(
                attachment_title(text, file, page).as_deref(),
                title,
                "{text}"
            );
        }
        // Without a page title, the link's words stand alone.
        assert_eq!(
            attachment_title("Download the data (CSV)", file, "").as_deref(),
            Some("Data")
        );
    }
}
