//! CDN writers. Each knows what its target can hold and says so, rather than writing
//! something the CDN will reject or silently mis-serve: Cloudflare Bulk Redirect lists
//! (redirects only, no header row, no query strings in sources, a per-plan item limit),
//! Fastly edge dictionaries (1,000 items each, keys of at most 256 characters) and S3
//! website routing rules (50 at most).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::{Finding, Outcome, Table};
use crate::config::site::{GlobalRule, Site};

/// The CDN a table is written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cdn {
    Cloudflare,
    Fastly,
    S3,
}

/// Cloudflare plans and the URL redirects each allows across all lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloudflarePlan {
    Free,
    Pro,
    Business,
    Enterprise,
}

impl CloudflarePlan {
    pub fn limit(self) -> usize {
        match self {
            CloudflarePlan::Free => 10_000,
            CloudflarePlan::Pro => 25_000,
            CloudflarePlan::Business => 50_000,
            CloudflarePlan::Enterprise => 1_000_000,
        }
    }
}

/// Fastly's limit on items in one edge dictionary.
pub const FASTLY_DICTIONARY_ITEMS: usize = 1_000;
/// Fastly's limit on an edge dictionary key.
pub const FASTLY_KEY_CHARS: usize = 256;
/// Amazon S3's limit on website routing rules.
pub const S3_ROUTING_RULES: usize = 50;

/// What a writer produced: the file (None when the target cannot hold the table) and what
/// it had to leave out or refuse.
#[derive(Debug, Default)]
pub struct Written {
    pub bytes: Option<Vec<u8>>,
    pub findings: Vec<Finding>,
}

fn left_out(findings: &mut Vec<Finding>, site: &Site, count: usize, why: &str) {
    if count > 0 {
        findings.push(Finding::warning(
            site.source.display().to_string(),
            format!("{count} path(s) left out: {why}"),
        ));
    }
}

/// What a CDN writer does with the paths the table answers with a 410 (archived,
/// unresolved, or gone under a global rule), which Cloudflare lists and S3 rules cannot send.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Gone {
    /// Leave them out, reported: the origin or an edge function sends their 410 pages.
    #[default]
    LeftOut,
    /// 301 them to their copy in the UK Government Web Archive, the link Bouncer's 410
    /// page gives.
    ToArchive,
}

fn sent_to_archive(findings: &mut Vec<Finding>, site: &Site, count: usize) {
    if count > 0 {
        findings.push(Finding::warning(
            site.source.display().to_string(),
            format!("{count} path(s) 301 to their web-archive copy (--redirect-archived), where Bouncer answers 410 with a link to it"),
        ));
    }
}

