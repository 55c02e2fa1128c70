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

/// The `href` and `src` values in a page (enough for the well-formed fixture pages).
pub fn links_in(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\"", "href='", "src='"] {
        let quote = attr.chars().last().unwrap();
        for part in text.split(attr).skip(1) {
            if let Some(value) = part.split(quote).next() {
                out.push(value.to_owned());
            }
        }
    }
    out
}
