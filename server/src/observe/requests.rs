//! Every request gets an id — the caller's `x-request-id` when it sends a usable one, else one
//! made here — sent back in the answer's `x-request-id`. A span carries the id, the method,
//! the matched route template and, once known, the actor and the status, so every log line
//! of the request names them. Each request is counted, and timed, by route template.
//!
//! Services read configs tens of thousands of times a second: of those, only one in
//! [`READS_TRACED_EVERY`] gets a span (and any that sends its own id), the others are only
//! counted.

use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;
use tracing::field::Empty;

use super::metrics::{Metrics, UNMATCHED};

/// The header a request's id travels in, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Of the config reads that send no id of their own, one in this many is traced.
pub const READS_TRACED_EVERY: u64 = 100;

/// The longest id taken from a caller.
const LONGEST_ID: usize = 128;

/// A request's id and span, in its extensions: for handlers that log outside the span, and
/// to name the actor in it once known (inner layers enter spans of their own, so the
/// current span is not always the request's).
#[derive(Debug, Clone)]
pub struct RequestId {
    id: HeaderValue,
    span: tracing::Span,
}

impl RequestId {
    pub fn as_str(&self) -> &str {
        self.id.to_str().unwrap_or_default()
    }

    /// Names the actor (a person, or `token:NAME`) in the request's span; nothing for a read
    /// that is not traced.
    pub fn name_actor(&self, actor: impl std::fmt::Display) {
        self.span.record("actor", tracing::field::display(actor));
    }
}

/// Whether a caller's id can be used as it is: visible ASCII (so a log line cannot be split
/// or coloured by it), at most [`LONGEST_ID`] bytes.
fn usable(id: &HeaderValue) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty() && bytes.len() <= LONGEST_ID && bytes.iter().all(u8::is_ascii_graphic)
}

/// Ids made here: this process's random start, then a count. Unique within the process, and
/// across processes but for a 1 in 2^64 chance.
struct Ids {
    start: u64,
    next: AtomicU64,
}

impl Ids {
    fn new() -> Ids {
        Ids {
            start: RandomState::new().hash_one(std::process::id()),
            next: AtomicU64::new(0),
        }
    }

    fn make(&self) -> HeaderValue {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let id = format!("{:016x}", self.start.wrapping_add(n));
        HeaderValue::from_str(&id).expect("hex digits are a header value")
    }
}

/// What the request layer needs: where to count, and how to make ids.
#[derive(Clone)]
pub struct Observed {
    metrics: Metrics,
    ids: Arc<Ids>,
    reads: Arc<AtomicU64>,
}

impl Observed {
    pub fn new(metrics: Metrics) -> Observed {
        Observed {
            metrics,
            ids: Arc::new(Ids::new()),
            reads: Arc::default(),
        }
    }
}

/// Whether a route is the config read path, traced by sample.
fn is_read(route: &str) -> bool {
    route.starts_with("/api/v1/config/")
}

pub async fn observe(
    State(observed): State<Observed>,
    mut request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let given = request
        .headers()
        .get(&REQUEST_ID)
        .filter(|id| usable(id))
        .cloned();
    let traced = given.is_some();
    let id = given.unwrap_or_else(|| observed.ids.make());
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
    let method = request.method().clone();
    let traced = traced
        || !is_read(route)
        || observed.reads.fetch_add(1, Ordering::Relaxed) % READS_TRACED_EVERY == 0;
    let mut response = if traced {
        let span = tracing::info_span!(
            "request",
            id = id.to_str().unwrap_or_default(),
            method = method.as_str(),
            route,
            actor = Empty,
            status = Empty,
        );
        request.extensions_mut().insert(RequestId {
            id: id.clone(),
            span: span.clone(),
        });
        let response = next.run(request).instrument(span.clone()).await;
        let status = response.status();
        span.record("status", i64::from(status.as_u16()));
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        span.in_scope(|| match status.is_server_error() {
            true => tracing::warn!(ms, "answered with a server error"),
            false => tracing::debug!(ms, "answered"),
        });
        response
    } else {
        request.extensions_mut().insert(RequestId {
            id: id.clone(),
            span: tracing::Span::none(),
        });
        next.run(request).await
    };
    observed.metrics.answered(
        route,
        method.as_str(),
        response.status().as_str(),
        started.elapsed(),
    );
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_visible_ascii_ids_of_a_sane_length_are_taken() {
        for good in ["abc", "4bf92f3577b34da6a3ce929d0e0e4736", "req-1/2:3+4=5"] {
            assert!(usable(&HeaderValue::from_static(good)), "{good}");
        }
        let long = "x".repeat(LONGEST_ID + 1);
        for bad in ["", "two words", "tab\there", long.as_str()] {
            assert!(!usable(&HeaderValue::from_str(bad).unwrap()), "{bad:?}");
        }
        let latin1 = HeaderValue::from_bytes(b"caf\xe9").unwrap();
        assert!(!usable(&latin1));
    }

    #[test]
    fn made_ids_differ() {
        let ids = Ids::new();
        let (a, b) = (ids.make(), ids.make());
        assert_ne!(a, b);
        assert_eq!(a.len(), 16);
    }
}