/// A Cloudflare Bulk Redirect list: `host/path,target,301` for every host of the site.
/// A global redirect is a row per path (with the path appended when the site asks);
/// with [`Gone::ToArchive`] a 410 is a 301 to the web-archive copy for that host.
pub fn cloudflare(site: &Site, table: &Table, plan: CloudflarePlan, gone_as: Gone) -> Written {
    let mut findings = Vec::new();
    let mut rows = Vec::new();
    let (mut gone, mut queried, mut archived) = (0, 0, 0);
    for entry in &table.entries {
        let to_archive = match &entry.outcome {
            Outcome::NotFound => continue,
            Outcome::Redirect { .. }
            | Outcome::Global {
                rule: GlobalRule::Redirect { .. },
            } => false,
            _ if gone_as == Gone::ToArchive => true,
            _ => {
                gone += 1;
                continue;
            }
        };
        if entry.key.contains('?') {
            queried += 1;
            continue;
        }
        archived += usize::from(to_archive);
        let path = crate::canonical::key_as_path(&entry.key);
        // The path as the legacy site wrote it: archive copies and appended paths keep it.
        let written = entry
            .raw_urls
            .first()
            .map_or(path, |raw| super::raw_parts(raw).1);
        let written = written.split('?').next().unwrap_or(written);
        for host in site.hosts() {
            let answer = entry
                .outcome
                .answer(site, &format!("http://{host}{written}"));
            let Some(target) = answer.location.or(answer.archive_url) else {
                continue;
            };
            rows.push([format!("{host}{path}"), target, "301".to_owned()]);
        }
    }
    left_out(
        &mut findings,
        site,
        gone,
        "Cloudflare Bulk Redirects only redirect; archived and unresolved paths need their 410 from the origin or a Worker (or --redirect-archived)",
    );
    sent_to_archive(&mut findings, site, archived);
    // A list holds whole URLs: a section reaches only the paths the table knows under it.
    let sections: Vec<&str> = table
        .sections
        .iter()
        .filter(|s| matches!(s.outcome, Outcome::Redirect { .. }) || gone_as == Gone::ToArchive)
        .map(|s| s.prefix.as_str())
        .collect();
    if let Some(first) = sections.first() {
        findings.push(Finding::warning(
            site.source.display().to_string(),
            format!(
                "{} section(s) (e.g. {first}) are listed path by path, for the paths the table knows: a path under them that nobody crawled or requested falls through to the origin, which must answer it as the table would (nginx or Apache writers)",
                sections.len()
            ),
        ));
    }
    left_out(
        &mut findings,
        site,
        queried,
        "Cloudflare sources cannot hold a query string; serve these from the origin (nginx or Apache writers)",
    );
    if rows.len() > plan.limit() {
        findings.push(Finding::blocking(
            site.source.display().to_string(),
            format!(
                "{} URL redirects exceed the Cloudflare {plan:?} plan's {}: choose a larger --cdn-plan, or use the nginx or Apache writers",
                rows.len(),
                plan.limit()
            ),
        ));
        return Written {
            bytes: None,
            findings,
        };
    }
    let mut out = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    for row in &rows {
        let _ = out.write_record(row);
    }
    Written {
        bytes: out.into_inner().ok(),
        findings,
    }
}

fn fastly_value(outcome: &Outcome) -> Option<String> {
    match outcome {
        Outcome::Redirect { new_url } => Some(format!("301 {new_url}")),
        Outcome::Archive {
            archive_url: Some(u),
        } => Some(format!("410 {u}")),
        Outcome::Archive { archive_url: None } | Outcome::Unresolved => Some("410".to_owned()),
        Outcome::NotFound | Outcome::Global { .. } => None,
    }
}

