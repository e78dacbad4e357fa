//! The first admin. While nobody can sign in, the server writes a one-time link to its log;
//! the setup page behind it creates a domain admin and signs them in.

use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use strata_store::access::NewUser;
use strata_store::{Store, StoreError};
use tower_sessions::Session;

use super::Auth;
use super::sign_in::{start_session, unavailable};

/// How long a setup link works.
pub const SETUP_LINK_MINUTES: i64 = 60;

/// When nobody can sign in, makes a setup link and writes it to the log.
pub async fn announce_setup_link(store: &Store, console_url: &str) -> Result<(), StoreError> {
    if let Some(token) = store
        .create_setup_link(SETUP_LINK_MINUTES * 60 * 1000)
        .await?
    {
        tracing::warn!(
            "nobody can sign in yet. Open {console_url}/setup?token={token} within \
             {SETUP_LINK_MINUTES} minutes to create the first admin (the link works once; \
             or run `strata user add NAME --role admin`)"
        );
    }
    Ok(())
}

#[derive(Deserialize)]
pub struct SetupForm {
    token: String,
    name: String,
    display_name: String,
    password: String,
    password_again: String,
}

pub async fn set_up(
    State(auth): State<Auth>,
    session: Session,
    Form(form): Form<SetupForm>,
) -> Response {
    let again = |field: &str, rule: &str| {
        let query: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", &form.token)
            .append_pair("name", &form.name)
            .append_pair("display_name", &form.display_name)
            .append_pair("field", field)
            .append_pair("rule", rule)
            .finish();
        Redirect::to(&format!("/setup?{query}")).into_response()
    };
    if form.password != form.password_again {
        return again("/password_again", "must be the same password again");
    }
    let user = NewUser {
        name: form.name.trim(),
        display_name: &form.display_name,
        password: &form.password,
        domain_admin: true,
    };
    match auth.store.set_up_first_admin(&form.token, user).await {
        Ok(user) => match start_session(&session, &user.name).await {
            Ok(()) => Redirect::to("/").into_response(),
            Err(why) => unavailable(why),
        },
        Err(StoreError::Invalid { field, rule }) => again(&field, &rule),
        Err(e) => unavailable(e.to_string()),
    }
}
