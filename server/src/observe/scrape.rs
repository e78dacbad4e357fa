//! `GET /metrics`: asks what is read when scraped (the outbox, the sessions, whether each
//! dependency answers; each within a time limit, in parallel, at most once every few seconds),
//! then answers every family in Prometheus's text format. No session or token: it is for the operator's Prometheus, on
//! the main address or, with `STRATA_METRICS_ADDR`, on one of its own.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use strata_domain::health::State as Up;
use strata_store::{Store, now_ms};

use super::metrics::{Metrics, Standing};
use crate::auth::Bearer;
use crate::auth::sessions::Sessions;
use crate::health::Probe;
use crate::served::Served;

/// How long a scrape waits for the database's figures.
const ASK_WITHIN: Duration = Duration::from_secs(3);

/// How long what was asked serves later scrapes: scrapes more often than this (several
/// Prometheus servers, or anyone, on the main address) cost the database, origin and cache
/// nothing more.
const ASKED_SERVES: Duration = Duration::from_secs(5);

/// What a scrape reads from.
#[derive(Clone)]
pub struct Scrape {
    pub metrics: Metrics,
    pub store: Store,
    pub probe: Arc<Probe>,
    pub served: Served,
    pub bearer: Bearer,
    pub sessions: Sessions,
    /// When the figures were last asked; held while they are asked, so scrapes at once ask
    /// once.
    pub asked: Arc<tokio::sync::Mutex<Option<Instant>>>,
}

pub fn router(scrape: Scrape) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(scrape)
}

async fn metrics(State(scrape): State<Scrape>) -> Response {
    {
        let mut asked = scrape.asked.lock().await;
        if asked.is_none_or(|at| at.elapsed() >= ASKED_SERVES) {
            ask(&scrape).await;
            *asked = Some(Instant::now());
        }
    }
    scrape.metrics.holding(
        scrape.served.current().map_or(0, |c| c.revision),
        scrape.bearer.kept(),
    );
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(prometheus::TEXT_FORMAT),
        )],
        scrape.metrics.render(),
    )
        .into_response()
}

/// Reads the figures that need asking.
async fn ask(scrape: &Scrape) {
    let (health, outbox, sessions) = tokio::join!(
        scrape.probe.check(),
        tokio::time::timeout(ASK_WITHIN, scrape.store.outbox_standing()),
        tokio::time::timeout(ASK_WITHIN, scrape.sessions.active()),
    );
    let outbox = outbox.ok().and_then(Result::ok);
    let now = now_ms();
    scrape.metrics.standing(Standing {
        outbox_waiting: outbox.map(|o| o.waiting),
        outbox_oldest: outbox.map(|o| {
            let since = o.oldest_committed_ms.map_or(0, |at| (now - at).max(0));
            Duration::from_millis(since as u64)
        }),
        up: [
            ("database", health.database.state == Up::Up),
            ("origin", health.origin.state == Up::Up),
            ("cache", health.cache.state == Up::Up),
        ],
        sessions_active: sessions.ok().and_then(Result::ok),
    });
}
