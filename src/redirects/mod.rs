//! Redirect tables: one outcome for every legacy URL of a site, decided in a fixed order
//! (site `global` rule → homepage → page mapping → longest section prefix → the page's
//! migrated base path → unresolved), then validated (allow-listed https targets, no
//! redirects into the web archive, chains folded, loops refused). Resolution is pure: the
//! callers gather the known URLs, mappings and migrated pages; writers only read the table.

pub mod apache;
pub mod bouncer;
pub mod cdn;
pub mod import;
pub mod nginx;
pub mod serve;
pub mod sources;
pub mod verify;
pub mod writers;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use crate::canonical::{Canonicalizer, in_section};
use crate::config::site::{GlobalRule, Site, is_automatically_allowed_host};

/// The host of the UK Government Web Archive.
pub const WEB_ARCHIVE_HOST: &str = "webarchive.nationalarchives.gov.uk";

/// The outcome for one legacy path, as Bouncer serves it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outcome {
    /// 301 to a new URL.
    Redirect { new_url: String },
    /// 410 with a link to the page in the web archive (its own link, or Bouncer's).
    Archive { archive_url: Option<String> },
    /// 410 like an archive, but nobody has decided: reported.
    Unresolved,
    /// 404: the legacy site did not have this page either.
    NotFound,
    /// The site's `global` rule: every path redirects (perhaps keeping the path) or is gone.
    Global {
        #[serde(serialize_with = "as_display")]
        rule: GlobalRule,
    },
}

fn as_display<S: serde::Serializer>(rule: &GlobalRule, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(rule)
}

/// What a server must send for one raw legacy URL: the status, and the Location of a
/// redirect or the web-archive link on a 410 or 404 page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Answer {
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive_url: Option<String>,
}

impl Outcome {
    pub fn status(&self) -> u16 {
        match self {
            Outcome::Redirect { .. } => 301,
            Outcome::Archive { .. } | Outcome::Unresolved => 410,
            Outcome::NotFound => 404,
            Outcome::Global {
                rule: GlobalRule::Redirect { .. },
            } => 301,
            Outcome::Global {
                rule: GlobalRule::Archive,
            } => 410,
        }
    }

    /// URLs the outcome holds (for length and host checks).
    pub fn urls(&self) -> Vec<&str> {
        match self {
            Outcome::Redirect { new_url } => vec![new_url],
            Outcome::Archive {
                archive_url: Some(u),
            } => vec![u],
            _ => Vec::new(),
        }
    }

    /// The answer to one raw URL with this outcome, exactly as Bouncer gives it: a global
    /// redirect appends the raw path and query when the site asks for that; every 410 and
    /// 404 page links to the requested URL in the web archive unless a mapping names its
    /// own archive copy.
    pub fn answer(&self, site: &Site, raw: &str) -> Answer {
        let status = self.status();
        let (location, archive_url) = match self {
            Outcome::Redirect { new_url } => (Some(new_url.clone()), None),
            Outcome::Global {
                rule: GlobalRule::Redirect { url, append_path },
            } => {
                let location = if *append_path {
                    crate::canonical::ruby_file_join(url, raw_parts(raw).1)
                } else {
                    url.clone()
                };
                (Some(location), None)
            }
            Outcome::Archive {
                archive_url: Some(u),
            } => (None, Some(u.clone())),
            Outcome::Archive { archive_url: None }
            | Outcome::Unresolved
            | Outcome::NotFound
            | Outcome::Global {
                rule: GlobalRule::Archive,
            } => (None, Some(archive_link(site, raw))),
        };
        Answer {
            status,
            location,
            archive_url,
        }
    }

    /// A redirect, an archive or a global rule: someone decided.
    pub fn is_decided(&self) -> bool {
        matches!(
            self,
            Outcome::Redirect { .. } | Outcome::Archive { .. } | Outcome::Global { .. }
        )
    }

    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Redirect { .. } => "redirect",
            Outcome::Archive { .. } => "archive",
            Outcome::Unresolved => "unresolved",
            Outcome::NotFound => "not_found",
            Outcome::Global { .. } => "global",
        }
    }
}

