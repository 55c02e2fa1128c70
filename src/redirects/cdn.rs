//! CDN writers. Each knows what its target can hold and says so, rather than writing
//! something the CDN will reject or silently mis-serve: Cloudflare Bulk Redirect lists
//! (redirects only, no header row, no query strings in sources, a per-plan item limit),
//! Fastly edge dictionaries (1,000 items each, keys of at most 256 characters) and S3
//! website routing rules (50 at most).

use serde_json::json;

use super::{Finding, Outcome, Table};
use crate::config::site::Site;

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

/// S3 website routing rules: sections as key prefixes, then pages, as long as they fit.
pub fn s3(site: &Site, table: &Table) -> Written {
    let mut findings = Vec::new();
    let mut rules = Vec::new();
    let redirect = |prefix: &str, url: &str| {
        let parsed = url::Url::parse(url).ok()?;
        let mut target = json!({
            "HostName": parsed.host_str()?,
            "Protocol": parsed.scheme(),
            "HttpRedirectCode": "301",
            "ReplaceKeyWith": parsed.path().trim_start_matches('/'),
        });
        if let Some(q) = parsed.query() {
            target["ReplaceKeyWith"] =
                json!(format!("{}?{q}", parsed.path().trim_start_matches('/')));
        }
        Some(json!({
            "Condition": {"KeyPrefixEquals": prefix.trim_start_matches('/')},
            "Redirect": target,
        }))
    };
    for section in &table.sections {
        if let Outcome::Redirect { new_url } = &section.outcome
            && let Some(rule) = redirect(&section.prefix, new_url)
        {
            rules.push(rule);
        }
    }
    for entry in &table.entries {
        if let Outcome::Redirect { new_url } = &entry.outcome
            && !entry.key.is_empty()
            && !entry.key.contains('?')
            && let Some(rule) = redirect(&entry.key, new_url)
        {
            rules.push(rule);
        }
    }
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
    let mut bytes = serde_json::to_vec_pretty(&json!({"RoutingRules": rules})).unwrap_or_default();
    bytes.push(b'\n');
    Written {
        bytes: Some(bytes),
        findings,
    }
}
