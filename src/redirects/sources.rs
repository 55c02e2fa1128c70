//! Gathers a site's resolution inputs from disk: the crawl store (every raw URL and what the
//! legacy site answered), the transform's drafts (legacy URL → new base path), the
//! decisions in `mappings/<abbr>.yml` and its spreadsheets, and the allow-list. Any of
//! them may be missing: a team with only a spreadsheet still gets a table.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::canonical::Canonicalizer;
use crate::config::site::Site;
use crate::error::{Error, Result};
use crate::store::Store;

use super::{Elsewhere, Finding, Inputs, KnownUrl, Migrated, Outcome, Rule, import};

/// Hosts GOV.UK's legacy redirector allowed in 2014, beside the automatic suffixes.
const ALLOWED_2014: &str = include_str!("../../fixtures/reference/allowed-hosts-2014.txt");

/// The validated table for one site, from whatever of its inputs exist on disk. `estate`
/// holds every site's drafts, read once for all the tables a command builds.
pub fn table(
    site: &Site,
    out_dir: &Path,
    mappings_dir: &Path,
    estate: &EstateDrafts,
) -> Result<super::Table> {
    let canonicalizer = site.canonicalizer(crate::canonical::Mode::Govuk);
    let inputs = gather(site, &canonicalizer, out_dir, mappings_dir, estate)?;
    Ok(super::resolve(site, &canonicalizer, inputs))
}

/// A draft, as the report reads its front matter.
#[derive(Clone, Debug, Default)]
struct DraftEntry {
    base_path: String,
    /// The legacy URLs it answers for.
    urls: Vec<String>,
    file: PathBuf,
    /// Where the table sends the page instead, as the transform wrote it.
    sent_elsewhere: Option<Elsewhere>,
}

impl DraftEntry {
    /// Whether it will be published: the table sends its page to it, or nobody has decided
    /// yet (and a decision may yet send it there).
    fn published(&self) -> bool {
        matches!(self.sent_elsewhere, None | Some(Elsewhere::Unresolved))
    }

    /// Where its page's other URLs and its files go when no decision names them: to the
    /// draft, or with its page, so that one page's URLs do not part ways.
    fn fate(&self) -> Migrated {
        let with_page = || {
            let page = self.urls.first().map_or("", String::as_str);
            Cow::Owned(format!("with its page {page}"))
        };
        match &self.sent_elsewhere {
            Some(Elsewhere::Archive) => Migrated {
                outcome: Outcome::Archive { archive_url: None },
                because: with_page(),
            },
            Some(Elsewhere::Url(url)) => Migrated {
                outcome: Outcome::Redirect {
                    new_url: url.clone(),
                },
                because: with_page(),
            },
            _ => Migrated::to_draft(&self.base_path),
        }
    }
}

/// The drafts of every site under the output folder. A table needs its own site's drafts
/// and every base path in the batch; reading them all once per command, not once per
/// site, keeps a batch of many sites from reading each site's drafts as many times.
pub struct EstateDrafts {
    /// Each site's content folder, with its drafts.
    by_folder: BTreeMap<PathBuf, Vec<DraftEntry>>,
    /// Each base path the batch's transform wrote for a page to publish, with the drafts
    /// (files) that claim it, or `None` when nothing has been transformed yet. A draft of
    /// a page the table sends elsewhere claims no path: it will not be published.
    by_path: Option<BTreeMap<String, Vec<PathBuf>>>,
}

impl EstateDrafts {
    pub fn read(out_dir: &Path) -> Result<EstateDrafts> {
        let mut by_folder = BTreeMap::new();
        if let Ok(sites) = std::fs::read_dir(out_dir) {
            for site in sites.filter_map(|e| e.ok()) {
                let content = site.path().join("content");
                if content.is_dir() {
                    by_folder.insert(content.clone(), drafts(&content)?);
                }
            }
        }
        let by_path = (!by_folder.is_empty()).then(|| Self::claims(&by_folder));
        Ok(EstateDrafts { by_folder, by_path })
    }