/// Fastly edge dictionaries of at most 1,000 items, keyed by canonical path (the VCL that
/// reads them must canonicalise the request the same way), valued `301 URL`, `410` or
/// `410 ARCHIVE-URL`; the sections, homepage and global rule beside them for the VCL.
pub fn fastly(site: &Site, table: &Table) -> Written {
    let mut findings = Vec::new();
    let mut items = Vec::new();
    let mut long = 0;
    for entry in &table.entries {
        let Some(value) = fastly_value(&entry.outcome) else {
            continue;
        };
        if entry.key.is_empty() {
            continue; // the homepage belongs in the VCL itself
        }
        if entry.key.chars().count() > FASTLY_KEY_CHARS {
            long += 1;
            continue;
        }
        items.push(json!({"item_key": entry.key, "item_value": value}));
    }
    left_out(
        &mut findings,
        site,
        long,
        "Fastly dictionary keys hold at most 256 characters",
    );
    let dictionaries: Vec<serde_json::Value> = items
        .chunks(FASTLY_DICTIONARY_ITEMS)
        .enumerate()
        .map(|(i, chunk)| {
            json!({
                "name": format!("phe_{}_{}", site.abbr, i + 1),
                "items": chunk,
            })
        })
        .collect();
    if dictionaries.len() > 1 {
        findings.push(Finding::warning(
            site.source.display().to_string(),
            format!(
                "{} items need {} edge dictionaries of 1,000: the VCL must look in each",
                items.len(),
                dictionaries.len()
            ),
        ));
    }
    // Sections answer paths nobody has seen yet, so they go beside the dictionaries, longest
    // prefix first (the table's order), for the VCL to try when a key is not found.
    let sections: Vec<serde_json::Value> = table
        .sections
        .iter()
        .filter_map(|s| Some(json!({"prefix": s.prefix, "value": fastly_value(&s.outcome)?})))
        .collect();
    let mut document = json!({
        "site": site.abbr,
        "homepage": site.homepage,
        "dictionaries": dictionaries,
    });
    if !sections.is_empty() {
        findings.push(Finding::warning(
            site.source.display().to_string(),
            format!(
                "{} section(s) are under \"sections\", longest prefix first: for a key in no dictionary the VCL must answer with the first prefix it starts with (a prefix ending in / also covers the folder's own page)",
                sections.len()
            ),
        ));
        document["sections"] = json!(sections);
    }
    // A global rule answers every path, so no path is in the dictionaries: the VCL must
    // apply the rule itself, as Bouncer does after its own paths.
    if let Some(rule) = table.entries.iter().find_map(|e| match &e.outcome {
        Outcome::Global { rule } => Some(rule),
        _ => None,
    }) {
        document["global"] = json!(rule.to_string());
        findings.push(Finding::warning(
            site.source.display().to_string(),
            format!("the global rule {rule} answers every path, so the dictionaries hold none: apply it in the VCL (it is under \"global\")"),
        ));
    }
    let mut bytes = serde_json::to_vec_pretty(&document).unwrap_or_default();
    bytes.push(b'\n');
    Written {
        bytes: Some(bytes),
        findings,
    }
}

/// One S3 website routing rule: a request whose object key starts with `prefix` (every
/// request when `None`) is sent to `url` or, when `keeps_rest`, to `url` followed by the
/// rest of the key (S3's `ReplaceKeyPrefixWith`). S3 applies the first rule that matches.
#[derive(Debug)]
struct S3Rule {
    prefix: Option<String>,
    url: String,
    keeps_rest: bool,
    /// A page's own rule, which may go when a shorter rule answers the same.
    page: bool,
}

impl S3Rule {
    fn fixed(prefix: Option<String>, url: String) -> S3Rule {
        S3Rule {
            prefix,
            url,
            keeps_rest: false,
            page: false,
        }
    }

    fn keeping_rest(prefix: Option<String>, url: String) -> S3Rule {
        S3Rule {
            prefix,
            url,
            keeps_rest: true,
            page: false,
        }
    }

    fn matches(&self, key: &str) -> bool {
        self.prefix.as_deref().is_none_or(|p| key.starts_with(p))
    }

    /// Where the rule sends a key it matches.
    fn target(&self, key: &str) -> Cow<'_, str> {
        if !self.keeps_rest {
            return Cow::Borrowed(&self.url);
        }
        let rest = key
            .get(self.prefix.as_ref().map_or(0, String::len)..)
            .unwrap_or_default();
        Cow::Owned(format!("{}{rest}", self.url))
    }

    /// The rule as S3 takes it: `ReplaceKeyWith` the target's path and query, or
    /// `ReplaceKeyPrefixWith` its path (left out to keep the key as it is).
    fn to_json(&self) -> Option<serde_json::Value> {
        let parsed = url::Url::parse(&self.url).ok()?;
        let mut redirect = json!({
            "HostName": parsed.host_str()?,
            "Protocol": parsed.scheme(),
            "HttpRedirectCode": "301",
        });
        let mut key = parsed.path().trim_start_matches('/').to_owned();
        if self.keeps_rest {
            if !key.is_empty() || self.prefix.is_some() {
                redirect["ReplaceKeyPrefixWith"] = json!(key);
            }
        } else {
            if let Some(q) = parsed.query() {
                key = format!("{key}?{q}");
            }
            if let Some(f) = parsed.fragment() {
                key = format!("{key}#{f}");
            }
            redirect["ReplaceKeyWith"] = json!(key);
        }
        Some(match &self.prefix {
            Some(prefix) => {
                json!({"Condition": {"KeyPrefixEquals": prefix}, "Redirect": redirect})
            }
            None => json!({"Redirect": redirect}),
        })
    }
}

