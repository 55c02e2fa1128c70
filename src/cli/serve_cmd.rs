//! `phe-migrate serve SITE...`: a Bouncer-compatible preview of the sites' redirect tables.

use std::io::Write;
use std::net::SocketAddr;

use clap::Args;

use super::stdout_error;
use crate::config::Workspace;
use crate::error::Result;
use crate::redirects::bouncer::Responder;
use crate::redirects::serve::PreviewServer;
use crate::redirects::sources;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Site abbreviations from crawl-configs/, or paths to config files.
    #[arg(value_name = "SITE", required = true)]
    pub sites: Vec<String>,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:8090", value_name = "ADDR:PORT")]
    pub listen: SocketAddr,
}

pub fn run(
    args: ServeArgs,
    workspace: &Workspace,
    out_dir: &std::path::Path,
    out: &mut dyn Write,
) -> Result<i32> {
    let mappings = workspace.mappings_dir();
    let mut tables = Vec::new();
    let estate = sources::EstateDrafts::read(out_dir)?;
    for name in &args.sites {
        let site = workspace.resolve_site(name)?;
        let table = sources::table(&site, out_dir, &mappings, &estate)?;
        let blocking = table.blocking();
        if blocking > 0 {
            writeln!(
                out,
                "{}: {blocking} blocking finding(s) in the table (see `phe-migrate report redirects {}`); serving it anyway, as Bouncer would",
                site.abbr, site.abbr
            )
            .map_err(stdout_error)?;
        }
        tables.push((site, table));
    }
    let first_host = tables
        .first()
        .map(|(s, _)| s.host.clone())
        .unwrap_or_default();
    let responder = Responder::new(tables, sources::allowed_hosts(&mappings)?);
    let hosts = responder.hosts().join(", ");
    let server = PreviewServer::start(responder, args.listen)?;
    writeln!(
        out,
        "answering as Bouncer for {hosts} on http://{}\n  try: curl -i -H 'Host: {first_host}' http://{}/\n  press Ctrl-C to stop",
        server.addr(),
        server.addr()
    )
    .map_err(stdout_error)?;
    out.flush().map_err(stdout_error)?;
    server.wait();
    Ok(0)
}
