//! Gathers one site's audit inputs from disk: the transform's `pages.jsonl` and
//! `attachments.csv`, the crawl store (statuses, depth, sitemap flags, the link graph) and
//! the needs and weights in `mappings/`.

use std::collections::HashMap;
use std::io::BufRead;
use std::path::Path;

use crate::config::site::Site;
use crate::error::{Error, Result};
use crate::store::Store;

use super::data::Weights;
use super::{AttachmentRecord, Crawled, Inputs, PageRecord, needs};

pub fn gather(site: &Site, out_dir: &Path, mappings_dir: &Path) -> Result<Inputs> {
    let site_dir = out_dir.join(&site.abbr);
    let pages_file = site_dir.join("pages.jsonl");
    if !pages_file.is_file() {
        return Err(Error::Usage(format!(
            "no transform output for {} at {}: run `phe-migrate transform {}` first (the audit reads what it found on each page)",
            site.abbr,
            pages_file.display(),
            site.abbr
        )));
    }
    let mut inputs = Inputs {
        pages: read_pages(&pages_file)?,
        attachments: read_attachments(&site_dir.join("attachments.csv"))?,
        needs: needs::load(
            &mappings_dir.join(format!("{}.yml", site.abbr)),
            &site.canonicalizer(crate::canonical::Mode::Govuk),
        ),
        weights: read_weights(&mappings_dir.join("audit.yml"))?,
        ..Inputs::default()
    };
    let db = site_dir.join("crawl.db");
    if db.is_file() {
        let store = Store::open_existing(&db)?;
        store.prefer_bulk_reads()?;
        inputs.crawled = read_crawl(&store, &site.host)?;
    }
    Ok(inputs)
}

fn read_pages(path: &Path) -> Result<Vec<PageRecord>> {
    let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut pages = Vec::new();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let page: PageRecord = serde_json::from_str(&line).map_err(|e| {
            Error::Usage(format!(
                "{}:{}:{}: {}; run `phe-migrate transform` again to rewrite it",
                path.display(),
                i + 1,
                e.column(),
                crate::diagnostic::json_problem(&e)
            ))
        })?;
        pages.push(page);
    }
    Ok(pages)
}

fn read_attachments(path: &Path) -> Result<Vec<AttachmentRecord>> {
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let mut reader = csv::Reader::from_path(path)
        .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    let mut out = Vec::new();
    for record in reader.records() {
        let r = record.map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
        out.push(AttachmentRecord {
            url: r.get(0).unwrap_or_default().to_owned(),
            filename: crate::csv_cell::text_of(r.get(1).unwrap_or_default()).to_owned(),
            content_type: crate::csv_cell::text_of(r.get(2).unwrap_or_default()).to_owned(),
            size: r.get(3).and_then(|s| s.parse().ok()),
            last_modified: r.get(4).filter(|s| !s.is_empty()).map(str::to_owned),
            used_on: r
                .get(5)
                .unwrap_or_default()
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
        });
    }
    Ok(out)
}

/// `mappings/audit.yml`'s `data_weights:`, over the defaults.
fn read_weights(path: &Path) -> Result<Weights> {
    #[derive(serde::Deserialize, Default)]
    struct File {
        #[serde(default)]
        data_weights: Weights,
    }
    if !path.is_file() {
        return Ok(Weights::default());
    }
    let doc = crate::config::yaml::YamlDocument::read(path).map_err(|d| Error::Invalid(vec![d]))?;
    let file: File = doc.deserialize().map_err(|d| Error::Invalid(vec![d]))?;
    Ok(file.data_weights)
}

