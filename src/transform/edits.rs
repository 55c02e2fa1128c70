//! Editors' changes to `content/`. The drafts are meant to be edited (a rewritten summary,
//! a table put right), but every transform rebuilds the folder whole. So
//! each transform leaves a manifest of what it wrote, and the next one first looks for files
//! that differ from it: it stops rather than lose them, or, when told to replace them, keeps
//! a copy of each beside the folder.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The manifest's name inside `content/`: one `<xxh3 hex> <file name>` line per file.
pub const MANIFEST: &str = ".written";

/// A file in `content/` that the last transform did not write as it is.
#[derive(Debug, PartialEq, Eq)]
pub struct Edited {
    pub name: String,
    /// True when the last transform wrote no file of this name.
    pub added: bool,
}

/// What [`find`] found in `content/`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Edits {
    pub files: Vec<Edited>,
    /// True when the folder holds files but no manifest (written by hand, by a version that
    /// kept none, or the manifest was lost on a copy): none of them can be told apart from
    /// an edit, so every one of them counts.
    pub unrecorded: bool,
}

impl Edits {
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// The hash the manifest keeps for a file's bytes.
pub fn digest(bytes: &[u8]) -> u64 {
    xxhash_rust::xxh3::xxh3_64(bytes)
}

/// The manifest's text for the files a transform wrote, sorted by name.
pub fn manifest(mut files: Vec<(String, u64)>) -> String {
    files.sort_unstable();
    let mut text = String::with_capacity(files.len() * 48);
    for (name, hash) in files {
        let _ = writeln!(text, "{hash:016x} {name}");
    }
    text
}

/// The files of `content` that differ from what the last transform wrote, sorted by name.
/// A missing folder has none; a folder without a manifest has all of its files. Only files
/// changed after the manifest was written are read again.
pub fn find(content: &Path) -> Result<Edits> {
    let entries = match std::fs::read_dir(content) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Edits::default()),
        Err(e) => return Err(Error::io(content, e)),
    };
    let manifest_path = content.join(MANIFEST);
    let text = match std::fs::read_to_string(&manifest_path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(&manifest_path, e)),
    };
    // Without a manifest, every file is one the last transform did not write.
    let written: HashMap<&str, u64> = text
        .iter()
        .flat_map(|text| text.lines())
        .filter_map(|line| {
            let (hash, name) = line.split_once(' ')?;
            Some((name, u64::from_str_radix(hash, 16).ok()?))
        })
        .collect();
    let written_at = std::fs::metadata(&manifest_path)
        .and_then(|m| m.modified())
        .ok();
    let mut edited = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(content, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_clutter(&name) {
            continue;
        }
        let Some(&hash) = written.get(name.as_str()) else {
            edited.push(Edited { name, added: true });
            continue;
        };
        let modified = entry.metadata().and_then(|m| m.modified()).ok();
        // Strictly older: a file changed within the same clock tick as the manifest is read.
        let untouched = matches!((modified, written_at), (Some(m), Some(w)) if m < w);
        if untouched {
            continue;
        }
        let path = entry.path();
        let same = std::fs::read(&path).is_ok_and(|bytes| digest(&bytes) == hash);
        if !same {
            edited.push(Edited { name, added: false });
        }
    }
    edited.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(Edits {
        unrecorded: text.is_none() && !edited.is_empty(),
        files: edited,
    })
}

/// Files no one wrote by hand: the manifest, hidden files (a file manager's `.DS_Store`, an
/// editor's swap file) and Windows' thumbnails and folder settings.
fn is_clutter(name: &str) -> bool {
    name.starts_with('.')
        || name.eq_ignore_ascii_case("Thumbs.db")
        || name.eq_ignore_ascii_case("desktop.ini")
}

/// The message that stops a transform which would lose `edits`.
pub fn refusal(abbr: &str, content: &Path, edits: &Edits) -> String {
    const SHOWN: usize = 5;
    let edited = &edits.files;
    let mut names: Vec<String> = edited
        .iter()
        .take(SHOWN)
        .map(|e| {
            if e.added && !edits.unrecorded {
                format!("{} (added)", e.name)
            } else {
                e.name.clone()
            }
        })
        .collect();
    if edited.len() > SHOWN {
        names.push(format!("and {} more", edited.len() - SHOWN));
    }
    let what = if edits.unrecorded {
        format!(
            "{} file(s) and no record of what a transform wrote ({MANIFEST} is missing: the folder was written by an older version or by hand, or copied without its hidden files), so any of them may hold edits",
            edited.len()
        )
    } else {
        format!(
            "{} file(s) changed since the last transform wrote them",
            edited.len()
        )
    };
    format!(
        "{}: {what}: {}\n  a transform rebuilds this folder and would lose them: copy what you need elsewhere, then run `phe-migrate transform {abbr} --replace-edited` (or `run` with it), which keeps a copy of each in {}/",
        content.display(),
        names.join(", "),
        kept_folder(content).display()
    )
}