    fn claims(by_folder: &BTreeMap<PathBuf, Vec<DraftEntry>>) -> BTreeMap<String, Vec<PathBuf>> {
        let mut drafted: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
        for draft in by_folder.values().flatten() {
            if draft.published() {
                drafted
                    .entry(draft.base_path.clone())
                    .or_default()
                    .push(draft.file.clone());
            }
        }
        for files in drafted.values_mut() {
            files.sort();
        }
        drafted
    }
}

pub fn gather(
    site: &Site,
    canonicalizer: &Canonicalizer,
    out_dir: &Path,
    mappings_dir: &Path,
    estate: &EstateDrafts,
) -> Result<Inputs> {
    let mut inputs = Inputs::default();
    let site_dir = out_dir.join(&site.abbr);
    let db = site_dir.join("crawl.db");
    if db.is_file() {
        let store = Store::open_existing(&db)?;
        store.prefer_bulk_reads()?;
        read_crawl(site, canonicalizer, &store, &mut inputs)?;
    } else {
        inputs.findings.push(Finding::warning(
            db.display().to_string(),
            format!(
                "no crawl: the table holds only the homepage and what the mappings name; run `phe-migrate crawl {}` first for every URL the site serves",
                site.abbr
            ),
        ));
    }
    let content = site_dir.join("content");
    // Every site folder under `out_dir` is in the estate: a site not in it has no drafts.
    let own = estate.by_folder.get(&content).map(Vec::as_slice);
    if own.is_none() && !inputs.known.is_empty() {
        inputs.findings.push(Finding::warning(
            content.display().to_string(),
            format!(
                "no drafts: pages the mappings do not decide stay unresolved (410) until `phe-migrate transform {}` drafts them",
                site.abbr
            ),
        ));
    }
    read_drafts(canonicalizer, own.unwrap_or_default(), &mut inputs);
    read_attachment_homes(
        canonicalizer,
        &site_dir.join("attachments.csv"),
        own.unwrap_or_default(),
        &mut inputs,
    )?;
    read_written(site, canonicalizer, mappings_dir, &mut inputs)?;
    inputs.allowed_hosts = allowed_hosts(mappings_dir)?;
    if let Some(drafted) = &estate.by_path {
        let mappings = mappings_dir.join(format!("{}.yml", site.abbr));
        inputs.findings.extend(clashes_with_other_sites(
            drafted,
            &content,
            own.unwrap_or_default(),
            &|url| canonicalizer.key(url).ok(),
            &mappings,
        ));
    }
    inputs.batch_paths = estate
        .by_path
        .as_ref()
        .map(|drafted| drafted.keys().cloned().collect());
    inputs.live_paths = live_govuk_paths(mappings_dir)?;
    Ok(inputs)
}

/// The decisions written down for a site: its mappings' `pages:` and `sections:` that
/// have a `type`, and its spreadsheets. The transform reads them so that a draft links to
/// where the table will send a reader, not to a draft of a page the mappings send elsewhere.
pub fn decisions(
    site: &Site,
    canonicalizer: &Canonicalizer,
    mappings_dir: &Path,
) -> Result<Inputs> {
    let mut inputs = Inputs::default();
    read_written(site, canonicalizer, mappings_dir, &mut inputs)?;
    // Drafts quote where a decision was written: as `mappings/<file>:<line>`, the same
    // wherever the workspace is, so that a draft's bytes do not depend on it.
    let folder = mappings_dir.display().to_string();
    let rules = inputs.pages.values_mut();
    for rule in rules.chain(inputs.sections.iter_mut().map(|(_, rule)| rule)) {
        if let Some(rest) = rule.from.strip_prefix(folder.as_str()) {
            rule.from = format!("mappings/{}", rest.trim_start_matches(['/', '\\']));
        }
    }
    Ok(inputs)
}

/// The decisions in the site's mappings file, then those of its spreadsheets.
fn read_written(
    site: &Site,
    canonicalizer: &Canonicalizer,
    mappings_dir: &Path,
    inputs: &mut Inputs,
) -> Result<()> {
    read_yaml(
        canonicalizer,
        &mappings_dir.join(format!("{}.yml", site.abbr)),
        inputs,
    )?;
    read_spreadsheets(site, canonicalizer, mappings_dir, inputs)
}

