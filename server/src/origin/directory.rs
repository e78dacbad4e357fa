//! A directory as origin: the embedded default, and what `strata init` clones into. Objects
//! are files; immutable ones are linked into place so an existing one is never replaced, and
//! HEAD moves under a lock with a compare of its current content, like S3's conditional
//! writes. The lock is the operating system's lock on `HEAD.lock`, which ends with the process
//! that holds it: a publisher killed mid-swap leaves nothing that delays the next one.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use strata_domain::snapshot::{HEAD_PATH, sha256_hex};

use super::OriginError;

#[derive(Debug, Clone)]
pub struct DirectoryOrigin {
    root: PathBuf,
}

/// How long a swap of HEAD waits for another publisher's swap to end.
const LOCK_WAIT: Duration = Duration::from_secs(10);

impl DirectoryOrigin {
    pub fn new(root: impl Into<PathBuf>) -> DirectoryOrigin {
        DirectoryOrigin { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn unavailable(&self, e: impl std::fmt::Display) -> OriginError {
        OriginError::Unavailable(format!("{}: {e}", self.root.display()))
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Path) -> Result<T, OriginError> + Send + 'static,
    ) -> Result<T, OriginError> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || work(&root))
            .await
            .map_err(|e| self.unavailable(e))?
    }

    /// Writes an object that must never change. Answers whether it was written (false: it
    /// was there already with the same bytes); other bytes under the same name are an error.
    pub async fn put_immutable(&self, path: &str, bytes: Vec<u8>) -> Result<bool, OriginError> {
        let path = path.to_owned();
        self.blocking(move |root| {
            let target = root.join(&path);
            let fail =
                |e: std::io::Error| OriginError::Unavailable(format!("{}: {e}", target.display()));
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(fail)?;
            }
            let partial = target.with_extension(format!("partial-{}", std::process::id()));
            std::fs::write(&partial, &bytes).map_err(fail)?;
            let linked = std::fs::hard_link(&partial, &target);
            let _ = std::fs::remove_file(&partial);
            match linked {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    if std::fs::read(&target).map_err(fail)? == bytes {
                        Ok(false)
                    } else {
                        Err(OriginError::Immutable(path))
                    }
                }
                Err(e) => Err(fail(e)),
            }
        })
        .await
    }

    pub async fn get(&self, path: &str) -> Result<Option<Vec<u8>>, OriginError> {
        let path = path.to_owned();
        self.blocking(move |root| match std::fs::read(root.join(&path)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
            Err(e) => Err(OriginError::Unavailable(format!(
                "{}: {e}",
                root.join(&path).display()
            ))),
        })
        .await
    }

    /// HEAD's bytes and tag (their SHA-256), if the origin has one.
    pub async fn head(&self) -> Result<Option<(Vec<u8>, String)>, OriginError> {
        Ok(self.get(HEAD_PATH).await?.map(|bytes| {
            let tag = sha256_hex(&bytes);
            (bytes, tag)
        }))
    }

    /// Replaces HEAD with `bytes` if its tag is still `expected` (`None`: if there is no HEAD
    /// yet); else [`OriginError::HeadMoved`] with the tag found.
    pub async fn swap_head(
        &self,
        expected: Option<String>,
        bytes: Vec<u8>,
    ) -> Result<(), OriginError> {
        self.blocking(move |root| {
            std::fs::create_dir_all(root)
                .map_err(|e| OriginError::Unavailable(format!("{}: {e}", root.display())))?;
            let _lock = Lock::take(&root.join("HEAD.lock"))?;
            let head = root.join(HEAD_PATH);
            let found = match std::fs::read(&head) {
                Ok(current) => Some(sha256_hex(&current)),
                Err(e) if e.kind() == ErrorKind::NotFound => None,
                Err(e) => return Err(OriginError::Unavailable(format!("{}: {e}", head.display()))),
            };
            if found != expected {
                return Err(OriginError::HeadMoved { expected, found });
            }
            let partial = root.join("HEAD.partial");
            let fail =
                |e: std::io::Error| OriginError::Unavailable(format!("{}: {e}", head.display()));
            std::fs::write(&partial, &bytes).map_err(fail)?;
            std::fs::rename(&partial, &head).map_err(fail)?;
            Ok(())
        })
        .await
    }

    /// Creates the directory if missing and checks a file can be written in it. Permission
    /// bits say little (root ignores them), so it writes and removes a file; unique per
    /// check, as health checks run concurrently (e.g. two on one page).
    pub async fn probe(&self) -> Result<(), String> {
        let dir = self.root.clone();
        let check = tokio::task::spawn_blocking(move || -> Result<(), String> {
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            static CHECKS: AtomicU64 = AtomicU64::new(0);
            let n = CHECKS.fetch_add(1, Ordering::Relaxed);
            let probe = dir.join(format!(".strata-probe-{}-{n}", std::process::id()));
            std::fs::write(&probe, b"probe")
                .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
            std::fs::remove_file(&probe).map_err(|e| e.to_string())
        });
        check.await.map_err(|e| e.to_string())?
    }
}

/// The lock held while HEAD is compared and replaced: an exclusive lock on `HEAD.lock`,
/// released when it is dropped or its process ends. The file itself stays (removing it would
/// let two publishers lock two different files of that name).
struct Lock(#[allow(dead_code)] std::fs::File);

impl Lock {
    fn take(path: &Path) -> Result<Lock, OriginError> {
        let fail = |e: std::io::Error| OriginError::Unavailable(format!("{}: {e}", path.display()));
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(fail)?;
        let deadline = Instant::now() + LOCK_WAIT;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Lock(file)),
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(OriginError::Unavailable(format!(
                        "{} is held by another publisher",
                        path.display()
                    )));
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(fail(e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_lock_file_left_by_a_dead_publisher_delays_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let origin = DirectoryOrigin::new(dir.path());
        // What a publisher killed while holding the lock leaves behind (its lock ended with it).
        std::fs::write(dir.path().join("HEAD.lock"), b"").unwrap();
        let started = Instant::now();
        origin.swap_head(None, b"one".to_vec()).await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "{:?}",
            started.elapsed()
        );
        // A live holder is waited for, then the swap goes on.
        let held = Lock::take(&dir.path().join("HEAD.lock")).unwrap();
        let release = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            drop(held);
        });
        let tag = origin.head().await.unwrap().unwrap().1;
        origin.swap_head(Some(tag), b"two".to_vec()).await.unwrap();
        release.join().unwrap();
        assert_eq!(origin.head().await.unwrap().unwrap().0, b"two");
    }
}
