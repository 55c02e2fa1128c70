//! `phe-migrate run SITE... | --batch FILE`: crawl → transform → report for each site, the
//! sites side by side (each crawl keeps its own per-host politeness), a stage skipped when
//! its inputs have not changed since it last ran (`--force` redoes it), a line per stage in
//! `<out>/run.log`, and a table (or `--json`) at the end.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, ValueEnum};
use serde::{Deserialize, Serialize};

use super::report_cmd::{AuditArgs, ReportCommand};
use super::stdout_error;
use crate::batch::{self, RunState};
use crate::config::Workspace;
use crate::config::site::Site;
use crate::crawl::{self, CrawlOptions};
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Site abbreviations from crawl-configs/, or paths to config files.
    #[arg(value_name = "SITE", required_unless_present = "batch")]
    pub sites: Vec<String>,
    /// A YAML batch: `sites:` listing abbreviations, or `{site: ABBR, max_pages: N,
    /// max_depth: N, concurrency: N, resolve: [HOST=IP:PORT]}` for per-site overrides.
    #[arg(long, value_name = "FILE", conflicts_with = "sites")]
    pub batch: Option<PathBuf>,
    /// Send a host name to another address for every site (as `crawl --resolve`; `*=IP:PORT`
    /// sends every host of each site there).
    #[arg(long, value_name = "HOST=IP:PORT", value_parser = super::crawl_cmd::parse_resolve)]
    pub resolve: Vec<(String, SocketAddr)>,
    /// Redo every stage, changed inputs or not.
    #[arg(long)]
    pub force: bool,
    /// Let the transform rebuild content/ where files in it were changed since the last
    /// transform (each is copied to content-edited/<time>/ first), as `transform
    /// --replace-edited` does.
    #[arg(long)]
    pub replace_edited: bool,
    /// Print a line as each stage starts and ends.
    #[arg(long, short)]
    pub verbose: bool,
    /// No progress display.
    #[arg(long, short)]
    pub quiet: bool,
    /// The format of the -v lines on stderr.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: LogFormat,
    /// Print the final summary as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct SiteSpec {
    site: String,
    max_pages: Option<u64>,
    max_depth: Option<u32>,
    concurrency: Option<u32>,
    #[serde(default)]
    resolve: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchFile {
    sites: Vec<serde_norway::Value>,
}

/// The keys of a site's entry in a batch file, as [`SiteSpec`] reads them.
const SITE_SPEC_KEYS: &[&str] = &["site", "max_pages", "max_depth", "concurrency", "resolve"];

const BATCH_EXAMPLE: &str = "a batch file looks like:\n    sites:\n      - demo_hpa\n      - {site: demo_chobs, max_pages: 100, resolve: [www.chobs-demo.org.uk=127.0.0.1:8080]}";

/// One stage's outcome, as logged and summarised.
#[derive(Clone, Debug, Serialize)]
pub struct StageRun {
    pub stage: &'static str,
    /// `ran`, `skipped` (inputs unchanged) or `failed`.
    pub status: &'static str,
    pub seconds: f64,
    pub detail: String,
}

/// A site's run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SiteRun {
    pub site: String,
    pub stages: Vec<StageRun>,
    /// The counts below are `None` (null, `-` in the table) when the stage that makes
    /// them failed or did not get its turn, rather than what an earlier run left on disk.
    pub pages: Option<u64>,
    pub items_by_format: std::collections::BTreeMap<String, u64>,
    pub redirects: Option<u64>,
    pub archives: Option<u64>,
    pub unresolved: Option<u64>,
    pub gaps: Option<u64>,
    pub gaps_high: Option<u64>,
    pub data_rich_pct: Option<f64>,
    pub seconds: f64,
    pub error: Option<String>,
    pub blocking: bool,
    /// How many findings block the hand-over (schema errors, the redirect table's errors).
    pub blocking_findings: usize,
}