/// What [`check_written`] found: how many spreadsheets it read, and their problems.
pub struct WrittenCheck {
    pub spreadsheets: usize,
    pub findings: Vec<Finding>,
}

/// What the report would refuse or warn about in the decisions written for a site, found
/// before any crawl: the mappings file's decisions (when its YAML reads), its spreadsheets'
/// rows by Transition's import rules, a page decided twice, and where each decision sends
/// its pages (allow-list, https, the web archive).
pub fn check_written(site: &Site, mappings_dir: &Path, with_yaml: bool) -> Result<WrittenCheck> {
    let canonicalizer = site.canonicalizer(crate::canonical::Mode::Govuk);
    let mut inputs = Inputs::default();
    if with_yaml {
        read_written(site, &canonicalizer, mappings_dir, &mut inputs)?;
    } else {
        read_spreadsheets(site, &canonicalizer, mappings_dir, &mut inputs)?;
    }
    let allowed = allowed_hosts(mappings_dir)?;
    let rules = inputs.pages.values();
    for rule in rules.chain(inputs.sections.iter().map(|(_, rule)| rule)) {
        if let Some(problem) = super::decision_problem(&rule.outcome, &allowed) {
            inputs
                .findings
                .push(Finding::blocking(rule.from.clone(), problem));
        }
    }
    Ok(WrittenCheck {
        spreadsheets: import::spreadsheets(mappings_dir, &site.abbr).len(),
        findings: inputs.findings,
    })
}

/// The site's Transition spreadsheets' rows, as page decisions; the first of two for one
/// page stands.
fn read_spreadsheets(
    site: &Site,
    canonicalizer: &Canonicalizer,
    mappings_dir: &Path,
    inputs: &mut Inputs,
) -> Result<()> {
    let hosts: Vec<String> = site.hosts().map(str::to_owned).collect();
    for file in import::spreadsheets(mappings_dir, &site.abbr) {
        let bytes = std::fs::read(&file).map_err(|e| Error::io(&file, e))?;
        let (text, finding) = spreadsheet_text(&file, bytes);
        inputs.findings.extend(finding);
        let imported = import::read(&file, &text, &hosts, canonicalizer);
        inputs.findings.extend(imported.findings);
        for row in imported.rows {
            let from = format!("{}:{}", file.display(), row.line);
            if let Some(earlier) = inputs.pages.get(&row.key) {
                inputs.findings.push(Finding::warning(
                    from.clone(),
                    format!(
                        "{} is also mapped at {}: the first one stands",
                        row.old, earlier.from
                    ),
                ));
                continue;
            }
            inputs.pages.insert(
                row.key,
                Rule {
                    outcome: row.outcome,
                    from,
                    suggested_url: row.suggested_url,
                },
            );
        }
    }
    Ok(())
}

/// A spreadsheet's text. Excel's plain "CSV" on Windows is Windows-1252, not UTF-8: such a
/// file is read as Windows-1252 rather than refused, with a warning at its first byte that
/// is not UTF-8. A file with a UTF-16 byte order mark is read as UTF-16.
fn spreadsheet_text(file: &Path, bytes: Vec<u8>) -> (String, Option<Finding>) {
    // Excel's "Unicode Text" is UTF-16 with a byte order mark: read as it says.
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(&bytes)
        && encoding != encoding_rs::UTF_8
    {
        let text = encoding.decode_without_bom_handling(&bytes[bom..]).0;
        return (text.into_owned(), None);
    }
    match String::from_utf8(bytes) {
        Ok(text) => (text, None),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let bytes = e.into_bytes();
            let (line, column) = crate::config::yaml::line_column_of_byte(&bytes, at);
            let finding = Finding::warning(
                format!("{}:{line}:{column}", file.display()),
                format!(
                    "not UTF-8 (byte 0x{:02X}): read as Windows-1252, as Excel saves \"CSV\"; save it as \"CSV UTF-8\" to be sure of every character",
                    bytes[at]
                ),
            );
            (
                encoding_rs::WINDOWS_1252.decode(&bytes).0.into_owned(),
                Some(finding),
            )
        }
    }
}

