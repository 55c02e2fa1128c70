//! Audits for the people who decide what happens to each legacy page: a content inventory
//! (one row per URL), the data-richness audit with a suggested route, accessibility
//! problems, user needs and the gaps G1–G11 between needs, pages, traffic and decisions,
//! and a site summary with coverage. `build` is pure: [`sources`] gathers its inputs from
//! the crawl store, the transform's `pages.jsonl` and `attachments.csv`, the redirect table
//! and the mappings; [`report`] writes CSV, Markdown and a self-contained HTML report.

pub mod data;
pub mod needs;
pub mod report;
pub mod sources;

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;

use crate::config::site::{GlobalRule, Site};
use crate::diagnostic::Diagnostic;
use crate::extract::facts::{self, PageFacts};
use crate::redirects::{Outcome, Table};

use data::Weights;
use needs::Needs;

/// A page as the transform read it (one line of `pages.jsonl`).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct PageRecord {
    pub url: String,
    pub key: String,
    #[serde(default)]
    pub variants: Vec<String>,
    pub title: String,
    pub description: Option<String>,
    pub published: Option<String>,
    pub updated: Option<String>,
    pub format: String,
    pub base_path: String,
    #[serde(default)]
    pub attachments: Vec<String>,
    pub facts: PageFacts,
}

/// What the crawl knows about a URL.
#[derive(Clone, Debug, Default)]
pub struct Crawled {
    pub url: String,
    pub status: Option<u16>,
    pub depth: u32,
    pub kind: String,
    pub in_sitemap: bool,
    pub inlinks: usize,
    pub outlinks_internal: usize,
    pub outlinks_external: usize,
    pub broken_outlinks: usize,
    /// Crawled URLs whose key differs from this one only in the query string.
    pub query_variants: usize,
}

/// An attachment as the transform listed it.
#[derive(Clone, Debug, Default)]
pub struct AttachmentRecord {
    pub url: String,
    pub filename: String,
    pub content_type: String,
    pub size: Option<u64>,
    pub last_modified: Option<String>,
    pub used_on: Vec<String>,
}

/// Everything the audit of one site reads.
#[derive(Clone, Debug, Default)]
pub struct Inputs {
    pub pages: Vec<PageRecord>,
    /// By canonical key.
    pub crawled: HashMap<String, Crawled>,
    pub attachments: Vec<AttachmentRecord>,
    pub needs: Needs,
    pub weights: Weights,
}

/// One row of `inventory.csv`.
#[derive(Clone, Debug, Default)]
pub struct InventoryRow {
    pub url: String,
    pub key: String,
    pub status: Option<u16>,
    pub kind: String,
    pub title: String,
    pub description_len: usize,
    pub h1: String,
    pub facts: Option<PageFacts>,
    pub published: String,
    pub updated: String,
    pub newest_year: Option<u16>,
    pub stale: bool,
    pub depth: Option<u32>,
    pub crawled: Crawled,
    pub in_sitemap: bool,
    pub orphan: bool,
    pub exact_dup_group: String,
    pub near_dup_group: String,
    pub near_dup_similarity: f64,
    /// The near duplicate shares the page's title and words: another version of its text.
    pub near_dup_version: bool,
    pub data: Option<data::DataScore>,
    pub route: &'static str,
    pub hits: u64,
    pub needs: Vec<String>,
    pub outcome: &'static str,
    pub new_url: String,
    pub disposition: String,
    pub accessibility: Vec<String>,
    pub suggestions: Vec<&'static str>,
}

/// A page's place among near duplicates.
struct NearDuplicate {
    /// The group, named by one of its pages' index.
    group: usize,
    /// The best similarity to another page of the group.
    similarity: f64,
    /// A version of another page's text (its title and words, other dates and figures).
    version: bool,
}

impl NearDuplicate {
    /// Puts page `page` in `group`, keeping its best similarity and whether it is a version.
    fn record(
        near: &mut BTreeMap<usize, NearDuplicate>,
        page: usize,
        group: usize,
        similarity: f64,
        version: bool,
    ) {
        let (best, was_version) = near
            .get(&page)
            .map_or((0.0, false), |n| (n.similarity, n.version));
        near.insert(
            page,
            NearDuplicate {
                group,
                similarity: similarity.max(best),
                version: version || was_version,
            },
        );
    }
}

/// Texts compared in one MinHash bucket before a text unlike all of them stops being kept
/// for later ones: a bound on the work when thousands of pages share a template's words.
const BUCKET_LEADERS: usize = 256;

