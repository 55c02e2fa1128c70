//! `phe-migrate report redirects SITE... --format ...`.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};

use super::stdout_error;
use crate::canonical::Mode;
use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::redirects::{self, Table, sources, writers};

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The redirect table for the hosting team: one outcome per legacy URL (301 to GOV.UK,
    /// 410 with a web-archive link, or unresolved), from the crawl, the transform's drafts,
    /// mappings/<abbr>.yml and mappings/<abbr>.csv (Transition's import, export or legacy
    /// format). Validated: exit 1 when a finding blocks the table.
    Redirects(RedirectsArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum RedirectFormat {
    /// Transition's import CSV (`old url,new url`; TNA for archives).
    TransitionCsv,
    /// Every legacy URL with the status and Location a server must answer.
    Json,
}

#[derive(Debug, Args)]
pub struct RedirectsArgs {
    /// Site abbreviations from crawl-configs/, or paths to config files.
    #[arg(value_name = "SITE", required = true)]
    pub sites: Vec<String>,
    #[arg(long, value_enum, default_value = "transition-csv")]
    pub format: RedirectFormat,
    /// Write here (one site) instead of <out>/<abbr>/redirects.<ext>.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

pub fn run(
    cmd: ReportCommand,
    workspace: &Workspace,
    out_dir: &Path,
    out: &mut dyn Write,
) -> Result<i32> {
    let ReportCommand::Redirects(args) = cmd;
    if args.output.is_some() && args.sites.len() > 1 {
        return Err(Error::Usage(
            "-o names one file: give one site, or leave -o out to write each site's table under --out".into(),
        ));
    }
    let mut blocking = 0;
    for name in &args.sites {
        let site = workspace.resolve_site(name)?;
        let canonicalizer = site.canonicalizer(Mode::Govuk);
        let inputs = sources::gather(&site, &canonicalizer, out_dir, &workspace.mappings_dir())?;
        let table = redirects::resolve(&site, &canonicalizer, inputs);
        let (bytes, ext) = match args.format {
            RedirectFormat::TransitionCsv => (writers::transition_csv(&table), "csv"),
            RedirectFormat::Json => (writers::json(&table, &site), "json"),
        };
        let path = args
            .output
            .clone()
            .unwrap_or_else(|| out_dir.join(&site.abbr).join(format!("redirects.{ext}")));
        write_atomically(&path, &bytes)?;
        summary(out, &table, &path).map_err(stdout_error)?;
        blocking += table.blocking();
    }
    Ok(if blocking > 0 { 1 } else { 0 })
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let partial = path.with_extension("partial");
    std::fs::write(&partial, bytes).map_err(|e| Error::io(&partial, e))?;
    std::fs::rename(&partial, path).map_err(|e| Error::io(path, e))
}

fn summary(out: &mut dyn Write, table: &Table, path: &Path) -> std::io::Result<()> {
    let (decided, known) = table.coverage();
    let counts: Vec<String> = table
        .counts()
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let share = if known == 0 {
        100.0
    } else {
        decided as f64 * 100.0 / known as f64
    };
    writeln!(
        out,
        "{}: {} legacy paths ({}) -> {}",
        table.site,
        table.entries.len(),
        counts.join(", "),
        path.display()
    )?;
    writeln!(
        out,
        "  coverage {decided} of {known} known paths decided ({share:.1}%)"
    )?;
    let blocking = table.blocking();
    for f in &table.findings {
        let kind = if f.blocking { "error" } else { "warning" };
        writeln!(out, "  {kind}: {}: {}", f.at, f.message)?;
    }
    if blocking > 0 {
        writeln!(
            out,
            "  {blocking} blocking finding(s): fix them before handing the table over"
        )?;
    }
    Ok(())
}
