//! API tokens presented as `Authorization: Bearer …`. Services read configs at high rates, so
//! a token is looked up in the store once and then kept in memory for [`KEEP`] (a revoked
//! token stops working within that time on every server), and its uses are counted in memory
//! and added to the store every few seconds rather than written per request.
//!
//! Configs are served from memory, so reads go on while the database is down: when a token the
//! server knows cannot be looked up again, it keeps working on what the store last said of it,
//! for at most [`TRUST_WITHOUT_STORE`] (while the store is known to be out of reach, without
//! asking it again on every read); a revocation made meanwhile applies within [`KEEP`] of the
//! database answering again. A token the server does not know is refused at once while the
//! store is known to be out of reach.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use strata_store::access::{PresentedToken, TokenUses, credentials::token_hash};
use strata_store::{Store, now_ms};

use crate::api::ApiError;
use crate::observe::Metrics;

/// How long a token looked up in the store is trusted before it is looked up again.
pub const KEEP: Duration = Duration::from_secs(2);

/// How long a known token keeps working while the store cannot be asked about it.
pub const TRUST_WITHOUT_STORE: Duration = Duration::from_secs(60 * 60);

/// How long a look-up may take before the store counts as out of reach.
const LOOK_UP_WITHIN: Duration = Duration::from_secs(2);

/// After a failed look-up, how long unknown tokens are refused without asking the store again.
const RETRY_STORE_AFTER: Duration = Duration::from_secs(1);

/// At most this many tokens (known or not) are kept; beyond, the memory starts over.
const MOST_KEPT: usize = 10_000;

/// The tokens this server has seen lately, and their uses not yet written.
#[derive(Clone)]
pub struct Bearer {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    metrics: Metrics,
    /// When a look-up last failed, if the store has not answered since.
    store_failed: RwLock<Option<(Instant, String)>>,
    /// SHA-256 of the secret → what the store said, when, and the uses since the last write.
    /// Requests only read the map (and count with atomics), so they do not queue on a lock.
    known: RwLock<HashMap<String, Arc<Kept>>>,
}

struct Kept {
    token: Option<PresentedToken>,
    fetched: Instant,
    /// Shared with the answer this one replaced, so no use is lost when a token is looked
    /// up again while requests are counting.
    uses: Arc<Uses>,
}

#[derive(Default)]
struct Uses {
    count: AtomicI64,
    last_at_ms: AtomicI64,
}

/// Why a request's token is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    Missing,
    Malformed,
    Unknown,
    Expired(String),
    Revoked(String),
    /// The store could not be asked.
    Unavailable(String),
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let message = match &self {
            Refusal::Missing => {
                "this needs an API token: send `Authorization: Bearer <token>`".to_owned()
            }
            Refusal::Malformed => "the Authorization header is not `Bearer <token>`".to_owned(),
            Refusal::Unknown => "this token is not valid".to_owned(),
            Refusal::Expired(name) => format!("token {name:?} has expired"),
            Refusal::Revoked(name) => format!("token {name:?} was revoked"),
            Refusal::Unavailable(why) => {
                // Why goes to the log: a database's address and errors are not for callers.
                tracing::warn!(%why, "a token could not be checked");
                return ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "cannot check the token now: the database is out of reach; try again shortly",
                )
                .into_response();
            }
        };
        let mut response =
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message).into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"strata\""),
        );
        response
    }
}

/// The token in an `Authorization: Bearer` header, if the request has such a header.
pub fn presented(headers: &HeaderMap) -> Option<Result<&str, Refusal>> {
    let value = headers.get(header::AUTHORIZATION)?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|token| !token.is_empty());
    Some(token.ok_or(Refusal::Malformed))
}

impl Bearer {
    pub fn new(store: Store, metrics: Metrics) -> Bearer {
        Bearer {
            inner: Arc::new(Inner {
                store,
                metrics,
                store_failed: RwLock::new(None),
                known: RwLock::new(HashMap::new()),
            }),
        }
    }

    /// The live token the request presents, its use counted; or why not.
    pub async fn verify(&self, headers: &HeaderMap) -> Result<PresentedToken, Refusal> {
        let secret = presented(headers).ok_or(Refusal::Missing)??;
        self.verify_secret(secret).await
    }

