//! `phe-migrate import warc|urls` and `phe-migrate export warc`.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::stdout_error;
use crate::config::Workspace;
use crate::crawl::archive;
use crate::error::Result;

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Record the responses in WARC files (WARC 1.0/1.1, gzipped per record or whole, as
    /// wget --warc-file, Heritrix and web archives write them) in the site's crawl store.
    /// Links in imported pages are queued, so a later `crawl` fills in what is missing.
    Warc {
        /// Site abbreviation or config path.
        site: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Add a list of URLs (one per line; paths are taken as on the site's host) to the site's
    /// frontier. Then `crawl SITE --max-depth 0` fetches just those: list mode.
    Urls { site: String, file: PathBuf },
    /// Add traffic: Transition's hits CSV/TSV, Apache/nginx access logs (combined or
    /// vhost_combined, plain or gzip), or a pageviews CSV (Page,Pageviews). Transition's
    /// ignore list applies; hits fold by canonical key; a file is imported once.
    Hits {
        site: String,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write the site's crawl as WARC 1.1 (one gzip member per record), for archivists and
    /// replay tools such as pywb. Default: out/<abbr>/<abbr>.warc.gz.
    Warc {
        site: String,
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

pub fn import(
    cmd: ImportCommand,
    workspace: &Workspace,
    out_dir: &Path,
    out: &mut dyn Write,
) -> Result<i32> {
    match cmd {
        ImportCommand::Warc { site, files } => {
            let site = workspace.resolve_site(&site)?;
            let summary = archive::import_warc(&site, out_dir, &files)?;
            writeln!(out, "{summary}").map_err(stdout_error)?;
            Ok(if summary.problems.is_empty() { 0 } else { 2 })
        }
        ImportCommand::Hits { site, files } => {
            let site = workspace.resolve_site(&site)?;
            let reports = crate::hits::import(&site, out_dir, &files)?;
            for report in &reports {
                writeln!(out, "{report}").map_err(stdout_error)?;
            }
            Ok(0)
        }
        ImportCommand::Urls { site, file } => {
            let site = workspace.resolve_site(&site)?;
            let summary = archive::import_urls(&site, out_dir, &file)?;
            writeln!(out, "{summary}").map_err(stdout_error)?;
            Ok(if summary.problems.iter().any(|p| p.is_error()) {
                2
            } else {
                0
            })
        }
    }
}

pub fn export(
    cmd: ExportCommand,
    workspace: &Workspace,
    out_dir: &Path,
    out: &mut dyn Write,
) -> Result<i32> {
    match cmd {
        ExportCommand::Warc { site, output } => {
            let site = workspace.resolve_site(&site)?;
            let summary = archive::export_warc(&site, out_dir, output.as_deref())?;
            writeln!(out, "{summary}").map_err(stdout_error)?;
            Ok(0)
        }
    }
}
