//! CDN writers. Each knows what its target can hold and says so, rather than writing
//! something the CDN will reject or silently mis-serve: Cloudflare Bulk Redirect lists
//! (redirects only, no header row, no query strings in sources, a per-plan item limit),
//! Fastly edge dictionaries (1,000 items each, keys of at most 256 characters) and S3
//! website routing rules (50 at most).

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

/// A Cloudflare Bulk Redirect list: `host/path,target,301` for every host of the site.
pub fn cloudflare(site: &Site, table: &Table, plan: CloudflarePlan) -> Written {
    let mut findings = Vec::new();
    let mut rows = Vec::new();
    let (mut gone, mut queried) = (0, 0);
    for entry in &table.entries {
        let target = match &entry.outcome {
            Outcome::Redirect { new_url } => new_url,
            Outcome::NotFound => continue,
            _ => {
                gone += 1;
                continue;
            }
        };
        if entry.key.contains('?') {
            queried += 1;
            continue;
        }
        let path = crate::canonical::key_as_path(&entry.key);
        for host in site.hosts() {
            rows.push([format!("{host}{path}"), target.clone(), "301".to_owned()]);
        }
    }
    left_out(
        &mut findings,
        site,
        gone,
        "Cloudflare Bulk Redirects only redirect; archived and unresolved paths need their 410 from the origin or a Worker",
    );
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
/// `410 ARCHIVE-URL`.
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
    let mut bytes = serde_json::to_vec_pretty(&json!({
        "site": site.abbr,
        "homepage": site.homepage,
        "dictionaries": dictionaries,
    }))
    .unwrap_or_default();
    bytes.push(b'\n');
    Written {
        bytes: Some(bytes),
        findings,
    }
}

/// One S3 website routing rule: a request whose object key starts with `prefix` (every
/// request when `None`) is sent to `url`. S3 applies the first rule that matches.
#[derive(Debug)]
struct S3Rule {
    prefix: Option<String>,
    url: String,
    /// A page's own rule, which may go when a shorter rule answers the same.
    page: bool,
}

/// The object key S3 matches for a path: percent-decoded, without the leading slash and
/// the query (S3 matches keys, case and all, not canonical lookup keys).
fn s3_key(path: &str) -> String {
    let path = path.split('?').next().unwrap_or(path);
    crate::canonical::percent_decoded(path.trim_start_matches('/'))
}

/// A raw legacy URL of a table entry, with the object key S3 matches for it.
struct S3Key<'a> {
    entry: &'a super::Entry,
    raw: &'a str,
    key: String,
}

/// A rule's `Redirect`: to the URL, or to its host keeping the requested key.
fn s3_redirect(url: &str, keep_key: bool) -> Option<serde_json::Value> {
    let parsed = url::Url::parse(url).ok()?;
    let mut redirect = json!({
        "HostName": parsed.host_str()?,
        "Protocol": parsed.scheme(),
        "HttpRedirectCode": "301",
    });
    if !keep_key {
        let mut key = parsed.path().trim_start_matches('/').to_owned();
        if let Some(q) = parsed.query() {
            key = format!("{key}?{q}");
        }
        if let Some(f) = parsed.fragment() {
            key = format!("{key}#{f}");
        }
        redirect["ReplaceKeyWith"] = json!(key);
    }
    Some(redirect)
}

/// The first rule S3 applies to a key, as its index.
fn s3_first_match(rules: &[S3Rule], key: &str) -> Option<usize> {
    rules
        .iter()
        .position(|r| r.prefix.as_deref().is_none_or(|p| key.starts_with(p)))
}

