//! The origin: where published snapshots live. A local directory is the embedded default;
//! an S3 bucket (AWS or S3-compatible) for deployments.

mod current;
mod directory;
mod s3;

pub use current::{Fetched, current_head, fetch_current};
pub use directory::DirectoryOrigin;
pub use s3::{S3Location, S3Origin};

/// How many documents a publication uploads, or a reader fetches, side by side: a revision
/// is hundreds of shards, each a round trip to S3.
pub const DOCUMENTS_AT_ONCE: usize = 16;

use std::path::PathBuf;
use std::time::Duration;

use futures_util::FutureExt;

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
    S3(S3Origin),
}

impl Origin {
    /// Where it is, for people: `file://DIR` or `s3://BUCKET/PREFIX [at ENDPOINT]`.
    pub fn location(&self) -> String {
        match self {
            Origin::Directory(d) => format!("file://{}", d.root().display()),
            Origin::S3(s) => s.location().url(),
        }
    }

    /// Checks the origin is usable: a directory exists (created if missing) and takes a
    /// file; an S3 bucket answers to these credentials.
    pub async fn probe(&self, timeout: Duration) -> Component {
        let (kind, check) = match self {
            Origin::Directory(d) => ("directory", d.probe().boxed()),
            Origin::S3(s) => ("S3", s.probe().boxed()),
        };
        let outcome = match tokio::time::timeout(timeout, check).await {
            Ok(result) => result,
            Err(_) => Err(format!("no answer within {timeout:?}")),
        };
        Component::checked(kind, self.location(), outcome.map(|()| None))
    }

    pub async fn put_immutable(&self, path: &str, bytes: Vec<u8>) -> Result<bool, OriginError> {
        match self {
            Origin::Directory(d) => d.put_immutable(path, bytes).await,
            Origin::S3(s) => s.put_immutable(path, bytes).await,
        }
    }

    pub async fn get(&self, path: &str) -> Result<Option<Vec<u8>>, OriginError> {
        match self {
            Origin::Directory(d) => d.get(path).await,
            Origin::S3(s) => s.get(path).await,
        }
    }

    pub async fn head(&self) -> Result<Option<(Vec<u8>, String)>, OriginError> {
        match self {
            Origin::Directory(d) => d.head().await,
            Origin::S3(s) => s.head().await,
        }
    }

    pub async fn swap_head(
        &self,
        expected: Option<String>,
        bytes: Vec<u8>,
    ) -> Result<(), OriginError> {
        match self {
            Origin::Directory(d) => d.swap_head(expected, bytes).await,
            Origin::S3(s) => s.swap_head(expected, bytes).await,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OriginSetting {
    Directory(PathBuf),
    S3(S3Location),
}

impl OriginSetting {
    /// Accepts `file://DIR` (relative or absolute) and `s3://BUCKET/PREFIX`; `s3_endpoint`
    /// (`STRATA_S3_ENDPOINT`) points S3 origins at an S3-compatible server.
    pub fn parse(text: &str, s3_endpoint: Option<&str>) -> Result<OriginSetting, String> {
        let text = text.trim();
        if let Some(path) = text.strip_prefix("file://") {
            if path.is_empty() {
                return Err(format!("{text:?} names no directory; expected file://DIR"));
            }
            return Ok(OriginSetting::Directory(PathBuf::from(path)));
        }
        match text.split_once("://") {
            Some(("s3", rest)) => S3Location::parse(rest, s3_endpoint).map(OriginSetting::S3),
            Some((scheme, _)) => Err(format!(
                "{text:?} has the unknown scheme {scheme:?}; expected file://DIR or s3://BUCKET/PREFIX"
            )),
            None => Err(format!(
                "{text:?} is not an origin URL; expected file://DIR or s3://BUCKET/PREFIX"
            )),
        }
    }

    pub async fn open(&self) -> Origin {
        match self {
            OriginSetting::Directory(dir) => Origin::Directory(DirectoryOrigin::new(dir)),
            OriginSetting::S3(location) => Origin::S3(S3Origin::connect(location.clone()).await),
        }
    }

    pub fn location(&self) -> String {
        match self {
            OriginSetting::Directory(dir) => format!("file://{}", dir.display()),
            OriginSetting::S3(location) => location.url(),
        }
    }

    /// The URL as given back to `parse` (without the endpoint, which is a setting of its own).
    pub fn url(&self) -> String {
        match self {
            OriginSetting::Directory(dir) => format!("file://{}", dir.display()),
            OriginSetting::S3(S3Location { bucket, prefix, .. }) if prefix.is_empty() => {
                format!("s3://{bucket}")
            }
            OriginSetting::S3(S3Location { bucket, prefix, .. }) => {
                format!("s3://{bucket}/{prefix}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_name_a_directory() {
        assert_eq!(
            OriginSetting::parse("file://./data/origin", None).unwrap(),
            OriginSetting::Directory(PathBuf::from("./data/origin"))
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_checks_of_one_directory_all_see_it_up() {
        let dir = tempfile::tempdir().unwrap();
        let origin = OriginSetting::Directory(dir.path().to_path_buf())
            .open()
            .await;
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
        let err = OriginSetting::parse("ftp://x/y", None).unwrap_err();
        assert!(
            err.contains("\"ftp\"") && err.contains("file://DIR"),
            "{err}"
        );
        assert!(OriginSetting::parse("/plain/path", None).is_err());
        assert!(OriginSetting::parse("file://", None).is_err());
        let s3 = OriginSetting::parse("s3://configs/strata", None).unwrap();
        assert_eq!(s3.url(), "s3://configs/strata");
    }
}
