//! Publications over HTTP: `GET /api/v1/publications` (newest first, `limit` ≤ 200),
//! `GET /api/v1/publications/{revision}`, and `POST /api/v1/publish`, which asks the server's
//! publisher to publish the newest revision now (a failed one is retried without waiting for
//! its backoff) and answers 202 with where it stands.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use strata_store::Store;

use super::answers::{PublicationShown, Publications, PublishAsked};
use super::caller::Caller;
use super::entities::{page_size, query};
use super::error::ApiError;

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/api/v1/publications", get(list))
        .route("/api/v1/publications/{revision}", get(one))
        .route("/api/v1/publish", post(publish))
        .with_state(store)
}

#[derive(Deserialize)]
struct Limit {
    limit: Option<i64>,
}

async fn list(
    State(store): State<Store>,
    Caller(actor): Caller,
    limit: Result<Query<Limit>, QueryRejection>,
) -> Result<Response, ApiError> {
    let limit = page_size(query(limit)?.limit, "publications")?;
    let items = store.as_actor(&actor).publications(limit).await?;
    Ok(Json(Publications {
        items: items.into_iter().map(PublicationShown::from).collect(),
    })
    .into_response())
}

async fn one(
    State(store): State<Store>,
    Caller(actor): Caller,
    revision: Result<Path<i64>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(revision) =
        revision.map_err(|_| ApiError::invalid("/revision", "a revision number"))?;
    match store.as_actor(&actor).publication(revision).await? {
        Some(p) => Ok(Json(PublicationShown::from(p)).into_response()),
        None => Err(ApiError::not_found(format!(
            "revision {revision} has no publication"
        ))),
    }
}

async fn publish(State(store): State<Store>, Caller(actor): Caller) -> Result<Response, ApiError> {
    let newest = store.publish_now(&actor).await?;
    let message = match &newest {
        None => "no revision was committed yet: nothing to publish".to_owned(),
        Some(p) => p.standing(strata_store::now_ms()),
    };
    Ok((
        StatusCode::ACCEPTED,
        Json(PublishAsked {
            publication: newest.map(PublicationShown::from),
            message,
        }),
    )
        .into_response())
}
