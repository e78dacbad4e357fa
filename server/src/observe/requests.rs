//! Every request gets an id — the caller's `x-request-id` when it sends a usable one, else one
//! made here — sent back in the answer's `x-request-id`. A span carries the id, the method,
//! the matched route template and, once known, the actor, the revision read (config reads)
//! and the status, so every log line of the request names them. Each request is counted, and
//! timed, by route template.
//!
//! Services read configs tens of thousands of times a second: of those, only one in
//! [`READS_TRACED_EVERY`] gets a span (whether or not it sends an id: proxies put one on every
//! request); the others are counted, and logged if they fail.

use std::cell::Cell;
use std::future::Future;
use std::hash::{BuildHasher, RandomState};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, ready};
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderName, HeaderValue, Method};
use axum::response::Response;
use pin_project_lite::pin_project;
use tower::{Layer, Service};
use tracing::field::Empty;

use super::metrics::{Metrics, READ_ROUTE, UNMATCHED};

/// The header a request's id travels in, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Of the config reads, one in this many is traced unless `STRATA_READS_TRACED_EVERY` says
/// otherwise.
pub const READS_TRACED_EVERY: u64 = 100;

/// The longest id taken from a caller.
const LONGEST_ID: usize = 128;

/// A traced request's span, in its extensions: to name the actor in it once known (inner
/// layers enter spans of their own, so the current span is not always the request's).
#[derive(Debug, Clone)]
pub struct RequestSpan(tracing::Span);

impl RequestSpan {
    /// Names the actor (a person, or `token:NAME`) in the request's span.
    pub fn name_actor(&self, actor: impl std::fmt::Display) {
        self.0.record("actor", tracing::field::display(actor));
    }

    /// Names the revision the request read or wrote in its span.
    pub fn name_revision(&self, revision: i64) {
        self.0.record("revision", revision);
    }
}

/// Whether a caller's id can be used as it is: visible ASCII (so a log line cannot be split
/// or coloured by it), at most [`LONGEST_ID`] bytes.
fn usable(id: &HeaderValue) -> bool {
    let bytes = id.as_bytes();
    !bytes.is_empty() && bytes.len() <= LONGEST_ID && bytes.iter().all(u8::is_ascii_graphic)
}

/// Ids made here: 64 bits that look random, unique but for a 1 in 2^64 chance.
struct Ids {
    /// A key of this process's (SipHash, randomly keyed): ids are a count passed through it,
    /// so one id does not tell the next (someone who could would pass their request off as
    /// another's in the log).
    key: RandomState,
    next: AtomicU64,
}

impl Ids {
    fn new() -> Ids {
        Ids {
            key: RandomState::new(),
            next: AtomicU64::new(0),
        }
    }

    fn make(&self) -> HeaderValue {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let n = self.key.hash_one(self.next.fetch_add(1, Ordering::Relaxed));
        let mut id = [0u8; 16];
        for (i, digit) in id.iter_mut().enumerate() {
            *digit = HEX[(n >> (60 - 4 * i) & 0xf) as usize];
        }
        HeaderValue::from_bytes(&id).expect("hex digits are a header value")
    }
}

/// What the request layer needs: where to count, how to make ids, and how many config reads
/// to trace. Behind one Arc: it is cloned for every request.
#[derive(Clone)]
pub struct Observed {
    inner: Arc<Observing>,
}

struct Observing {
    metrics: Metrics,
    ids: Ids,
    reads_traced_every: u64,
}

impl Observed {
    /// Traces one in `reads_traced_every` config reads (0: none).
    pub fn new(metrics: Metrics, reads_traced_every: u64) -> Observed {
        Observed {
            inner: Arc::new(Observing {
                metrics,
                ids: Ids::new(),
                reads_traced_every,
            }),
        }
    }

    /// Where requests are counted.
    pub fn metrics(&self) -> &Metrics {
        &self.inner.metrics
    }

    /// Whether this config read is one of those traced: counted per thread, so reads on
    /// different cores do not contend for one counter.
    fn trace_this_read(&self) -> bool {
        thread_local! {
            static READS: Cell<u64> = const { Cell::new(0) };
        }
        let every = self.inner.reads_traced_every;
        if every == 0 {
            return false;
        }
        READS.with(|reads| {
            let n = reads.get();
            reads.set(n.wrapping_add(1));
            n % every == 0
        })
    }
}

/// Whether a route is the config read path, traced by sample.
fn is_read(route: &str) -> bool {
    route == READ_ROUTE
}

/// A method as labelled and logged: the standard ones by name, any other `other` (a caller
/// may send any token as a method, and labels must stay a bounded set).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The layer that observes every request: a tower layer of its own (not a `from_fn`
/// middleware, which boxes the service it wraps and its future on every request), whose
/// future does the counting when the answer is ready.
#[derive(Clone)]
pub struct ObserveLayer {
    observed: Observed,
}

impl ObserveLayer {
    pub fn new(observed: Observed) -> ObserveLayer {
        ObserveLayer { observed }
    }
}

impl<S> Layer<S> for ObserveLayer {
    type Service = Observe<S>;

    fn layer(&self, inner: S) -> Observe<S> {
        Observe {
            inner,
            observed: self.observed.clone(),
        }
    }
}