/// Something wrong with the inputs or the table: blocking findings make the table unusable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub blocking: bool,
    /// `file:line`, or the legacy URL.
    pub at: String,
    pub message: String,
}

impl Finding {
    pub fn blocking(at: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            blocking: true,
            at: at.into(),
            message: message.into(),
        }
    }
    pub fn warning(at: impl Into<String>, message: impl Into<String>) -> Finding {
        Finding {
            blocking: false,
            at: at.into(),
            message: message.into(),
        }
    }

    /// `at` parted into what it names (a file, or a legacy URL) and the line and column
    /// after it, 0 when absent; findings sort by it, so that line 9 comes before line 10.
    pub fn location(&self) -> (&str, usize, usize) {
        fn last_number(s: &str) -> Option<(&str, usize)> {
            let (rest, n) = s.rsplit_once(':')?;
            Some((rest, n.parse().ok()?))
        }
        if self.at.contains("://") {
            return (&self.at, 0, 0);
        }
        match last_number(&self.at) {
            None => (&self.at, 0, 0),
            Some((rest, last)) => match last_number(rest) {
                Some((file, line)) => (file, line, last),
                None => (rest, last, 0),
            },
        }
    }
}

/// A decision someone wrote down, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub outcome: Outcome,
    /// `file:line`.
    pub from: String,
    /// A non-government page Bouncer's 410 page also offers (Transition's `suggested_url`).
    pub suggested_url: Option<String>,
}

/// A URL the site is known to have had, with what the crawl saw.
#[derive(Clone, Debug, Default)]
pub struct KnownUrl {
    pub raw: String,
    pub key: String,
    /// The legacy site's answer (404, 410: it did not exist there either).
    pub status: Option<u16>,
    /// Where the legacy site itself redirected it, by key, when that stays on the site.
    pub redirects_to: Option<String>,
}

/// A legacy URL a draft answers for (one of its page's URLs, or a file on it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Migrated {
    pub outcome: Outcome,
    /// `migrated`, or `with its page <URL>` when the page is sent elsewhere.
    pub because: Cow<'static, str>,
}

impl Migrated {
    /// To the GOV.UK page a draft will be published at.
    pub fn to_draft(base_path: &str) -> Migrated {
        Migrated {
            outcome: Outcome::Redirect {
                new_url: crate::formats::govuk_url(base_path),
            },
            because: Cow::Borrowed("migrated"),
        }
    }
}

/// Where a draft's page goes instead of to the draft: the `sent_elsewhere` field of its
/// front matter, written by the transform and read back by the report, so one type names
/// its values for both.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Elsewhere {
    /// A redirect to another page (GOV.UK or not).
    Url(String),
    Archive,
    Global,
    Unresolved,
}

impl Elsewhere {
    /// Where `outcome` sends a page whose draft would be published at `base_path`; `None`
    /// when it goes to the draft (or no decision reached it).
    pub fn of(outcome: &Outcome, base_path: &str) -> Option<Elsewhere> {
        match outcome {
            Outcome::Redirect { new_url }
                if new_url.strip_prefix(crate::formats::GOVUK_ORIGIN) == Some(base_path) =>
            {
                None
            }
            Outcome::Redirect { new_url } => Some(Elsewhere::Url(new_url.clone())),
            Outcome::Archive { .. } => Some(Elsewhere::Archive),
            Outcome::Global { .. } => Some(Elsewhere::Global),
            Outcome::Unresolved => Some(Elsewhere::Unresolved),
            Outcome::NotFound => None,
        }
    }

    /// The field's value.
    pub fn as_str(&self) -> &str {
        match self {
            Elsewhere::Url(url) => url,
            Elsewhere::Archive => "archive",
            Elsewhere::Global => "global",
            Elsewhere::Unresolved => "unresolved",
        }
    }

    /// Reads the field's value back; anything but the three words is a URL.
    pub fn parse(value: &str) -> Elsewhere {
        match value {
            "archive" => Elsewhere::Archive,
            "global" => Elsewhere::Global,
            "unresolved" => Elsewhere::Unresolved,
            url => Elsewhere::Url(url.to_owned()),
        }
    }
}

