//! The origin: where published snapshots live. A local directory is the embedded default.

mod current;
mod directory;

pub use current::{Fetched, current_head, fetch_current};
pub use directory::DirectoryOrigin;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use strata_domain::health::Component;

/// Why an origin operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    /// The origin could not be reached or written; worth retrying.
    #[error("the origin is unavailable: {0}")]
    Unavailable(String),
    /// HEAD is no longer what the writer read: another publisher moved it.
    #[error("HEAD moved: expected {expected:?}, found {found:?}")]
    HeadMoved {
        expected: Option<String>,
        found: Option<String>,
    },
    /// An object is not what the snapshot format says it should be.
    #[error("the origin's {0}")]
    Unreadable(String),
    /// An object that must never change already exists with other bytes.
    #[error("{0} already exists in the origin with other content")]
    Immutable(String),
}

/// An origin to publish to and read from.
#[derive(Debug, Clone)]
pub enum Origin {
    Directory(DirectoryOrigin),
}

impl Origin {
    pub async fn put_immutable(&self, path: &str, bytes: Vec<u8>) -> Result<bool, OriginError> {
        match self {
            Origin::Directory(d) => d.put_immutable(path, bytes).await,
        }
    }

    pub async fn get(&self, path: &str) -> Result<Option<Vec<u8>>, OriginError> {
        match self {
            Origin::Directory(d) => d.get(path).await,
        }
    }

    pub async fn head(&self) -> Result<Option<(Vec<u8>, String)>, OriginError> {
        match self {
            Origin::Directory(d) => d.head().await,
        }
    }

    pub async fn swap_head(
        &self,
        expected: Option<String>,
        bytes: Vec<u8>,
    ) -> Result<(), OriginError> {
        match self {
            Origin::Directory(d) => d.swap_head(expected, bytes).await,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginSetting {
    Directory(PathBuf),
}

impl OriginSetting {
    /// Accepts `file://DIR` (relative or absolute).
    pub fn parse(text: &str) -> Result<OriginSetting, String> {
        let text = text.trim();
        if let Some(path) = text.strip_prefix("file://") {
            if path.is_empty() {
                return Err(format!("{text:?} names no directory; expected file://DIR"));
            }
            return Ok(OriginSetting::Directory(PathBuf::from(path)));
        }
        match text.split_once("://") {
            Some(("s3", _)) => Err(format!(
                "{text:?}: S3 origins are not supported by this build yet; use file://DIR"
            )),
            Some((scheme, _)) => Err(format!(
                "{text:?} has the unknown scheme {scheme:?}; expected file://DIR"
            )),
            None => Err(format!(
                "{text:?} is not an origin URL; expected file://DIR"
            )),
        }
    }

    pub fn open(&self) -> Origin {
        match self {
            OriginSetting::Directory(dir) => Origin::Directory(DirectoryOrigin::new(dir)),
        }
    }

    pub fn location(&self) -> String {
        match self {
            OriginSetting::Directory(dir) => format!("file://{}", dir.display()),
        }
    }

    /// Checks the origin is usable: for a directory, that it exists (creating it) and is a
    /// directory we can write to.
    pub async fn probe(&self, timeout: Duration) -> Component {
        let OriginSetting::Directory(dir) = self;
        let dir = dir.clone();
        let check = tokio::task::spawn_blocking(move || -> Result<(), String> {
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            // Permission bits say little (root ignores them): write and remove a file instead.
            // Unique per check: health checks run concurrently (e.g. two on one page).
            static CHECKS: AtomicU64 = AtomicU64::new(0);
            let n = CHECKS.fetch_add(1, Ordering::Relaxed);
            let probe = dir.join(format!(".strata-probe-{}-{n}", std::process::id()));
            std::fs::write(&probe, b"probe")
                .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
            std::fs::remove_file(&probe).map_err(|e| e.to_string())?;
            Ok(())
        });
        let outcome = match tokio::time::timeout(timeout, check).await {
            Ok(Ok(result)) => result,
            Ok(Err(join)) => Err(join.to_string()),
            Err(_) => Err(format!("no answer within {timeout:?}")),
        };
        Component::checked("directory", self.location(), outcome.map(|()| None))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_name_a_directory() {
        assert_eq!(
            OriginSetting::parse("file://./data/origin").unwrap(),
            OriginSetting::Directory(PathBuf::from("./data/origin"))
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_checks_of_one_directory_all_see_it_up() {
        let dir = tempfile::tempdir().unwrap();
        let origin = OriginSetting::Directory(dir.path().to_path_buf());
        let checks: Vec<_> = (0..16)
            .map(|_| {
                let origin = origin.clone();
                tokio::spawn(async move { origin.probe(Duration::from_secs(5)).await })
            })
            .collect();
        for check in checks {
            assert_eq!(check.await.unwrap().error, None);
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "no probe file is left behind"
        );
    }

    #[test]
    fn unknown_schemes_are_named_in_the_error() {
        let err = OriginSetting::parse("ftp://x/y").unwrap_err();
        assert!(
            err.contains("\"ftp\"") && err.contains("file://DIR"),
            "{err}"
        );
        assert!(OriginSetting::parse("/plain/path").is_err());
        assert!(OriginSetting::parse("file://").is_err());
    }
}