fn load_batch(path: &Path) -> Result<Vec<SiteSpec>> {
    let doc = crate::config::yaml::YamlDocument::read(path).map_err(|d| Error::Invalid(vec![d]))?;
    if let Some(unknown) = doc
        .unknown_keys(&[], &["sites"], "A batch file")
        .into_iter()
        .next()
    {
        let help = unknown.help.clone().unwrap_or_default();
        return Err(Error::Invalid(vec![
            unknown.with_help(format!("{help}\n  {BATCH_EXAMPLE}")),
        ]));
    }
    let file: BatchFile = doc
        .deserialize()
        .map_err(|d| Error::Usage(format!("{d}\n  {BATCH_EXAMPLE}")))?;
    let mut specs = Vec::new();
    for (i, entry) in file.sites.into_iter().enumerate() {
        let at = doc.value_position(&["sites", &i.to_string()]);
        let spec = match entry {
            serde_norway::Value::String(site) => SiteSpec {
                site,
                ..SiteSpec::default()
            },
            other => {
                // A misspelt key names itself at its place, with the likely one.
                let unknown = doc.unknown_keys(
                    &["sites", &i.to_string()],
                    SITE_SPEC_KEYS,
                    "A site in a batch",
                );
                if !unknown.is_empty() {
                    return Err(Error::Invalid(unknown));
                }
                serde_norway::from_value::<SiteSpec>(other).map_err(|e| {
                    Error::Usage(format!(
                        "{}:{}:{}: sites entry {}: {}\n  {BATCH_EXAMPLE}",
                        path.display(),
                        at.line,
                        at.column,
                        i + 1,
                        crate::config::yaml::plain_types(&e.to_string())
                    ))
                })?
            }
        };
        specs.push(spec);
    }
    if specs.is_empty() {
        return Err(Error::Usage(format!(
            "{}: no sites to run\n  {BATCH_EXAMPLE}",
            path.display()
        )));
    }
    Ok(specs)
}

struct Context<'a> {
    workspace: &'a Workspace,
    out_dir: &'a Path,
    args: &'a RunArgs,
    log: std::sync::Mutex<std::fs::File>,
}

impl Context<'_> {
    /// Appends to run.log, and prints with -v.
    fn record(&self, site: &str, stage: &StageRun) {
        let line = serde_json::json!({
            "time": crate::timefmt::DateTime::from_system(std::time::SystemTime::now()).iso8601(),
            "site": site,
            "stage": stage.stage,
            "status": stage.status,
            "seconds": (stage.seconds * 1000.0).round() / 1000.0,
            "detail": stage.detail,
        });
        if let Ok(mut log) = self.log.lock() {
            let _ = writeln!(log, "{line}");
        }
        if self.args.verbose {
            match self.args.log_format {
                LogFormat::Json => eprintln!("{line}"),
                LogFormat::Text => eprintln!(
                    "{site}: {} {} ({:.1} s){}",
                    stage.stage,
                    stage.status,
                    stage.seconds,
                    if stage.detail.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", stage.detail)
                    }
                ),
            }
        }
    }
}

