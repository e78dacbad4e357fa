//! Change requests over HTTP, the same store calls as the console's review pages:
//!
//! - `GET /api/v1/change-requests` (`filter`: `all`, `waiting` for the caller's review, `mine`;
//!   `state`) — those the caller may see, newest first;
//! - `POST /api/v1/change-requests` (`{"title", "description", "writes": [{"kind", "key",
//!   "base_version", "image"}]}`) — proposes; 201 with the request;
//! - `GET /api/v1/change-requests/{id}` — the request judged now: history, what it needs, who
//!   approved it as it stands, stale writes, what the caller may do;
//! - `GET /api/v1/change-requests/{id}/impact` — every resolved config it changes;
//! - `PUT /api/v1/change-requests/{id}` — its author edits it (`content_hash` names what they
//!   edited); approvals given before are void;
//! - `POST /api/v1/change-requests/{id}/reviews` (`{"verdict": "comment" | "approve" |
//!   "request_changes" | "reject", "content_hash", "comment", "pointer", "reply_to"}`);
//! - `POST /api/v1/change-requests/{id}/rebase`, `…/withdraw`, `…/apply`.

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use strata_domain::change_request::{RequestState, Verdict};
use strata_store::Store;
use strata_store::review::requests::RequestFilter;

use super::answers::{
    ChangeRequests, Proposal, RequestApplied, RequestEdit, ReviewAsked, Seen, Withdrawal,
};
use super::caller::Caller;
use super::entities::{json_body, read_as};
use super::error::ApiError;

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/api/v1/change-requests", get(list).post(propose))
        .route("/api/v1/change-requests/{id}", get(review).put(edit))
        .route("/api/v1/change-requests/{id}/impact", get(impact))
        .route("/api/v1/change-requests/{id}/reviews", post(say))
        .route("/api/v1/change-requests/{id}/rebase", post(rebase))
        .route("/api/v1/change-requests/{id}/withdraw", post(withdraw))
        .route("/api/v1/change-requests/{id}/apply", post(apply))
        .with_state(store)
}

#[derive(Deserialize)]
struct ListAsked {
    filter: Option<String>,
    state: Option<String>,
}

/// The request number the path names.
fn id_of(id: Result<Path<i64>, PathRejection>) -> Result<i64, ApiError> {
    match id {
        Ok(Path(id)) if id > 0 => Ok(id),
        _ => Err(ApiError::invalid(
            "/id",
            "a change request's number, 1 or more",
        )),
    }
}

async fn list(
    State(store): State<Store>,
    Caller(actor): Caller,
    asked: Result<Query<ListAsked>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(asked) = asked.map_err(|e| ApiError::invalid("", e.body_text()))?;
    let filter = match (asked.filter.as_deref(), asked.state.as_deref()) {
        (None | Some("all"), None) => RequestFilter::All,
        (Some("waiting"), None) => RequestFilter::WaitingForMe,
        (Some("mine"), None) => RequestFilter::Mine,
        (None | Some("all"), Some(state)) => {
            RequestFilter::In(RequestState::parse(state).ok_or_else(|| {
                ApiError::invalid("/state", "one of open, applied, rejected, withdrawn")
            })?)
        }
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "/state",
                "a state lists all requests in it: not with filter=waiting or mine",
            ));
        }
        (Some(_), None) => return Err(ApiError::invalid("/filter", "one of all, waiting, mine")),
    };
    let items = store.as_actor(&actor).change_requests(filter).await?;
    Ok(Json(ChangeRequests { items }).into_response())
}

async fn propose(
    State(store): State<Store>,
    Caller(actor): Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let asked: Proposal = read_as(json_body(body)?)?;
    let request = store
        .propose(&actor, &asked.title, &asked.description, asked.writes)
        .await?;
    Ok((StatusCode::CREATED, Json(request)).into_response())
}

async fn review(
    State(store): State<Store>,
    Caller(actor): Caller,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Response, ApiError> {
    let review = store.as_actor(&actor).request_review(id_of(id)?).await?;
    Ok(Json(review).into_response())
}

async fn impact(
    State(store): State<Store>,
    Caller(actor): Caller,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Response, ApiError> {
    let impact = store.as_actor(&actor).request_impact(id_of(id)?).await?;
    Ok(Json(impact).into_response())
}

async fn edit(
    State(store): State<Store>,
    Caller(actor): Caller,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = id_of(id)?;
    let asked: RequestEdit = read_as(json_body(body)?)?;
    let request = store
        .edit_request(
            &actor,
            id,
            &asked.content_hash,
            &asked.title,
            &asked.description,
            asked.writes,
        )
        .await?;
    Ok(Json(request).into_response())
}

async fn say(
    State(store): State<Store>,
    Caller(actor): Caller,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = id_of(id)?;
    let asked: ReviewAsked = read_as(json_body(body)?)?;
    let entry = store
        .review_request(
            &actor,
            id,
            asked.verdict.unwrap_or(Verdict::Comment),
            asked.content_hash.as_deref().unwrap_or_default(),
            &asked.comment,
            asked.pointer.as_deref(),
            asked.reply_to,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(entry)).into_response())
}

async fn rebase(
    State(store): State<Store>,
    Caller(actor): Caller,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = id_of(id)?;
    let asked: Seen = read_as(json_body(body)?)?;
    let request = store
        .rebase_request(&actor, id, &asked.content_hash)
        .await?;
    Ok(Json(request).into_response())
}

async fn withdraw(
    State(store): State<Store>,
    Caller(actor): Caller,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = id_of(id)?;
    let asked: Withdrawal = read_as(json_body(body)?)?;
    let request = store.withdraw_request(&actor, id, &asked.comment).await?;
    Ok(Json(request).into_response())
}

async fn apply(
    State(store): State<Store>,
    Caller(actor): Caller,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Response, ApiError> {
    let (request, revision) = store.apply_request(&actor, id_of(id)?).await?;
    Ok(Json(RequestApplied { request, revision }).into_response())
}