/// The 2014 list plus `mappings/allowed-hosts.txt` (one host per line, `#` comments).
pub fn allowed_hosts(mappings_dir: &Path) -> Result<HashSet<String>> {
    let mut hosts: HashSet<String> = HashSet::new();
    let local = mappings_dir.join("allowed-hosts.txt");
    let extra = if local.is_file() {
        std::fs::read_to_string(&local).map_err(|e| Error::io(&local, e))?
    } else {
        String::new()
    };
    for line in ALLOWED_2014.lines().chain(extra.lines()) {
        let host = line.split('#').next().unwrap_or_default().trim();
        if !host.is_empty() {
            hosts.insert(host.to_ascii_lowercase());
        }
    }
    Ok(hosts)
}

fn read_crawl(
    site: &Site,
    canonicalizer: &Canonicalizer,
    store: &Store,
    inputs: &mut Inputs,
) -> Result<()> {
    store.for_each_known_url(|raw, key, status, final_url| {
        let redirects_to = final_url
            .filter(|u| super::host_of(u).is_some_and(|h| site.has_host(&h)))
            .and_then(|u| canonicalizer.key(&u).ok())
            .filter(|k| *k != key);
        inputs.known.push(KnownUrl {
            raw,
            key,
            status,
            redirects_to,
        });
    })?;
    // Traffic: every URL people requested is a legacy URL too.
    for (raw, key, count) in store.hits_by_url()? {
        *inputs.hits.entry(key.clone()).or_insert(0) += count;
        inputs.known.push(KnownUrl {
            raw,
            key,
            ..KnownUrl::default()
        });
    }
    Ok(())
}

/// Each draft's base path and the legacy URLs it answers for, from the front matter the
/// transform writes (it lists every URL an item answers for, merged duplicates included).
fn drafts(content: &Path) -> Result<Vec<DraftEntry>> {
    let Ok(entries) = std::fs::read_dir(content) else {
        return Ok(Vec::new());
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        let text = std::fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
        let mut base_path = None;
        let mut urls = Vec::new();
        let mut sent_elsewhere = None;
        let mut in_urls = false;
        for line in text.lines().skip(1) {
            if line == "---" {
                break;
            }
            if let Some(v) = line.strip_prefix("base_path: ") {
                base_path = Some(v.trim().to_owned());
            }
            if let Some(v) = line.strip_prefix("sent_elsewhere: ") {
                sent_elsewhere = serde_json::from_str::<String>(v)
                    .ok()
                    .map(|v| Elsewhere::parse(&v));
            }
            if line.starts_with("legacy_urls:") {
                in_urls = true;
                continue;
            }
            if in_urls {
                match line.strip_prefix("  - ") {
                    Some(v) => urls.push(serde_json::from_str::<String>(v).unwrap_or_default()),
                    None => in_urls = false,
                }
            }
        }
        if let Some(base_path) = base_path {
            out.push(DraftEntry {
                base_path,
                urls,
                file,
                sent_elsewhere,
            });
        }
    }
    Ok(out)
}

fn read_drafts(canonicalizer: &Canonicalizer, drafts: &[DraftEntry], inputs: &mut Inputs) {
    for draft in drafts {
        let fate = draft.fate();
        for url in &draft.urls {
            if let Ok(key) = canonicalizer.key(url) {
                inputs.migrated.entry(key).or_insert_with(|| fate.clone());
            }
        }
    }
}

