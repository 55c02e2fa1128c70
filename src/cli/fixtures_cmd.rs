//! `phe-migrate fixtures serve|generate`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::stdout_error;
use crate::config::Workspace;
use crate::error::{Error, Result};
use crate::fixtures::generate::{self, GenerateOptions};
use crate::fixtures::server::{FAULT_EXAMPLES, FAULTS_HOST};
use crate::fixtures::{self, Estate, FaultRule, FixtureServer, ServerOptions};

#[derive(Debug, Subcommand)]
pub enum FixturesCommand {
    /// Serve the demo estate over HTTP on loopback, choosing the site by the Host header.
    /// Browse it with e.g. `curl -H 'Host: www.hpa-demo.org.uk' http://127.0.0.1:8080/`.
    Serve(ServeArgs),
    /// Write a large, realistic legacy site (for benchmarks) that `fixtures serve --estate`
    /// and nginx can both serve.
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// How many HTML pages.
    #[arg(long, default_value_t = 1000)]
    pub pages: u64,
    /// The folder to write (an estate folder holding one site); must be new or empty.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The site's host name.
    #[arg(long, default_value = "www.generated-legacy.org.uk")]
    pub host: String,
    /// Seed for the page text and links (same seed, same site).
    #[arg(long, default_value_t = 2013)]
    pub seed: u64,
    /// Heavy pages (scripts, menus, Word markup, tables of figures) with their main text
    /// in truth.jsonl, for the transform benchmark.
    #[arg(long)]
    pub rich: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub listen: SocketAddr,
    /// The estate to serve: a folder of sites, each with serve.yml and www/
    /// (default: fixtures/estate in the workspace).
    #[arg(long, value_name = "DIR")]
    pub estate: Option<PathBuf>,
    /// Inject a fault into matching requests: GLOB=KIND[:ARG][*N], e.g. '/topics/*=status:503*2'
    /// (first 2 requests only). Kinds: delay, drip, reset, reset-mid-body, truncate, status,
    /// retry-after, wrong-type, big, gzip-bomb, invalid-utf8, malformed, trap.
    #[arg(long = "fault", value_name = "RULE")]
    pub faults: Vec<String>,
    /// Append an Apache vhost_combined line per request to this file.
    #[arg(long, value_name = "FILE")]
    pub access_log: Option<PathBuf>,
}

pub fn run(cmd: FixturesCommand, workspace: &Workspace, out: &mut dyn Write) -> Result<i32> {
    match cmd {
        FixturesCommand::Serve(args) => serve(args, workspace, out),
        FixturesCommand::Generate(args) => generate(args, out),
    }
}

fn serve(args: ServeArgs, workspace: &Workspace, out: &mut dyn Write) -> Result<i32> {
    let (dir, estate) = match args.estate {
        Some(dir) => {
            let estate = Estate::load(&dir)?;
            (dir, estate)
        }
        None => {
            let estate = fixtures::workspace_estate(workspace).map_err(|e| match e {
                Error::Usage(message) => {
                    Error::Usage(format!("{message}, or name an estate with --estate DIR"))
                }
                other => other,
            })?;
            (fixtures::estate_dir(workspace), estate)
        }
    };
    let faults = args
        .faults
        .iter()
        .map(|f| FaultRule::parse(f).map_err(Error::Usage))
        .collect::<Result<Vec<_>>>()?;
    let options = ServerOptions {
        faults,
        access_log: args.access_log,
    };
    let server = FixtureServer::start(estate, args.listen, options)?;
    let addr = server.addr();
    let mut text = format!("Serving {} on http://{addr}\n", dir.display());
    for site in &server.estate().sites {
        text.push_str(&format!(
            "  {:<14} {}",
            site.name,
            site.spec.hosts.join(", ")
        ));
        for (from, to) in &site.spec.redirect_hosts {
            text.push_str(&format!(", {from} (301 to {to})"));
        }
        text.push('\n');
    }
    text.push_str(&format!(
        "  {:<14} {} ({} fault URLs listed at /)\n",
        "faults",
        FAULTS_HOST,
        FAULT_EXAMPLES.len()
    ));
    if let Some(site) = server.estate().sites.first()
        && let Some(host) = site.spec.hosts.first()
    {
        text.push_str(&format!("Try: curl -i -H 'Host: {host}' http://{addr}/\n"));
    }
    text.push_str("Press Ctrl-C to stop.\n");
    out.write_all(text.as_bytes()).map_err(stdout_error)?;
    out.flush().map_err(stdout_error)?;
    server.wait();
    Ok(0)
}

fn generate(args: GenerateArgs, out: &mut dyn Write) -> Result<i32> {
    let options = GenerateOptions {
        pages: args.pages,
        host: args.host.to_ascii_lowercase(),
        seed: args.seed,
        rich: args.rich,
    };
    let site_dir = args.out.join("generated");
    let site = generate::generate(&site_dir, &options)?;
    writeln!(
        out,
        "Wrote {} pages, {} attachments, {} redirects, {} gone pages and {} broken links to {}\n\
         A complete crawl requests {} URLs.\n\
         Serve it: phe-migrate fixtures serve --estate {}\n\
         With nginx: include {}/nginx-site.conf inside http {{}}",
        site.pages,
        site.attachments,
        site.redirects,
        site.gone,
        site.missing_links,
        site.root.display(),
        site.crawlable_urls,
        args.out.display(),
        site.root.display(),
    )
    .map_err(stdout_error)?;
    Ok(0)
}
