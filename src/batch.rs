//! Batches: the stages in order over several sites. `demo` serves the bundled demo estate
//! on loopback and runs the batch on it, so the whole tool can be tried with no network.

use std::path::{Path, PathBuf};

use crate::config::{Site, Workspace};
use crate::crawl::archive::{self, ExportSummary};
use crate::crawl::{self, CrawlOptions, CrawlSummary};
use crate::error::{Error, Result};
use crate::fixtures::{self, Estate, FixtureServer, ServerOptions};

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
    let estate_dir = fixtures::estate_dir(workspace);
    let estate = Estate::load(&estate_dir)?;
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
            estate_dir.display()
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
