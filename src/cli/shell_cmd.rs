//! `phe-migrate completions SHELL` and `phe-migrate man`: shell completions and manual
//! pages generated from the same argument definitions the binary parses.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, CommandFactory};

use super::{Cli, stdout_error};
use crate::error::{Error, Result};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write one page per command (phe-migrate.1, phe-migrate-crawl.1, ...) into this
    /// folder; without it, the main page goes to standard output.
    #[arg(long, short, value_name = "DIR")]
    pub output: Option<PathBuf>,
}

pub fn completions(args: CompletionsArgs, out: &mut dyn Write) -> Result<i32> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "phe-migrate", out);
    Ok(0)
}

pub fn man(args: ManArgs, out: &mut dyn Write) -> Result<i32> {
    let command = Cli::command();
    match args.output {
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command)
                .render(&mut page)
                .map_err(stdout_error)?;
            out.write_all(&page).map_err(stdout_error)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            clap_mangen::generate_to(command, &dir).map_err(|e| Error::io(&dir, e))?;
            writeln!(out, "manual pages written to {}", dir.display()).map_err(stdout_error)?;
        }
    }
    Ok(0)
}
