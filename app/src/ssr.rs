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

/// A store error as a server function's error. A refusal for lack of rights answers 403, so
/// the browser (and the permission tests) tell it from a failure.
pub fn store_failure(error: StoreError) -> ServerFnError {
    if let StoreError::Forbidden(_) = error
        && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
    {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
    ServerFnError::new(error.to_string())
}

/// Evaluates `$body` with the type alias `$entity` naming the stored entity type of `$kind`
/// (an [`crate::lists::EntityKind`]): one match for every server function that works on any
/// kind.
#[macro_export]
macro_rules! with_entity_type {
    ($kind:expr, $entity:ident => $body:expr) => {
        match $kind {
            $crate::lists::EntityKind::Tier => {
                type $entity = strata_domain::tier::Tier;
                $body
            }
            $crate::lists::EntityKind::Organization => {
                type $entity = strata_domain::organization::Organization;
                $body
            }
            $crate::lists::EntityKind::Product => {
                type $entity = strata_domain::product::Product;
                $body
            }
            $crate::lists::EntityKind::Deployable => {
                type $entity = strata_domain::deployable::Deployable;
                $body
            }
            $crate::lists::EntityKind::Tenant => {
                type $entity = strata_domain::tenant::Tenant;
                $body
            }
            $crate::lists::EntityKind::ConfigLayer => {
                type $entity = strata_domain::layer::ConfigLayer;
                $body
            }
        }
    };
}
