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
    #[error("{}: {source}{}", path.display(), io_help(source))]
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

/// What to do about the I/O failures a user can fix.
fn io_help(e: &std::io::Error) -> &'static str {
    use std::io::ErrorKind;
    match e.kind() {
        ErrorKind::StorageFull | ErrorKind::QuotaExceeded => {
            "; free some space on that disk (or choose another with --out DIR), then run the same command again: it resumes"
        }
        ErrorKind::PermissionDenied => {
            "; check that you may read and write there, or choose another folder with --out DIR"
        }
        ErrorKind::ReadOnlyFilesystem => {
            "; that disk is read-only: choose another folder with --out DIR"
        }
        ErrorKind::NotFound => "; check the path",
        _ => "",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_say_what_to_do() {
        let full = Error::io(Path::new("out/x"), std::io::Error::from_raw_os_error(28)).to_string();
        assert!(full.starts_with("out/x: No space left on device"), "{full}");
        assert!(full.contains("free some space on that disk"), "{full}");
        let denied =
            Error::io(Path::new("out/x"), std::io::Error::from_raw_os_error(13)).to_string();
        assert!(
            denied.contains("check that you may read and write there"),
            "{denied}"
        );
        let read_only =
            Error::io(Path::new("out/x"), std::io::Error::from_raw_os_error(30)).to_string();
        assert!(read_only.contains("that disk is read-only"), "{read_only}");
    }
}
