//! `phe-migrate report redirects SITE... --format ...`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};

use super::{stderr_error, stdout_error};
use crate::config::Workspace;
use crate::config::site::Site;
use crate::error::{Error, Result};
use crate::redirects::{Entry, Finding, Outcome, Table, apache, cdn, nginx, sources, writers};

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// The redirect table for the hosting team: one outcome per legacy URL (301 to GOV.UK,
    /// 410 with a web-archive link, or unresolved), from the crawl, the transform's drafts,
    /// mappings/<abbr>.yml and mappings/<abbr>.csv (Transition's import, export or legacy
    /// format). Validated: exit 1 when a finding blocks the table.
    Redirects(RedirectsArgs),
    /// The audits: content inventory, data-richness with suggested routes, accessibility,
    /// user needs and gaps G1–G11, as CSV, report.md and a self-contained report.html in
    /// out/<abbr>/audit/ (and out/estate/audit/ for several sites). Needs the transform's
    /// output; --hits adds traffic first.
    Audit(AuditArgs),
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Site abbreviations from crawl-configs/, or paths to config files.
    #[arg(value_name = "SITE", required = true)]
    pub sites: Vec<String>,
    /// Traffic files to import first (as `import hits` does); with several sites, each file
    /// is offered to each site, which keeps the hits for its own hosts.
    #[arg(long = "hits", value_name = "FILE")]
    pub hits: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RedirectFormat {
    /// Transition's import CSV (`old url,new url`; TNA for archives).
    TransitionCsv,
    /// Every legacy URL with the status and Location a server must answer.
    Json,
    /// A file to include in nginx's http {} block, with map files and sitemaps beside it
    /// in <file>.d/; answers as Bouncer does.
    Nginx,
    /// A file to include at Apache's server level (virtual hosts with mod_rewrite), with
    /// RewriteMaps, robots.txt and sitemaps beside it in <file>.d/.
    Apache,
    /// A Cloudflare Bulk Redirect list (no header row; redirects without query strings
    /// only, the rest reported; refused over the plan's limit, see --cdn-plan).
    CdnCsv,
    /// Fastly edge dictionaries (JSON, 1,000 items each).
    Fastly,
    /// Amazon S3 website routing rules (JSON; refused over S3's 50).
    S3,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum CdnPlan {
    /// 10,000 URL redirects.
    Free,
    /// 25,000.
    Pro,
    /// 50,000.
    Business,
    /// 1,000,000.
    Enterprise,
}

#[derive(Debug, Args)]
pub struct RedirectsArgs {
    /// Site abbreviations from crawl-configs/, or paths to config files.
    #[arg(value_name = "SITE", required = true)]
    pub sites: Vec<String>,
    #[arg(long, value_enum, default_value = "transition-csv")]
    pub format: RedirectFormat,
    /// Write here (one site) instead of <out>/<abbr>/redirects.<ext>; `-` is standard
    /// output (the summary then goes to standard error).
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// What the nginx server blocks listen on (`80`, `127.0.0.1:8080`, `443 ssl`, ...), or
    /// the address of Apache's virtual hosts (`*:80`).
    #[arg(long, default_value = "80", value_name = "ADDR")]
    pub listen: String,
    /// The Cloudflare plan whose Bulk Redirects limit the cdn-csv table must fit.
    #[arg(long, value_enum, default_value = "free")]
    pub cdn_plan: CdnPlan,
    /// cdn-csv and s3 only: 301 archived and unresolved paths to their web-archive copy,
    /// since these CDNs cannot send Bouncer's 410 page (without it they are left out).
    #[arg(long)]
    pub redirect_archived: bool,
    /// nginx and apache only: the absolute path the <file>.d folder will have on the
    /// server, where the configuration looks for its maps and sitemaps (default: the
    /// folder as written, for a server on this machine).
    #[arg(long, value_name = "DIR")]
    pub assets_at: Option<PathBuf>,
}

impl RedirectsArgs {
    /// The defaults `report redirects SITE... --format FORMAT` would have.
    pub fn for_sites(sites: Vec<String>, format: RedirectFormat) -> Self {
        RedirectsArgs {
            sites,
            format,
            output: None,
            listen: "80".to_owned(),
            cdn_plan: CdnPlan::Free,
            redirect_archived: false,
            assets_at: None,
        }
    }
}

pub fn run(
    cmd: ReportCommand,
    workspace: &Workspace,
    out_dir: &Path,
    out: &mut dyn Write,
) -> Result<i32> {
    let args = match cmd {
        ReportCommand::Redirects(args) => args,
        ReportCommand::Audit(args) => return audit(args, workspace, out_dir, out),
    };
    if args.redirect_archived && !matches!(args.format, RedirectFormat::CdnCsv | RedirectFormat::S3)
    {
        return Err(Error::Usage(
            "--redirect-archived is for --format cdn-csv and s3, which cannot send a 410; the other formats answer archived paths as Bouncer does".into(),
        ));
    }
    let combined = matches!(args.format, RedirectFormat::Nginx | RedirectFormat::Apache);
    if let Some(dir) = &args.assets_at {
        if !combined {
            return Err(Error::Usage(
                "--assets-at is for --format nginx and apache, whose configurations name a folder of maps and sitemaps".into(),
            ));
        }
        if !dir.has_root() {
            return Err(Error::Usage(format!(
                "--assets-at {}: give the folder's absolute path on the server (e.g. /etc/nginx/phe-redirects)",
                dir.display()
            )));
        }
        if args.sites.len() > 1 && args.output.is_none() {
            return Err(Error::Usage(
                "--assets-at names one folder: give one site, or put the sites in one file with -o"
                    .into(),
            ));
        }
    }
    if combined && args.output.as_deref() == Some(Path::new("-")) {
        return Err(Error::Usage(
            "-o -: nginx and Apache configurations come with their map files, so they need a file: give its path".into(),
        ));
    }
    if args.output.is_some() && args.sites.len() > 1 && !combined {
        return Err(Error::Usage(
            "-o names one file: give one site, or leave -o out to write each site's table under --out (nginx takes several sites in one file)".into(),
        ));
    }
    let tables = build_tables(&args.sites, workspace, out_dir)?;
    let blocking = write_tables(&args, &tables, out_dir, out)?;
    // A table can hold millions of small strings; freeing them one by one takes longer
    // than building them, and the process is about to exit.
    std::mem::forget(tables);
    Ok(if blocking > 0 { 1 } else { 0 })
}

/// Each site's validated table, built once for every writer and the audit.
fn build_tables(
    sites: &[String],
    workspace: &Workspace,
    out_dir: &Path,
) -> Result<Vec<(Site, Table)>> {
    let mut tables = Vec::new();
    let estate = sources::EstateDrafts::read(out_dir)?;
    for name in sites {
        let site = workspace.resolve_site(name)?;
        let table = sources::table(&site, out_dir, &workspace.mappings_dir(), &estate)?;
        tables.push((site, table));
    }
    Ok(tables)
}

/// The hand-over `demo` and `run` make: each site's table for Transition, for scripts and
/// `verify`, and for nginx, then the audits, all from one build of the tables. The
/// redirect summary is printed once, for the Transition CSV. Exit 1 on blocking findings;
/// also returns how many the Transition table has (the summary shows only some).
pub fn hand_over(
    sites: &[String],
    workspace: &Workspace,
    out_dir: &Path,
    out: &mut dyn Write,
) -> Result<(i32, usize)> {
    let tables = build_tables(sites, workspace, out_dir)?;
    let (mut blocking, mut in_transition_table) = (0, 0);
    for format in [
        RedirectFormat::TransitionCsv,
        RedirectFormat::Json,
        RedirectFormat::Nginx,
    ] {
        let args = RedirectsArgs::for_sites(sites.to_vec(), format);
        if format == RedirectFormat::Nginx
            && let Some(problem) = nginx::unsafe_path_char(&absolute(out_dir)?)
        {
            // A table is still handed over; the server file waits for a folder it can name.
            writeln!(
                out,
                "redirects.nginx.conf not written: {problem} in {} would break its paths; write it with `phe-migrate report redirects SITE --format nginx -o FILE --assets-at DIR`",
                out_dir.display()
            )
            .map_err(stdout_error)?;
            continue;
        }
        let mut printed = Vec::new();
        let sink: &mut dyn Write = if format == RedirectFormat::TransitionCsv {
            out
        } else {
            &mut printed
        };
        let found = write_tables(&args, &tables, out_dir, sink)?;
        if format == RedirectFormat::TransitionCsv {
            in_transition_table = found;
        }
        blocking += found;
    }
    writeln!(out).map_err(stdout_error)?;
    let audit = audit_tables(tables, workspace, out_dir, out)?;
    Ok((if blocking > 0 { 1 } else { audit }, in_transition_table))
}

/// Writes the tables in one format; returns the number of blocking findings.
fn write_tables(
    args: &RedirectsArgs,
    tables: &[(Site, Table)],
    out_dir: &Path,
    out: &mut dyn Write,
) -> Result<usize> {
    let mut blocking = 0;
    match args.format {
        RedirectFormat::TransitionCsv
        | RedirectFormat::Json
        | RedirectFormat::CdnCsv
        | RedirectFormat::Fastly
        | RedirectFormat::S3 => {
            let plan = match args.cdn_plan {
                CdnPlan::Free => cdn::CloudflarePlan::Free,
                CdnPlan::Pro => cdn::CloudflarePlan::Pro,
                CdnPlan::Business => cdn::CloudflarePlan::Business,
                CdnPlan::Enterprise => cdn::CloudflarePlan::Enterprise,
            };
            let gone_as = if args.redirect_archived {
                cdn::Gone::ToArchive
            } else {
                cdn::Gone::LeftOut
            };
            for (site, table) in tables {
                let (written, name) = match args.format {
                    RedirectFormat::Json => (
                        cdn::Written {
                            bytes: Some(writers::json(table, site)),
                            findings: Vec::new(),
                        },
                        "redirects.json",
                    ),
                    RedirectFormat::CdnCsv => (
                        cdn::cloudflare(site, table, plan, gone_as),
                        "redirects.cloudflare.csv",
                    ),
                    RedirectFormat::Fastly => (cdn::fastly(site, table), "redirects.fastly.json"),
                    RedirectFormat::S3 => (cdn::s3(site, table, gone_as), "redirects.s3.json"),
                    _ => (
                        cdn::Written {
                            bytes: Some(writers::transition_csv(table)),
                            findings: Vec::new(),
                        },
                        "redirects.csv",
                    ),
                };
                let path = args
                    .output
                    .clone()
                    .unwrap_or_else(|| out_dir.join(&site.abbr).join(name));
                // `-o -` is standard output, for a pipe; the summary then goes to stderr.
                let to_stdout = path == Path::new("-");
                if let Some(bytes) = &written.bytes {
                    if to_stdout {
                        out.write_all(bytes).map_err(stdout_error)?;
                    } else {
                        crate::atomic::write_file(&path, bytes)?;
                    }
                }
                let shown = written.bytes.as_ref().map(|_| match to_stdout {
                    true => Path::new("standard output"),
                    false => path.as_path(),
                });
                let mut stderr = std::io::stderr();
                let (told, failed): (&mut dyn Write, fn(std::io::Error) -> Error) = if to_stdout {
                    (&mut stderr, stderr_error)
                } else {
                    (&mut *out, stdout_error)
                };
                summary(told, table, &written.findings, shown).map_err(failed)?;
                blocking +=
                    table.blocking() + written.findings.iter().filter(|f| f.blocking).count();
            }
        }
        RedirectFormat::Nginx | RedirectFormat::Apache => {
            let apache = matches!(args.format, RedirectFormat::Apache);
            let name = if apache {
                "redirects.apache.conf"
            } else {
                "redirects.nginx.conf"
            };
            let groups: Vec<(PathBuf, Vec<&(Site, Table)>)> = match &args.output {
                Some(path) => vec![(path.clone(), tables.iter().collect())],
                None => tables
                    .iter()
                    .map(|t| (out_dir.join(&t.0.abbr).join(name), vec![t]))
                    .collect(),
            };
            for (path, group) in groups {
                let path = absolute(&path)?;
                let local_assets = nginx::assets_dir(&path);
                let options = nginx::Options {
                    listen: args.listen.clone(),
                    assets: args
                        .assets_at
                        .clone()
                        .unwrap_or_else(|| local_assets.clone()),
                };
                if let Some(problem) = nginx::unsafe_path_char(&options.assets) {
                    let server = if apache { "Apache" } else { "nginx" };
                    let hint = match &args.assets_at {
                        Some(_) => "choose another --assets-at".to_owned(),
                        None => "write the file elsewhere with -o, or say where the folder will be on the server with --assets-at".to_owned(),
                    };
                    return Err(Error::Usage(format!(
                        "{}: the {server} configuration names this folder, and {problem} in it would break the configuration: {hint}",
                        options.assets.display()
                    )));
                }
                let pairs: Vec<(&Site, &Table)> = group.iter().map(|(s, t)| (s, t)).collect();
                let written = if apache {
                    apache::write(&pairs, &options)
                } else {
                    nginx::write(&pairs, &options)
                };
                write_bundle(
                    &path,
                    &options.assets,
                    &local_assets,
                    &written.conf,
                    &written.files,
                )?;
                for (i, (_, table)) in group.iter().enumerate() {
                    // The writer's own findings once, after the first site's summary.
                    let findings: &[Finding] = if i == 0 { &written.findings } else { &[] };
                    summary(out, table, findings, Some(&path)).map_err(stdout_error)?;
                    blocking += table.blocking();
                }
            }
        }
    }
    Ok(blocking)
}

fn audit(
    args: AuditArgs,
    workspace: &Workspace,
    out_dir: &Path,
    out: &mut dyn Write,
) -> Result<i32> {
    if !args.hits.is_empty() {
        for name in &args.sites {
            let site = workspace.resolve_site(name)?;
            for report in crate::hits::import(&site, out_dir, &args.hits)? {
                writeln!(out, "{report}").map_err(stdout_error)?;
            }
        }
    }
    let tables = build_tables(&args.sites, workspace, out_dir)?;
    audit_tables(tables, workspace, out_dir, out)
}

/// The audits of the sites whose tables are built, and the estate's for several.
fn audit_tables(
    tables: Vec<(Site, Table)>,
    workspace: &Workspace,
    out_dir: &Path,
    out: &mut dyn Write,
) -> Result<i32> {
    let mut audits = Vec::new();
    for (site, table) in tables {
        let inputs = crate::audit::sources::gather(&site, out_dir, &workspace.mappings_dir())?;
        let audit = crate::audit::build(&site, &table, inputs);
        let dir = out_dir.join(&site.abbr).join("audit");
        crate::atomic::write_folder(&dir, &crate::audit::report::site_files(&audit))?;
        for d in &audit.diagnostics {
            writeln!(out, "{d}").map_err(stdout_error)?;
        }
        let high = audit.blocking_gaps();
        writeln!(
            out,
            "{}: {} pages, {} gaps ({high} high), {:.1}% data-rich ({}), needs met {} -> {}",
            audit.site,
            audit.pages(),
            audit.gaps.len(),
            audit.data_rich_pct(),
            audit.data_verdict(),
            audit
                .needs_met_pct()
                .map_or("–".to_owned(), |p| format!("{p:.0}%")),
            dir.join("report.html").display()
        )
        .map_err(stdout_error)?;
        audits.push(audit);
    }
    if audits.len() > 1 {
        // In site order, whatever order the sites were named in, so that two runs'
        // estate reports differ only where the sites do.
        audits.sort_by(|a, b| a.site.cmp(&b.site));
        let dir = out_dir.join("estate").join("audit");
        crate::atomic::write_folder(&dir, &crate::audit::report::estate_files(&audits))?;
        writeln!(
            out,
            "estate: {} sites -> {}",
            audits.len(),
            dir.join("report.html").display()
        )
        .map_err(stdout_error)?;
    }
    let errors = audits
        .iter()
        .flat_map(|a| &a.diagnostics)
        .filter(|d| d.is_error())
        .count();
    Ok(if errors > 0 { 2 } else { 0 })
}

/// The path made absolute, as the generated configuration refers to its files.
fn absolute(path: &Path) -> Result<PathBuf> {
    std::path::absolute(path).map_err(|e| Error::io(path, e))
}

/// Writes a configuration and its folder of files: the folder first, whole, then the
/// configuration that names it. The writer names the files where the server will find
/// them (`named`); they are written under `local`.
fn write_bundle(
    conf: &Path,
    named: &Path,
    local: &Path,
    text: &str,
    files: &[(PathBuf, Vec<u8>)],
) -> Result<()> {
    let relative: Vec<(&Path, &[u8])> = files
        .iter()
        .map(|(path, bytes)| (path.strip_prefix(named).unwrap_or(path), bytes.as_slice()))
        .collect();
    crate::atomic::write_folder(local, &relative)?;
    crate::atomic::write_file(conf, text.as_bytes())
}

/// Warnings of one kind printed in a summary before the rest are counted.
const WARNINGS_SHOWN_OF_A_KIND: usize = 5;

/// Errors of one kind printed in a summary before the rest are counted: enough to see what
/// is wrong, not 200,000 lines for a spreadsheet whose every target is missing.
const ERRORS_SHOWN_OF_A_KIND: usize = 20;

/// A finding's kind: its message up to the first colon ("chain folded"), after the URL a
/// message may open with ("https://… is not in the batch's output: …").
fn finding_kind(message: &str) -> &str {
    let words = match message.split_once(' ') {
        Some((first, rest)) if first.starts_with("http://") || first.starts_with("https://") => {
            rest
        }
        _ => message,
    };
    words.split(':').next().unwrap_or(words).trim()
}

/// How a finding is labelled in a summary, and how many of one kind are shown.
fn severity(blocking: bool) -> (&'static str, usize) {
    if blocking {
        ("error", ERRORS_SHOWN_OF_A_KIND)
    } else {
        ("warning", WARNINGS_SHOWN_OF_A_KIND)
    }
}

/// Unresolved paths named in a summary, the most requested first.
const UNRESOLVED_SHOWN: usize = 5;

/// Names the paths nobody has decided yet, the most requested first, and where to decide
/// them: they are the lead's to-do list, and a count alone does not say which.
fn unresolved_summary(out: &mut dyn Write, table: &Table) -> std::io::Result<()> {
    let mut unresolved: Vec<&Entry> = table
        .entries
        .iter()
        .filter(|e| matches!(e.outcome, Outcome::Unresolved))
        .collect();
    if unresolved.is_empty() {
        return Ok(());
    }
    unresolved.sort_by(|a, b| b.hits.cmp(&a.hits).then_with(|| a.key.cmp(&b.key)));
    let named: Vec<String> = unresolved
        .iter()
        .take(UNRESOLVED_SHOWN)
        .map(|e| match e.hits {
            0 => e.key.clone(),
            1 => format!("{} (1 request)", e.key),
            n => format!("{} ({n} requests)", e.key),
        })
        .collect();
    let more = match unresolved.len().saturating_sub(UNRESOLVED_SHOWN) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    writeln!(
        out,
        "  unresolved, served as 410 until decided under `pages:` or `sections:` in mappings/{}.yml: {}{more}",
        table.site,
        named.join(", ")
    )
}

fn summary(
    out: &mut dyn Write,
    table: &Table,
    writer_findings: &[Finding],
    path: Option<&Path>,
) -> std::io::Result<()> {
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
    let destination = path.map_or_else(
        || "not written".to_owned(),
        |p| format!("-> {}", p.display()),
    );
    writeln!(
        out,
        "{}: {} legacy paths ({}) {destination}",
        table.site,
        table.entries.len(),
        counts.join(", "),
    )?;
    writeln!(
        out,
        "  coverage {decided} of {known} known paths decided ({share:.1}%)"
    )?;
    if let Some((decided, total)) = table.hit_coverage() {
        writeln!(
            out,
            "  coverage by traffic {decided} of {total} requests decided ({:.1}%)",
            decided as f64 * 100.0 / total as f64
        )?;
    }
    unresolved_summary(out, table)?;
    let blocking = table.blocking() + writer_findings.iter().filter(|f| f.blocking).count();
    // Findings of one kind (a legacy site's 3,000 folded chains, a spreadsheet's every
    // missing target) are shown a few at a time, with the count of the rest.
    let mut shown_of_kind: BTreeMap<(bool, &str), usize> = BTreeMap::new();
    for f in table.findings.iter().chain(writer_findings) {
        let shown = shown_of_kind
            .entry((f.blocking, finding_kind(&f.message)))
            .or_default();
        *shown += 1;
        let (label, limit) = severity(f.blocking);
        if *shown <= limit {
            writeln!(out, "  {label}: {}: {}", f.at, f.message)?;
        }
    }
    for ((blocking, kind), count) in shown_of_kind {
        let (label, limit) = severity(blocking);
        if count > limit {
            writeln!(
                out,
                "  … and {} more \"{kind}\" {label}s: `report redirects {} --format json` lists \
                 every finding",
                count - limit,
                table.site
            )?;
        }
    }
    if blocking > 0 {
        writeln!(
            out,
            "  {blocking} blocking finding(s): fix them before handing the table over"
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::finding_kind;

    #[test]
    fn a_finding_that_opens_with_its_url_is_of_the_kind_its_words_say() {
        assert_eq!(
            finding_kind("chain folded: /a → /b → /c becomes /a → /c"),
            "chain folded"
        );
        assert_eq!(
            finding_kind(
                "https://www.gov.uk/guidance/x is not in the batch's output: no draft has base path /guidance/x"
            ),
            "is not in the batch's output"
        );
        assert_eq!(
            finding_kind(
                "http://example.com/news: the URL to redirect to must be on a whitelisted domain"
            ),
            "the URL to redirect to must be on a whitelisted domain"
        );
    }
}
