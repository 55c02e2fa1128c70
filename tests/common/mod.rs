//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// The repository root: the product's own workspace (crawl-configs/, mappings/, fixtures/).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The phe-migrate binary built for these tests.
pub fn phe_migrate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_phe-migrate"))
}