pub fn run(
    args: RunArgs,
    workspace: &Workspace,
    out_dir: &Path,
    out: &mut dyn Write,
) -> Result<i32> {
    let specs = match &args.batch {
        Some(path) => load_batch(path)?,
        None => args
            .sites
            .iter()
            .map(|s| SiteSpec {
                site: s.clone(),
                ..SiteSpec::default()
            })
            .collect(),
    };
    // Every site is checked before anything runs: a typo fails the batch at once.
    let mut sites = Vec::new();
    for spec in &specs {
        let site = workspace.resolve_site(&spec.site)?;
        let mut resolve = args.resolve.clone();
        for r in &spec.resolve {
            resolve.push(super::crawl_cmd::parse_resolve(r).map_err(|e| {
                Error::Usage(format!("batch entry {}: resolve {r:?}: {e}", spec.site))
            })?);
        }
        sites.push((site, spec.clone(), resolve));
    }
    std::fs::create_dir_all(out_dir).map_err(|e| {
        Error::Usage(format!(
            "cannot create the output folder {}: {e}; choose another with --out DIR",
            out_dir.display()
        ))
    })?;
    let log_path = out_dir.join("run.log");
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log_path)
        .map_err(|e| Error::io(&log_path, e))?;
    let context = Context {
        workspace,
        out_dir,
        args: &args,
        log: std::sync::Mutex::new(log),
    };
    let progress = !args.quiet && !args.verbose && std::io::stderr().is_terminal();
    let multi = indicatif::MultiProgress::new();
    let style =
        indicatif::ProgressStyle::with_template("{spinner} {prefix:<16} {wide_msg} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
    let runs: Vec<SiteRun> = std::thread::scope(|scope| {
        let handles: Vec<_> = sites
            .iter()
            .map(|(site, spec, resolve)| {
                let bar = progress.then(|| {
                    let bar = multi.add(indicatif::ProgressBar::new_spinner());
                    bar.set_style(style.clone());
                    bar.set_prefix(site.abbr.clone());
                    bar.enable_steady_tick(std::time::Duration::from_millis(120));
                    bar
                });
                let context = &context;
                scope.spawn(move || run_site(site, spec, resolve, context, bar.as_ref()))
            })
            .collect();
        handles
            .into_iter()
            .zip(&sites)
            .map(|(h, (site, _, _))| {
                h.join().unwrap_or_else(|_| SiteRun {
                    site: site.abbr.clone(),
                    error: Some("the run stopped on an internal error".into()),
                    ..SiteRun::default()
                })
            })
            .collect()
    });
    // The estate's audit, across the sites that got that far.
    let audited: Vec<String> = runs
        .iter()
        .filter(|r| r.error.is_none())
        .map(|r| r.site.clone())
        .collect();
    if audited.len() > 1 {
        let mut sink = Vec::new();
        super::report_cmd::run(
            ReportCommand::Audit(AuditArgs {
                sites: audited,
                hits: Vec::new(),
            }),
            workspace,
            out_dir,
            &mut sink,
        )?;
    }
    if args.json {
        let mut text = serde_json::to_string_pretty(&runs).unwrap_or_default();
        text.push('\n');
        out.write_all(text.as_bytes()).map_err(stdout_error)?;
    } else {
        write_table(out, &runs, out_dir).map_err(stdout_error)?;
    }
    Ok(if runs.iter().any(|r| r.error.is_some()) {
        2
    } else if runs.iter().any(|r| r.blocking) {
        1
    } else {
        0
    })
}