    pub async fn verify_secret(&self, secret: &str) -> Result<PresentedToken, Refusal> {
        let hash = token_hash(secret);
        let kept = {
            let known = self.inner.known.read().expect("token memory");
            known.get(&hash).cloned()
        };
        let fresh = kept.as_ref().is_some_and(|k| k.fetched.elapsed() < KEEP);
        self.inner.metrics.token_looked_up(fresh);
        let kept = match kept {
            Some(kept) if fresh => kept,
            // Known and live when last asked: asked again, and served on that answer only if
            // the store cannot say (a revocation the store can tell applies now).
            Some(kept) if kept.token.is_some() && kept.fetched.elapsed() < TRUST_WITHOUT_STORE => {
                match self.look_up(secret, hash).await {
                    Ok(fresh) => fresh,
                    Err(Refusal::Unavailable(why)) => {
                        tracing::debug!(%why, "a token served on the store's last answer");
                        kept
                    }
                    Err(refusal) => return Err(refusal),
                }
            }
            _ => self.look_up(secret, hash).await?,
        };
        let Some(token) = &kept.token else {
            return Err(Refusal::Unknown);
        };
        let now = now_ms();
        if token.revoked {
            return Err(Refusal::Revoked(token.name.clone()));
        }
        if now >= token.expires_at_ms {
            return Err(Refusal::Expired(token.name.clone()));
        }
        kept.uses.count.fetch_add(1, Ordering::Relaxed);
        kept.uses.last_at_ms.fetch_max(now, Ordering::Relaxed);
        Ok(token.clone())
    }

    /// How many tokens (known or not) are kept in memory.
    pub fn kept(&self) -> usize {
        self.inner.known.read().expect("token memory").len()
    }

    /// Why the store was out of reach, if a look-up failed within [`RETRY_STORE_AFTER`].
    fn store_failed_lately(&self) -> Option<String> {
        let failed = self.inner.store_failed.read().expect("token memory");
        failed
            .as_ref()
            .filter(|(at, _)| at.elapsed() < RETRY_STORE_AFTER)
            .map(|(_, why)| why.clone())
    }

    /// Asks the store about a token and keeps the answer, with the uses counted under the
    /// answer it replaces. Fails fast while the store is known to be out of reach.
    async fn look_up(&self, secret: &str, hash: String) -> Result<Arc<Kept>, Refusal> {
        if let Some(why) = self.store_failed_lately() {
            return Err(Refusal::Unavailable(why));
        }
        let asked = tokio::time::timeout(LOOK_UP_WITHIN, self.inner.store.presented_token(secret));
        let token = match asked.await {
            Ok(Ok(token)) => {
                *self.inner.store_failed.write().expect("token memory") = None;
                token
            }
            failed => {
                let why = match failed {
                    Ok(Err(e)) => e.to_string(),
                    _ => format!("the database did not answer within {LOOK_UP_WITHIN:?}"),
                };
                *self.inner.store_failed.write().expect("token memory") =
                    Some((Instant::now(), why.clone()));
                return Err(Refusal::Unavailable(why));
            }
        };
        let mut known = self.inner.known.write().expect("token memory");
        if known.len() >= MOST_KEPT {
            // Many secrets nobody has (someone guessing): forget those first.
            known.retain(|_, kept| kept.token.is_some());
            if known.len() >= MOST_KEPT {
                known.clear();
            }
        }
        let uses = known
            .get(&hash)
            .map(|old| old.uses.clone())
            .unwrap_or_default();
        let kept = Arc::new(Kept {
            token,
            fetched: Instant::now(),
            uses,
        });
        known.insert(hash, kept.clone());
        Ok(kept)
    }

    /// Adds the uses counted since the last call to the store.
    pub async fn write_uses(&self) {
        let uses: Vec<(String, TokenUses)> = {
            let known = self.inner.known.read().expect("token memory");
            known
                .values()
                .filter_map(|kept| {
                    let token = kept.token.as_ref()?;
                    let count = kept.uses.count.swap(0, Ordering::Relaxed);
                    (count > 0).then(|| {
                        let last_at_ms = kept.uses.last_at_ms.load(Ordering::Relaxed);
                        (token.name.clone(), TokenUses { count, last_at_ms })
                    })
                })
                .collect()
        };
        if let Err(e) = self.inner.store.count_token_uses(&uses).await {
            tracing::warn!(error = %e, tokens = uses.len(), "cannot count token uses");
        }
    }

    /// Writes the uses every `every`, until aborted.
    pub fn spawn_use_counter(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let bearer = self.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                bearer.write_uses().await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, value.parse().unwrap());
        headers
    }

    #[test]
    fn only_a_bearer_header_presents_a_token() {
        assert_eq!(presented(&HeaderMap::new()), None);
        assert_eq!(
            presented(&with("Bearer strata_abc")),
            Some(Ok("strata_abc"))
        );
        assert_eq!(
            presented(&with("bearer  strata_abc ")),
            Some(Ok("strata_abc"))
        );
        for bad in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer   ", "strata_abc"] {
            assert_eq!(
                presented(&with(bad)),
                Some(Err(Refusal::Malformed)),
                "{bad}"
            );
        }
    }
}
