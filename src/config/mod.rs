//! Site configs and the workspace that holds them.
//!
//! A migration team keeps `crawl-configs/` (one YAML file per legacy site) and `mappings/`
//! in a folder; the tool reads them from there and writes to `out/`.

pub mod settings;
pub mod site;
pub mod yaml;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use site::{GlobalRule, Site, SiteReport, TnaTimestamp, load_site};

use crate::diagnostic::{self, Diagnostic, Position};
use crate::error::Error;

/// The folder a migration team works in.
#[derive(Clone, Debug)]
pub struct Workspace {
    pub root: PathBuf,
}

impl Workspace {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        // Keep paths in messages short: `crawl-configs/x.yml`, not `./crawl-configs/x.yml`.
        let root = if root == Path::new(".") {
            PathBuf::new()
        } else {
            root
        };
        Workspace { root }
    }

    pub fn configs_dir(&self) -> PathBuf {
        self.root.join("crawl-configs")
    }

    pub fn mappings_dir(&self) -> PathBuf {
        self.root.join("mappings")
    }

    /// Every `*.yml` / `*.yaml` in `crawl-configs/`, sorted by name.
    pub fn config_files(&self) -> Result<Vec<PathBuf>, Error> {
        let dir = self.configs_dir();
        if !dir.is_dir() {
            return Err(Error::Usage(format!(
                "no crawl-configs/ folder in {}: run phe-migrate from a workspace (a folder with crawl-configs/ and mappings/), or pass --workspace DIR",
                if self.root.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    &self.root
                }
                .display()
            )));
        }
        yaml_files_in(&dir)
    }

    /// Loads every site in the workspace, with every problem found (per file and across
    /// the estate).
    pub fn load_estate(&self) -> Result<EstateReport, Error> {
        let files = self.config_files()?;
        Ok(load_files(&files, &[]))
    }

    /// Finds a site given as an abbreviation in the workspace or as a path to a config file.
    pub fn resolve_site(&self, arg: &str) -> Result<Site, Error> {
        let path = self.config_path(arg)?;
        let report = load_site(&path);
        match report.site {
            Some(site) => Ok(site),
            None => Err(Error::Invalid(report.diagnostics)),
        }
    }

    /// The config file a command-line argument names: a path to a file, or a site's
    /// abbreviation in crawl-configs/ (with a suggestion when it is none).
    pub fn config_path(&self, arg: &str) -> Result<PathBuf, Error> {
        let as_path = Path::new(arg);
        if as_path.is_file() {
            return Ok(as_path.to_path_buf());
        }
        if arg.ends_with(".yml") || arg.ends_with(".yaml") {
            // A bare file name is looked for where the estate keeps its configs too.
            let in_configs = self.configs_dir().join(as_path);
            let bare = as_path.parent() == Some(Path::new(""));
            return Ok(if bare && in_configs.is_file() {
                in_configs
            } else {
                as_path.to_path_buf()
            });
        }
        let candidate = self.configs_dir().join(format!("{arg}.yml"));
        if candidate.is_file() {
            return Ok(candidate);
        }
        let known: Vec<String> = self
            .config_files()
            .unwrap_or_default()
            .iter()
            .filter_map(|p| p.file_stem()?.to_str().map(str::to_owned))
            .collect();
        let refs: Vec<&str> = known.iter().map(String::as_str).collect();
        let hint = match diagnostic::did_you_mean(arg, &refs) {
            Some(s) => format!("did you mean {s}?"),
            None => "run `phe-migrate sites list` to see the sites".to_owned(),
        };
        Err(Error::Usage(format!(
            "unknown site {arg:?}: there is no {}; {hint}",
            candidate.display()
        )))
    }
}

/// Every `*.yml` / `*.yaml` file directly inside `dir`, sorted.
pub fn yaml_files_in(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.is_file() && matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml"))
        })
        .collect();
    files.sort();
    Ok(files)
}

/// Sites loaded from files, and every problem found in them.
#[derive(Debug, Default)]
pub struct EstateReport {
    pub sites: Vec<Site>,
    pub diagnostics: Vec<Diagnostic>,
}

impl EstateReport {
    pub fn error_count(&self) -> usize {
        self.diagnostics.iter().filter(|d| d.is_error()).count()
    }

    pub fn warning_count(&self) -> usize {
        self.diagnostics.len() - self.error_count()
    }
}

/// Loads `files` and checks them as one estate. `context` holds other sites of the estate
/// (not reported on) that the files must not clash with; a file replaces a context site of
/// the same abbreviation.
pub fn load_files(files: &[PathBuf], context: &[Site]) -> EstateReport {
    let mut report = EstateReport::default();
    for file in files {
        let SiteReport { site, diagnostics } = load_site(file);
        report.diagnostics.extend(diagnostics);
        report.sites.extend(site);
    }
    let checked: Vec<&Site> = report.sites.iter().collect();
    let others: Vec<&Site> = context
        .iter()
        .filter(|c| {
            !checked
                .iter()
                .any(|s| s.abbr == c.abbr || s.source == c.source)
        })
        .collect();
    report.diagnostics.extend(check_estate(&checked, &others));
    diagnostic::sort(&mut report.diagnostics);
    report.sites.sort_by(|a, b| a.abbr.cmp(&b.abbr));
    report
}

/// Rules that span sites: a host belongs to exactly one site; abbreviations are unique.
fn check_estate(checked: &[&Site], others: &[&Site]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    // host -> (site, file, position) of its first owner.
    let mut owners: BTreeMap<&str, (&Site, Position)> = BTreeMap::new();
    for site in others {
        for (host, at) in &site.host_positions {
            owners.entry(host.as_str()).or_insert((site, *at));
        }
    }
    let mut abbrs: BTreeMap<&str, &Site> = BTreeMap::new();
    for site in checked {
        if let Some(first) = abbrs.insert(site.abbr.as_str(), site) {
            diagnostics.push(
                Diagnostic::error(
                    &site.source,
                    Position::new(1, 1),
                    format!(
                        "site {} is also defined in {}",
                        site.abbr,
                        first.source.display()
                    ),
                )
                .with_help("keep one config per site"),
            );
        }
        for (host, at) in &site.host_positions {
            match owners.get(host.as_str()) {
                Some((owner, owner_at)) if owner.abbr != site.abbr => {
                    diagnostics.push(
                        Diagnostic::error(
                            &site.source,
                            *at,
                            format!(
                                "the hostname {host} already exists in site {} ({}:{})",
                                owner.abbr,
                                owner.source.display(),
                                owner_at.line
                            ),
                        )
                        .with_help(
                            "a host belongs to exactly one site: remove it from one of them",
                        ),
                    );
                }
                _ => {
                    owners.insert(host.as_str(), (site, *at));
                }
            }
        }
    }
    diagnostics
}