/// Near duplicates (at least 90% alike, not identical), keyed by page index: MinHash banded
/// into 16 bands of 4, each bucket's texts compared with the texts it already holds that
/// are unlike each other. Copies of one text are measured once, through their first page,
/// and joined to its group afterwards; groups are named by their first page. Linear in the
/// pages when they are copies or near copies, where comparing every pair of a bucket took
/// quadratic time and memory (20,000 copies of a page did not finish).
fn near_duplicates(pages: &[PageRecord]) -> BTreeMap<usize, NearDuplicate> {
    let mut copies: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, page) in pages.iter().enumerate() {
        if page.facts.minhash.len() == facts::MINHASH_SIZE {
            copies.entry(&page.facts.text_digest).or_default().push(i);
        }
    }
    let mut buckets: HashMap<(usize, &[u32]), Vec<usize>> = HashMap::new();
    for &first in copies.values().map(|c| &c[0]) {
        let minhash = &pages[first].facts.minhash;
        for band in 0..16 {
            buckets
                .entry((band, &minhash[band * 4..band * 4 + 4]))
                .or_default()
                .push(first);
        }
    }
    let mut buckets: Vec<Vec<usize>> = buckets
        .into_values()
        .filter(|members| members.len() > 1)
        .collect();
    for members in &mut buckets {
        members.sort_unstable();
    }
    buckets.sort_unstable();
    let mut groups = UnionFind::new(pages.len());
    let mut best: HashMap<usize, f64> = HashMap::new();
    for members in &buckets {
        let mut leaders: Vec<usize> = Vec::new();
        for &page in members {
            let mut placed = false;
            for &leader in &leaders {
                if groups.find(leader) == groups.find(page) {
                    placed = true;
                    break;
                }
                let sim =
                    facts::similarity(&pages[leader].facts.minhash, &pages[page].facts.minhash);
                if sim >= 0.9 {
                    groups.union(leader, page);
                    for k in [leader, page] {
                        let b = best.entry(k).or_default();
                        *b = b.max(sim);
                    }
                    placed = true;
                    break;
                }
            }
            if !placed && leaders.len() < BUCKET_LEADERS {
                leaders.push(page);
            }
        }
    }
    let mut near = BTreeMap::new();
    for (&first, similarity) in &best {
        let group = groups.find(first);
        for &page in &copies[pages[first].facts.text_digest.as_str()] {
            NearDuplicate::record(&mut near, page, group, *similarity, false);
        }
    }
    near
}

/// Disjoint sets of page indexes, each named by its smallest member.
struct UnionFind(Vec<usize>);

impl UnionFind {
    fn new(len: usize) -> Self {
        UnionFind((0..len).collect())
    }

    fn find(&mut self, mut i: usize) -> usize {
        while self.0[i] != i {
            self.0[i] = self.0[self.0[i]];
            i = self.0[i];
        }
        i
    }

    fn union(&mut self, a: usize, b: usize) {
        let (a, b) = (self.find(a), self.find(b));
        self.0[a.max(b)] = a.min(b);
    }
}

/// What is known of a requested URL that has no decision, for its G8 gap.
fn unmapped_demand(row: &InventoryRow) -> String {
    match row.status {
        _ if row.kind == "unseen" => "requested, but neither crawled nor mapped".into(),
        None => "requested, never fetched (robots.txt or a crawl limit), and not mapped".into(),
        Some(status @ 300..=399) => format!(
            "requested; the legacy site redirects it ({status}) to no decided page, and it is not mapped"
        ),
        Some(status @ 400..) => {
            format!("requested; the legacy site answers {status}, and it is not mapped")
        }
        Some(_) => format!(
            "requested {} times, but not mapped: a 410 at switch-over",
            row.hits
        ),
    }
}

/// One gap.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Gap {
    pub code: &'static str,
    pub severity: &'static str,
    pub url: String,
    pub need: String,
    pub hits: u64,
    pub tier: String,
    pub detail: String,
    pub action: &'static str,
}

/// A need with what the site has for it.
#[derive(Clone, Debug)]
pub struct NeedRow {
    pub need: needs::Need,
    pub legacy_pages: usize,
    pub legacy_hits: u64,
    pub targets_existing: usize,
    pub met: bool,
    pub gaps: Vec<&'static str>,
}

/// The site's audit.
#[derive(Clone, Debug)]
pub struct SiteAudit {
    pub site: String,
    pub host: String,
    pub tna_timestamp: String,
    pub global: String,
    pub inventory: Vec<InventoryRow>,
    pub attachments: Vec<(AttachmentRecord, u8, bool, u64)>,
    pub needs: Vec<NeedRow>,
    pub gaps: Vec<Gap>,
    pub diagnostics: Vec<Diagnostic>,
    pub coverage: (usize, usize),
    pub hit_coverage: Option<(u64, u64)>,
    pub outcomes: BTreeMap<&'static str, usize>,
}

impl SiteAudit {
    pub fn pages(&self) -> usize {
        self.inventory.iter().filter(|r| r.facts.is_some()).count()
    }

