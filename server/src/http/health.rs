//! Liveness and readiness for load balancers and orchestrators.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

use crate::health::Probe;

pub fn router(probe: Arc<Probe>) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(probe)
}

/// 200 when the database, origin and cache all answer, else 503; the body says which is down,
/// and no more (anyone may ask): the console's home page gives domain admins the details.
async fn readyz(State(probe): State<Arc<Probe>>) -> impl IntoResponse {
    let readiness = probe.check().await.readiness();
    let status = if readiness.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(readiness))
}