/// Where copies of replaced files go: `content-edited/` beside `content/`, a folder per run.
fn kept_folder(content: &Path) -> PathBuf {
    let mut name = content.file_name().unwrap_or_default().to_os_string();
    name.push("-edited");
    content.with_file_name(name)
}

/// Copies each of `edited` into a new folder of `content-edited/` named by the time, and
/// returns that folder.
pub fn keep_copies(content: &Path, edited: &[Edited]) -> Result<PathBuf> {
    let stamp = crate::timefmt::DateTime::from_system(std::time::SystemTime::now())
        .iso8601()
        .replace([':', '-'], "");
    let base = kept_folder(content).join(&stamp);
    // Two runs within a second of each other get folders of their own.
    let mut folder = base.clone();
    let mut n = 2;
    while folder.exists() {
        folder = base.with_file_name(format!("{stamp}-{n}"));
        n += 1;
    }
    std::fs::create_dir_all(&folder).map_err(|e| Error::io(&folder, e))?;
    for file in edited {
        let from = content.join(&file.name);
        let to = folder.join(&file.name);
        let copied = if from.is_dir() {
            copy_tree(&from, &to)
        } else {
            std::fs::copy(&from, &to).map(drop)
        };
        copied.map_err(|e| Error::io(&from, e))?;
    }
    Ok(folder)
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder_with_manifest(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let listed = files
            .iter()
            .map(|(name, text)| (name.to_string(), digest(text.as_bytes())))
            .collect();
        std::fs::write(dir.path().join(MANIFEST), manifest(listed)).unwrap();
        dir
    }

    #[test]
    fn only_changed_and_added_files_count_as_edits() {
        let dir = folder_with_manifest(&[("a.md", "one"), ("b.md", "two"), ("c.json", "{}")]);
        assert!(find(dir.path()).unwrap().is_empty());
        // Written again with the same bytes: not an edit. Changed, added: edits.
        std::fs::write(dir.path().join("a.md"), "one").unwrap();
        std::fs::write(dir.path().join("b.md"), "two, rewritten").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "mine").unwrap();
        std::fs::write(dir.path().join(".DS_Store"), "a file manager's").unwrap();
        std::fs::write(dir.path().join("Thumbs.db"), "Windows'").unwrap();
        std::fs::remove_file(dir.path().join("c.json")).unwrap();
        assert_eq!(
            find(dir.path()).unwrap().files,
            vec![
                Edited {
                    name: "b.md".into(),
                    added: false
                },
                Edited {
                    name: "notes.txt".into(),
                    added: true
                },
            ]
        );
        let kept = keep_copies(dir.path(), &find(dir.path()).unwrap().files).unwrap();
        assert_eq!(
            std::fs::read_to_string(kept.join("b.md")).unwrap(),
            "two, rewritten"
        );
        assert!(kept.join("notes.txt").is_file() && !kept.join("a.md").exists());
        let message = refusal("demo_x", dir.path(), &find(dir.path()).unwrap());
        assert!(message.contains("2 file(s) changed"), "{message}");
        assert!(message.contains("b.md, notes.txt (added)"), "{message}");
        assert!(message.contains("--replace-edited"), "{message}");
    }

    #[test]
    fn every_file_of_a_folder_without_a_manifest_counts() {
        let dir = tempfile::tempdir().unwrap();
        // No folder, or an empty one (clutter aside): nothing to lose.
        assert_eq!(find(&dir.path().join("missing")).unwrap(), Edits::default());
        std::fs::write(dir.path().join(".DS_Store"), "a file manager's").unwrap();
        assert_eq!(find(dir.path()).unwrap(), Edits::default());
        std::fs::write(dir.path().join("b.md"), "two").unwrap();
        std::fs::write(dir.path().join("a.md"), "one").unwrap();
        let edits = find(dir.path()).unwrap();
        assert!(edits.unrecorded);
        let names: Vec<&str> = edits.files.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["a.md", "b.md"]);
        let message = refusal("demo_x", dir.path(), &edits);
        assert!(
            message
                .contains("2 file(s) and no record of what a transform wrote (.written is missing"),
            "{message}"
        );
        assert!(message.contains(": a.md, b.md\n"), "{message}");
        let kept = keep_copies(dir.path(), &edits.files).unwrap();
        assert_eq!(std::fs::read_to_string(kept.join("a.md")).unwrap(), "one");
    }
}