fn run_site(
    site: &Site,
    spec: &SiteSpec,
    resolve: &[(String, SocketAddr)],
    ctx: &Context<'_>,
    bar: Option<&indicatif::ProgressBar>,
) -> SiteRun {
    let started = Instant::now();
    let mut run = SiteRun {
        site: site.abbr.clone(),
        ..SiteRun::default()
    };
    let mut state = RunState::load(ctx.out_dir, &site.abbr);
    let mappings = ctx.workspace.mappings_dir();
    let say = |message: &str| {
        if let Some(bar) = bar {
            bar.set_message(message.to_owned());
        }
    };
    let overrides = format!(
        "{:?} {:?} {:?} {resolve:?}",
        spec.max_pages, spec.max_depth, spec.concurrency
    );
    // What the later stages read besides files: the store as it is when it is their turn,
    // and this build.
    let build = batch::this_build();
    let after_crawl = || {
        format!(
            "{} {build}",
            batch::store_fingerprint(ctx.out_dir, &site.abbr)
        )
    };
    // Each stage: the digest of its inputs (taken when it is its turn), whether it may be
    // skipped, and the work.
    for name in ["crawl", "transform", "report"] {
        let digest = match name {
            "crawl" => batch::digest(std::slice::from_ref(&site.source), &overrides),
            "transform" => {
                // The drafts follow the spreadsheets' redirect decisions too.
                let mut files = vec![
                    site.source.clone(),
                    mappings.join(format!("{}.yml", site.abbr)),
                ];
                files.extend(crate::redirects::import::spreadsheets(
                    &mappings, &site.abbr,
                ));
                batch::digest(&files, &after_crawl())
            }
            _ => {
                let mut files = vec![
                    site.source.clone(),
                    ctx.out_dir.join(&site.abbr).join("pages.jsonl"),
                ];
                files.extend(batch::mapping_files(&mappings, &site.abbr));
                batch::digest(&files, &after_crawl())
            }
        };
        let up_to_date = !ctx.args.force
            && state.stages.get(name) == Some(&digest)
            && match name {
                "crawl" => batch::crawl_finished(ctx.out_dir, &site.abbr),
                "transform" => ctx.out_dir.join(&site.abbr).join("pages.jsonl").is_file(),
                _ => ctx
                    .out_dir
                    .join(&site.abbr)
                    .join("audit")
                    .join("report.html")
                    .is_file(),
            };
        let stage_started = Instant::now();
        let blocking_before = run.blocking;
        let outcome = if up_to_date {
            say(&format!("{name}: unchanged, skipped"));
            Ok(("skipped", String::new()))
        } else {
            say(&format!("{name}…"));
            match name {
                "crawl" => crawl_stage(site, spec, resolve, ctx),
                "transform" => transform_stage(site, ctx, &mut run),
                _ => report_stage(site, ctx, &mut run),
            }
        };
        let stage = match outcome {
            Ok((status, detail)) => StageRun {
                stage: name,
                status,
                seconds: stage_started.elapsed().as_secs_f64(),
                detail,
            },
            Err(e) => StageRun {
                stage: name,
                status: "failed",
                seconds: stage_started.elapsed().as_secs_f64(),
                detail: e.to_string(),
            },
        };
        ctx.record(&site.abbr, &stage);
        let failed = stage.status == "failed";
        if failed {
            run.error = Some(format!("{name}: {}", stage.detail));
        } else if run.blocking && !blocking_before {
            // A stage that left blocking findings runs again next time, so that they are
            // shown (and the exit code says so) until fixed, not skipped as unchanged.
            state.stages.remove(name);
            if let Err(e) = state.save(ctx.out_dir, &site.abbr) {
                run.error = Some(e.to_string());
            }
        } else {
            state.stages.insert(name.to_owned(), digest);
            // A stage that ran makes the later ones stale.
            if stage.status == "ran" {
                match name {
                    "crawl" => {
                        state.stages.remove("transform");
                        state.stages.remove("report");
                    }
                    "transform" => {
                        state.stages.remove("report");
                    }
                    _ => {}
                }
            }
            if let Err(e) = state.save(ctx.out_dir, &site.abbr) {
                run.error = Some(e.to_string());
            }
        }
        run.stages.push(stage);
        if failed || run.error.is_some() {
            break;
        }
    }
    read_results(ctx.out_dir, &mut run);
    run.seconds = started.elapsed().as_secs_f64();
    if let Some(bar) = bar {
        bar.finish_with_message(match &run.error {
            Some(e) => format!("failed: {e}"),
            None => "done".to_owned(),
        });
    }
    run
}

fn crawl_stage(
    site: &Site,
    spec: &SiteSpec,
    resolve: &[(String, SocketAddr)],
    ctx: &Context<'_>,
) -> Result<(&'static str, String)> {
    let options = CrawlOptions {
        out_dir: ctx.out_dir.to_path_buf(),
        resolve: resolve.to_vec(),
        max_pages: spec.max_pages,
        max_depth: spec.max_depth,
        concurrency: spec.concurrency,
        progress: false,
        ..CrawlOptions::default()
    };
    let summary = crawl::crawl(site, &options)?;
    if let Some(message) = summary.unreachable(&site.host) {
        return Err(Error::Usage(message));
    }
    Ok((
        "ran",
        format!(
            "{} pages, {} attachments, {} redirects",
            summary.pages, summary.attachments, summary.redirects
        ),
    ))
}

fn transform_stage(
    site: &Site,
    ctx: &Context<'_>,
    run: &mut SiteRun,
) -> Result<(&'static str, String)> {
    let options = crate::transform::TransformOptions {
        out_dir: ctx.out_dir.to_path_buf(),
        mappings_dir: ctx.workspace.mappings_dir(),
        jobs: None,
        progress: false,
        replace_edited: ctx.args.replace_edited,
    };
    let summary = crate::transform::transform_site(site, &options)?;
    if summary.schema_errors > 0 {
        run.blocking = true;
        run.blocking_findings += summary.schema_errors;
    }
    let mut detail = format!(
        "{} content items, {} schema errors, {} pages not converted",
        summary.pages,
        summary.schema_errors,
        summary.failed.len()
    );
    if !summary.unmatched_rules.is_empty() {
        detail.push_str(&format!(
            ", {} mappings rule(s) matched no page (`phe-migrate transform {}` lists them)",
            summary.unmatched_rules.len(),
            site.abbr
        ));
    }
    Ok(("ran", detail))
}

