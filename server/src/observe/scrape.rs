//! `GET /metrics`: asks what is read when scraped (the outbox, the sessions, whether each
//! dependency answers; each within a time limit, in parallel), then answers every family in
//! Prometheus's text format. No session or token: it is for the operator's Prometheus, on
//! the main address or, with `STRATA_METRICS_ADDR`, on one of its own.

use std::sync::Arc;
use std::time::Duration;

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

/// What a scrape reads from.
#[derive(Clone)]
pub struct Scrape {
    pub metrics: Metrics,
    pub store: Store,
    pub probe: Arc<Probe>,
    pub served: Served,
    pub bearer: Bearer,
    pub sessions: Sessions,
}

pub fn router(scrape: Scrape) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(scrape)
}

async fn metrics(State(scrape): State<Scrape>) -> Response {
    let (health, outbox, sessions) = tokio::join!(
        scrape.probe.check(),
        tokio::time::timeout(ASK_WITHIN, scrape.store.outbox_standing()),
        tokio::time::timeout(ASK_WITHIN, scrape.sessions.active()),
    );
    let outbox = outbox.ok().and_then(Result::ok);
    let now = now_ms();
    scrape.metrics.standing(Standing {
        served_revision: scrape.served.current().map_or(0, |c| c.revision),
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
        tokens_kept: scrape.bearer.kept(),
        sessions_active: sessions.ok().and_then(Result::ok),
    });
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(prometheus::TEXT_FORMAT),
        )],
        scrape.metrics.render(),
    )
        .into_response()
}
