//! The domain at a glance: its name, its revision, and the state and version of every part
//! it runs on. Shown in the header and on the home page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use strata_domain::health::Health;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub domain_name: String,
    pub display_name: String,
    pub revision: i64,
    pub strata_version: String,
    pub health: Health,
    /// When the server answered, RFC 3339 with milliseconds.
    pub checked_at: String,
}

#[server(endpoint = "overview")]
pub async fn get_overview() -> Result<Overview, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    let domain = console
        .store
        .domain()
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    let health = console.health.check().await;
    Ok(Overview {
        domain_name: domain.name,
        display_name: domain.display_name,
        revision: domain.revision,
        strata_version: env!("CARGO_PKG_VERSION").to_owned(),
        health,
        checked_at: now_rfc3339(),
    })
}

#[cfg(feature = "ssr")]
fn now_rfc3339() -> String {
    strata_domain::time::format_rfc3339_millis(strata_store::now_ms())
}