/// The object key S3 matches for a path: percent-decoded, without the leading slash and
/// the query (S3 matches keys, case and all, not canonical lookup keys).
fn s3_key(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    crate::canonical::percent_decoded(path.trim_start_matches('/'))
}

/// The web-archive copy of an object key: the bucket answers for the site's own host.
fn s3_archive_url(site: &Site, key: &str) -> String {
    format!("{}/{key}", site.archive_prefix(&site.host))
}

/// A raw legacy URL of a table entry, with the object key S3 matches for it.
struct S3Key<'a> {
    entry: &'a super::Entry,
    raw: &'a str,
    key: String,
}

/// The first rule S3 applies to a key, as its index.
fn s3_first_match(rules: &[S3Rule], key: &str) -> Option<usize> {
    rules.iter().position(|r| r.matches(key))
}

/// What the table wants S3 to do with a key.
enum Wanted {
    /// Nothing: the legacy site did not have the page either.
    Nothing,
    /// A 410, which S3 cannot send.
    Status410,
    /// A 301 to this URL.
    Redirect(String),
}

/// What the table wants for a key of `entry`, in S3's terms.
fn s3_wanted(site: &Site, entry: &super::Entry, key: &str, gone_as: Gone) -> Wanted {
    let to_archive = gone_as == Gone::ToArchive;
    Wanted::Redirect(match &entry.outcome {
        Outcome::NotFound => return Wanted::Nothing,
        Outcome::Redirect { new_url } => new_url.clone(),
        Outcome::Global {
            rule: GlobalRule::Redirect { url, append_path },
        } => {
            if *append_path {
                format!("{}/{key}", url.trim_end_matches('/'))
            } else {
                url.clone()
            }
        }
        Outcome::Archive {
            archive_url: Some(u),
        } if to_archive => u.clone(),
        Outcome::Archive { .. }
        | Outcome::Unresolved
        | Outcome::Global {
            rule: GlobalRule::Archive,
        } if to_archive => s3_archive_url(site, key),
        _ => return Wanted::Status410,
    })
}

