//! The audit trail over HTTP: `GET /api/v1/audit` pages through the changes the caller may
//! read (filters `actor`, `kind`, `key`, `offset`, `limit` ≤ 200, newest first), and
//! `GET /api/v1/audit/events` the newest events (publications, compiles, restores, reveals).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use strata_domain::audit::AuditFilter;
use strata_store::Store;

use super::answers::{AuditRecord, AuditTrail, EventShown, Events};
use super::caller::Caller;
use super::entities::{page_size, query};
use super::error::ApiError;

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/api/v1/audit", get(trail))
        .route("/api/v1/audit/events", get(events))
        .with_state(store)
}

#[derive(Deserialize)]
struct TrailParams {
    actor: Option<String>,
    kind: Option<String>,
    key: Option<String>,
    #[serde(default)]
    offset: i64,
    limit: Option<i64>,
}

async fn trail(
    State(store): State<Store>,
    Caller(actor): Caller,
    params: Result<Query<TrailParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let params = query(params)?;
    let limit = params.limit.unwrap_or(50);
    let filter = AuditFilter {
        actor: params.actor,
        kind: params.kind,
        key: params.key,
        ..AuditFilter::default()
    };
    let page = store
        .as_actor(&actor)
        .audit_trail(&filter, params.offset, limit)
        .await?;
    Ok(Json(AuditTrail {
        items: page.items.into_iter().map(AuditRecord::from).collect(),
        total: page.total,
        offset: params.offset,
        limit,
    })
    .into_response())
}

#[derive(Deserialize)]
struct EventParams {
    limit: Option<i64>,
}

async fn events(
    State(store): State<Store>,
    Caller(actor): Caller,
    params: Result<Query<EventParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let limit = page_size(query(params)?.limit, "events")?;
    let events = store.audit_events_for(&actor, limit).await?;
    Ok(Json(Events {
        items: events.into_iter().map(EventShown::from).collect(),
    })
    .into_response())
}
