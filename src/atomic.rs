//! Writes that a reader (or a kill -9) can never catch halfway: a file is written beside its
//! final name, flushed to disk and renamed over it; a folder is built beside its final name
//! and exchanged with the old one in a single rename. A reader sees the old version or the
//! new one, whole.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The name a file or folder is built under before it is renamed into place.
pub fn partial_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".partial");
    path.with_file_name(name)
}

/// Replaces `path` with `bytes`, creating its folder if need be.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
    }
    let partial = partial_path(path);
    let written = std::fs::File::create(&partial).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(Error::io(&partial, e));
    }
    std::fs::rename(&partial, path).map_err(|e| Error::io(path, e))
}

/// A fresh, empty folder to build `dir`'s next version in (what a killed run left there is
/// cleared first).
pub fn start_folder(dir: &Path) -> Result<PathBuf> {
    let building = partial_path(dir);
    if building.exists() {
        std::fs::remove_dir_all(&building).map_err(|e| Error::io(&building, e))?;
    }
    std::fs::create_dir_all(&building).map_err(|e| Error::io(&building, e))?;
    Ok(building)
}

/// Puts the folder built by `start_folder` in place of `dir`, in one step where the system
/// can exchange two names atomically (Linux), otherwise in two renames.
pub fn finish_folder(dir: &Path) -> Result<()> {
    let building = partial_path(dir);
    if dir.exists() {
        if exchange(&building, dir).is_ok() {
            // `building` now holds the old version.
            return std::fs::remove_dir_all(&building).map_err(|e| Error::io(&building, e));
        }
        let old = old_path(dir);
        if old.exists() {
            std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
        }
        std::fs::rename(dir, &old).map_err(|e| Error::io(dir, e))?;
        std::fs::rename(&building, dir).map_err(|e| Error::io(dir, e))?;
        return std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e));
    }
    // A run killed between the two renames of the fallback left only the old version aside.
    let old = old_path(dir);
    if old.exists() {
        std::fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
    }
    std::fs::rename(&building, dir).map_err(|e| Error::io(dir, e))
}

/// Writes a folder of files (paths relative to it) whole, replacing what was there.
pub fn write_folder<P: AsRef<Path>, B: AsRef<[u8]>>(dir: &Path, files: &[(P, B)]) -> Result<()> {
    let building = start_folder(dir)?;
    for (name, bytes) in files {
        let path = building.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    }
    finish_folder(dir)
}

fn old_path(dir: &Path) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(".old");
    dir.with_file_name(name)
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes())?;
    let b = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: both paths are valid NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_and_folders_are_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a/b.csv");
        write_file(&file, b"one").unwrap();
        write_file(&file, b"two").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"two");
        assert!(!partial_path(&file).exists());

        let folder = dir.path().join("content");
        write_folder(&folder, &[("x.md", "1"), ("sub/y.md", "2")]).unwrap();
        write_folder(&folder, &[("z.md", "3")]).unwrap();
        assert!(!folder.join("x.md").exists(), "the old version is gone");
        assert_eq!(std::fs::read_to_string(folder.join("z.md")).unwrap(), "3");
        assert!(!partial_path(&folder).exists());
        assert!(!old_path(&folder).exists());

        // A killed fallback swap left the old folder aside and the new one built.
        std::fs::rename(&folder, old_path(&folder)).unwrap();
        let building = start_folder(&folder).unwrap();
        std::fs::write(building.join("w.md"), "4").unwrap();
        finish_folder(&folder).unwrap();
        assert_eq!(std::fs::read_to_string(folder.join("w.md")).unwrap(), "4");
        assert!(!old_path(&folder).exists());
    }
}