/// Everything resolution reads.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    pub known: Vec<KnownUrl>,
    /// By key.
    pub pages: BTreeMap<String, Rule>,
    /// By lower-cased path prefix.
    pub sections: Vec<(String, Rule)>,
    /// Key → where a URL the batch's drafts answer for goes when no decision names it:
    /// its draft, or where the table sends that draft's page.
    pub migrated: HashMap<String, Migrated>,
    /// Hosts allowed beside `*.gov.uk`, `*.nhs.uk`, `*.mod.uk`.
    pub allowed_hosts: HashSet<String>,
    /// Every base path the batch's transform wrote, once there is transform output: a
    /// redirect into the kind of page the batch makes must land on one of them.
    pub batch_paths: Option<HashSet<String>>,
    /// GOV.UK pages known to be live already.
    pub live_paths: HashSet<String>,
    /// Requests per key, from imported traffic.
    pub hits: HashMap<String, u64>,
    pub findings: Vec<Finding>,
}

/// One row of the table: a legacy path, every raw URL seen for it, and its outcome.
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub key: String,
    pub raw_urls: Vec<String>,
    pub outcome: Outcome,
    /// Why: `global`, `homepage`, `page mapping file:line`, `section /x/ (file:line)`,
    /// `migrated`, `legacy redirect`, `not on the legacy site`, `no decision`.
    pub because: Cow<'static, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested_url: Option<String>,
    /// Requests for this path in the imported traffic.
    pub hits: u64,
}

/// A decision for every path under a prefix.
#[derive(Clone, Debug, Serialize)]
pub struct Section {
    /// Lower-cased, as keys are.
    pub prefix: String,
    pub outcome: Outcome,
    pub from: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suggested_url: Option<String>,
}

/// A site's redirect table.
#[derive(Clone, Debug, Serialize)]
pub struct Table {
    pub site: String,
    pub host: String,
    pub entries: Vec<Entry>,
    /// Section decisions, longest prefix first: they also answer paths nobody has seen yet.
    pub sections: Vec<Section>,
    pub findings: Vec<Finding>,
}

impl Table {
    pub fn blocking(&self) -> usize {
        self.findings.iter().filter(|f| f.blocking).count()
    }

    /// Share of known paths with a decision (redirect, archive or global rule).
    pub fn coverage(&self) -> (usize, usize) {
        let decided = self
            .entries
            .iter()
            .filter(|e| e.outcome.is_decided())
            .count();
        let counted = self
            .entries
            .iter()
            .filter(|e| e.outcome != Outcome::NotFound)
            .count();
        (decided, counted)
    }

    /// Share of requests (from imported traffic) for paths with a decision; `None` when no
    /// traffic was imported.
    pub fn hit_coverage(&self) -> Option<(u64, u64)> {
        let total: u64 = self.entries.iter().map(|e| e.hits).sum();
        let decided = self
            .entries
            .iter()
            .filter(|e| e.outcome.is_decided())
            .map(|e| e.hits)
            .sum();
        (total > 0).then_some((decided, total))
    }

    /// Counts by outcome name, sorted.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for e in &self.entries {
            *counts.entry(e.outcome.name()).or_insert(0) += 1;
        }
        counts
    }
}

pub fn host_of(url: &str) -> Option<String> {
    url::Url::parse(url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase))
}

pub fn is_web_archive(url: &str) -> bool {
    host_of(url).as_deref() == Some(WEB_ARCHIVE_HOST)
}

/// A raw URL's host (as written, empty when there is none) and its path and query as
/// written (not as the url crate normalises them), without the fragment.
pub fn raw_parts(raw: &str) -> (&str, &str) {
    let Some((_, after_scheme)) = raw.split_once("://") else {
        return ("", raw.split('#').next().unwrap_or(raw));
    };
    let split = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let (authority, rest) = after_scheme.split_at(split);
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let host = host.split(':').next().unwrap_or(host);
    let rest = rest.split('#').next().unwrap_or(rest);
    (host, rest)
}

