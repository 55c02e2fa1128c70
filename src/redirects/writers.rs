//! Writers: each reads a validated [`Table`] and writes one target's format.

use serde_json::json;

use crate::config::site::Site;

use super::{Outcome, Table};

/// Transition's import format (`old url,new url`): `TNA` for an archive with Bouncer's
/// link, the web-archive URL for one with its own, blank for unresolved. The homepage,
/// paths the legacy site did not have, and global sites (set in the site config) have no
/// rows: Transition would ignore them.
pub fn transition_csv(table: &Table) -> Vec<u8> {
    let mut out = csv::Writer::from_writer(Vec::with_capacity(table.entries.len() * 96));
    let _ = out.write_record(["old url", "new url"]);
    let mut old = String::new();
    for entry in &table.entries {
        if entry.key.is_empty() {
            continue;
        }
        let new = match &entry.outcome {
            Outcome::Redirect { new_url } => new_url.as_str(),
            Outcome::Archive { archive_url: None } => "TNA",
            Outcome::Archive {
                archive_url: Some(u),
            } => u.as_str(),
            Outcome::Unresolved => "",
            Outcome::NotFound | Outcome::Global { .. } => continue,
        };
        old.clear();
        old.push_str("http://");
        old.push_str(&table.host);
        old.push_str(&entry.key);
        let _ = out.write_record([old.as_str(), new]);
    }
    out.into_inner().unwrap_or_default()
}

/// Everything: per legacy path its outcome and reason, and per raw URL the status and
/// Location (or archive link) a server must answer with.
pub fn json(table: &Table, site: &Site) -> Vec<u8> {
    let (decided, counted) = table.coverage();
    let entries: Vec<serde_json::Value> = table
        .entries
        .iter()
        .map(|e| {
            let urls: Vec<serde_json::Value> = e
                .raw_urls
                .iter()
                .map(|raw| {
                    let answer = e.outcome.answer(site, raw);
                    let mut value = serde_json::Map::new();
                    value.insert("url".into(), json!(raw));
                    if let serde_json::Value::Object(fields) = json!(answer) {
                        value.extend(fields);
                    }
                    serde_json::Value::Object(value)
                })
                .collect();
            json!({
                "key": e.key,
                "outcome": e.outcome,
                "because": e.because,
                "hits": e.hits,
                "urls": urls,
            })
        })
        .collect();
    let value = json!({
        "site": table.site,
        "host": table.host,
        "coverage": {
            "decided": decided,
            "known": counted,
            "hits_decided": table.hit_coverage().map(|c| c.0),
            "hits": table.hit_coverage().map(|c| c.1),
        },
        "counts": table.counts(),
        "entries": entries,
        "findings": table.findings,
    });
    let mut bytes = serde_json::to_vec_pretty(&value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}