/// The sections' and pages' rules, in the order S3 must try them.
fn s3_rules(site: &Site, table: &Table, keys: &[S3Key], gone_as: Gone) -> Vec<S3Rule> {
    let to_archive = gone_as == Gone::ToArchive;
    let mut rules = Vec::new();
    for section in &table.sections {
        // An archived section keeps the rest of the key, so each page lands on its own copy.
        let fixed = match &section.outcome {
            Outcome::Redirect { new_url } => Some(new_url),
            Outcome::Archive {
                archive_url: Some(u),
            } if to_archive => Some(u),
            Outcome::Archive { archive_url: None } | Outcome::Unresolved if to_archive => None,
            _ => continue,
        };
        let prefix = s3_key(&section.prefix);
        if prefix.is_empty() {
            continue;
        }
        // Sections are lower-cased, S3 keys are not: a rule for each case the crawl saw.
        let mut seen: BTreeSet<&str> = keys
            .iter()
            .filter_map(|k| k.key.get(..prefix.len()))
            .filter(|head| head.eq_ignore_ascii_case(&prefix))
            .collect();
        if seen.is_empty() {
            seen.insert(&prefix);
        }
        rules.extend(seen.into_iter().map(|prefix| match fixed {
            Some(url) => S3Rule::fixed(Some(prefix.to_owned()), url.clone()),
            None => S3Rule::keeping_rest(Some(prefix.to_owned()), s3_archive_url(site, prefix)),
        }));
    }
    let mut pages = BTreeMap::new();
    for k in keys {
        if k.entry.key.contains('?') || k.key.is_empty() {
            continue;
        }
        if let Outcome::Global { .. } = k.entry.outcome {
            continue; // one rule for every key, below
        }
        if let Wanted::Redirect(url) = s3_wanted(site, k.entry, &k.key, gone_as) {
            pages.entry(k.key.clone()).or_insert(url);
        }
    }
    rules.extend(pages.into_iter().map(|(key, url)| {
        // A page's own archive copy: keys it also catches (`a/b` for `a`) land on theirs.
        let keeps_rest = url == s3_archive_url(site, &key);
        S3Rule {
            prefix: Some(key),
            url,
            keeps_rest,
            page: true,
        }
    }));
    rules.sort_by(|a, b| {
        let length = |r: &S3Rule| r.prefix.as_ref().map_or(0, String::len);
        length(b)
            .cmp(&length(a))
            .then_with(|| a.prefix.cmp(&b.prefix))
    });
    // A page rule can go when the next rule its own key meets sends it to the same place:
    // every key it would have caught then meets that rule too (and a rule that keeps the
    // rest of the key sends those to their own places, as the table does).
    let mut i = 0;
    while i < rules.len() {
        let key = rules[i].prefix.clone().unwrap_or_default();
        let same_after = rules[i].page
            && s3_first_match(&rules[i + 1..], &key).is_some_and(|j| {
                let next = &rules[i + 1 + j];
                next.keeps_rest == rules[i].keeps_rest && next.target(&key) == rules[i].url
            });
        if same_after {
            rules.remove(i);
        } else {
            i += 1;
        }
    }
    rules
}

/// What S3, trying `rules` in order, would answer differently from the table, as findings:
/// the homepage, archived paths, paths with a query string, and paths a shorter prefix
/// catches; and, with `Gone::ToArchive`, how many paths 301 to the web archive.
fn s3_differences(site: &Site, keys: &[S3Key], rules: &[S3Rule], gone_as: Gone) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut homepage = false;
    let (mut gone, mut queried, mut misdirected, mut archived) = (
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
        BTreeSet::new(),
    );
    for S3Key { entry, raw, key } in keys {
        let wanted = match s3_wanted(site, entry, key, gone_as) {
            Wanted::Nothing => continue,
            Wanted::Status410 => None,
            Wanted::Redirect(url) => Some(url),
        };
        let got = s3_first_match(rules, key).map(|i| rules[i].target(key));
        if let Some(wanted) = &wanted
            && got.as_deref() == Some(wanted.as_str())
        {
            if super::is_web_archive(wanted) {
                archived.insert(key.as_str());
            }
            continue;
        }
        if key.is_empty() {
            homepage = true;
        } else if entry.key.contains('?') {
            queried.insert(super::raw_parts(raw).1);
        } else if got.is_none() {
            gone.insert(key.as_str());
        } else {
            misdirected.insert(format!("/{key}"));
        }
    }
    if homepage {
        findings.push(Finding::warning(
            site.source.display().to_string(),
            "the homepage left out: S3 routing rules cannot name the bucket's root; give its index document an x-amz-website-redirect-location",
        ));
    }
    left_out(
        &mut findings,
        site,
        gone.len(),
        "S3 routing rules only redirect; archived and unresolved paths need their 410 from CloudFront Functions, nginx or Apache (or --redirect-archived)",
    );
    left_out(
        &mut findings,
        site,
        queried.len(),
        "S3 routing rules match the path, not its query string; serve these from CloudFront Functions, nginx or Apache",
    );
    if !misdirected.is_empty() {
        let examples: Vec<&str> = misdirected.iter().take(5).map(String::as_str).collect();
        findings.push(Finding::warning(
            site.source.display().to_string(),
            format!(
                "{} path(s) S3 would redirect elsewhere than the table says, because a shorter rule's prefix also covers them (S3 matches the start of a key, not the whole key): {}; serve these from CloudFront Functions, nginx or Apache",
                misdirected.len(),
                examples.join(", ")
            ),
        ));
    }
    sent_to_archive(&mut findings, site, archived.len());
    findings
}

