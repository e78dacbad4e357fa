//! An entity's past over HTTP: its versions (`GET /api/v1/{kind}/{key}/history`), the RFC 6902
//! patch between two of them (`GET …/diff?from=A&to=B`), and a roll back to one
//! (`POST …/rollback` with `{"to_version": A}` and the version edited) — and the config a
//! tenant runs with, each value with the layer that set it
//! (`GET /api/v1/resolve/{tier}/{tenant}/{deployable}`).

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use strata_domain::names::{DeployableName, TenantName, TierName};
use strata_store::Store;

use super::answers::{Difference, ResolvedConfig, RollBack, Versions, version_shown};
use super::caller::Caller;
use super::entities::{commit_write, edited, query};
use super::error::ApiError;

use super::resource::kind_at;

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/api/v1/{kind}/{key}/history", get(history))
        .route("/api/v1/{kind}/{key}/diff", get(difference))
        .route("/api/v1/{kind}/{key}/rollback", post(roll_back))
        .route("/api/v1/resolve/{tier}/{tenant}/{deployable}", get(resolve))
        .with_state(store)
}

async fn history(
    State(store): State<Store>,
    Caller(actor): Caller,
    Path((kind, key)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let kind = kind_at(&kind)?;
    let records = store.as_actor(&actor).history(kind.name(), &key).await?;
    Ok(Json(Versions {
        versions: records.iter().map(version_shown).collect(),
    })
    .into_response())
}

#[derive(Deserialize)]
struct Between {
    from: i64,
    to: i64,
}

async fn difference(
    State(store): State<Store>,
    Caller(actor): Caller,
    Path((kind, key)): Path<(String, String)>,
    between: Result<Query<Between>, QueryRejection>,
) -> Result<Response, ApiError> {
    let kind = kind_at(&kind)?;
    let Between { from, to } = query(between)?;
    let patch = store
        .as_actor(&actor)
        .diff_versions(kind.name(), &key, from, to)
        .await?;
    Ok(Json(Difference { from, to, patch }).into_response())
}

async fn roll_back(
    State(store): State<Store>,
    Caller(actor): Caller,
    Path((kind, key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Json<RollBack>, JsonRejection>,
) -> Result<Response, ApiError> {
    let kind = kind_at(&kind)?;
    let Json(body) = body.map_err(|e| ApiError::invalid("", e.body_text()))?;
    let expected = match edited(&headers, body.version)? {
        0 => None,
        version => Some(version),
    };
    strata_domain::with_kind!(kind, E => {
        commit_write::<E>(&store, &actor, &headers, &key, async |change| {
            change.rollback::<E>(&key, body.to_version, expected).await.map(Some)
        })
        .await
    })
}

async fn resolve(
    State(store): State<Store>,
    Caller(actor): Caller,
    Path((tier, tenant, deployable)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let named =
        |field: &str, e: strata_domain::names::NameError| ApiError::invalid(field, e.to_string());
    let tier = TierName::parse(tier).map_err(|e| named("/tier", e))?;
    let tenant = TenantName::parse(tenant).map_err(|e| named("/tenant", e))?;
    let deployable = DeployableName::parse(deployable).map_err(|e| named("/deployable", e))?;
    let resolved = store
        .as_actor(&actor)
        .resolve(&tier, &tenant, &deployable)
        .await?;
    Ok(Json(ResolvedConfig {
        provenance: resolved
            .resolved
            .provenance
            .iter()
            .map(|(pointer, layer)| (pointer.clone(), layer.to_string()))
            .collect(),
        config: resolved.resolved.config,
        violations: resolved.violations.first,
    })
    .into_response())
}
