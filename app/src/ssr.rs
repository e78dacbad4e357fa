//! What server functions reach on the server: the store and the health of Strata's
//! dependencies. The server binary provides a [`Console`] to every request.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use leptos::prelude::*;
use strata_domain::access::Person;
use strata_domain::health::Health;
use strata_store::access::Actor;
use strata_store::{Store, StoreError};

/// Checks the database, origin and cache. Implemented by the server, which owns them.
pub trait HealthProbe: Send + Sync {
    fn check(&self) -> Pin<Box<dyn Future<Output = Health> + Send + '_>>;
}

/// Everything a server function may use, provided as Leptos context per request.
#[derive(Clone)]
pub struct Console {
    pub store: Store,
    pub health: Arc<dyn HealthProbe>,
}

/// The person a request is signed in as. The server's guard puts it into the request after
/// checking the session; requests without one never reach the console's private routes.
#[derive(Clone, Debug)]
pub struct SignedIn(pub Person);

impl Console {
    /// The console of the current request, or an error a server function can return.
    pub fn current() -> Result<Console, ServerFnError> {
        use_context::<Console>()
            .ok_or_else(|| ServerFnError::new("the console is not wired to a store on this server"))
    }

    /// The signed-in person of the current request, if any.
    pub fn person() -> Option<Person> {
        use_context::<http::request::Parts>()?
            .extensions
            .get::<SignedIn>()
            .map(|signed_in| signed_in.0.clone())
    }

    /// Who this request acts as: the signed-in person, with what they may do. The store checks
    /// every write against it.
    pub fn actor(&self) -> Result<Actor, ServerFnError> {
        Console::person()
            .map(Actor::Person)
            .ok_or_else(|| ServerFnError::new("sign in first"))
    }
}

/// A store error as a server function's error, with the status the store gives it (422 a
/// broken rule, 404 what does not exist, 403 a lack of rights, 409 a collision, …), so the
/// browser and the tests tell a refusal from a failure, and a failure's detail stays in the
/// server's log.
pub fn store_failure(error: StoreError) -> ServerFnError {
    let status = error.status();
    set_status(status);
    match status {
        500 => tracing::error!(error = %error, "a server function failed"),
        503 => tracing::warn!(error = %error, "a server function could not reach the database"),
        _ => {}
    }
    ServerFnError::new(error.told())
}

/// An argument that breaks a rule (a name, a scope): 422 with the rule.
pub fn bad_argument(why: impl std::fmt::Display) -> ServerFnError {
    set_status(422);
    ServerFnError::new(why.to_string())
}

fn set_status(status: u16) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
        && let Ok(status) = http::StatusCode::from_u16(status)
    {
        response.set_status(status);
    }
}
