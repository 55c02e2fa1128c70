//! `phe-migrate crawl SITE...`.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::Path;

use clap::Args;

use super::stdout_error;
use crate::config::Workspace;
use crate::crawl::{self, CrawlOptions};
use crate::error::{Error, Result};

/// Crawls each site into <out>/<abbr>/crawl.db: pages, redirects (every hop), errors and
/// attachments, politely (robots.txt, per-host concurrency and delay, retries with backoff).
/// Run it again to resume an interrupted crawl; --fresh starts over.
#[derive(Debug, Args)]
pub struct CrawlArgs {
    /// Site abbreviations from crawl-configs/, or paths to config files.
    #[arg(value_name = "SITE", required = true)]
    pub sites: Vec<String>,
    /// Send requests for HOST to IP:PORT (as curl's option does), keeping the real host name
    /// in the Host header and in what is recorded. Repeat for each host; `*=IP:PORT` sends
    /// every host of each site (its host and aliases) there.
    #[arg(long, value_name = "HOST=IP:PORT", value_parser = parse_resolve)]
    pub resolve: Vec<(String, SocketAddr)>,
    /// Discard an existing crawl of the site and start again.
    #[arg(long)]
    pub fresh: bool,
    /// Stop after this many pages and attachments (overrides crawl.max_pages).
    #[arg(long, value_name = "N")]
    pub max_pages: Option<u64>,
    /// Follow links this many levels from the start pages (overrides crawl.max_depth). With
    /// an imported URL list, --max-depth 0 fetches just the list.
    #[arg(long, value_name = "N")]
    pub max_depth: Option<u32>,
    /// Requests in flight per host (overrides crawl.concurrency).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<u32>,
    /// No pause between requests. For servers you run yourself; robots.txt is still obeyed.
    #[arg(long)]
    pub no_delay: bool,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the summaries as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn parse_resolve(value: &str) -> std::result::Result<(String, SocketAddr), String> {
    let (host, addr) = value.split_once('=').ok_or_else(|| {
        format!("{value:?}: write HOST=IP:PORT, e.g. www.hpa.org.uk=127.0.0.1:8080")
    })?;
    let addr: SocketAddr = addr
        .parse()
        .map_err(|_| format!("{addr:?} is not IP:PORT (e.g. 127.0.0.1:8080)"))?;
    if host.is_empty() || host.contains('/') || (host.contains('*') && host != "*") {
        return Err(format!(
            "{host:?} is not a host name (or `*`, for every host of each site)"
        ));
    }
    Ok((host.to_ascii_lowercase(), addr))
}

pub fn run(
    args: CrawlArgs,
    workspace: &Workspace,
    out_dir: &Path,
    out: &mut dyn Write,
) -> Result<i32> {
    let sites = args
        .sites
        .iter()
        .map(|s| workspace.resolve_site(s))
        .collect::<Result<Vec<_>>>()?;
    let options = CrawlOptions {
        out_dir: out_dir.to_path_buf(),
        resolve: args.resolve.clone(),
        fresh: args.fresh,
        max_pages: args.max_pages,
        max_depth: args.max_depth,
        concurrency: args.concurrency,
        no_delay: args.no_delay,
        progress: !args.quiet && std::io::stderr().is_terminal(),
        retry_base: None,
    };
    let mut summaries = Vec::new();
    let mut unreachable = false;
    for site in &sites {
        let summary = crawl::crawl(site, &options)?;
        if !args.json {
            writeln!(out, "{summary}").map_err(stdout_error)?;
        }
        if let Some(message) = summary.unreachable(&site.host) {
            eprintln!("error: {}: {message}", site.abbr);
            unreachable = true;
        }
        summaries.push(summary);
    }
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &summaries)
            .map_err(|e| Error::Other(e.to_string()))?;
        writeln!(out).map_err(stdout_error)?;
    }
    Ok(if unreachable { 2 } else { 0 })
}