/// Bouncer's archive link for a raw legacy URL: the requested host (lower-cased, an alias
/// stays an alias) and the raw path and query, after the site's capture timestamp.
pub fn archive_link(site: &Site, raw: &str) -> String {
    let (host, rest) = raw_parts(raw);
    let host = if host.is_empty() {
        site.host.clone()
    } else {
        crate::canonical::bouncer_lookup_host(host)
    };
    let rest = if rest.starts_with('/') {
        rest.to_owned()
    } else {
        format!("/{rest}")
    };
    format!("{}{}", site.archive_prefix(&host), rest)
}

/// Checks a redirect target: https, allow-listed, not the web archive.
pub fn check_target(url: &str, allowed: &HashSet<String>) -> Option<String> {
    let parsed = match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") => u,
        _ => {
            return Some(format!(
                "{url:?} is not a URL (it needs https:// and a host)"
            ));
        }
    };
    let host = parsed.host_str().unwrap_or_default().to_ascii_lowercase();
    if !host.contains('.') {
        return Some(format!("{url:?} is not a URL (its host has no dot)"));
    }
    if host == WEB_ARCHIVE_HOST {
        return Some(
            "must not be to the National Archives. Use an archive mapping for that.".to_owned(),
        );
    }
    if !is_automatically_allowed_host(&host) && !allowed.contains(&host) {
        return Some(format!(
            "{url}: the URL to redirect to must be on a whitelisted domain (*.gov.uk, *.nhs.uk, \
             *.mod.uk, or mappings/allowed-hosts.txt)"
        ));
    }
    if parsed.scheme() != "https" {
        return Some(format!("{url}: redirect targets must use https"));
    }
    None
}

/// A decision's `type` that is none of Transition's three, with the likely one.
fn unknown_type(given: &str) -> String {
    let help = crate::diagnostic::nearest_of(
        given,
        &["redirect", "archive", "unresolved"],
        "the types are",
        "use one of",
    );
    format!("type {given:?}: {help}")
}

/// What is wrong with where a decision sends a page, whatever the crawl found: a redirect
/// target off the allow-list or not https, or an archive link off the web archive.
pub fn decision_problem(outcome: &Outcome, allowed: &HashSet<String>) -> Option<String> {
    match outcome {
        Outcome::Redirect { new_url } => check_target(new_url, allowed),
        Outcome::Archive {
            archive_url: Some(url),
        } if !is_web_archive(url) => Some(format!(
            "{url}: must be on the National Archives domain, webarchive.nationalarchives.gov.uk"
        )),
        _ => None,
    }
}

/// Why a redirect to GOV.UK would land nowhere: it points into the kind of page the batch
/// makes (a folder its drafts fill), yet no draft has that base path and it is not a page
/// known to be live.
pub fn missing_target(
    url: &str,
    batch: &HashSet<String>,
    live: &HashSet<String>,
) -> Option<String> {
    let parsed = url::Url::parse(url).ok()?;
    if parsed.host_str()? != "www.gov.uk" {
        return None;
    }
    let path = parsed.path().trim_end_matches('/');
    if path.is_empty() || batch.contains(path) || live.contains(path) {
        return None;
    }
    let folder = &path[..path.rfind('/')? + 1];
    let fills = batch
        .iter()
        .any(|p| p.starts_with(folder) && !p[folder.len()..].contains('/'));
    fills.then(|| {
        format!(
            "{url} is not in the batch's output: no draft has base path {path}. Transform the page \
             it stands for, correct the URL, or list the live page in mappings/govuk-paths.txt"
        )
    })
}

/// What the inputs say about one key: its raw URLs, the legacy status, the legacy redirect.
type Seen = (Vec<String>, Option<u16>, Option<String>);

/// Which of a site's written decisions applies to a key.
enum Written<'a> {
    Global(&'a GlobalRule),
    Homepage,
    Page(&'a Rule),
    Section(&'a str, &'a Rule),
}

/// The decisions someone wrote down for a site, in the order Bouncer applies them: the
/// site's global rule, the homepage, the page's own mapping, then its longest section.
/// What the crawl and the drafts add (a legacy redirect, a migrated page) comes after.
pub struct Decisions<'a> {
    global: Option<&'a GlobalRule>,
    homepage: &'a str,
    pages: &'a BTreeMap<String, Rule>,
    /// Longest first (the earlier one on a tie), each prefix once: the first that matches
    /// decides.
    sections: Vec<(String, Rule)>,
}

