//! What a write would do before it is made: `POST /api/v1/{kind}/{key}/impact` with the body
//! an update (a version named) or a create (none) would send answers every resolved config it
//! would change, with the patch, and the rules they would break — nothing is written.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use strata_store::Store;

use super::caller::Caller;
use super::entities::{edited, entity_of, same_key};
use super::error::ApiError;

use super::resource::kind_at;

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/api/v1/{kind}/{key}/impact", post(impact))
        .with_state(store)
}

async fn impact(
    State(store): State<Store>,
    Caller(actor): Caller,
    Path((kind, key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let kind = kind_at(&kind)?;
    strata_domain::with_kind!(kind, E => {
        let (entity, named) = entity_of::<E>(body)?;
        same_key(&entity, &key)?;
        // An update when a version is named (If-Match or the body), else a create.
        let version = match headers.contains_key(axum::http::header::IF_MATCH) {
            true => Some(edited(&headers, named)?),
            false => named,
        };
        let impact = store.as_actor(&actor).preview(entity, version).await?;
        Ok(Json(impact).into_response())
    })
}
