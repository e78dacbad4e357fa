//! The files of a directory handed to an import (a Strata export, a Drift origin). Only regular
//! files inside it are read, each at most [`MAX_FILE_BYTES`]: a FIFO, a device, a link that
//! leaves the directory or a huge file is refused, naming it, instead of hanging the import,
//! reading what lies elsewhere on the machine or filling memory.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::StoreError;

/// The largest file an import reads.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

fn refused(field: &str, rule: impl Into<String>) -> StoreError {
    StoreError::invalid(format!("/{field}"), rule)
}

fn unreadable(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::File {
        path: path.display().to_string(),
        source,
    }
}

/// Where `name` (a path relative to `dir`) really is, if that is inside `dir`: links are
/// followed, and one that leads out of `dir` is refused.
fn inside(dir: &Path, name: &str) -> Result<PathBuf, StoreError> {
    let root = dir.canonicalize().map_err(|e| unreadable(dir, e))?;
    let path = dir.join(name);
    let real = path.canonicalize().map_err(|e| unreadable(&path, e))?;
    if !real.starts_with(&root) {
        return Err(refused(
            name,
            format!(
                "a link to {}, outside {}: an import reads only what the directory holds",
                real.display(),
                dir.display()
            ),
        ));
    }
    Ok(real)
}

/// The text of the file `name` in `dir`: a regular file inside it of at most
/// [`MAX_FILE_BYTES`].
pub(crate) fn read_text(dir: &Path, name: &str) -> Result<String, StoreError> {
    use std::os::unix::fs::OpenOptionsExt;
    let real = inside(dir, name)?;
    // Opened without waiting (a FIFO would wait for a writer), then checked as opened: what is
    // read is what was checked, even if the path is swapped for something else meanwhile.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&real)
        .map_err(|e| unreadable(&real, e))?;
    let metadata = file.metadata().map_err(|e| unreadable(&real, e))?;
    if !metadata.is_file() {
        return Err(refused(
            name,
            "not a regular file (a FIFO, a device or a socket): an import reads only files",
        ));
    }
    let too_large = || {
        refused(
            name,
            format!(
                "larger than {} MiB, the most an import reads from one file",
                MAX_FILE_BYTES / 1024 / 1024
            ),
        )
    };
    if metadata.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(metadata.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| unreadable(&real, e))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|_| refused(name, "not UTF-8 text"))
}

/// Whether `name` in `dir` is a directory inside it to look into: a link is never followed
/// into a directory (it could lead anywhere, or back up in a loop).
pub(crate) fn is_directory(dir: &Path, name: &str) -> bool {
    std::fs::symlink_metadata(dir.join(name)).is_ok_and(|m| m.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_regular_files_inside_the_directory_are_read() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.txt"), "not yours").unwrap();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("tiers.json"), "{}").unwrap();
        assert_eq!(read_text(dir.path(), "tiers.json").unwrap(), "{}");

        std::os::unix::fs::symlink(
            outside.path().join("secret.txt"),
            dir.path().join("leak.json"),
        )
        .unwrap();
        let err = read_text(dir.path(), "leak.json").unwrap_err().to_string();
        assert!(
            err.contains("/leak.json") && err.contains("outside"),
            "{err}"
        );

        std::os::unix::fs::symlink(dir.path().join("tiers.json"), dir.path().join("same.json"))
            .unwrap();
        assert_eq!(read_text(dir.path(), "same.json").unwrap(), "{}");

        let fifo = dir.path().join("fifo.json");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(made.success());
        let err = read_text(dir.path(), "fifo.json").unwrap_err().to_string();
        assert!(err.contains("not a regular file"), "{err}");

        let big = std::fs::File::create(dir.path().join("big.json")).unwrap();
        big.set_len(MAX_FILE_BYTES + 1).unwrap();
        let err = read_text(dir.path(), "big.json").unwrap_err().to_string();
        assert!(err.contains("larger than 64 MiB"), "{err}");

        std::os::unix::fs::symlink(outside.path(), dir.path().join("elsewhere")).unwrap();
        assert!(!is_directory(dir.path(), "elsewhere"));
        std::fs::create_dir(dir.path().join("tenants")).unwrap();
        assert!(is_directory(dir.path(), "tenants"));
    }
}
