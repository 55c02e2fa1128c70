//! Command-line interface: argument definitions and the dispatch to each stage.
//! Everything here writes to a `Write` given by the caller, so it is testable without a
//! terminal.

mod archive_cmd;
mod canonical_cmd;
mod crawl_cmd;
mod demo_cmd;
mod fixtures_cmd;
mod report_cmd;
mod run_cmd;
mod serve_cmd;
mod shell_cmd;
mod sites_cmd;
mod transform_cmd;
mod verify_cmd;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Workspace;
use crate::error::Result;

/// Moves Public Health England's legacy websites onto GOV.UK: crawl each site, turn its
/// pages into GOV.UK content, and hand over redirect tables and audits.
#[derive(Debug, Parser)]
#[command(
    name = "phe-migrate",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    /// The workspace: a folder holding crawl-configs/ and mappings/.
    #[arg(long, global = true, value_name = "DIR", default_value = ".")]
    pub workspace: PathBuf,

    /// Where results go (default: out/ in the workspace).
    #[arg(long, global = true, value_name = "DIR")]
    pub out: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check and list the estate's site configs (crawl-configs/*.yml).
    #[command(subcommand)]
    Sites(sites_cmd::SitesCommand),
    /// Serve the bundled demo estate on loopback and run the whole pipeline on it.
    Demo(demo_cmd::DemoArgs),
    /// Run a batch: crawl, transform and report for each site, side by side, skipping
    /// stages whose inputs have not changed; a table (or --json) at the end.
    Run(run_cmd::RunArgs),
    /// Crawl legacy sites into their stores (out/<abbr>/crawl.db).
    Crawl(crawl_cmd::CrawlArgs),
    /// Turn crawled pages into Govspeak drafts and GOV.UK content items (out/<abbr>/content/).
    Transform(transform_cmd::TransformArgs),
    /// Hand-overs: the redirect table for hosting teams, and the audits for content and data
    /// leads.
    #[command(subcommand)]
    Report(report_cmd::ReportCommand),
    /// Answer for the sites' legacy hosts as GOV.UK's Bouncer would (301, 410 and 404 pages,
    /// robots.txt, sitemap.xml), to try a redirect table before DNS moves.
    Serve(serve_cmd::ServeArgs),
    /// Ask a live server for every legacy URL in redirect tables and list each answer that
    /// differs (status, Location, web-archive link); exit 1 on any.
    Verify(verify_cmd::VerifyArgs),
    /// Add to a site's crawl store from elsewhere: a WARC file, a list of URLs, or traffic
    /// (access logs, hits and pageviews).
    #[command(subcommand)]
    Import(archive_cmd::ImportCommand),
    /// Write a site's crawl out in another format (WARC).
    #[command(subcommand)]
    Export(archive_cmd::ExportCommand),
    /// Show the canonical URL and lookup key GOV.UK Transition gives each URL.
    Canonical(canonical_cmd::CanonicalArgs),
    /// Serve the bundled demo estate, or generate a large legacy site for benchmarks.
    #[command(subcommand)]
    Fixtures(fixtures_cmd::FixturesCommand),
    /// Print shell completions (e.g. `phe-migrate completions bash > /etc/bash_completion.d/phe-migrate`).
    Completions(shell_cmd::CompletionsArgs),
    /// Print the manual page, or write one per command with -o DIR.
    Man(shell_cmd::ManArgs),
}

/// Runs a parsed command, writing its normal output to `out`. Returns the exit code.
pub fn run(cli: Cli, out: &mut dyn Write) -> Result<i32> {
    let workspace = Workspace::new(&cli.workspace);
    let out_dir = cli
        .out
        .clone()
        .unwrap_or_else(|| workspace.root.join("out"));
    let result = match cli.command {
        Command::Demo(args) => demo_cmd::run(args, &workspace, &out_dir, out),
        Command::Run(args) => run_cmd::run(args, &workspace, &out_dir, out),
        Command::Crawl(args) => crawl_cmd::run(args, &workspace, &out_dir, out),
        Command::Transform(args) => transform_cmd::run(args, &workspace, &out_dir, out),
        Command::Report(cmd) => report_cmd::run(cmd, &workspace, &out_dir, out),
        Command::Serve(args) => serve_cmd::run(args, &workspace, &out_dir, out),
        Command::Verify(args) => verify_cmd::run(args, out),
        Command::Import(cmd) => archive_cmd::import(cmd, &workspace, &out_dir, out),
        Command::Export(cmd) => archive_cmd::export(cmd, &workspace, &out_dir, out),
        Command::Sites(cmd) => sites_cmd::run(cmd, &workspace, out),
        Command::Canonical(args) => canonical_cmd::run(args, &workspace, out),
        Command::Fixtures(cmd) => fixtures_cmd::run(cmd, &workspace, out),
        Command::Completions(args) => shell_cmd::completions(args, out),
        Command::Man(args) => shell_cmd::man(args, out),
    };
    match result {
        Err(crate::Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => {
            Ok(0)
        }
        other => other,
    }
}

/// Writes to stdout, mapping failures to an I/O error on `<stdout>`.
pub(crate) fn stdout_error(e: std::io::Error) -> crate::Error {
    crate::Error::io(std::path::Path::new("<stdout>"), e)
}

/// The same for standard error, where a summary goes when stdout carries data.
pub(crate) fn stderr_error(e: std::io::Error) -> crate::Error {
    crate::Error::io(std::path::Path::new("<stderr>"), e)
}
