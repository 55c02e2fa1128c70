//! `phe-migrate canonical`: what key does this URL map to?

use std::io::{BufRead, Write};

use clap::{Args, ValueEnum};

use super::stdout_error;
use crate::canonical::{Canonicalizer, Mode, SignificantParams};
use crate::config::Workspace;
use crate::error::{Error, Result};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModeArg {
    /// GOV.UK Transition and Bouncer's rules, exactly (quirks included).
    Govuk,
    /// GOV.UK's rules with the known quirks fixed (scheme case, non-ASCII, dot segments).
    Strict,
}

impl From<ModeArg> for Mode {
    fn from(m: ModeArg) -> Mode {
        match m {
            ModeArg::Govuk => Mode::Govuk,
            ModeArg::Strict => Mode::Strict,
        }
    }
}

/// Prints, per URL, the canonical URL, a tab, and the lookup key (path plus ?query; empty
/// for the homepage). Reads URLs from stdin, one per line, when none are given.
#[derive(Debug, Args)]
pub struct CanonicalArgs {
    /// URLs or paths to canonicalise; a site abbreviation may come first, as --site.
    #[arg(value_name = "URL")]
    pub urls: Vec<String>,
    /// Take the significant query parameters (and the host for paths) from this site.
    #[arg(long, value_name = "ABBR", conflicts_with = "query_params")]
    pub site: Option<String>,
    /// Significant query parameters as a colon list: '' for none, '*' for all.
    #[arg(long, value_name = "A:B", allow_hyphen_values = true)]
    pub query_params: Option<String>,
    #[arg(long, value_enum, default_value_t = ModeArg::Govuk)]
    pub mode: ModeArg,
    /// List only the URLs whose key differs between govuk and strict mode, with both keys.
    #[arg(long, conflicts_with = "mode")]
    pub compare: bool,
}

pub fn run(mut args: CanonicalArgs, workspace: &Workspace, out: &mut dyn Write) -> Result<i32> {
    // `canonical demo_chobs URL`, as the other commands take a site first: a bare first word
    // that names a site is the site (as a path it would be `/demo_chobs`, which no one means).
    if args.site.is_none()
        && args.query_params.is_none()
        && let Some(first) = args.urls.first()
        && !first.contains(['/', ':', '?'])
        && workspace.resolve_site(first).is_ok()
    {
        args.site = Some(args.urls.remove(0));
    }
    let (params, origin) = match (&args.site, &args.query_params) {
        (Some(abbr), _) => {
            let site = workspace.resolve_site(abbr)?;
            (
                site.significant_params.clone(),
                Some(format!("http://{}", site.host)),
            )
        }
        (None, Some(spec)) => (SignificantParams::parse(spec), None),
        (None, None) => (SignificantParams::None, None),
    };
    let urls: Vec<String> = if args.urls.is_empty() {
        std::io::stdin()
            .lock()
            .lines()
            .map(|l| l.map_err(|e| Error::io(std::path::Path::new("<stdin>"), e)))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .filter(|l| !l.trim().is_empty())
            .collect()
    } else {
        args.urls
    };
    let govuk = Canonicalizer::new(params.clone(), Mode::Govuk);
    let strict = Canonicalizer::new(params, Mode::Strict);
    let mut failures = 0;
    let mut differing = 0;
    for url in &urls {
        if args.compare {
            match (govuk.key(url), strict.key(url)) {
                (Ok(a), Ok(b)) if a == b => {}
                (Ok(a), Ok(b)) => {
                    differing += 1;
                    writeln!(out, "{url}\t{a}\t{b}").map_err(stdout_error)?;
                }
                (a, b) => {
                    differing += 1;
                    let show = |r: Result<String, _>| match r {
                        Ok(k) => k,
                        Err(e) => format!("<invalid: {e}>"),
                    };
                    writeln!(out, "{url}\t{}\t{}", show(a), show(b)).map_err(stdout_error)?;
                }
            }
            continue;
        }
        let canonicalizer = match Mode::from(args.mode) {
            Mode::Govuk => &govuk,
            Mode::Strict => &strict,
        };
        match canonicalizer.canonicalize(url, origin.as_deref()) {
            Ok((canonical_url, key)) => {
                let canonical_url = canonical_url.as_deref().unwrap_or("-");
                writeln!(out, "{canonical_url}\t{key}").map_err(stdout_error)?;
            }
            Err(e) => {
                failures += 1;
                eprintln!("{url:?}: {e}");
            }
        }
    }
    if args.compare {
        eprintln!(
            "{differing} of {} URL{} ha{} a different key in strict mode",
            urls.len(),
            if urls.len() == 1 { "" } else { "s" },
            if differing == 1 { "s" } else { "ve" }
        );
    }
    Ok(if failures > 0 { 2 } else { 0 })
}