    /// Share of HTML pages that are rich or tools, in percent.
    pub fn data_rich_pct(&self) -> f64 {
        let pages = self.pages();
        if pages == 0 {
            return 0.0;
        }
        let rich = self
            .inventory
            .iter()
            .filter(|r| {
                r.data
                    .as_ref()
                    .is_some_and(|d| matches!(d.tier, "rich" | "tool"))
            })
            .count();
        rich as f64 * 100.0 / pages as f64
    }

    pub fn needs_met_pct(&self) -> Option<f64> {
        (!self.needs.is_empty()).then(|| {
            self.needs.iter().filter(|n| n.met).count() as f64 * 100.0 / self.needs.len() as f64
        })
    }

    /// The notes' site verdict: data-rich when a fifth of its pages are rich or tools, it
    /// has 50 or more data files, or a tool is among its ten most requested pages.
    pub fn data_verdict(&self) -> &'static str {
        let files: usize = self
            .inventory
            .iter()
            .filter_map(|r| r.facts.as_ref())
            .map(PageFacts::data_files)
            .sum();
        let mut by_hits: Vec<&InventoryRow> =
            self.inventory.iter().filter(|r| r.hits > 0).collect();
        by_hits.sort_by(|a, b| b.hits.cmp(&a.hits).then(a.key.cmp(&b.key)));
        let popular_tool = by_hits
            .iter()
            .take(10)
            .any(|r| r.data.as_ref().is_some_and(|d| d.tier == "tool"));
        if self.data_rich_pct() >= 20.0 || files >= 50 || popular_tool {
            "data-rich"
        } else {
            "not data-rich"
        }
    }

    pub fn blocking_gaps(&self) -> usize {
        self.gaps.iter().filter(|g| g.severity == "high").count()
    }
}

/// Five-star openness of a file format (0 when it is not a data or document format).
pub fn stars(extension: &str) -> u8 {
    match extension {
        "pdf" => 1,
        "doc" | "docx" | "rtf" | "ppt" | "pptx" => 1,
        "odt" => 2,
        _ => facts::DATA_FORMATS
            .iter()
            .find(|(e, _)| *e == extension)
            .map_or(0, |(_, s)| *s),
    }
}

/// An attachment's extension as the transform named the file (empty when it has none).
fn extension_of(filename: &str) -> String {
    crate::formats::file_names::extension_of(filename).unwrap_or_default()
}

fn year_of(date: &str) -> Option<u16> {
    date.get(..4).and_then(|y| y.parse().ok())
}

/// The date accessible-documents rules start from (the Public Sector Bodies Accessibility
/// Regulations 2018): files published after it must be accessible.
pub const ACCESSIBILITY_DATE: &str = "2018-09-23";

impl InventoryRow {
    /// The page's duplicate group: exact if it has one, else near.
    fn duplicate_group(&self) -> Option<&str> {
        [&self.exact_dup_group, &self.near_dup_group]
            .into_iter()
            .find(|group| !group.is_empty())
            .map(String::as_str)
    }
}

/// Each duplicate group's pages (exact and near groups alike), in inventory order.
fn duplicate_group_members(inventory: &[InventoryRow]) -> HashMap<&str, Vec<&str>> {
    let mut members: HashMap<&str, Vec<&str>> = HashMap::new();
    for row in inventory {
        for group in [&row.exact_dup_group, &row.near_dup_group] {
            if !group.is_empty() {
                members.entry(group).or_default().push(&row.url);
            }
        }
    }
    members
}

/// Duplicate groups whose copies all redirect to one page already (a page merged with its
/// `/default.aspx` copy, copies mapped to one target): nothing is left to merge.
fn settled_duplicate_groups(inventory: &[InventoryRow]) -> HashSet<&str> {
    let mut targets: HashMap<&str, HashSet<&str>> = HashMap::new();
    for row in inventory {
        if let Some(group) = row.duplicate_group() {
            let target = match row.outcome {
                "redirect" => row.new_url.as_str(),
                _ => "",
            };
            targets.entry(group).or_default().insert(target);
        }
    }
    targets
        .into_iter()
        .filter(|(_, targets)| targets.len() == 1 && !targets.contains(""))
        .map(|(group, _)| group)
        .collect()
}