#[derive(Clone)]
pub struct Observe<S> {
    inner: S,
    observed: Observed,
}

impl<S> Service<Request> for Observe<S>
where
    S: Service<Request, Response = Response>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = Answering<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request) -> Answering<S::Future> {
        let started = Instant::now();
        let observed = &self.observed.inner;
        let id = match request.headers().get(&REQUEST_ID) {
            Some(given) if usable(given) => given.clone(),
            _ => observed.ids.make(),
        };
        let route = request.extensions().get::<MatchedPath>().cloned();
        let route_name = route.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
        let method = method_label(request.method());
        // Sampled whatever the caller sends: proxies put an id on every request.
        let traced = !is_read(route_name) || self.observed.trace_this_read();
        let span = match traced {
            true => tracing::info_span!(
                "request",
                id = id.to_str().unwrap_or_default(),
                method,
                route = route_name,
                actor = Empty,
                revision = Empty,
                status = Empty,
            ),
            false => tracing::Span::none(),
        };
        // Only for a traced request: one not traced has no span to name anything in, and its
        // server error is logged when answered.
        if traced {
            request.extensions_mut().insert(RequestSpan(span.clone()));
        }
        let inner = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        Answering {
            inner,
            answered: Some(Answered {
                observed: self.observed.clone(),
                started,
                id,
                route,
                method,
                traced,
                span,
            }),
        }
    }
}

/// Why a handler answered with a server error, in its answer's extensions (never sent): the
/// request layer logs it with the request's id, traced or not.
#[derive(Debug, Clone)]
pub struct ServerErrorCause(pub String);

/// What is known of a request until it is answered.
struct Answered {
    observed: Observed,
    started: Instant,
    id: HeaderValue,
    route: Option<MatchedPath>,
    method: &'static str,
    traced: bool,
    span: tracing::Span,
}

pin_project! {
    /// A request on its way to its answer, in its span; counted, logged and given its id
    /// when answered.
    pub struct Answering<F> {
        #[pin]
        inner: F,
        answered: Option<Answered>,
    }
}

impl<F, E> Future for Answering<F>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = Result<Response, E>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let outcome = {
            let _entered = this.answered.as_ref().map(|a| a.span.enter());
            ready!(this.inner.poll(cx))
        };
        let answered = this.answered.take().expect("polled after it was answered");
        Poll::Ready(outcome.map(|response| answered.answer(response)))
    }
}

impl Answered {
    fn answer(self, mut response: Response) -> Response {
        let Answered {
            observed,
            started,
            id,
            route,
            method,
            traced,
            span,
        } = self;
        let route = route.as_ref().map_or(UNMATCHED, MatchedPath::as_str);
        let status = response.status();
        let took = started.elapsed();
        if traced {
            span.record("status", i64::from(status.as_u16()));
        }
        // Every server error is logged, traced or not, with what identifies its request and
        // what the handler said of its cause.
        let cause = response
            .extensions_mut()
            .remove::<ServerErrorCause>()
            .map(|ServerErrorCause(cause)| cause);
        let cause = cause.as_deref();
        if status.is_server_error() || traced {
            let ms = took.as_secs_f64() * 1000.0;
            match status.is_server_error() {
                true if traced => {
                    span.in_scope(|| tracing::warn!(ms, cause, "answered with a server error"))
                }
                // Not traced: a span made now, of the same shape, so the line reads like
                // a traced one's.
                true => tracing::info_span!(
                    "request",
                    id = id.to_str().unwrap_or_default(),
                    method,
                    route,
                    status = status.as_u16(),
                )
                .in_scope(|| tracing::warn!(ms, cause, "answered with a server error")),
                false => span.in_scope(|| tracing::debug!(ms, "answered")),
            }
        }
        observed
            .inner
            .metrics
            .answered(route, method, status.as_str(), took);
        response.headers_mut().insert(REQUEST_ID, id);
        response
    }
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
    fn only_standard_methods_are_labelled_by_name() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        let made_up = Method::from_bytes(b"FOO123").unwrap();
        assert_eq!(method_label(&made_up), "other");
    }

    #[test]
    fn one_read_in_n_is_traced_and_none_with_zero() {
        let traced = |every| {
            let observed = Observed::new(Metrics::default(), every);
            (0..300).filter(|_| observed.trace_this_read()).count()
        };
        assert_eq!(traced(100), 3);
        assert_eq!(traced(1), 300);
        assert_eq!(traced(0), 0);
    }

    #[test]
    fn made_ids_are_16_hex_digits_and_one_does_not_tell_the_next() {
        let ids = Ids::new();
        let made: Vec<u64> = (0..1000)
            .map(|_| {
                let id = ids.make();
                assert_eq!(id.len(), 16);
                u64::from_str_radix(id.to_str().unwrap(), 16).unwrap()
            })
            .collect();
        let unique: std::collections::BTreeSet<_> = made.iter().collect();
        assert_eq!(unique.len(), 1000);
        // Not a count: consecutive ids differ by more than a few.
        let close = made
            .windows(2)
            .filter(|w| w[1].abs_diff(w[0]) < 1 << 32)
            .count();
        assert_eq!(close, 0, "{made:?}");
    }
}
