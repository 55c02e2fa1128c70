//! `phe-migrate sites validate|list`.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;

use super::stdout_error;
use crate::config::{self, GlobalRule, Site, Workspace};
use crate::diagnostic::{Diagnostic, Position};
use crate::error::{Error, Result};
use crate::formats::Mappings;
use crate::redirects::Finding;

#[derive(Debug, Subcommand)]
pub enum SitesCommand {
    /// Check site configs against GOV.UK Transition's rules and ours, and each site's
    /// mappings/<abbr>.yml and mapping spreadsheets as the later stages read them; prints
    /// every problem as file:line:column. Exits 2 on any error.
    Validate(ValidateArgs),
    /// List the estate: host, aliases, global rule, significant query parameters, web
    /// archive timestamp.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Config files, folders or site abbreviations to check (default: every file in the
    /// workspace's crawl-configs/). Hosts are also checked against the rest of the estate.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Fail (exit 2) on warnings too, e.g. stub web archive timestamps.
    #[arg(long)]
    pub deny_warnings: bool,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

pub fn run(cmd: SitesCommand, workspace: &Workspace, out: &mut dyn Write) -> Result<i32> {
    match cmd {
        SitesCommand::Validate(args) => validate(args, workspace, out),
        SitesCommand::List(args) => list(args, workspace, out),
    }
}

fn validate(args: ValidateArgs, workspace: &Workspace, out: &mut dyn Write) -> Result<i32> {
    let report = if args.paths.is_empty() {
        workspace.load_estate()?
    } else {
        let mut files = Vec::new();
        for path in &args.paths {
            if path.is_dir() {
                files.extend(config::yaml_files_in(path)?);
            } else if path.is_file() {
                files.push(path.clone());
            } else {
                // A site's abbreviation, as every other command takes.
                let file = match workspace.config_path(&path.to_string_lossy())? {
                    file if file.is_file() => file,
                    _ => {
                        return Err(Error::Usage(format!(
                            "{}: no such file or folder, nor such a file in {}; give a \
                             config's path, or a site's abbreviation (`phe-migrate sites list`)",
                            path.display(),
                            workspace.configs_dir().display()
                        )));
                    }
                };
                files.push(file);
            }
        }
        // The rest of the workspace's estate, so hosts are checked against it too.
        let context = match workspace.load_estate() {
            Ok(estate) => estate.sites,
            Err(_) => Vec::new(),
        };
        config::load_files(&files, &context)
    };
    let checked = report.sites.len() + files_with_errors(&report);
    let mut report = report;
    let mappings = check_mappings(&report.sites, workspace)?;
    report.diagnostics.extend(mappings.diagnostics);
    for d in &report.diagnostics {
        writeln!(out, "{d}").map_err(stdout_error)?;
    }
    let mut what = vec![format!("{checked} site config{}", plural(checked))];
    if mappings.files > 0 {
        what.push(format!(
            "{} mappings file{}",
            mappings.files,
            plural(mappings.files)
        ));
    }
    if mappings.spreadsheets > 0 {
        what.push(format!(
            "{} spreadsheet{}",
            mappings.spreadsheets,
            plural(mappings.spreadsheets)
        ));
    }
    let what = match what.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    };
    writeln!(
        out,
        "checked {what}: {} error{}, {} warning{}",
        report.error_count(),
        plural(report.error_count()),
        report.warning_count(),
        plural(report.warning_count()),
    )
    .map_err(stdout_error)?;
    let failed = report.error_count() > 0 || (args.deny_warnings && report.warning_count() > 0);
    Ok(if failed { 2 } else { 0 })
}

/// What the mappings files and spreadsheets of the checked sites hold wrongly, as the
/// transform, the report and the audits would find it (YAML, keys, formats rules, needs,
/// decisions and where they send pages, spreadsheet rows), before any of them runs.
struct MappingsCheck {
    files: usize,
    spreadsheets: usize,
    diagnostics: Vec<Diagnostic>,
}

fn check_mappings(sites: &[Site], workspace: &Workspace) -> Result<MappingsCheck> {
    let mut check = MappingsCheck {
        files: 0,
        spreadsheets: 0,
        diagnostics: Vec::new(),
    };
    let mappings_dir = workspace.mappings_dir();
    for site in sites {
        let site_start = check.diagnostics.len();
        let path = mappings_dir.join(format!("{}.yml", site.abbr));
        let mut yaml_reads = true;
        if path.is_file() {
            check.files += 1;
            match Mappings::load(&path) {
                Ok(_) => {
                    let canonicalizer = site.canonicalizer(crate::canonical::Mode::Govuk);
                    check
                        .diagnostics
                        .extend(crate::audit::needs::load(&path, &canonicalizer).diagnostics);
                }
                Err(Error::Invalid(found)) => {
                    check.diagnostics.extend(found);
                    yaml_reads = false;
                }
                Err(other) => return Err(other),
            }
        }
        let written = crate::redirects::sources::check_written(site, &mappings_dir, yaml_reads)?;
        check.spreadsheets += written.spreadsheets;
        check
            .diagnostics
            .extend(written.findings.iter().map(diagnostic_of));
        // One site's problems by file and line, whichever check found them.
        crate::diagnostic::sort(&mut check.diagnostics[site_start..]);
    }
    Ok(check)
}

