//! An S3 bucket as origin (AWS, or any S3-compatible server through `STRATA_S3_ENDPOINT`).
//! Immutable objects are created with `If-None-Match: *` and carry their SHA-256 as metadata,
//! so an existing one is recognised without downloading it; HEAD moves with `If-Match` on
//! the ETag read (`If-None-Match: *` for the first publication), so of two publishers racing
//! one wins and the other is told HEAD moved.

use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{Region, RequestChecksumCalculation, ResponseChecksumValidation};
use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use strata_domain::snapshot::{HEAD_PATH, sha256_hex};

use super::OriginError;

/// Where in S3 an origin lives: `s3://BUCKET/PREFIX`, optionally on another server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    /// Without leading or trailing `/`; empty for the bucket's root.
    pub prefix: String,
    /// An S3-compatible server (path-style requests); `None` for AWS itself.
    pub endpoint: Option<String>,
}

impl S3Location {
    /// Reads `BUCKET[/PREFIX]`, the part after `s3://`.
    pub fn parse(rest: &str, endpoint: Option<&str>) -> Result<S3Location, String> {
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
            && !bucket.starts_with(['-', '.'])
            && !bucket.ends_with(['-', '.']);
        if !valid {
            return Err(format!(
                "s3://{rest}: {bucket:?} is not a bucket name (3 to 63 lowercase letters, digits, '-' or '.'); expected s3://BUCKET/PREFIX"
            ));
        }
        let endpoint = match endpoint.map(str::trim).filter(|e| !e.is_empty()) {
            None => None,
            Some(e) if e.starts_with("http://") || e.starts_with("https://") => {
                Some(e.trim_end_matches('/').to_owned())
            }
            Some(e) => {
                return Err(format!(
                    "STRATA_S3_ENDPOINT {e:?} is not an http:// or https:// URL"
                ));
            }
        };
        Ok(S3Location {
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
            endpoint,
        })
    }

    pub fn url(&self) -> String {
        let url = if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        };
        match &self.endpoint {
            Some(endpoint) => format!("{url} at {endpoint}"),
            None => url,
        }
    }
}

#[derive(Debug, Clone)]
pub struct S3Origin {
    client: Client,
    location: S3Location,
}

/// The object metadata that holds an immutable object's SHA-256.
const SHA256_META: &str = "sha256";