fn report_stage(
    site: &Site,
    ctx: &Context<'_>,
    run: &mut SiteRun,
) -> Result<(&'static str, String)> {
    let mut printed = Vec::new();
    let (code, blocking_findings) = super::report_cmd::hand_over(
        std::slice::from_ref(&site.abbr),
        ctx.workspace,
        ctx.out_dir,
        &mut printed,
    )?;
    let mut detail = String::new();
    if code == 1 {
        run.blocking = true;
        let text = String::from_utf8_lossy(&printed);
        detail = text
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("error:"))
            .unwrap_or("blocking findings in the redirect table")
            .to_owned();
        run.blocking_findings += blocking_findings.max(1);
    }
    Ok(("ran", detail))
}

/// The numbers for the final table, from what the stages wrote (so a skipped stage's
/// results count too); a stage that failed or did not run contributes nothing.
fn read_results(out_dir: &Path, run: &mut SiteRun) {
    let site_dir = out_dir.join(&run.site);
    let done = |name: &str| {
        run.stages
            .iter()
            .any(|s| s.stage == name && s.status != "failed")
    };
    let (transformed, reported) = (done("transform"), done("report"));
    if transformed && let Ok(mut reader) = csv::Reader::from_path(site_dir.join("transform.csv")) {
        let mut pages = 0;
        for record in reader.records().flatten() {
            pages += 1;
            *run.items_by_format
                .entry(record.get(2).unwrap_or_default().to_owned())
                .or_insert(0) += 1;
        }
        run.pages = Some(pages);
    }
    if !reported {
        return;
    }
    if let Ok(bytes) = std::fs::read(site_dir.join("redirects.json"))
        && let Ok(table) = serde_json::from_slice::<serde_json::Value>(&bytes)
    {
        // The table counts only the outcomes it has: a site with none unresolved has 0.
        let count = |k: &str| Some(table["counts"][k].as_u64().unwrap_or(0));
        run.redirects = count("redirect");
        run.archives = count("archive");
        run.unresolved = count("unresolved");
    }
    if let Ok(mut reader) = csv::Reader::from_path(site_dir.join("audit").join("gaps.csv")) {
        let (mut gaps, mut high) = (0, 0);
        for record in reader.records().flatten() {
            gaps += 1;
            if record.get(1) == Some("high") {
                high += 1;
            }
        }
        run.gaps = Some(gaps);
        run.gaps_high = Some(high);
    }
    if let Ok(mut reader) = csv::Reader::from_path(site_dir.join("audit").join("site_summary.csv"))
        && let Some(Ok(record)) = reader.records().next()
    {
        run.data_rich_pct = record.get(11).and_then(|v| v.parse().ok());
    }
}

/// A count for the table: `-` when the stage that makes it did not complete.
fn cell<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

