//! `phe-migrate verify TABLE... --target http://HOST:PORT`.

use std::io::Write;
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::stdout_error;
use crate::error::{Error, Result};
use crate::redirects::verify::{self, VerifyOptions};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Tables written by `report redirects --format json`.
    #[arg(value_name = "TABLE", required = true)]
    pub tables: Vec<PathBuf>,
    /// The server to ask: every legacy URL goes there with its own Host header.
    #[arg(long, value_name = "http://HOST:PORT")]
    pub target: String,
    /// Requests in flight at once (one kept-alive connection each).
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Give up on one answer after this long.
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    pub timeout_ms: u64,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

fn target_addr(target: &str) -> Result<SocketAddr> {
    let authority = target
        .strip_prefix("http://")
        .ok_or_else(|| {
            Error::Usage(format!(
                "--target {target:?}: give http://HOST:PORT (the server verify asks; https is not supported)"
            ))
        })?
        .trim_end_matches('/');
    let with_port = if authority.contains(':') {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    with_port
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| Error::Usage(format!("--target {target:?}: cannot resolve {with_port}")))
}

pub fn run(args: VerifyArgs, out: &mut dyn Write) -> Result<i32> {
    let options = VerifyOptions {
        target: target_addr(&args.target)?,
        concurrency: args.concurrency,
        timeout: Duration::from_millis(args.timeout_ms),
    };
    let mut expectations = Vec::new();
    for table in &args.tables {
        expectations.extend(verify::load(table)?);
    }
    // A server that is not there would make every URL a difference: say so once.
    if let Err(e) = std::net::TcpStream::connect_timeout(&options.target, options.timeout) {
        return Err(Error::Usage(format!(
            "cannot connect to {} ({e}): start the server to check (a preview: `phe-migrate serve SITE --listen {}`), or correct --target",
            args.target, options.target
        )));
    }
    let report = verify::run(expectations, &options)?;
    if args.json {
        let mut text = serde_json::to_string_pretty(&report).unwrap_or_default();
        text.push('\n');
        out.write_all(text.as_bytes()).map_err(stdout_error)?;
    } else {
        let unanswered = |url: &str| {
            let host = crate::redirects::raw_parts(url).0;
            report.unanswered_hosts.iter().any(|h| h.host == host)
        };
        for m in report.mismatches.iter().filter(|m| !unanswered(&m.url)) {
            writeln!(
                out,
                "{}\n  expected {}\n  got      {}",
                m.url, m.expected, m.got
            )
            .map_err(stdout_error)?;
        }
        for url in &report.unrequestable {
            writeln!(
                out,
                "{url:?}\n  not requested: no client can send a URL holding control characters"
            )
            .map_err(stdout_error)?;
        }
        for h in &report.unanswered_hosts {
            writeln!(
                out,
                "{}: all {} URLs answered {}, whatever the table says: the server is not set up for this host; add it to the server's configuration (nginx `server_name`, Apache `ServerAlias`), or check --target and the table",
                h.host, h.urls, h.got
            )
            .map_err(stdout_error)?;
        }
        let rate = report.checked as f64 * 1000.0 / (report.elapsed_ms.max(1) as f64);
        writeln!(
            out,
            "{} URLs checked against {} in {:.2} s ({rate:.0}/s): {}",
            report.checked,
            args.target,
            report.elapsed_ms as f64 / 1000.0,
            if report.mismatches.is_empty() {
                "every answer matches the table".to_owned()
            } else {
                format!("{} differ", report.mismatches.len())
            }
        )
        .map_err(stdout_error)?;
    }
    Ok(if report.mismatches.is_empty() { 0 } else { 1 })
}