/// A legacy file attached to a migrated page goes to that page (the first published one,
/// when several use it), where GOV.UK publishes its attachments: `attachments.csv`'s
/// `used_on`. A file only on pages the table sends elsewhere goes with the first of them.
fn read_attachment_homes(
    canonicalizer: &Canonicalizer,
    path: &Path,
    drafts: &[DraftEntry],
    inputs: &mut Inputs,
) -> Result<()> {
    if !path.is_file() {
        return Ok(());
    }
    let by_path: HashMap<&str, &DraftEntry> =
        drafts.iter().map(|d| (d.base_path.as_str(), d)).collect();
    let mut reader = csv::Reader::from_path(path)
        .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    for record in reader.records() {
        let record = record.map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
        let (Some(url), Some(used_on)) = (record.get(0), record.get(5)) else {
            continue;
        };
        let homes: Vec<&str> = used_on.split_whitespace().collect();
        let Some(first) = homes.first() else {
            continue;
        };
        let home = homes
            .iter()
            .find(|home| by_path.get(*home).is_some_and(|d| d.published()))
            .unwrap_or(first);
        let fate = match by_path.get(home) {
            Some(draft) => draft.fate(),
            None => Migrated::to_draft(home),
        };
        if let Ok(key) = canonicalizer.key(url) {
            inputs.migrated.entry(key).or_insert(fate);
        }
    }
    Ok(())
}

/// A site's drafts whose GOV.UK path another site's draft claims too. A transform makes
/// slugs unique within its site (`--2`), but GOV.UK paths are one per page across the
/// estate: two sites' "Accessibility" pages cannot both be published at one path.
fn clashes_with_other_sites(
    drafted: &BTreeMap<String, Vec<PathBuf>>,
    content: &Path,
    own_drafts: &[DraftEntry],
    key_of: &dyn Fn(&str) -> Option<String>,
    mappings: &Path,
) -> Vec<Finding> {
    // The rule that settles a clash names the page by its lookup key, which is what rules
    // are matched against (the homepage's is empty).
    let lookup_key = |file: &PathBuf| {
        let draft = own_drafts.iter().find(|d| &d.file == file)?;
        let key = key_of(draft.urls.first()?)?;
        Some(crate::canonical::key_as_path(&key).to_owned())
    };
    let mut findings = Vec::new();
    for (base_path, files) in drafted {
        let (own, others): (Vec<&PathBuf>, Vec<&PathBuf>) =
            files.iter().partition(|f| f.parent() == Some(content));
        if own.is_empty() || others.is_empty() {
            continue;
        }
        let others: Vec<String> = others.iter().map(|f| f.display().to_string()).collect();
        for file in own {
            let path = lookup_key(file).unwrap_or_else(|| "...".to_owned());
            findings.push(Finding::warning(
                file.display().to_string(),
                format!(
                    "{base_path} is also drafted by {}: GOV.UK has one page a path; \
                     publish one of them, or give this one a slug of its own: in {}, \
                     `- match: {{path: {path}}}` under `formats:`, with its `schema_name` and `slug:`",
                    others.join(", "),
                    mappings.display()
                ),
            ));
        }
    }
    findings
}

/// GOV.UK pages known to be live already (`mappings/govuk-paths.txt`, one path or URL a
/// line, `#` comments): mappings may point there without a draft in the batch.
pub fn live_govuk_paths(mappings_dir: &Path) -> Result<HashSet<String>> {
    let file = mappings_dir.join("govuk-paths.txt");
    if !file.is_file() {
        return Ok(HashSet::new());
    }
    let text = std::fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
    Ok(text
        .lines()
        .map(|l| l.split('#').next().unwrap_or_default().trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            let path = l
                .strip_prefix(crate::formats::GOVUK_ORIGIN)
                .or_else(|| l.strip_prefix("http://www.gov.uk"))
                .unwrap_or(l);
            path.trim_end_matches('/').to_owned()
        })
        .collect())
}

#[derive(Debug, Default, Deserialize)]
struct YamlFile {
    #[serde(default)]
    sections: Vec<YamlDecision>,
    #[serde(default)]
    pages: Vec<YamlDecision>,
}

#[derive(Debug, Deserialize)]
struct YamlDecision {
    path: Option<String>,
    prefix: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    new_url: Option<String>,
    archive_url: Option<String>,
    suggested_url: Option<String>,
}