impl S3Origin {
    /// A client with credentials and region from the standard AWS chain (us-east-1 when
    /// none is configured), short timeouts so an unreachable server fails a publication
    /// quickly (the publisher retries with backoff), and checksums only where S3 requires
    /// them, which S3-compatible servers accept.
    pub async fn connect(location: S3Location) -> S3Origin {
        let region = aws_config::meta::region::RegionProviderChain::default_provider()
            .or_else(Region::from_static("us-east-1"));
        let shared = aws_config::from_env().region(region).load().await;
        let mut config = aws_sdk_s3::config::Builder::from(&shared)
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(3))
                    .operation_attempt_timeout(Duration::from_secs(30))
                    .build(),
            )
            .retry_config(RetryConfig::standard().with_max_attempts(2));
        if let Some(endpoint) = &location.endpoint {
            config = config.endpoint_url(endpoint).force_path_style(true);
        }
        S3Origin {
            client: Client::from_conf(config.build()),
            location,
        }
    }

    pub fn location(&self) -> &S3Location {
        &self.location
    }

    fn key(&self, path: &str) -> String {
        if self.location.prefix.is_empty() {
            path.to_owned()
        } else {
            format!("{}/{path}", self.location.prefix)
        }
    }

    fn unavailable<E, R>(&self, path: &str, e: &SdkError<E, R>) -> OriginError
    where
        E: std::error::Error + 'static,
        R: std::fmt::Debug,
    {
        OriginError::Unavailable(format!(
            "s3://{}/{}: {}",
            self.location.bucket,
            self.key(path),
            DisplayErrorContext(e)
        ))
    }

    /// Writes an object that must never change. Answers whether it was written (false: it
    /// was there already with the same bytes); other bytes under the same name are an error.
    pub async fn put_immutable(&self, path: &str, bytes: Vec<u8>) -> Result<bool, OriginError> {
        let sha256 = sha256_hex(&bytes);
        // One small request settles the common case, an object published before.
        if self.existing_matches(path, &sha256, &bytes).await? {
            return Ok(false);
        }
        let put = self
            .client
            .put_object()
            .bucket(&self.location.bucket)
            .key(self.key(path))
            .if_none_match("*")
            .metadata(SHA256_META, &sha256)
            .body(ByteStream::from(bytes.clone()))
            .send()
            .await;
        match put {
            Ok(_) => Ok(true),
            // Written meanwhile by another publisher.
            Err(e) if precondition_failed(&e) => {
                if self.existing_matches(path, &sha256, &bytes).await? {
                    Ok(false)
                } else {
                    Err(OriginError::Immutable(path.to_owned()))
                }
            }
            Err(e) => Err(self.unavailable(path, &e)),
        }
    }

    /// Whether `path` exists with these bytes; an error if it exists with others.
    async fn existing_matches(
        &self,
        path: &str,
        sha256: &str,
        bytes: &[u8],
    ) -> Result<bool, OriginError> {
        let head = self
            .client
            .head_object()
            .bucket(&self.location.bucket)
            .key(self.key(path))
            .send()
            .await;
        let found = match head {
            Ok(found) => found,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => return Ok(false),
            Err(e) => return Err(self.unavailable(path, &e)),
        };
        let same = match found.metadata().and_then(|m| m.get(SHA256_META)) {
            Some(stored) => stored == sha256,
            // Written by something else than Strata: compare the bytes themselves.
            None => self.get(path).await?.is_some_and(|stored| stored == bytes),
        };
        if same {
            Ok(true)
        } else {
            Err(OriginError::Immutable(path.to_owned()))
        }
    }

    pub async fn get(&self, path: &str) -> Result<Option<Vec<u8>>, OriginError> {
        Ok(self.get_tagged(path).await?.map(|(bytes, _)| bytes))
    }

    /// An object's bytes and ETag.
    async fn get_tagged(&self, path: &str) -> Result<Option<(Vec<u8>, String)>, OriginError> {
        let got = self
            .client
            .get_object()
            .bucket(&self.location.bucket)
            .key(self.key(path))
            .send()
            .await;
        let output = match got {
            Ok(output) => output,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(self.unavailable(path, &e)),
        };
        let tag = output.e_tag().unwrap_or_default().to_owned();
        let bytes = output.body.collect().await.map_err(|e| {
            OriginError::Unavailable(format!(
                "s3://{}/{}: the download broke off: {e}",
                self.location.bucket,
                self.key(path)
            ))
        })?;
        Ok(Some((bytes.to_vec(), tag)))
    }

    /// HEAD's bytes and tag (its ETag), if the origin has one.
    pub async fn head(&self) -> Result<Option<(Vec<u8>, String)>, OriginError> {
        self.get_tagged(HEAD_PATH).await
    }

    /// Replaces HEAD with `bytes` if its ETag is still `expected` (`None`: if there is no
    /// HEAD yet); else [`OriginError::HeadMoved`] with the ETag found.
    pub async fn swap_head(
        &self,
        expected: Option<String>,
        bytes: Vec<u8>,
    ) -> Result<(), OriginError> {
        let put = self
            .client
            .put_object()
            .bucket(&self.location.bucket)
            .key(self.key(HEAD_PATH))
            .content_type("application/json")
            .body(ByteStream::from(bytes));
        let put = match &expected {
            Some(tag) => put.if_match(tag),
            None => put.if_none_match("*"),
        };
        match put.send().await {
            Ok(_) => Ok(()),
            // 409: S3 saw a concurrent conditional write to HEAD and let the other one win.
            Err(e) if precondition_failed(&e) || e.code() == Some("ConditionalRequestConflict") => {
                let found = self.head().await?.map(|(_, tag)| tag);
                Err(OriginError::HeadMoved { expected, found })
            }
            Err(e) => Err(self.unavailable(HEAD_PATH, &e)),
        }
    }

    /// Checks the bucket answers and these credentials may use it.
    pub async fn probe(&self) -> Result<(), String> {
        self.client
            .head_bucket()
            .bucket(&self.location.bucket)
            .send()
            .await
            .map(|_| ())
            .map_err(|e| match e.raw_response().map(|r| r.status().as_u16()) {
                Some(404) => format!("the bucket {} does not exist", self.location.bucket),
                Some(403) => format!(
                    "these credentials may not use the bucket {}",
                    self.location.bucket
                ),
                _ => DisplayErrorContext(&e).to_string(),
            })
    }
}

fn precondition_failed<E: ProvideErrorMetadata>(e: &SdkError<E, HttpResponse>) -> bool {
    e.raw_response().is_some_and(|r| r.status().as_u16() == 412)
        || e.code() == Some("PreconditionFailed")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_name_a_bucket_and_a_prefix() {
        let location =
            S3Location::parse("configs/strata/prod/", Some("http://127.0.0.1:8333/")).unwrap();
        assert_eq!(location.bucket, "configs");
        assert_eq!(location.prefix, "strata/prod");
        assert_eq!(location.endpoint.as_deref(), Some("http://127.0.0.1:8333"));
        assert_eq!(
            location.url(),
            "s3://configs/strata/prod at http://127.0.0.1:8333"
        );
        assert_eq!(
            S3Location::parse("configs", None).unwrap().url(),
            "s3://configs"
        );
    }

    #[test]
    fn bad_buckets_and_endpoints_are_named() {
        for (rest, endpoint, named) in [
            ("", None, "\"\""),
            ("Upper/x", None, "\"Upper\""),
            ("ab", None, "\"ab\""),
            ("-bucket", None, "\"-bucket\""),
            ("bucket", Some("127.0.0.1:8333"), "STRATA_S3_ENDPOINT"),
        ] {
            let err = S3Location::parse(rest, endpoint).unwrap_err();
            assert!(err.contains(named), "{rest}: {err}");
        }
    }
}