/// Builds the site's audit.
pub fn build(site: &Site, table: &Table, inputs: Inputs) -> SiteAudit {
    let Inputs {
        pages,
        crawled,
        attachments,
        needs: site_needs,
        weights,
    } = inputs;
    let reference_year: u16 = site
        .tna_timestamp
        .value
        .get(..4)
        .and_then(|y| y.parse().ok())
        .unwrap_or(2013);
    let by_key: HashMap<&str, &PageRecord> = pages.iter().map(|p| (p.key.as_str(), p)).collect();
    // Pages the transform merged (byte-identical copies) answer for every variant's key.
    // By index into `pages`.
    let mut page_of_key: HashMap<String, usize> = HashMap::new();
    let canonicalizer = site.canonicalizer(crate::canonical::Mode::Govuk);
    for (i, page) in pages.iter().enumerate() {
        for v in &page.variants {
            if let Ok(k) = canonicalizer.key(v) {
                page_of_key.entry(k).or_insert(i);
            }
        }
        page_of_key.insert(page.key.clone(), i);
    }
    // Exact duplicates: the same main text under different keys (merged copies included).
    let mut by_digest: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for page in &pages {
        if page.facts.words >= 20 {
            by_digest
                .entry(&page.facts.text_digest)
                .or_default()
                .push(&page.key);
        }
    }
    let mut exact_group: HashMap<String, String> = HashMap::new();
    let mut group_number = 0;
    for keys in by_digest.values() {
        let merged: Vec<String> = keys
            .iter()
            .flat_map(|k| {
                let page = by_key[k];
                std::iter::once(k.to_string()).chain(
                    page.variants
                        .iter()
                        .filter_map(|v| canonicalizer.key(v).ok())
                        .filter(move |vk| vk != k),
                )
            })
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        if merged.len() > 1 {
            group_number += 1;
            for k in merged {
                exact_group.insert(k, format!("E{group_number}"));
            }
        }
    }
    let mut near = near_duplicates(&pages);
    // Versions of one text, republished with other dates and figures under the same title,
    // are near duplicates however short the text (five-word shingles of a short text differ
    // too much for the threshold).
    let mut versions: HashMap<(String, &str), Vec<usize>> = HashMap::new();
    for (i, page) in pages.iter().enumerate() {
        if page.facts.words >= 20 && !page.facts.wording_digest.is_empty() {
            versions
                .entry((page.title.to_lowercase(), &page.facts.wording_digest))
                .or_default()
                .push(i);
        }
    }
    // Each set joins one group, each member measured against one other text of the set:
    // linear in the set, however many pages a CMS republished.
    let mut version_sets: Vec<&Vec<usize>> = versions.values().filter(|m| m.len() > 1).collect();
    version_sets.sort_unstable();
    for members in version_sets {
        let digest = |i: usize| pages[i].facts.text_digest.as_str();
        let group = members
            .iter()
            .find_map(|i| near.get(i).map(|n| n.group))
            .unwrap_or(members[0]);
        // Exact copies of one text are exact duplicates, not versions of it.
        let first = members[0];
        let Some(&unlike_first) = members.iter().find(|&&j| digest(j) != digest(first)) else {
            continue;
        };
        for &i in members {
            let other = if digest(i) == digest(first) {
                unlike_first
            } else {
                first
            };
            let sim = facts::similarity(&pages[i].facts.minhash, &pages[other].facts.minhash);
            NearDuplicate::record(&mut near, i, group, sim, true);
        }
    }
    let mut near_names: BTreeMap<usize, String> = BTreeMap::new();
    for near_duplicate in near.values() {
        let n = near_names.len() + 1;
        near_names
            .entry(near_duplicate.group)
            .or_insert_with(|| format!("N{n}"));
    }

    let hits_total: Vec<u64> = {
        let mut h: Vec<u64> = table
            .entries
            .iter()
            .map(|e| e.hits)
            .filter(|h| *h > 0)
            .collect();
        h.sort_unstable();
        h
    };
    // Popular: in the top quarter of the requested pages, with at least 10 requests.
    let popular = hits_total
        .get(hits_total.len().saturating_mul(3) / 4)
        .copied()
        .unwrap_or(u64::MAX)
        .max(10);

    let mut inventory = Vec::with_capacity(table.entries.len());
    for entry in &table.entries {
        let key = entry.key.as_str();
        let index = page_of_key.get(key).copied();
        let page = index.map(|i| &pages[i]);
        let crawl = crawled.get(key).cloned().unwrap_or_default();
        let url = entry
            .raw_urls
            .first()
            .cloned()
            .unwrap_or_else(|| format!("http://{}{}", site.host, key));
        let mut row = InventoryRow {
            url,
            key: key.to_owned(),
            status: crawl.status,
            kind: if crawl.kind.is_empty() {
                "unseen".to_owned()
            } else {
                crawl.kind.clone()
            },
            depth: (!crawl.kind.is_empty() && crawl.depth != u32::MAX).then_some(crawl.depth),
            in_sitemap: crawl.in_sitemap,
            hits: entry.hits,
            needs: site_needs.for_key(key),
            outcome: entry.outcome.name(),
            new_url: match &entry.outcome {
                Outcome::Redirect { new_url } => new_url.clone(),
                Outcome::Archive {
                    archive_url: Some(u),
                } => u.clone(),
                _ => String::new(),
            },
            disposition: site_needs.disposition_for(key).unwrap_or_default(),
            exact_dup_group: exact_group.get(key).cloned().unwrap_or_default(),
            crawled: crawl.clone(),
            ..InventoryRow::default()
        };
        if let Some(page) = page {
            let f = &page.facts;
            row.title = page.title.clone();
            row.description_len = page.description.as_deref().map_or(0, |d| d.chars().count());
            row.h1 = f.h1.clone().unwrap_or_default();
            row.published = page.published.clone().unwrap_or_default();
            row.updated = page.updated.clone().unwrap_or_default();
            row.newest_year = [
                page.updated.as_deref().and_then(year_of),
                page.published.as_deref().and_then(year_of),
                f.newest_year,
            ]
            .into_iter()
            .flatten()
            .max();
            row.stale = row
                .newest_year
                .is_some_and(|y| reference_year.saturating_sub(y) >= 3);
            if let Some(near_duplicate) = index.and_then(|i| near.get(&i)) {
                row.near_dup_version = near_duplicate.version;
                row.near_dup_group = near_names[&near_duplicate.group].clone();
                row.near_dup_similarity = near_duplicate.similarity;
            }
            let score = data::score(f, crawl.query_variants, &weights);
            row.route = data::route(f, score.tier, entry.hits, row.stale);
            row.data = Some(score);
            // Accessibility problems of the legacy page, and whether the draft fixes them.
            if f.images_without_alt > 0 {
                row.accessibility.push(format!(
                    "{} image(s) without alt text (the draft leaves them out)",
                    f.images_without_alt
                ));
            }
            if f.tables_without_headers > 0 {
                row.accessibility.push(format!("{} data table(s) without header cells (the draft gives the first row header cells)", f.tables_without_headers));
            }
            if !f.vague_links.is_empty() {
                row.accessibility.push(format!(
                    "vague link text: {} (not fixed in the draft)",
                    f.vague_links.join(", ")
                ));
            }
            let skipped = f.skipped_headings();
            if !skipped.is_empty() {
                row.accessibility.push(format!(
                    "skipped heading levels {} (the draft renumbers them)",
                    skipped.join(", ")
                ));
            }
            let documents: usize = f
                .files
                .iter()
                .filter(|(e, _)| facts::DOCUMENT_FORMATS.contains(&e.as_str()))
                .map(|(_, n)| n)
                .sum();
            if documents > 0 && f.words < 80 {
                row.accessibility
                    .push("content only in PDF or Word, with no HTML alternative".to_owned());
            }
            // GOV.UK's eight content-audit questions, pre-filled.
            let title_len = page.title.chars().count();
            if title_len == 0 || title_len > 65 {
                row.suggestions.push("change_title");
            }
            if row.description_len == 0
                || row.description_len > 160
                || page.description.as_deref() == Some(page.title.as_str())
            {
                row.suggestions.push("change_description");
            }
            if f.words > 500 || f.longest_sentence > 25 || f.flesch().is_some_and(|r| r < 30.0) {
                row.suggestions.push("change_body");
            }
            if !page.attachments.is_empty()
                && f.files
                    .keys()
                    .any(|e| matches!(e.as_str(), "pdf" | "doc" | "docx" | "xls" | "xlsx"))
            {
                row.suggestions.push("change_attachments");
            }
            if row.stale {
                row.suggestions.push("outdated");
            }
            if !row.exact_dup_group.is_empty() || !row.near_dup_group.is_empty() {
                row.suggestions.push("similar");
            }
            if row.needs.is_empty() && row.stale && row.hits == 0 {
                row.suggestions.push("redundant");
            }
            row.facts = Some(f.clone());
        }
        row.orphan = !key.is_empty()
            && row.crawled.inlinks == 0
            && (row.in_sitemap || row.hits > 0)
            && page.is_some();
        inventory.push(row);
    }

    // Needs: where each is met, and the gaps.
    let mut gaps = Vec::new();
    let mut need_rows = Vec::new();
    let impact_of: HashMap<&str, Option<usize>> = site_needs
        .needs
        .iter()
        .map(|n| (n.id.as_str(), n.impact))
        .collect();
    for need in &site_needs.needs {
        let pages: Vec<&InventoryRow> = inventory
            .iter()
            .filter(|r| r.needs.contains(&need.id) && r.facts.is_some())
            .collect();
        let legacy_hits = pages.iter().map(|r| r.hits).sum();
        let targets_existing = need
            .targets
            .iter()
            .filter(|t| t.state.as_deref() == Some("exists"))
            .count();
        let redirected = pages.iter().any(|r| r.outcome == "redirect")
            || matches!(site.global, Some(GlobalRule::Redirect { .. }));
        let met = targets_existing > 0 || redirected;
        let mut codes = Vec::new();
        if !pages.is_empty() && !met {
            codes.push("G1");
            let severe = need.impact.is_some_and(|i| i >= 2);
            gaps.push(Gap {
                code: "G1",
                severity: if severe { "high" } else { "medium" },
                url: String::new(),
                need: need.id.clone(),
                hits: legacy_hits,
                tier: String::new(),
                detail: format!("{} legacy page(s) serve it, none redirects to a new page and it has no existing target", pages.len()),
                action: "create or identify the GOV.UK page that meets it, then redirect to it",
            });
        }
        if pages.is_empty() && need.targets.is_empty() {
            codes.push("G3");
            gaps.push(Gap {
                code: "G3",
                severity: "medium",
                url: String::new(),
                need: need.id.clone(),
                hits: 0,
                tier: String::new(),
                detail: "no legacy page and no target".to_owned(),
                action: "write new content, or withdraw the need",
            });
        }
        need_rows.push(NeedRow {
            need: need.clone(),
            legacy_pages: pages.len(),
            legacy_hits,
            targets_existing,
            met,
            gaps: codes,
        });
    }
    let severity_by_hits = |hits: u64| {
        if hits >= popular {
            "high"
        } else if hits > 0 {
            "medium"
        } else {
            "low"
        }
    };
    let tier_of = |r: &InventoryRow| r.data.as_ref().map_or(String::new(), |d| d.tier.to_owned());
    let settled = settled_duplicate_groups(&inventory);
    let copies = duplicate_group_members(&inventory);
    for row in &inventory {
        let is_page = row.facts.is_some();
        if is_page && !row.needs.is_empty() && row.outcome == "unresolved" {
            let severe = row.needs.iter().any(|n| {
                impact_of
                    .get(n.as_str())
                    .copied()
                    .flatten()
                    .is_some_and(|i| i >= 2)
            });
            gaps.push(Gap {
                code: "G2",
                severity: if severe || row.hits >= popular {
                    "high"
                } else {
                    "medium"
                },
                url: row.url.clone(),
                need: row.needs.join(" "),
                hits: row.hits,
                tier: tier_of(row),
                detail: "meets a need but has no decision: it would be a 410 at switch-over".into(),
                action: "map it to the page that meets the need",
            });
        }
        if is_page && row.needs.is_empty() && !row.key.is_empty() {
            gaps.push(Gap {
                code: "G4",
                severity: "low",
                url: row.url.clone(),
                need: String::new(),
                hits: row.hits,
                tier: tier_of(row),
                detail: "no user need at page, section or site level".into(),
                action: "archive it, or record the need it meets",
            });
        }
        if row
            .duplicate_group()
            .is_some_and(|group| !settled.contains(group))
        {
            // Named, so that the lead can open both pages and choose which one stays.
            let others = |group: &str| -> String {
                // The row is one of its group's members: the others are the rest.
                let members = copies.get(group).map_or(&[][..], Vec::as_slice);
                let first_other = members.iter().take(2).find(|u| **u != row.url);
                match (first_other, members.len().saturating_sub(2)) {
                    (None, _) => "another page".to_owned(),
                    (Some(url), 0) => (*url).to_owned(),
                    (Some(url), 1) => format!("{url} and 1 other page"),
                    (Some(url), n) => format!("{url} and {n} other pages"),
                }
            };
            let (group, detail) = if !row.exact_dup_group.is_empty() {
                (
                    row.exact_dup_group.clone(),
                    format!("the same text as {}", others(&row.exact_dup_group)),
                )
            } else if row.near_dup_version {
                (
                    row.near_dup_group.clone(),
                    format!(
                        "one of several versions of a text (the same title and words, other \
                         dates and figures), with {}",
                        others(&row.near_dup_group)
                    ),
                )
            } else {
                (
                    row.near_dup_group.clone(),
                    format!(
                        "{:.0}% the same as {}",
                        row.near_dup_similarity * 100.0,
                        others(&row.near_dup_group)
                    ),
                )
            };
            gaps.push(Gap {
                code: "G5",
                severity: "low",
                url: row.url.clone(),
                need: group,
                hits: row.hits,
                tier: tier_of(row),
                detail,
                action: "merge: map every copy to one target",
            });
        }
        if row.outcome == "archive" && row.hits >= popular {
            gaps.push(Gap {
                code: "G7",
                severity: "high",
                url: row.url.clone(),
                need: row.needs.join(" "),
                hits: row.hits,
                tier: tier_of(row),
                detail: format!("archived but requested {} times", row.hits),
                action: "redirect it to a page that meets the same need",
            });
        }
        // Demand with no decision: a URL requested that would be a 410 at switch-over. A
        // page that meets a need is G2's already; any other (never crawled, kept from the
        // crawl by robots.txt, a legacy redirect that reaches no decision, a page no need
        // claims) is here, ranked by its requests.
        let g2 = is_page && !row.needs.is_empty();
        if row.hits > 0 && row.outcome == "unresolved" && !g2 {
            gaps.push(Gap {
                code: "G8",
                severity: severity_by_hits(row.hits),
                url: row.url.clone(),
                need: String::new(),
                hits: row.hits,
                tier: tier_of(row),
                detail: unmapped_demand(row),
                action: "decide: map it or archive it",
            });
        }
        if row.orphan {
            gaps.push(Gap {
                code: "G9",
                severity: severity_by_hits(row.hits),
                url: row.url.clone(),
                need: row.needs.join(" "),
                hits: row.hits,
                tier: tier_of(row),
                detail: if row.in_sitemap {
                    "in the sitemap, linked from no page".into()
                } else {
                    "requested, linked from no page".into()
                },
                action: "decide: does it meet a need, or archive it",
            });
        }
        if let Some(d) = &row.data
            && matches!(d.tier, "rich" | "tool")
            && row.disposition.is_empty()
        {
            gaps.push(Gap {
                code: "G10",
                severity: if d.tier == "tool" || row.hits >= popular {
                    "high"
                } else {
                    "medium"
                },
                url: row.url.clone(),
                need: row.needs.join(" "),
                hits: row.hits,
                tier: d.tier.to_owned(),
                detail: if row.near_dup_version {
                    // One decision serves every version: the newest's.
                    format!(
                        "{} data page with no disposition (score {}); one of several versions \
                         of its text (group {}): decide for the newest, send the others to it",
                        d.tier, d.score, row.near_dup_group
                    )
                } else {
                    format!(
                        "{} data page with no disposition (score {})",
                        d.tier, d.score
                    )
                },
                action: match row.route {
                    "" => "decide its route",
                    r => r,
                },
            });
        }
    }
    // G6: mapped targets that are missing or wrong, as the redirect validation found them.
    for finding in table.findings.iter().filter(|f| f.blocking) {
        let m = &finding.message;
        if m.contains("not in the batch's output")
            || m.contains("whitelisted")
            || m.contains("https")
            || m.contains("National Archives")
        {
            gaps.push(Gap {
                code: "G6",
                severity: "high",
                url: finding.at.clone(),
                need: String::new(),
                hits: 0,
                tier: String::new(),
                detail: m.clone(),
                action: "fix the mapping",
            });
        }
    }
    // G11: the needs' own problems.
    for d in &site_needs.diagnostics {
        gaps.push(Gap {
            code: "G11",
            severity: if d.is_error() { "medium" } else { "low" },
            url: format!(
                "{}:{}:{}",
                d.file.display(),
                d.position.line,
                d.position.column
            ),
            need: String::new(),
            hits: 0,
            tier: String::new(),
            detail: d.message.clone(),
            action: "fix the need",
        });
    }
    gaps.sort_by(|a, b| {
        let rank = |s: &str| match s {
            "high" => 0,
            "medium" => 1,
            _ => 2,
        };
        (
            rank(a.severity),
            a.code,
            std::cmp::Reverse(a.hits),
            &a.url,
            &a.need,
        )
            .cmp(&(
                rank(b.severity),
                b.code,
                std::cmp::Reverse(b.hits),
                &b.url,
                &b.need,
            ))
    });

    let hits_by_url: HashMap<String, u64> = table
        .entries
        .iter()
        .flat_map(|e| {
            e.raw_urls
                .iter()
                .map(move |u| (u.to_ascii_lowercase(), e.hits))
        })
        .collect();
    let mut files: Vec<(AttachmentRecord, u8, bool, u64)> = attachments
        .into_iter()
        .map(|a| {
            let ext = extension_of(&a.filename);
            let after = a
                .last_modified
                .as_deref()
                .and_then(|d| httpdate::parse_http_date(d).ok())
                .map(crate::timefmt::DateTime::from_system)
                .is_some_and(|d| d.iso8601().as_str() >= ACCESSIBILITY_DATE);
            let hits = hits_by_url
                .get(&a.url.to_ascii_lowercase())
                .copied()
                .unwrap_or(0);
            (a, stars(&ext), after, hits)
        })
        .collect();
    files.sort_by(|a, b| a.0.url.cmp(&b.0.url));
    SiteAudit {
        site: site.abbr.clone(),
        host: site.host.clone(),
        tna_timestamp: site.tna_timestamp.value.clone(),
        global: site
            .global
            .as_ref()
            .map(|g| g.to_string())
            .unwrap_or_default(),
        coverage: table.coverage(),
        hit_coverage: table.hit_coverage(),
        outcomes: table.counts(),
        inventory,
        attachments: files,
        needs: need_rows,
        gaps,
        diagnostics: site_needs.diagnostics,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(group: &str, outcome: &'static str, new_url: &str) -> InventoryRow {
        InventoryRow {
            exact_dup_group: group.to_owned(),
            outcome,
            new_url: new_url.to_owned(),
            ..InventoryRow::default()
        }
    }

    /// A page whose text has `minhash` as its signature and `digest` as its digest.
    fn page(minhash: Vec<u32>, digest: &str) -> PageRecord {
        PageRecord {
            facts: PageFacts {
                minhash,
                text_digest: digest.to_owned(),
                ..PageFacts::default()
            },
            ..PageRecord::default()
        }
    }

    /// A signature of distinct values from `seed`, with `changed` slots replaced.
    fn signature(seed: u32, changed: &[usize]) -> Vec<u32> {
        (0..facts::MINHASH_SIZE as u32)
            .map(|slot| {
                if changed.contains(&(slot as usize)) {
                    seed * 1000 + slot + 500_000
                } else {
                    seed * 1000 + slot
                }
            })
            .collect()
    }

    #[test]
    fn copies_and_near_copies_of_one_text_form_one_group_without_pairing_every_page() {
        // 20,000 copies of a text and 2,000 near copies of it: comparing every pair of a
        // bucket needed minutes and gigabytes here.
        let mut pages: Vec<PageRecord> = Vec::new();
        pages.push(page(signature(7, &[]), "other text"));
        for _ in 0..20_000 {
            pages.push(page(signature(1, &[]), "copy"));
        }
        for n in 0..2_000 {
            pages.push(page(
                signature(1, &[n % 64, (n / 64) % 64]),
                &format!("near {n}"),
            ));
        }
        let near = near_duplicates(&pages);
        assert_eq!(
            near.len(),
            22_000,
            "every copy and near copy, not the other text"
        );
        assert!(!near.contains_key(&0));
        assert!(
            near.values().all(|n| n.group == 1),
            "one group, named by its first page"
        );
        assert!(near.values().all(|n| (0.9..=1.0).contains(&n.similarity)));
        assert_eq!(
            near[&1].similarity, near[&20_000].similarity,
            "copies measured alike"
        );
    }

    #[test]
    fn a_crowded_bucket_still_finds_a_near_copy_of_a_late_text() {
        // 300 texts unlike each other but for the first band, then a near copy of the last.
        let mut pages: Vec<PageRecord> = (0..300u32)
            .map(|n| {
                let mut minhash = signature(n + 10, &[]);
                minhash[..4].copy_from_slice(&[1, 2, 3, 4]);
                page(minhash, &format!("text {n}"))
            })
            .collect();
        let mut late = pages[299].facts.minhash.clone();
        late[63] = 9;
        pages.push(page(late, "near copy of text 299"));
        let near = near_duplicates(&pages);
        assert_eq!(near.keys().copied().collect::<Vec<_>>(), [299, 300]);
        assert_eq!(near[&300].group, 299);
        assert_eq!(near[&300].similarity, 63.0 / 64.0);
    }

    #[test]
    fn near_duplicate_groups_join_through_a_shared_page() {
        // a ~ b and b ~ c, though a and c are less alike than the threshold.
        let a = signature(3, &[]);
        let mut b = a.clone();
        b[..4].copy_from_slice(&[9, 9, 9, 9]);
        let mut c = b.clone();
        c[4..8].copy_from_slice(&[8, 8, 8, 8]);
        assert!(facts::similarity(&a, &c) < 0.9);
        let pages = [
            page(a, "a"),
            page(signature(4, &[]), "unlike"),
            page(b, "b"),
            page(c, "c"),
        ];
        let near = near_duplicates(&pages);
        assert_eq!(near.keys().copied().collect::<Vec<_>>(), [0, 2, 3]);
        assert!(near.values().all(|n| n.group == 0));
    }

    #[test]
    fn a_duplicate_group_is_settled_only_when_every_copy_redirects_to_one_page() {
        let home = "https://www.gov.uk/government/groups/comare";
        let inventory = [
            row("E1", "redirect", home),
            row("E1", "redirect", home),
            row("E2", "redirect", home),
            row("E2", "redirect", "https://www.gov.uk/guidance/other"),
            row("E3", "redirect", home),
            row("E3", "unresolved", ""),
            row(
                "E4",
                "archive",
                "https://webarchive.nationalarchives.gov.uk/1/a",
            ),
            row(
                "E4",
                "archive",
                "https://webarchive.nationalarchives.gov.uk/1/a",
            ),
            row("", "redirect", home),
        ];
        let settled = settled_duplicate_groups(&inventory);
        assert_eq!(settled, HashSet::from(["E1"]));
    }
}