/// A report's finding about a file, as `sites validate` prints problems; a finding with no
/// line stands at the file's start.
fn diagnostic_of(finding: &Finding) -> Diagnostic {
    let (file, line, column) = finding.location();
    let position = Position::new(line.max(1), column.max(1));
    let file = std::path::Path::new(file);
    if finding.blocking {
        Diagnostic::error(file, position, &finding.message)
    } else {
        Diagnostic::warning(file, position, &finding.message)
    }
}

fn files_with_errors(report: &config::EstateReport) -> usize {
    let mut files: Vec<&PathBuf> = report
        .diagnostics
        .iter()
        .filter(|d| d.is_error() && !report.sites.iter().any(|s| s.source == d.file))
        .map(|d| &d.file)
        .collect();
    files.sort();
    files.dedup();
    files.len()
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// One row of `sites list`.
#[derive(Debug, Serialize)]
struct SiteRow {
    abbr: String,
    host: String,
    aliases: String,
    global: String,
    significant_params: String,
    tna_timestamp: String,
    stub: bool,
}

impl SiteRow {
    fn new(site: &Site) -> Self {
        SiteRow {
            abbr: site.abbr.clone(),
            host: site.host.clone(),
            aliases: site.aliases.join(" "),
            global: match &site.global {
                Some(rule @ GlobalRule::Redirect { .. }) => rule.to_string(),
                Some(GlobalRule::Archive) => "=410".to_owned(),
                None => String::new(),
            },
            significant_params: site.significant_params.to_spec(),
            tna_timestamp: site.tna_timestamp.value.clone(),
            stub: site.tna_timestamp.stub,
        }
    }
}

fn list(args: ListArgs, workspace: &Workspace, out: &mut dyn Write) -> Result<i32> {
    let report = workspace.load_estate()?;
    let rows: Vec<SiteRow> = report.sites.iter().map(SiteRow::new).collect();
    match args.format {
        ListFormat::Csv => {
            let mut writer = csv::Writer::from_writer(&mut *out);
            for row in &rows {
                writer
                    .serialize(row)
                    .map_err(|e| Error::Other(format!("writing CSV: {e}")))?;
            }
            writer.flush().map_err(stdout_error)?;
        }
        ListFormat::Json => {
            serde_json::to_writer_pretty(&mut *out, &rows)
                .map_err(|e| Error::Other(format!("writing JSON: {e}")))?;
            writeln!(out).map_err(stdout_error)?;
        }
        ListFormat::Table => write_table(&rows, out).map_err(stdout_error)?,
    }
    if report.error_count() > 0 {
        // The valid sites are listed; the broken ones are named on stderr.
        for d in report.diagnostics.iter().filter(|d| d.is_error()) {
            eprintln!("{d}");
        }
        eprintln!(
            "{} error(s) in site configs: those sites are not listed; run `phe-migrate sites validate`",
            report.error_count()
        );
        return Ok(2);
    }
    Ok(0)
}

/// The table for a terminal: the short columns first, so that the long aliases and global
/// rules of a few sites do not push the rest off screen.
fn write_table(rows: &[SiteRow], out: &mut dyn Write) -> std::io::Result<()> {
    let header = [
        "ABBR",
        "HOST",
        "TNA_TIMESTAMP",
        "STUB",
        "PARAMS",
        "GLOBAL",
        "ALIASES",
    ];
    let cells: Vec<[String; 7]> = rows
        .iter()
        .map(|r| {
            [
                r.abbr.clone(),
                r.host.clone(),
                r.tna_timestamp.clone(),
                if r.stub { "stub".into() } else { "-".into() },
                dash_if_empty(&r.significant_params),
                dash_if_empty(&r.global.replace("https://www.gov.uk/", "www.gov.uk/")),
                dash_if_empty(&r.aliases),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| -> String {
        let mut s = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                s.push_str(cell);
            } else {
                s.push_str(&format!("{cell:<w$}  "));
            }
        }
        s.trim_end().to_owned()
    };
    writeln!(out, "{}", line(&header))?;
    for row in &cells {
        let refs: Vec<&str> = row.iter().map(String::as_str).collect();
        writeln!(out, "{}", line(&refs))?;
    }
    Ok(())
}

fn dash_if_empty(s: &str) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s.to_owned()
    }
}
