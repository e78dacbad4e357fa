//! The domain as a whole at a revision: `GET /api/v1/revisions/{revision}` answers what the
//! caller may read of it as it stood then; `POST /api/v1/revisions/{revision}/restore` makes
//! the current domain equal to it again, as one new revision (domain admins only).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use strata_store::Store;

use super::answers::{Restored, StateAt};
use super::caller::Caller;
use super::error::ApiError;
use super::reason;

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/api/v1/revisions/{revision}", get(state_at))
        .route("/api/v1/revisions/{revision}/restore", post(restore))
        .with_state(store)
}

/// The revision the path names, if the domain has reached it.
async fn existing(
    store: &Store,
    revision: Result<Path<i64>, PathRejection>,
) -> Result<(i64, i64), ApiError> {
    let Path(revision) =
        revision.map_err(|_| ApiError::invalid("/revision", "a revision number, 0 or more"))?;
    let current = store.domain().await?.revision;
    if !(0..=current).contains(&revision) {
        return Err(ApiError::not_found(format!(
            "revision {revision} does not exist; the domain is at revision {current}"
        )));
    }
    Ok((revision, current))
}

async fn state_at(
    State(store): State<Store>,
    Caller(actor): Caller,
    revision: Result<Path<i64>, PathRejection>,
) -> Result<Response, ApiError> {
    let (revision, current) = existing(&store, revision).await?;
    let state = store.as_actor(&actor).state_at(revision).await?;
    Ok(Json(StateAt {
        revision,
        current,
        state: state
            .into_iter()
            .map(|(kind, table)| (kind, table.into_iter().collect()))
            .collect(),
    })
    .into_response())
}

async fn restore(
    State(store): State<Store>,
    Caller(actor): Caller,
    revision: Result<Path<i64>, PathRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (revision, current) = existing(&store, revision).await?;
    let made = store
        .restore(&actor, &reason::decode(&headers)?, revision)
        .await?;
    Ok(Json(Restored {
        restored_to: revision,
        revision: made,
        changed: made != current,
    })
    .into_response())
}
