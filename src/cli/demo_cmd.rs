//! `phe-migrate demo`.

use std::io::{IsTerminal, Write};
use std::path::Path;

use clap::Args;

use super::stdout_error;
use crate::batch;
use crate::config::Workspace;
use crate::error::Result;

/// Serves the bundled demo estate (three legacy sites) on loopback and runs the whole
/// pipeline on it, with no network needed; then says where to look. Run it again to pick up
/// where it stopped; --fresh starts over.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Discard earlier results and start again.
    #[arg(long)]
    pub fresh: bool,
    /// No progress bars.
    #[arg(long, short)]
    pub quiet: bool,
}

pub fn run(
    args: DemoArgs,
    workspace: &Workspace,
    out_dir: &Path,
    out: &mut dyn Write,
) -> Result<i32> {
    let progress = !args.quiet && std::io::stderr().is_terminal();
    let results = batch::demo(workspace, out_dir, args.fresh, progress)?;
    let mut text = String::new();
    for r in &results {
        text.push_str(&format!("{}\n", r.crawl));
    }
    text.push_str("\nSITE           PAGES  ATTACHMENTS  REDIRECTS  NOT FETCHED  ERRORS\n");
    for r in &results {
        let c = &r.crawl;
        let skipped: u64 = c.skipped.iter().map(|(_, n)| n).sum();
        text.push_str(&format!(
            "{:<14} {:>5}  {:>11}  {:>9}  {:>11}  {:>6}\n",
            r.site, c.pages, c.attachments, c.redirects, skipped, c.failed
        ));
    }
    // Transform: every crawled page becomes a Govspeak draft and a content item.
    text.push('\n');
    let options = crate::transform::TransformOptions {
        out_dir: out_dir.to_path_buf(),
        mappings_dir: workspace.mappings_dir(),
        jobs: None,
        progress,
        replace_edited: false,
    };
    let mut summary_text = Vec::new();
    for r in &results {
        let site = workspace.resolve_site(&r.site)?;
        let summary = crate::transform::transform_site(&site, &options)?;
        super::transform_cmd::write_summary(&mut summary_text, &summary).map_err(stdout_error)?;
    }
    text.push_str(&String::from_utf8_lossy(&summary_text));
    // Traffic: the estate's sample logs and hits exports (fixtures/traffic/<abbr>-*).
    text.push('\n');
    for r in &results {
        let site = workspace.resolve_site(&r.site)?;
        let traffic = crate::fixtures::traffic_files(workspace, &r.site);
        if !traffic.is_empty() {
            for report in crate::hits::import(&site, out_dir, &traffic)? {
                text.push_str(&format!("{report}\n"));
            }
        }
    }
    // The hand-over: redirect tables for Transition, `verify` and nginx, then the audits.
    text.push('\n');
    let sites: Vec<String> = results.iter().map(|r| r.site.clone()).collect();
    let mut report_text = Vec::new();
    let (code, _) = super::report_cmd::hand_over(&sites, workspace, out_dir, &mut report_text)?;
    text.push_str(&String::from_utf8_lossy(&report_text));
    text.push_str("\nWhere to look:\n");
    text.push_str(&format!(
        "  {}   <- start here: the estate's audit\n",
        out_dir
            .join("estate")
            .join("audit")
            .join("report.html")
            .display()
    ));
    for r in &results {
        // One line a site: its folder, then what this run left in it (a server file can be
        // held back, as said above).
        let folder = out_dir.join(&r.site);
        let names: Vec<String> = batch::site_outputs(out_dir, &r.site)
            .into_iter()
            .filter(|p| p.exists())
            .filter_map(|p| {
                let name = p.strip_prefix(&folder).ok()?.display().to_string();
                Some(if p.is_dir() { name + "/" } else { name })
            })
            .collect();
        text.push_str(&format!(
            "  {}{}  {}\n",
            folder.display(),
            std::path::MAIN_SEPARATOR,
            names.join("  ")
        ));
    }
    // The commands to try name the folder this run wrote, wherever `--out` put it.
    let first = sites.first().map_or("demo_hpa", String::as_str);
    let store = out_dir.join(first).join("crawl.db");
    let out_arg = if out_dir == workspace.root.join("out") {
        String::new()
    } else {
        format!(" --out {}", shell_word(out_dir))
    };
    text.push_str(&format!(
        "Each crawl.db is a SQLite file (try: sqlite3 {} 'SELECT status, url FROM urls'),\n\
         each .warc.gz opens in any WARC tool (pywb, warcio); each content/ folder holds a Govspeak draft (.md)\n\
         and a GOV.UK content item (.json) per page, listed in transform.csv; redirects.csv imports into GOV.UK\n\
         Transition, redirects.nginx.conf is an nginx include, and `phe-migrate serve {first}{out_arg}`\n\
         answers for the legacy hosts as Bouncer would.\n",
        shell_word(&store)
    ));
    out.write_all(text.as_bytes()).map_err(stdout_error)?;
    Ok(code)
}

/// A path as one word of a shell command to paste: quoted when it holds anything but
/// letters, digits and `/._-`.
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    if text
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '_' | '-'))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}
