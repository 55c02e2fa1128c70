//! `phe-migrate fixtures serve|generate`.

use std::io::Write;

use clap::Subcommand;

use crate::config::Workspace;
use crate::error::Result;

#[derive(Debug, Subcommand)]
pub enum FixturesCommand {}

pub fn run(cmd: FixturesCommand, _workspace: &Workspace, _out: &mut dyn Write) -> Result<i32> {
    match cmd {}
}