fn read_crawl(store: &Store, host: &str) -> Result<HashMap<String, Crawled>> {
    let mut representatives = store.representative_urls(host)?;
    let rows = store.rows(
        "SELECT id, key, path_key, url, COALESCE(status, ''), depth, kind, in_sitemap FROM urls",
    )?;
    let mut by_id: HashMap<i64, String> = HashMap::new();
    let mut status_by_id: HashMap<i64, Option<u16>> = HashMap::new();
    let mut path_counts: HashMap<String, usize> = HashMap::new();
    let mut out: HashMap<String, Crawled> = HashMap::new();
    let mut path_of: HashMap<String, String> = HashMap::new();
    for r in &rows {
        let id: i64 = r[0].parse().unwrap_or(0);
        let status = r[4].parse().ok();
        by_id.insert(id, r[1].clone());
        status_by_id.insert(id, status);
        *path_counts.entry(r[2].clone()).or_insert(0) += 1;
        path_of.insert(r[1].clone(), r[2].clone());
        out.insert(
            r[1].clone(),
            Crawled {
                url: representatives.remove(&id).unwrap_or_else(|| r[3].clone()),
                status,
                depth: r[5].parse().unwrap_or(0),
                kind: r[6].clone(),
                in_sitemap: r[7] == "1",
                ..Crawled::default()
            },
        );
    }
    for (key, crawled) in out.iter_mut() {
        crawled.query_variants = path_of
            .get(key)
            .and_then(|p| path_counts.get(p))
            .map_or(0, |n| n.saturating_sub(1));
    }
    let links = store.rows("SELECT from_id, links FROM page_links")?;
    let mut inlinks: HashMap<i64, std::collections::HashSet<i64>> = HashMap::new();
    for r in &links {
        let from: i64 = r[0].parse().unwrap_or(0);
        let list: Vec<serde_json::Value> = serde_json::from_str(&r[1]).unwrap_or_default();
        let (mut internal, mut external, mut broken) = (0, 0, 0);
        for link in &list {
            let to = link.get(0).and_then(|v| v.as_i64());
            let is_internal = link.get(5).and_then(|v| v.as_bool()).unwrap_or(false);
            if is_internal {
                internal += 1;
            } else {
                external += 1;
            }
            if let Some(to) = to {
                if to != from {
                    inlinks.entry(to).or_default().insert(from);
                }
                if status_by_id
                    .get(&to)
                    .copied()
                    .flatten()
                    .is_some_and(|s| s >= 400)
                {
                    broken += 1;
                }
            }
        }
        if let Some(c) = by_id.get(&from).and_then(|k| out.get_mut(k)) {
            c.outlinks_internal = internal;
            c.outlinks_external = external;
            c.broken_outlinks = broken;
        }
    }
    for (to, from) in &inlinks {
        if let Some(c) = by_id.get(to).and_then(|k| out.get_mut(k)) {
            c.inlinks = from.len();
        }
    }
    // Depth is the shortest link path from the homepage: the same however the crawl ran
    // (a resumed crawl discovers pages in another order). Pages no link reaches have none.
    let mut outgoing: HashMap<i64, Vec<i64>> = HashMap::new();
    for (to, froms) in &inlinks {
        for from in froms {
            outgoing.entry(*from).or_default().push(*to);
        }
    }
    for c in out.values_mut() {
        c.depth = u32::MAX;
    }
    let home = by_id.iter().find(|(_, k)| k.is_empty()).map(|(id, _)| *id);
    let mut queue = std::collections::VecDeque::new();
    let mut depth_of: HashMap<i64, u32> = HashMap::new();
    if let Some(home) = home {
        depth_of.insert(home, 0);
        queue.push_back(home);
    }
    while let Some(id) = queue.pop_front() {
        let d = depth_of[&id];
        for next in outgoing.get(&id).into_iter().flatten() {
            if !depth_of.contains_key(next) {
                depth_of.insert(*next, d + 1);
                queue.push_back(*next);
            }
        }
    }
    for (id, d) in depth_of {
        if let Some(c) = by_id.get(&id).and_then(|k| out.get_mut(k)) {
            c.depth = d;
        }
    }
    Ok(out)
}
