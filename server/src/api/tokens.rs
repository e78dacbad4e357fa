//! API tokens over HTTP, as the console's tokens page has them: `GET /api/v1/tokens` (those
//! the caller may manage), `POST /api/v1/tokens` (`{"name", "scope", "days"}`; answers the
//! token and its secret, shown this once) and `DELETE /api/v1/tokens/{name}` (revokes it).
//! Who may manage which token is the store's rule: read and domain-admin tokens a domain
//! admin's, an organization's acting tokens its admins'.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use strata_store::Store;
use strata_store::access::NewToken;

use super::answers::{NewTokenAsked, TokenMade, TokenShown, Tokens};
use super::caller::Caller;
use super::entities::{json_body, read_as};
use super::error::ApiError;

pub fn router(store: Store) -> Router {
    Router::new()
        .route("/api/v1/tokens", get(list).post(create))
        .route("/api/v1/tokens/{name}", delete(revoke))
        .with_state(store)
}

async fn list(State(store): State<Store>, Caller(actor): Caller) -> Result<Response, ApiError> {
    let tokens = store.tokens(&actor).await?;
    Ok(Json(Tokens {
        items: tokens.into_iter().map(TokenShown::from).collect(),
    })
    .into_response())
}

async fn create(
    State(store): State<Store>,
    Caller(actor): Caller,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let asked: NewTokenAsked = read_as(json_body(body)?)?;
    let (token, secret) = store
        .create_token(
            &actor,
            NewToken {
                name: &asked.name,
                scope: asked.scope,
                days: asked.days.unwrap_or(90),
            },
        )
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenMade {
            token: token.into(),
            secret,
        }),
    )
        .into_response())
}

async fn revoke(
    State(store): State<Store>,
    Caller(actor): Caller,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let token = store.revoke_token(&actor, &name).await?;
    Ok(Json(TokenShown::from(token)).into_response())
}
