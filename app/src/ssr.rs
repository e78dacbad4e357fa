//! What server functions reach on the server: the store and the health of Strata's
//! dependencies. The server binary provides a [`Console`] to every request.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use leptos::prelude::*;
use strata_domain::health::Health;
use strata_store::Store;

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

impl Console {
    /// The console of the current request, or an error a server function can return.
    pub fn current() -> Result<Console, ServerFnError> {
        use_context::<Console>()
            .ok_or_else(|| ServerFnError::new("the console is not wired to a store on this server"))
    }
}
