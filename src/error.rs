//! The crate's one error type, and the exit code each kind of failure maps to.

use std::path::{Path, PathBuf};

use crate::diagnostic::Diagnostic;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The command was used wrongly (unknown site, bad flag value, no workspace).
    #[error("{0}")]
    Usage(String),
    /// User files with problems, each pinned to file:line:column.
    #[error("{}", render_diagnostics(.0))]
    Invalid(Vec<Diagnostic>),
    /// A file or folder could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Findings that must block a hand-over (e.g. an invalid redirect table).
    #[error("{0}")]
    Blocking(String),
    /// Anything else, with a message that says what to do.
    #[error("{0}")]
    Other(String),
}

impl Error {
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// The process exit code: 1 for blocking findings, 2 for usage and input errors.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Blocking(_) => 1,
            _ => 2,
        }
    }
}

fn render_diagnostics(diagnostics: &[Diagnostic]) -> String {
    diagnostics
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