impl<'a> Decisions<'a> {
    pub fn new(site: &'a Site, inputs: &'a Inputs) -> Decisions<'a> {
        let mut written = HashSet::new();
        let mut sections: Vec<(String, Rule)> = inputs
            .sections
            .iter()
            .filter(|(prefix, _)| written.insert(prefix.clone()))
            .cloned()
            .collect();
        sections.sort_by_key(|(prefix, _)| std::cmp::Reverse(prefix.len()));
        Decisions {
            global: site.global.as_ref(),
            homepage: &site.homepage,
            pages: &inputs.pages,
            sections,
        }
    }

    fn section_of(&self, key: &str) -> Option<&(String, Rule)> {
        self.sections.iter().find(|(p, _)| in_section(key, p))
    }

    /// Which decision applies to a lookup key.
    fn find(&self, key: &str) -> Option<Written<'_>> {
        if let Some(rule) = self.global {
            return Some(Written::Global(rule));
        }
        if key.is_empty() {
            return Some(Written::Homepage);
        }
        if let Some(rule) = self.pages.get(key) {
            return Some(Written::Page(rule));
        }
        self.section_of(key)
            .map(|(prefix, rule)| Written::Section(prefix, rule))
    }

    fn outcome_of(&self, written: &Written<'_>) -> Outcome {
        match written {
            Written::Global(rule) => Outcome::Global {
                rule: (*rule).clone(),
            },
            Written::Homepage => Outcome::Redirect {
                new_url: self.homepage.to_owned(),
            },
            Written::Page(rule) | Written::Section(_, rule) => rule.outcome.clone(),
        }
    }

    /// The written decision for a lookup key, without saying why (for each link of a page).
    pub fn outcome(&self, key: &str) -> Option<Outcome> {
        self.find(key).map(|written| self.outcome_of(&written))
    }

    /// The written decision for a lookup key, and why.
    pub fn written(&self, key: &str) -> Option<(Outcome, Cow<'static, str>)> {
        let written = self.find(key)?;
        let because = match &written {
            Written::Global(_) => Cow::Borrowed("global"),
            Written::Homepage => Cow::Borrowed("homepage"),
            Written::Page(rule) => Cow::Owned(format!("page mapping {}", rule.from)),
            Written::Section(prefix, rule) => {
                Cow::Owned(format!("section {prefix} ({})", rule.from))
            }
        };
        Some((self.outcome_of(&written), because))
    }

    /// The 410 page's extra link, which comes with the decision that archived the page.
    pub fn suggested(&self, key: &str) -> Option<String> {
        if let Some(rule) = self.pages.get(key) {
            return rule.suggested_url.clone();
        }
        self.section_of(key)
            .and_then(|(_, rule)| rule.suggested_url.clone())
    }
}

