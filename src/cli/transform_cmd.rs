//! `phe-migrate transform SITE...`.

use std::io::{IsTerminal, Write};
use std::path::Path;

use clap::Args;

use super::stdout_error;
use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::transform::{self, TransformOptions, TransformSummary};

/// Turns each crawled site's HTML pages into GOV.UK content in <out>/<abbr>/content/: a
/// Govspeak draft (<slug>.md, with front matter for editors) and a publisher_v2 content item
/// (<slug>.json, checked against GOV.UK's schema) per page, plus transform.csv and
/// attachments.csv. Format rules come from mappings/<abbr>.yml, then heuristics.
#[derive(Debug, Args)]
pub struct TransformArgs {
    /// Site abbreviations from crawl-configs/, or paths to config files.
    #[arg(value_name = "SITE", required = true)]
    pub sites: Vec<String>,
    /// Worker threads (default: one per core). Output is identical for any value.
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print the summaries as JSON.
    #[arg(long)]
    pub json: bool,
    /// Rebuild content/ even if files in it were changed since the last transform (an
    /// editor's work): each is copied to content-edited/<time>/ first. Without it the
    /// transform stops and names them.
    #[arg(long)]
    pub replace_edited: bool,
}

pub fn run(
    args: TransformArgs,
    workspace: &Workspace,
    out_dir: &Path,
    out: &mut dyn Write,
) -> Result<i32> {
    let sites = args
        .sites
        .iter()
        .map(|s| workspace.resolve_site(s))
        .collect::<Result<Vec<_>>>()?;
    if args.jobs == Some(0) {
        return Err(Error::Usage("--jobs must be at least 1".to_owned()));
    }
    let options = TransformOptions {
        out_dir: out_dir.to_path_buf(),
        mappings_dir: workspace.mappings_dir(),
        jobs: args.jobs,
        progress: !args.quiet && std::io::stderr().is_terminal(),
        replace_edited: args.replace_edited,
    };
    let mut summaries = Vec::new();
    for site in &sites {
        let summary = transform::transform_site(site, &options)?;
        if !args.json {
            write_summary(out, &summary).map_err(stdout_error)?;
        }
        summaries.push(summary);
    }
    if args.json {
        serde_json::to_writer_pretty(&mut *out, &summaries)
            .map_err(|e| Error::Other(e.to_string()))?;
        writeln!(out).map_err(stdout_error)?;
    }
    let failed = summaries.iter().any(|s| s.schema_errors > 0);
    Ok(if failed { 1 } else { 0 })
}

pub fn write_summary(out: &mut dyn Write, s: &TransformSummary) -> std::io::Result<()> {
    let formats: Vec<String> = s
        .by_format
        .iter()
        .map(|(f, n)| format!("{f} {n}"))
        .collect();
    writeln!(
        out,
        "{}: {} content items in {} ({})",
        s.site,
        s.pages,
        s.content_dir,
        formats.join(", ")
    )?;
    writeln!(
        out,
        "  attachments {}, warnings {}, schema errors {}, pages that could not be converted {}",
        s.attachments,
        s.warnings,
        s.schema_errors,
        s.failed.len()
    )?;
    if s.warnings > 0 {
        let mut kinds: Vec<(&String, &usize)> = s.warning_kinds.iter().collect();
        kinds.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let commonest: Vec<String> = kinds
            .iter()
            .take(3)
            .map(|(kind, n)| format!("{n} \"{kind}\""))
            .collect();
        writeln!(
            out,
            "  commonest warnings: {} (each page's in transform.csv)",
            commonest.join(", ")
        )?;
    }
    if s.sent_elsewhere > 0 {
        let (drafts, their) = match s.sent_elsewhere {
            1 => ("draft is of a page", "its"),
            _ => ("drafts are of pages", "their"),
        };
        writeln!(
            out,
            "  {} {drafts} the mappings redirect elsewhere, archive or leave unresolved (`sent_elsewhere` in {their} front matter, and a warning)",
            s.sent_elsewhere
        )?;
    }
    if let Some(matched) = s.main_selector_matched.filter(|&m| m < s.pages) {
        let missed = s.pages - matched;
        let (pages, their) = match missed {
            1 => ("page's", "its draft warns"),
            _ => ("pages'", "their drafts warn"),
        };
        writeln!(
            out,
            "  `content.main` matched {matched} of {} pages: the other {missed} {pages} main content was found without it ({their}; check the selectors against the HTML)",
            s.pages
        )?;
    }
    if let Some(shared) = &s.shared_title_part {
        writeln!(
            out,
            "  {} of {} titles have {:?}: if it is the site's name, add it under `content: title_strip:` in the site's config and transform again",
            shared.titles, s.pages, shared.part
        )?;
    }
    for (url, reason) in &s.failed {
        writeln!(out, "  failed: {url}: {reason}")?;
    }
    for warning in &s.unmatched_rules {
        for line in warning.lines() {
            writeln!(out, "  {line}")?;
        }
    }
    if let Some(folder) = &s.kept_edits {
        writeln!(
            out,
            "  the files that could hold edits were replaced; copies are in {folder}"
        )?;
    }
    Ok(())
}
