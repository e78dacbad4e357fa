//! The guard in front of the console: deny by default. A request that changes something must
//! come from the console's own pages; every page and server function needs a signed-in
//! person, except the few that let one sign in. The person is looked up again on every
//! request, so a disabled account or a changed role counts at once.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use strata_app::ssr::SignedIn;
use strata_domain::access::Person;
use strata_domain::token::TokenScope;
use strata_store::now_ms;
use tower_sessions::Session;

use super::bearer::{self, Refusal};
use super::{Auth, TOUCHED_KEY, USER_KEY, origin_check};
use crate::api::ApiError;
use crate::observe::RequestSpan;

/// Paths anyone may reach: the sign-in and first-admin pages and forms.
const PUBLIC: &[&str] = &[
    "/sign-in",
    "/setup",
    "/auth/sign-in",
    "/auth/sign-out",
    "/auth/setup",
    "/api/setup-status",
];

/// The built scripts, styles and icons: the same for everyone, secret to no one.
fn is_asset(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.svg" || path == "/robots.txt"
}

/// A refusal: in the API's JSON shape on `/api/v1/`, else as plain text (server functions
/// and pages show it as it is).
fn refuse(path: &str, status: StatusCode, code: &'static str, message: String) -> Response {
    match path.starts_with("/api/v1/") {
        true => ApiError::new(status, code, message).into_response(),
        false => (status, message).into_response(),
    }
}

pub async fn guard(State(auth): State<Auth>, mut request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    if path.starts_with("/api/")
        && let Some(secret) = bearer::presented(request.headers())
    {
        // Automation: a token acting in an organization. A browser never sends this header
        // on its own, so no cross-site request can carry it; no session, no Origin check.
        return match acting_token(&auth, &path, secret).await {
            Ok(person) => {
                if let Some(span) = request.extensions().get::<RequestSpan>() {
                    span.name_actor(&person.name);
                }
                request.extensions_mut().insert(SignedIn(person));
                next.run(request).await
            }
            Err(refused) => refused,
        };
    }
    if is_asset(&path) && origin_check::is_safe(request.method()) {
        return next.run(request).await;
    }
    if let Some(session) = request.extensions().get::<Session>().cloned() {
        match signed_in(&auth, &session).await {
            Ok(Some(person)) => {
                if let Some(span) = request.extensions().get::<RequestSpan>() {
                    span.name_actor(&person.name);
                }
                request.extensions_mut().insert(SignedIn(person));
            }
            Ok(None) => {}
            Err(why) => {
                tracing::error!(error = %why, "cannot read a session");
                return refuse(
                    &path,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    format!("cannot read the session: {why}"),
                );
            }
        }
    }
    let signed_in = request.extensions().get::<SignedIn>().is_some();
    let public = PUBLIC.contains(&path.as_str());
    // A request that changes something with the session cookie (or signs in) must come from
    // the console's own pages. One with no credentials at all is told to sign in first.
    if (signed_in || public)
        && !origin_check::is_safe(request.method())
        && let Err(why) =
            origin_check::check(request.headers(), auth.policy.public_origin.as_deref())
    {
        return refuse(&path, StatusCode::FORBIDDEN, "forbidden", why);
    }
    if signed_in || public {
        return next.run(request).await;
    }
    if path.starts_with("/api/") || !origin_check::is_safe(request.method()) {
        return refuse(
            &path,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "sign in first (or send a token that acts in an organization)".to_owned(),
        );
    }
    let wanted = request.uri().path_and_query().map_or("/", |p| p.as_str());
    let wanted: String = url::form_urlencoded::byte_serialize(wanted.as_bytes()).collect();
    Redirect::to(&format!("/sign-in?next={wanted}")).into_response()
}

/// The one a token acting in an organization stands for: `token:NAME`, with its role there
/// and nothing else.
async fn acting_token(
    auth: &Auth,
    path: &str,
    secret: Result<&str, Refusal>,
) -> Result<Person, Response> {
    let token = auth
        .bearer
        .verify_secret(secret.map_err(IntoResponse::into_response)?)
        .await
        .map_err(IntoResponse::into_response)?;
    match &token.scope {
        TokenScope::Act { .. } | TokenScope::Admin => Ok(Person {
            name: format!("token:{}", token.name),
            display_name: format!("token {}", token.name),
            grants: token.scope.grants(),
        }),
        TokenScope::Read { .. } => Err(refuse(
            path,
            StatusCode::FORBIDDEN,
            "forbidden",
            format!(
                "token {:?} reads configs (/api/v1/config); acting in the console needs a \
                 token that acts in an organization",
                token.name
            ),
        )),
    }
}

/// The person the session names, if they still may sign in; pushes the session's expiry
/// forward now and then while it is used, and ends a session whose person is gone.
async fn signed_in(auth: &Auth, session: &Session) -> Result<Option<Person>, String> {
    let failed = |e: tower_sessions::session::Error| e.to_string();
    let Some(name) = session.get::<String>(USER_KEY).await.map_err(failed)? else {
        return Ok(None);
    };
    let person = auth
        .store
        .signed_in_person(&name)
        .await
        .map_err(|e| e.to_string())?;
    match person {
        Some(person) => {
            let now = now_ms();
            let touched = session.get::<i64>(TOUCHED_KEY).await.map_err(failed)?;
            let every = auth.policy.touch_every().as_millis() as i64;
            if touched.is_none_or(|at| now - at >= every) {
                session.insert(TOUCHED_KEY, now).await.map_err(failed)?;
            }
            Ok(Some(person))
        }
        None => {
            session.flush().await.map_err(failed)?;
            Ok(None)
        }
    }
}