/// Builds and validates the site's table.
pub fn resolve(site: &Site, canonicalizer: &Canonicalizer, mut inputs: Inputs) -> Table {
    let known = std::mem::take(&mut inputs.known);
    let mut findings = std::mem::take(&mut inputs.findings);
    // Every raw URL under its key (moved, not copied: a table can hold millions).
    let mut by_key: HashMap<String, Seen> =
        HashMap::with_capacity(known.len() + inputs.pages.len() + 1);
    for url in known {
        let entry = by_key.entry(url.key).or_default();
        if !entry.0.contains(&url.raw) {
            entry.0.push(url.raw);
        }
        entry.1 = entry.1.or(url.status);
        if entry.2.is_none() {
            entry.2 = url.redirects_to;
        }
    }
    // The homepage is always a legacy URL, crawled or not.
    by_key
        .entry(String::new())
        .or_insert_with(|| (vec![format!("http://{}/", site.host)], None, None));
    // Mapped paths are known paths too, even with no crawl.
    for key in inputs.pages.keys() {
        if !by_key.contains_key(key) {
            by_key.insert(
                key.clone(),
                (vec![format!("http://{}{}", site.host, key)], None, None),
            );
        }
    }
    let mut by_key: Vec<(String, Seen)> = by_key.into_iter().collect();
    by_key.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let decisions = Decisions::new(site, &inputs);
    // Sorted keys beside what was seen for each, so a chain can look up any key.
    let (keys, mut seen_for): (Vec<String>, Vec<Seen>) = by_key.into_iter().unzip();
    let mut raws_for: Vec<Vec<String>> = seen_for
        .iter_mut()
        .map(|s| std::mem::take(&mut s.0))
        .collect();
    let legacy = |key: &str| -> Option<&Seen> {
        keys.binary_search_by(|k| k.as_str().cmp(key))
            .ok()
            .map(|i| &seen_for[i])
    };
    if site.global.is_some() && !(inputs.pages.is_empty() && inputs.sections.is_empty()) {
        findings.push(Finding::warning(
            site.source.display().to_string(),
            "the site has a global rule: its page and section mappings are ignored, as Bouncer ignores them",
        ));
    }
    if let Some(rule) = inputs.pages.get("") {
        findings.push(Finding::blocking(
            rule.from.clone(),
            "It's not currently possible to edit the mapping for a site's homepage.",
        ));
    }
    let decide = |key: &str| -> Option<(Outcome, Cow<'static, str>)> {
        decisions.written(key).or_else(|| {
            inputs
                .migrated
                .get(key)
                .map(|m| (m.outcome.clone(), m.because.clone()))
        })
    };
    let suggested = |key: &str| decisions.suggested(key);
    let own_key = |url: &str| -> Option<String> {
        let host = host_of(url)?;
        if !site.has_host(&host) {
            return None;
        }
        canonicalizer.key(url).ok()
    };
    let mut entries = Vec::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        let mut raws = std::mem::take(&mut raws_for[i]);
        raws.sort();
        // Follow decisions through the site's own URLs (A→B→C becomes A→C); a loop is refused.
        let mut seen: Vec<String> = Vec::new();
        let mut current: std::borrow::Cow<str> = std::borrow::Cow::Borrowed(key);
        let mut because_chain = Vec::new();
        // A loop is one blocking finding: not also a folded chain and a bad target.
        let mut looped = false;
        let (outcome, because) = loop {
            let decided = decide(&current).or_else(|| {
                let (_, status, to) = legacy(&current)?;
                if let Some(to) = to {
                    return Some((
                        Outcome::Redirect {
                            new_url: format!("http://{}{}", site.host, to),
                        },
                        Cow::Borrowed("legacy redirect"),
                    ));
                }
                matches!(status, Some(404 | 410))
                    .then_some((Outcome::NotFound, Cow::Borrowed("not on the legacy site")))
            });
            let (outcome, because) =
                decided.unwrap_or((Outcome::Unresolved, Cow::Borrowed("no decision")));
            let next = match &outcome {
                Outcome::Redirect { new_url } => own_key(new_url),
                _ => None,
            };
            if next.is_some() && seen.is_empty() {
                seen.push(key.clone());
            }
            match next {
                Some(next) if seen.contains(&next) => {
                    seen.push(next);
                    findings.push(Finding::blocking(
                        raws.first().cloned().unwrap_or_else(|| key.clone()),
                        format!("redirect loop: {}", seen.join(" → ")),
                    ));
                    looped = true;
                    break (outcome, because);
                }
                Some(next) => {
                    because_chain.push(because);
                    seen.push(next.clone());
                    current = std::borrow::Cow::Owned(next);
                }
                None => break (outcome, because),
            }
        };
        let because = if because_chain.is_empty() {
            because
        } else {
            if !looped {
                findings.push(Finding::warning(
                    raws.first().cloned().unwrap_or_else(|| key.clone()),
                    format!("chain folded: {}", seen.join(" → ")),
                ));
            }
            let chain: Vec<&str> = because_chain.iter().map(|b| b.as_ref()).collect();
            Cow::Owned(format!("{} then {because}", chain.join(" then ")))
        };
        match &outcome {
            Outcome::Redirect { .. } if looped => {}
            Outcome::Redirect { new_url } => {
                // Named by the decision, so a section's bad target is one finding, not one
                // per URL; a decision without a file is named by its URL.
                let problem = decision_problem(&outcome, &inputs.allowed_hosts).or_else(|| {
                    inputs
                        .batch_paths
                        .as_ref()
                        .and_then(|batch| missing_target(new_url, batch, &inputs.live_paths))
                });
                if let Some(problem) = problem {
                    let at = match because.as_ref() {
                        "migrated" | "homepage" | "legacy redirect" => {
                            format!("{} ({because})", raws.first().map_or(key.as_str(), |s| s))
                        }
                        _ => because.to_string(),
                    };
                    findings.push(Finding::blocking(at, problem));
                }
            }
            Outcome::Archive { .. } => {
                if let Some(problem) = decision_problem(&outcome, &inputs.allowed_hosts) {
                    findings.push(Finding::blocking(
                        format!("{} ({because})", raws.first().map_or(key.as_str(), |s| s)),
                        problem,
                    ));
                }
            }
            _ => {}
        }
        let suggested_url = match outcome {
            Outcome::Archive { .. } if site.global.is_none() => suggested(&current),
            _ => None,
        };
        entries.push(Entry {
            hits: inputs.hits.get(key).copied().unwrap_or(0),
            // Filled in below, when the keys are no longer needed for lookups.
            key: String::new(),
            raw_urls: raws,
            outcome,
            because,
            suggested_url,
        });
    }
    if site.tna_timestamp.stub
        && entries
            .iter()
            .any(|e| matches!(e.outcome, Outcome::Archive { archive_url: None }))
    {
        findings.push(Finding::warning(
            site.source.display().to_string(),
            format!(
                "tna_timestamp {} is GOV.UK's placeholder: archive links will find no capture",
                site.tna_timestamp.value
            ),
        ));
    }
    if let Some(GlobalRule::Redirect { url, .. }) = &site.global
        && let Some(problem) = check_target(url, &inputs.allowed_hosts)
    {
        findings.push(Finding::blocking(
            site.source.display().to_string(),
            problem,
        ));
    }
    // A section no legacy URL falls in is most likely a typing slip in its prefix.
    if site.global.is_none() {
        for (prefix, rule) in &decisions.sections {
            if !keys.iter().any(|key| in_section(key, prefix)) {
                findings.push(Finding::warning(
                    rule.from.clone(),
                    format!(
                        "section {prefix} holds none of the site's {} known URLs: check the prefix against the canonical_key column of transform.csv, or ask `phe-migrate canonical {} URL`",
                        keys.len(),
                        site.abbr
                    ),
                ));
            }
        }
    }
    findings.sort_by(|a, b| {
        (!a.blocking, a.location(), &a.message).cmp(&(!b.blocking, b.location(), &b.message))
    });
    findings.dedup();
    for (entry, key) in entries.iter_mut().zip(keys) {
        entry.key = key;
    }
    let sections: Vec<Section> = if site.global.is_some() {
        Vec::new()
    } else {
        decisions
            .sections
            .iter()
            .map(|(prefix, rule)| Section {
                prefix: prefix.clone(),
                outcome: rule.outcome.clone(),
                from: rule.from.clone(),
                suggested_url: rule.suggested_url.clone(),
            })
            .collect()
    };
    Table {
        site: site.abbr.clone(),
        host: site.host.clone(),
        entries,
        sections,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::Finding;

    #[test]
    fn a_finding_is_placed_by_its_file_line_and_column() {
        let at = |s: &str| Finding::blocking(s, "m");
        assert_eq!(at("m.yml:12:7").location(), ("m.yml", 12, 7));
        assert_eq!(at("m.csv:3").location(), ("m.csv", 3, 0));
        assert_eq!(at("m.yml").location(), ("m.yml", 0, 0));
        // A URL's port is not a line.
        assert_eq!(
            at("http://host:8080/x").location(),
            ("http://host:8080/x", 0, 0)
        );
    }

    #[test]
    fn findings_sort_by_line_as_a_number() {
        let mut lines = [
            Finding::blocking("m.csv:10", "m"),
            Finding::blocking("m.csv:9", "m"),
        ];
        lines.sort_by(|a, b| a.location().cmp(&b.location()));
        assert_eq!(lines[0].at, "m.csv:9");
    }
}
