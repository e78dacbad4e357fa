//! The compiled cache services read: Redis when configured, else held in this process.

use std::time::Duration;

use strata_domain::health::{Component, location_of};

#[derive(Debug, Clone)]
pub enum CacheSetting {
    InProcess,
    Redis {
        client: redis::Client,
        location: String,
    },
}

impl CacheSetting {
    /// No URL keeps the cache in process; otherwise a `redis://`, `rediss://` or `unix://` URL.
    pub fn parse(url: Option<&str>) -> Result<CacheSetting, String> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(CacheSetting::InProcess);
        };
        let client = redis::Client::open(url).map_err(|e| {
            format!("{url:?} is not a Redis URL ({e}); expected redis://HOST:PORT[/DB]")
        })?;
        Ok(CacheSetting::Redis {
            location: location_of(url),
            client,
        })
    }

    /// Checks the cache answers, and which version it runs.
    pub async fn probe(&self, timeout: Duration) -> Component {
        match self {
            CacheSetting::InProcess => Component::checked("in-process", "this process", Ok(None)),
            CacheSetting::Redis { client, location } => {
                let outcome = tokio::time::timeout(timeout, redis_version(client))
                    .await
                    .unwrap_or_else(|_| Err(format!("no answer within {timeout:?}")));
                Component::checked("Redis", location.clone(), outcome.map(Some))
            }
        }
    }
}

async fn redis_version(client: &redis::Client) -> Result<String, String> {
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .map_err(|e| e.to_string())?;
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query_async(&mut connection)
        .await
        .map_err(|e| e.to_string())?;
    Ok(info
        .lines()
        .find_map(|line| line.strip_prefix("redis_version:"))
        .unwrap_or("unknown")
        .trim()
        .to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_url_means_an_in_process_cache() {
        assert!(matches!(
            CacheSetting::parse(None),
            Ok(CacheSetting::InProcess)
        ));
        assert!(matches!(
            CacheSetting::parse(Some("  ")),
            Ok(CacheSetting::InProcess)
        ));
    }

    #[test]
    fn redis_urls_are_checked_and_shown_without_password() {
        let CacheSetting::Redis { location, .. } =
            CacheSetting::parse(Some("redis://app:pw@127.0.0.1:6379/2")).unwrap()
        else {
            panic!("expected Redis");
        };
        assert_eq!(location, "redis://app:***@127.0.0.1:6379/2");
        let err = CacheSetting::parse(Some("http://127.0.0.1:6379")).unwrap_err();
        assert!(err.contains("not a Redis URL"), "{err}");
    }
}