fn read_yaml(canonicalizer: &Canonicalizer, path: &Path, inputs: &mut Inputs) -> Result<()> {
    if !path.is_file() {
        return Ok(());
    }
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    // The transform's reading too, so that both stages refuse a slip alike.
    let (file, _): (YamlFile, _) =
        crate::formats::mappings::read_document(path, &text).map_err(Error::Invalid)?;
    // Where each entry stands, for messages: the next line holding its `path:` or
    // `prefix:` with its text, after the previous entry with the same text.
    let lines: Vec<&str> = text.lines().collect();
    let mut searched_to: HashMap<(&str, String), usize> = HashMap::new();
    let mut line_of = |field: &'static str, needle: &str| {
        let searched = (field, needle.to_owned());
        let start = searched_to.get(&searched).copied().unwrap_or(0);
        let found = lines
            .iter()
            .skip(start)
            .position(|l| l.contains(field) && l.contains(needle))
            .map(|i| i + start + 1);
        if let Some(line) = found {
            searched_to.insert(searched, line);
        }
        found.unwrap_or(0)
    };
    for (is_page, decision) in file
        .pages
        .iter()
        .map(|d| (true, d))
        .chain(file.sections.iter().map(|d| (false, d)))
    {
        let (field, target) = if is_page {
            ("path:", &decision.path)
        } else {
            ("prefix:", &decision.prefix)
        };
        let Some(kind) = decision.kind.as_deref() else {
            // Needs and dispositions only, unless it names where to go: then its `type`
            // was forgotten or misspelt, and the decision would silently not count.
            let gave = [
                ("new_url", &decision.new_url, "redirect"),
                ("archive_url", &decision.archive_url, "archive"),
            ];
            if let (Some(target), Some((name, _, kind))) =
                (target, gave.iter().find(|(_, value, _)| value.is_some()))
            {
                inputs.findings.push(Finding::blocking(
                    format!("{}:{}", path.display(), line_of(field, target)),
                    format!("{target} has {name} but no type: add `type: {kind}`"),
                ));
            }
            continue;
        };
        let Some(target) = target else { continue };
        let from = format!("{}:{}", path.display(), line_of(field, target));
        let outcome = match kind {
            "redirect" => match &decision.new_url {
                Some(u) => Outcome::Redirect { new_url: u.clone() },
                None => {
                    inputs.findings.push(Finding::blocking(
                        from,
                        format!(
                            "{target} has type redirect but no new_url: add the GOV.UK page to send it to \
                             (`new_url: https://www.gov.uk/...`)"
                        ),
                    ));
                    continue;
                }
            },
            "archive" => Outcome::Archive {
                archive_url: decision.archive_url.clone(),
            },
            "unresolved" => Outcome::Unresolved,
            other => {
                inputs
                    .findings
                    .push(Finding::blocking(from, super::unknown_type(other)));
                continue;
            }
        };
        let rule = Rule {
            outcome,
            from,
            suggested_url: decision.suggested_url.clone(),
        };
        if is_page {
            match canonicalizer.key(target) {
                Ok(key) => {
                    if let Some(earlier) = inputs.pages.get(&key) {
                        inputs.findings.push(Finding::warning(
                            rule.from.clone(),
                            format!(
                                "{target} is the same page as the one mapped at {} (both are {key:?} once canonicalised): the first one stands",
                                earlier.from
                            ),
                        ));
                        continue;
                    }
                    inputs.pages.insert(key, rule);
                }
                Err(e) => inputs.findings.push(Finding::blocking(
                    rule.from,
                    format!("{target:?} is not a path ({e})"),
                )),
            }
        } else if !target.starts_with('/') {
            inputs.findings.push(Finding::blocking(
                rule.from,
                format!(
                    "prefix {target:?} must be a path on the legacy site, starting with / (such as /{}/)",
                    target.trim_matches('/')
                ),
            ));
        } else {
            inputs.sections.push((target.to_ascii_lowercase(), rule));
        }
    }
    Ok(())
}

#[cfg(test)]
mod clash_tests {
    use super::*;

