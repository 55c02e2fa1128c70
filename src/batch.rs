//! Batches: the stages in order over several sites. `demo` serves the bundled demo estate
//! on loopback and runs the batch on it, so the whole tool can be tried with no network.

use std::path::{Path, PathBuf};

use crate::config::{Site, Workspace};
use crate::crawl::archive::{self, ExportSummary};
use crate::crawl::{self, CrawlOptions, CrawlSummary};
use crate::error::{Error, Result};
use crate::fixtures::{self, FixtureServer, ServerOptions};

/// What a batch produced for one site.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SiteResult {
    pub site: String,
    pub crawl: CrawlSummary,
    pub warc: ExportSummary,
}

/// Runs the stages for each site: crawl (resuming any earlier crawl), then the WARC export.
pub fn run_sites(sites: &[Site], options: &CrawlOptions) -> Result<Vec<SiteResult>> {
    let mut results = Vec::new();
    for site in sites {
        let crawl = crawl::crawl(site, options)?;
        let warc = archive::export_warc(site, &options.out_dir, None)?;
        results.push(SiteResult {
            site: site.abbr.clone(),
            crawl,
            warc,
        });
    }
    Ok(results)
}

/// The demo: serves the workspace's estate on a free loopback port and runs the batch on
/// every site config whose host the estate serves.
pub fn demo(
    workspace: &Workspace,
    out_dir: &Path,
    fresh: bool,
    progress: bool,
) -> Result<Vec<SiteResult>> {
    let estate = fixtures::workspace_estate(workspace)?;
    let server = FixtureServer::start(
        estate,
        "127.0.0.1:0".parse().expect("literal address"),
        ServerOptions::default(),
    )?;
    let served: Vec<String> = server
        .estate()
        .hosts()
        .into_iter()
        .map(|(h, _)| h.to_owned())
        .collect();
    let report = workspace.load_estate()?;
    let sites: Vec<Site> = report
        .sites
        .into_iter()
        .filter(|s| served.contains(&s.host))
        .collect();
    if sites.is_empty() {
        return Err(Error::Usage(format!(
            "no site in {} is served by the demo estate in {}",
            workspace.configs_dir().display(),
            fixtures::estate_dir(workspace).display()
        )));
    }
    let options = CrawlOptions {
        out_dir: out_dir.to_path_buf(),
        resolve: served.iter().map(|h| (h.clone(), server.addr())).collect(),
        fresh,
        progress,
        ..CrawlOptions::default()
    };
    run_sites(&sites, &options)
}

/// Where a site's results are, for the closing message.
pub fn site_outputs(out_dir: &Path, abbr: &str) -> Vec<PathBuf> {
    vec![
        crawl::store_path(out_dir, abbr),
        out_dir.join(abbr).join(format!("{abbr}.warc.gz")),
        out_dir.join(abbr).join("content"),
        out_dir.join(abbr).join("transform.csv"),
        out_dir.join(abbr).join("redirects.csv"),
        out_dir.join(abbr).join("redirects.json"),
        out_dir.join(abbr).join("redirects.nginx.conf"),
        out_dir.join(abbr).join("audit").join("report.html"),
    ]
}

/// What each stage last ran on, so a re-run can skip a stage whose inputs have not
/// changed: `out/<abbr>/run-state.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunState {
    #[serde(default)]
    pub stages: std::collections::BTreeMap<String, String>,
}

impl RunState {
    pub fn path(out_dir: &Path, abbr: &str) -> PathBuf {
        out_dir.join(abbr).join("run-state.json")
    }

    pub fn load(out_dir: &Path, abbr: &str) -> RunState {
        std::fs::read(Self::path(out_dir, abbr))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Written atomically: a killed run leaves the old state or the new one.
    pub fn save(&self, out_dir: &Path, abbr: &str) -> Result<()> {
        let bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        crate::atomic::write_file(&Self::path(out_dir, abbr), &bytes)
    }
}

/// A digest of some files' contents (missing files count as empty) and extra text.
pub fn digest(files: &[PathBuf], extra: &str) -> String {
    use sha1::Digest;
    let mut hasher = sha1::Sha1::new();
    for file in files {
        hasher.update(file.display().to_string().as_bytes());
        hasher.update([0]);
        if let Ok(bytes) = std::fs::read(file) {
            hasher.update(&bytes);
        }
        hasher.update([0xff]);
    }
    hasher.update(extra.as_bytes());
    crate::store::hex(&hasher.finalize())
}

/// This build of phe-migrate: its version and the executable's size and time. A stage
/// run by another build is not up to date, since a new version may write other output.
pub fn this_build() -> String {
    let exe = std::env::current_exe()
        .and_then(std::fs::metadata)
        .map(|m| {
            let modified = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            format!("{} {modified}", m.len())
        })
        .unwrap_or_default();
    format!("{} {exe}", env!("CARGO_PKG_VERSION"))
}

/// What a store holds, cheaply: fetches and hits are only ever added, so their counts and
/// last ids change whenever the store does.
pub fn store_fingerprint(out_dir: &Path, abbr: &str) -> String {
    let path = crawl::store_path(out_dir, abbr);
    let Ok(store) = crate::store::Store::open_existing(&path) else {
        return "no store".to_owned();
    };
    let part = |sql: &str| {
        store
            .rows(sql)
            .map(|r| format!("{r:?}"))
            .unwrap_or_default()
    };
    format!(
        "{} {} {}",
        part("SELECT COUNT(*), COALESCE(MAX(id), 0) FROM fetches"),
        part("SELECT COUNT(*), COALESCE(SUM(count), 0) FROM hits"),
        part("SELECT COUNT(*) FROM urls WHERE state IN ('queued', 'in_flight')"),
    )
}

/// Whether the site's crawl has nothing left to fetch.
pub fn crawl_finished(out_dir: &Path, abbr: &str) -> bool {
    let path = crawl::store_path(out_dir, abbr);
    crate::store::Store::open_existing(&path)
        .and_then(|s| s.count("SELECT COUNT(*) FROM urls WHERE state IN ('queued', 'in_flight')"))
        .is_ok_and(|n| n == 0)
        && path.is_file()
}

/// The files in `mappings/` that a site's decisions read.
pub fn mapping_files(mappings_dir: &Path, abbr: &str) -> Vec<PathBuf> {
    let mut files = vec![
        mappings_dir.join(format!("{abbr}.yml")),
        mappings_dir.join(format!("{abbr}.csv")),
        mappings_dir.join("allowed-hosts.txt"),
        mappings_dir.join("govuk-paths.txt"),
        mappings_dir.join("audit.yml"),
    ];
    if let Ok(entries) = std::fs::read_dir(mappings_dir.join(abbr)) {
        let mut more: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        more.sort();
        files.extend(more);
    }
    files
}
