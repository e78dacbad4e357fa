//! Asks the database, origin and cache how they are, in parallel and with a time limit each,
//! so a hung dependency makes `/readyz` say so instead of hanging with it.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use strata_app::ssr::HealthProbe;
use strata_domain::health::{Component, Health};
use strata_store::Store;

use crate::cache::CacheSetting;
use crate::origin::Origin;

const TIMEOUT: Duration = Duration::from_secs(3);

pub struct Probe {
    pub store: Store,
    pub origin: Origin,
    pub cache: CacheSetting,
}

impl Probe {
    pub async fn check(&self) -> Health {
        let (database, origin, cache) = tokio::join!(
            self.database(),
            self.origin.probe(TIMEOUT),
            self.cache.probe(TIMEOUT)
        );
        Health {
            database,
            origin,
            cache,
        }
    }

    async fn database(&self) -> Component {
        let url = self.store.url();
        let outcome = tokio::time::timeout(TIMEOUT, self.store.server_version())
            .await
            .map_err(|_| format!("no answer within {TIMEOUT:?}"))
            .and_then(|r| r.map_err(|e| e.to_string()));
        Component::checked(
            url.backend().product_name(),
            url.redacted(),
            outcome.map(Some),
        )
    }
}

impl HealthProbe for Probe {
    fn check(&self) -> Pin<Box<dyn Future<Output = Health> + Send + '_>> {
        Box::pin(Probe::check(self))
    }
}