fn write_table(out: &mut dyn Write, runs: &[SiteRun], out_dir: &Path) -> std::io::Result<()> {
    // The three largest formats of each site, e.g. "publication 43, detailed_guide 13, ...".
    let items: Vec<String> = runs
        .iter()
        .map(|r| {
            let mut formats: Vec<(&String, &u64)> = r.items_by_format.iter().collect();
            formats.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
            let top: Vec<String> = formats
                .iter()
                .take(3)
                .map(|(f, n)| format!("{f} {n}"))
                .collect();
            top.join(", ")
        })
        .collect();
    // Columns as wide as what they hold, so that long abbreviations keep the table straight.
    let site_width = runs
        .iter()
        .map(|r| r.site.chars().count())
        .fold(16, usize::max);
    let items_width = items.iter().map(|i| i.chars().count()).fold(13, usize::max);
    writeln!(
        out,
        "{:<site_width$} {:>6}  {:<items_width$} {:>8} {:>8} {:>10} {:>13} {:>9} {:>7}  STAGES",
        "SITE",
        "PAGES",
        "CONTENT ITEMS",
        "REDIRECT",
        "ARCHIVE",
        "UNRESOLVED",
        "GAPS",
        "DATA-RICH",
        "TIME"
    )?;
    for (r, items) in runs.iter().zip(&items) {
        let stages: Vec<String> = r
            .stages
            .iter()
            .map(|s| format!("{} {}", s.stage, s.status))
            .collect();
        let gaps = cell(
            r.gaps
                .zip(r.gaps_high)
                .map(|(gaps, high)| format!("{gaps} ({high} high)")),
        );
        let data_rich = cell(r.data_rich_pct.map(|pct| format!("{pct:.1}%")));
        writeln!(
            out,
            "{:<site_width$} {:>6}  {:<items_width$} {:>8} {:>8} {:>10} {:>13} {:>9} {:>6.1}s  {}",
            r.site,
            cell(r.pages),
            items,
            cell(r.redirects),
            cell(r.archives),
            cell(r.unresolved),
            gaps,
            data_rich,
            r.seconds,
            stages.join(", ")
        )?;
    }
    for r in runs {
        if let Some(e) = &r.error {
            writeln!(out, "error: {}: {e}", r.site)?;
        } else if r.blocking {
            let first = r
                .stages
                .iter()
                .map(|s| s.detail.as_str())
                .find(|d| d.starts_with("error:"))
                .unwrap_or("");
            let findings = match r.blocking_findings {
                1 => "1 blocking finding".to_owned(),
                n => format!("{n} blocking findings"),
            };
            writeln!(
                out,
                "{}: {findings}, fix them before the hand-over (all of them: `phe-migrate report redirects {}`)\n  {first}",
                r.site, r.site
            )?;
        }
    }
    let estate = out_dir.join("estate").join("audit").join("report.html");
    if estate.is_file() && runs.len() > 1 {
        writeln!(out, "audit: {}", estate.display())?;
    }
    writeln!(out, "run log: {}", out_dir.join("run.log").display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_the_table_does_not_count_is_zero_not_unknown() {
        let out_dir = tempfile::tempdir().unwrap();
        let site_dir = out_dir.path().join("demo_x");
        std::fs::create_dir_all(&site_dir).unwrap();
        std::fs::write(
            site_dir.join("redirects.json"),
            r#"{"counts": {"redirect": 3, "archive": 1}, "entries": []}"#,
        )
        .unwrap();
        let mut run = SiteRun {
            site: "demo_x".into(),
            stages: vec![StageRun {
                stage: "report",
                status: "ran",
                seconds: 0.0,
                detail: String::new(),
            }],
            ..SiteRun::default()
        };
        read_results(out_dir.path(), &mut run);
        assert_eq!(
            (run.redirects, run.archives, run.unresolved),
            (Some(3), Some(1), Some(0))
        );
    }

    #[test]
    fn a_failed_transform_shows_no_counts_from_an_earlier_run() {
        let out_dir = tempfile::tempdir().unwrap();
        let site_dir = out_dir.path().join("demo_x");
        std::fs::create_dir_all(&site_dir).unwrap();
        // What an earlier, successful transform left behind.
        std::fs::write(
            site_dir.join("transform.csv"),
            "legacy_url,canonical_key,format,document_type\nhttp://x/a,x/a,detailed_guide,detailed_guide\n",
        )
        .unwrap();
        let stage = |stage, status| StageRun {
            stage,
            status,
            seconds: 0.0,
            detail: String::new(),
        };
        let mut failed = SiteRun {
            site: "demo_x".into(),
            stages: vec![stage("crawl", "skipped"), stage("transform", "failed")],
            error: Some("transform: mappings/demo_x.yml:3:1: error: ...".into()),
            ..SiteRun::default()
        };
        read_results(out_dir.path(), &mut failed);
        assert_eq!(failed.pages, None);
        assert!(failed.items_by_format.is_empty());
        let mut table = Vec::new();
        write_table(&mut table, std::slice::from_ref(&failed), out_dir.path()).unwrap();
        let table = String::from_utf8(table).unwrap();
        let row = table.lines().nth(1).unwrap();
        assert!(row.starts_with("demo_x"), "{table}");
        assert_eq!(row.split_whitespace().nth(1), Some("-"), "{table}");
        assert!(!row.contains("detailed_guide"), "{table}");

        let mut succeeded = SiteRun {
            stages: vec![stage("crawl", "skipped"), stage("transform", "skipped")],
            ..failed
        };
        read_results(out_dir.path(), &mut succeeded);
        assert_eq!(succeeded.pages, Some(1));
    }
}