/// S3 website routing rules: one per section and per redirected page, longest prefix first
/// so that the most specific rule wins, without the page rules a shorter rule already
/// answers the same way. S3 matches key prefixes, not whole keys, so every legacy URL is
/// then checked against the rules as S3 applies them, and those S3 would answer
/// differently from the table are reported. With [`Gone::ToArchive`], archived pages and
/// sections 301 to their web-archive copies (a section keeps the rest of the key).
pub fn s3(site: &Site, table: &Table, gone_as: Gone) -> Written {
    let mut findings = Vec::new();
    // S3 keys are UTF-8: a path whose escapes decode to anything else (Latin-1 `%E9`) is
    // no key, and no rule can name it.
    let (raws, not_utf8): (Vec<_>, Vec<_>) = table
        .entries
        .iter()
        .flat_map(|entry| entry.raw_urls.iter().map(move |raw| (entry, raw)))
        .partition(|(_, raw)| {
            let path = super::raw_parts(raw).1;
            let path = path.split('?').next().unwrap_or(path);
            percent_encoding::percent_decode_str(path)
                .decode_utf8()
                .is_ok()
        });
    let keys: Vec<S3Key> = raws
        .into_iter()
        .map(|(entry, raw)| S3Key {
            entry,
            raw,
            key: s3_key(super::raw_parts(raw).1),
        })
        .collect();
    left_out(
        &mut findings,
        site,
        not_utf8.len(),
        "their escapes do not decode to UTF-8 (Latin-1 `%E9`), and S3 object keys are UTF-8, so no routing rule can match them; serve these from CloudFront Functions, nginx or Apache",
    );
    let mut rules = s3_rules(site, table, &keys, gone_as);
    let global = table.entries.iter().find_map(|e| match &e.outcome {
        Outcome::Global { rule } => Some(rule.clone()),
        _ => None,
    });
    match &global {
        Some(GlobalRule::Redirect { url, append_path }) => {
            let path = url::Url::parse(url)
                .map(|u| u.path().to_owned())
                .unwrap_or_default();
            if !append_path {
                rules.push(S3Rule::fixed(None, url.clone()));
            } else if path == "/" {
                let base = format!("{}/", url.trim_end_matches('/'));
                rules.push(S3Rule::keeping_rest(None, base));
            } else {
                findings.push(Finding::blocking(
                    site.source.display().to_string(),
                    format!("the global rule {url} (+path) adds the legacy path to a path of its own, which S3 routing rules cannot; use CloudFront Functions, nginx or Apache"),
                ));
                return Written {
                    bytes: None,
                    findings,
                };
            }
        }
        Some(GlobalRule::Archive) if gone_as == Gone::ToArchive => {
            rules.push(S3Rule::keeping_rest(None, s3_archive_url(site, "")));
        }
        _ => {}
    }
    findings.extend(s3_differences(site, &keys, &rules, gone_as));
    if rules.len() > S3_ROUTING_RULES {
        findings.push(Finding::blocking(
            site.source.display().to_string(),
            format!(
                "{} routing rules: S3 website hosting allows {S3_ROUTING_RULES}; use CloudFront Functions, nginx or Apache",
                rules.len()
            ),
        ));
        return Written {
            bytes: None,
            findings,
        };
    }
    let json_rules: Vec<serde_json::Value> = rules.iter().filter_map(S3Rule::to_json).collect();
    let mut bytes =
        serde_json::to_vec_pretty(&json!({"RoutingRules": json_rules})).unwrap_or_default();
    bytes.push(b'\n');
    Written {
        bytes: Some(bytes),
        findings,
    }
}