/// The sections' and pages' redirects as rules, in the order S3 must try them.
fn s3_rules(table: &Table, keys: &[S3Key]) -> Vec<S3Rule> {
    let mut rules = Vec::new();
    for section in &table.sections {
        let Outcome::Redirect { new_url } = &section.outcome else {
            continue;
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
        rules.extend(seen.into_iter().map(|prefix| S3Rule {
            prefix: Some(prefix.to_owned()),
            url: new_url.clone(),
            page: false,
        }));
    }
    let mut pages = BTreeMap::new();
    for k in keys {
        if let Outcome::Redirect { new_url } = &k.entry.outcome
            && !k.entry.key.contains('?')
            && !k.key.is_empty()
        {
            pages
                .entry(k.key.clone())
                .or_insert_with(|| new_url.clone());
        }
    }
    rules.extend(pages.into_iter().map(|(key, url)| S3Rule {
        prefix: Some(key),
        url,
        page: true,
    }));
    rules.sort_by(|a, b| {
        let length = |r: &S3Rule| r.prefix.as_ref().map_or(0, String::len);
        length(b)
            .cmp(&length(a))
            .then_with(|| a.prefix.cmp(&b.prefix))
    });
    // A page rule can go when the next rule its own key meets sends it to the same place:
    // every key it would have caught then meets that rule too.
    let mut i = 0;
    while i < rules.len() {
        let key = rules[i].prefix.clone().unwrap_or_default();
        let same_after = rules[i].page
            && s3_first_match(&rules[i + 1..], &key)
                .is_some_and(|j| rules[i + 1 + j].url == rules[i].url);
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
/// catches. `keep_key`: the last rule is a global redirect that keeps the requested key.
fn s3_differences(site: &Site, keys: &[S3Key], rules: &[S3Rule], keep_key: bool) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut homepage = false;
    let (mut gone, mut queried, mut misdirected) =
        (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for S3Key { entry, raw, key } in keys {
        let wanted = match &entry.outcome {
            Outcome::Redirect { new_url } => Some(new_url.as_str()),
            Outcome::Global {
                rule: GlobalRule::Redirect { url, .. },
            } => Some(url.as_str()),
            Outcome::NotFound => continue,
            _ => None,
        };
        let got = s3_first_match(rules, key).map(|i| rules[i].url.as_str());
        if wanted.is_some() && (got == wanted || (keep_key && got.is_some())) {
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
        "S3 routing rules only redirect; archived and unresolved paths need their 410 from CloudFront Functions, nginx or Apache",
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
    findings
}

/// S3 website routing rules: one per section and per redirected page, longest prefix first
/// so that the most specific rule wins, without the page rules a shorter rule already
/// answers the same way. S3 matches key prefixes, not whole keys, so every legacy URL is
/// then checked against the rules as S3 applies them, and those S3 would answer
/// differently from the table are reported.
pub fn s3(site: &Site, table: &Table) -> Written {
    let mut findings = Vec::new();
    let keys: Vec<S3Key> = table
        .entries
        .iter()
        .flat_map(|entry| {
            entry.raw_urls.iter().map(move |raw| S3Key {
                entry,
                raw,
                key: s3_key(super::raw_parts(raw).1),
            })
        })
        .collect();
    let mut rules = s3_rules(table, &keys);
    let global = table.entries.iter().find_map(|e| match &e.outcome {
        Outcome::Global { rule } => Some(rule.clone()),
        _ => None,
    });
    let mut keep_key = false;
    if let Some(GlobalRule::Redirect { url, append_path }) = &global {
        let path = url::Url::parse(url)
            .map(|u| u.path().to_owned())
            .unwrap_or_default();
        if !append_path || path == "/" {
            keep_key = *append_path;
            rules.push(S3Rule {
                prefix: None,
                url: url.clone(),
                page: false,
            });
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
    findings.extend(s3_differences(site, &keys, &rules, keep_key));
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
    let json_rules: Vec<serde_json::Value> = rules
        .iter()
        .filter_map(|rule| {
            let redirect = s3_redirect(&rule.url, rule.prefix.is_none() && keep_key)?;
            Some(match &rule.prefix {
                Some(prefix) => {
                    json!({"Condition": {"KeyPrefixEquals": prefix}, "Redirect": redirect})
                }
                None => json!({"Redirect": redirect}),
            })
        })
        .collect();
    let mut bytes =
        serde_json::to_vec_pretty(&json!({"RoutingRules": json_rules})).unwrap_or_default();
    bytes.push(b'\n');
    Written {
        bytes: Some(bytes),
        findings,
    }
}
