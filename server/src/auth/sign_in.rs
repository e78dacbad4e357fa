//! The sign-in and sign-out forms' targets. Plain form posts answered with redirects, so they
//! work before the console's scripts have loaded, and without them.

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use strata_store::access::{SignInRefusal, minutes_to_wait};
use strata_store::now_ms;
use tower_sessions::Session;

use super::client_address::PeerAddress;
use super::{Auth, TOUCHED_KEY, USER_KEY, local_path};

#[derive(Deserialize)]
pub struct SignInForm {
    name: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

pub async fn sign_in(
    State(auth): State<Auth>,
    session: Session,
    PeerAddress(address): PeerAddress,
    Form(form): Form<SignInForm>,
) -> Response {
    let outcome = auth
        .store
        .sign_in(&form.name, &form.password, &address, &auth.policy.limits)
        .await;
    let again = |failed: &str| {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("failed", failed)
            .append_pair("name", form.name.trim())
            .append_pair("next", &local_path(form.next.as_deref()))
            .finish();
        Redirect::to(&format!("/sign-in?{query}")).into_response()
    };
    match outcome {
        Ok(Ok(person)) => match start_session(&session, &person.name).await {
            Ok(()) => Redirect::to(&local_path(form.next.as_deref())).into_response(),
            Err(why) => unavailable(why),
        },
        Ok(Err(SignInRefusal::WrongCredentials)) => again("credentials"),
        Ok(Err(SignInRefusal::TooManyAttempts { retry_after_ms, .. })) => {
            again(&format!("limited-{}", minutes_to_wait(retry_after_ms)))
        }
        Err(e) => unavailable(e.to_string()),
    }
}

pub async fn sign_out(
    State(auth): State<Auth>,
    session: Session,
    PeerAddress(address): PeerAddress,
) -> Response {
    if let Ok(Some(name)) = session.get::<String>(USER_KEY).await
        && let Err(e) = auth.store.record_sign_out(&name, &address).await
    {
        return unavailable(e.to_string());
    }
    if let Err(e) = session.flush().await {
        return unavailable(e.to_string());
    }
    Redirect::to("/sign-in?signed-out=1").into_response()
}

/// Makes `session` the signed-in session of `name`, under a new id: an id set before signing
/// in (by an attacker, say) never becomes a signed-in one.
pub(crate) async fn start_session(session: &Session, name: &str) -> Result<(), String> {
    let failed = |e: tower_sessions::session::Error| e.to_string();
    session.cycle_id().await.map_err(failed)?;
    session.insert(USER_KEY, name).await.map_err(failed)?;
    session.insert(TOUCHED_KEY, now_ms()).await.map_err(failed)
}

pub(crate) fn unavailable(why: String) -> Response {
    tracing::error!(error = %why, "sign-in could not be completed");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        format!("cannot sign in right now: {why}"),
    )
        .into_response()
}