    #[test]
    fn a_path_drafted_by_two_sites_is_a_warning_on_each_sites_draft() {
        let hpa = Path::new("out/hpa/content");
        let chobs = Path::new("out/chobs/content");
        let mut drafted: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
        drafted.insert(
            "/guidance/accessibility".into(),
            vec![chobs.join("accessibility.md"), hpa.join("accessibility.md")],
        );
        // One site's own `--2` pages are not a clash; nor is a path only one site drafts.
        drafted.insert("/guidance/a".into(), vec![hpa.join("a.md")]);
        drafted.insert("/guidance/b".into(), vec![chobs.join("b.md")]);
        let own = vec![DraftEntry {
            base_path: "/guidance/accessibility".into(),
            urls: vec!["http://www.hpa.org.uk/About/Accessibility.aspx?v=2".into()],
            file: hpa.join("accessibility.md"),
            sent_elsewhere: None,
        }];
        let mappings = Path::new("mappings/hpa.yml");
        let canonicalizer = Canonicalizer::new(
            crate::canonical::SignificantParams::None,
            crate::canonical::Mode::Govuk,
        );
        let key_of = |url: &str| canonicalizer.key(url).ok();
        let findings = clashes_with_other_sites(&drafted, hpa, &own, &key_of, mappings);
        assert_eq!(findings.len(), 1, "{findings:?}");
        assert!(!findings[0].blocking);
        assert_eq!(
            findings[0].at,
            hpa.join("accessibility.md").display().to_string()
        );
        assert!(
            findings[0].message.starts_with(&format!(
                "/guidance/accessibility is also drafted by {}:",
                chobs.join("accessibility.md").display()
            )),
            "{}",
            findings[0].message
        );
        // The help is the rule to write, with the page's lookup key (what rules match).
        assert!(
            findings[0].message.ends_with(
                "in mappings/hpa.yml, `- match: {path: /about/accessibility.aspx}` under `formats:`, with its `schema_name` and `slug:`"
            ),
            "{}",
            findings[0].message
        );
        assert_eq!(
            clashes_with_other_sites(&drafted, chobs, &[], &key_of, mappings).len(),
            1
        );
        assert!(
            clashes_with_other_sites(
                &drafted,
                Path::new("out/comare/content"),
                &[],
                &key_of,
                mappings
            )
            .is_empty()
        );
    }

    /// A draft as the transform writes it: front matter, then the body.
    fn write_draft(path: &Path, base_path: &str, sent_elsewhere: Option<&str>) {
        let line = sent_elsewhere
            .map(|to| format!("sent_elsewhere: {to:?}\n"))
            .unwrap_or_default();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            path,
            format!(
                "---\ntitle: \"Contact us\"\nbase_path: {base_path}\nlegacy_urls:\n  - \"http://a.example/contact\"\n{line}warnings: []\n---\n\nBody.\n"
            ),
        )
        .unwrap();
    }

    #[test]
    fn a_draft_the_table_sends_elsewhere_claims_no_path() {
        let out = tempfile::tempdir().unwrap();
        let contact = "/government/organisations/public-health-england/about/contact-us";
        let file = |site: &str| out.path().join(site).join("content/contact-us.md");
        write_draft(&file("chobs"), contact, Some("archive"));
        write_draft(&file("comare"), contact, Some("https://www.gov.uk/contact"));
        write_draft(&file("hpa"), contact, None);
        // Unresolved is not decided yet: the draft may still be what readers get.
        write_draft(&file("nrpb"), "/guidance/a", Some("unresolved"));
        let estate = EstateDrafts::read(out.path()).unwrap();
        let claims = estate.by_path.unwrap();
        assert_eq!(claims[contact], [file("hpa")]);
        assert_eq!(claims["/guidance/a"], [file("nrpb")]);
        // Every draft still tells which legacy URLs it answers for.
        assert_eq!(estate.by_folder.values().flatten().count(), 4);
        assert!(
            estate
                .by_folder
                .values()
                .flatten()
                .all(|d| d.urls == ["http://a.example/contact"])
        );
    }
}
