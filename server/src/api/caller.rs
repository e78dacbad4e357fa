//! Who calls the API: the person (or acting token) the guard signed in, or — when the `strata`
//! command line runs the API in its own process on a local database — the operator.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use strata_app::ssr::SignedIn;
use strata_store::access::Actor;

use super::error::ApiError;

/// The actor a request acts as; without one the API answers 401.
pub struct Caller(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Caller, ApiError> {
        // Only code in this process can put an `Actor` here: the command line's local client.
        if let Some(actor) = parts.extensions.get::<Actor>() {
            return Ok(Caller(actor.clone()));
        }
        match parts.extensions.get::<SignedIn>() {
            Some(SignedIn(person)) => Ok(Caller(Actor::Person(person.clone()))),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "sign in, or send a token that acts in an organization",
            )),
        }
    }
}
