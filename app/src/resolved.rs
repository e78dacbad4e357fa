//! A tenant's resolved configs as the console shows them: for each deployable of its product,
//! the config it runs with and, for every value, the layer it came from (default, tier,
//! product or the tenant's own) with a link to that layer.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use strata_domain::layer::Layer;
use strata_domain::rules::FieldError;

/// One value of a resolved config and where it was set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvenanceRow {
    /// JSON pointer of the value.
    pub path: String,
    /// The value as compact JSON.
    pub value: String,
    pub layer: Layer,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResolvedView {
    pub deployable: String,
    pub rows: Vec<ProvenanceRow>,
    /// What the config breaks of its schema: empty, unless the schema changed outside Strata.
    pub violations: Vec<FieldError>,
    /// The layers above the default this config is resolved from, the tenant's own first:
    /// where a value for this tenant can be set (its product's and tier's reach others too).
    pub overrides: Vec<Layer>,
}

/// Where the config editor of a layer is.
pub fn layer_href(deployable: &str, layer: &Layer) -> String {
    match layer.name() {
        None => format!("/configs/{deployable}/default"),
        Some(name) => format!("/configs/{deployable}/{}/{name}", layer.kind()),
    }
}

/// Every resolved config of `tenant`, one per deployable of its product.
#[server(endpoint = "tenant-configs")]
pub async fn tenant_configs(tenant: String) -> Result<Vec<ResolvedView>, ServerFnError> {
    use strata_domain::names::TenantName;
    use strata_domain::product::Product;
    use strata_domain::tenant::Tenant;

    use crate::ssr::Console;

    let fail = crate::ssr::store_failure;
    let console = Console::current()?;
    let actor = console.actor()?;
    let store = console.store.as_actor(&actor);
    let name = TenantName::parse(tenant).map_err(crate::ssr::bad_argument)?;
    let found = store.get::<Tenant>(name.as_str()).await.map_err(fail)?.item;
    let product = store
        .get::<Product>(found.product.as_str())
        .await
        .map_err(fail)?
        .item;
    let mut views = Vec::new();
    for deployable in &product.deployables {
        let config = store
            .resolve(&found.tier, &found.name, deployable)
            .await
            .map_err(fail)?;
        views.push(ResolvedView {
            deployable: deployable.to_string(),
            rows: config
                .resolved
                .provenance
                .into_iter()
                .map(|(path, layer)| ProvenanceRow {
                    value: config
                        .resolved
                        .config
                        .pointer(&path)
                        .map(|v| strata_domain::secret::masked(v).to_string())
                        .unwrap_or_default(),
                    path,
                    layer,
                })
                .collect(),
            violations: config.violations.first,
            overrides: Layer::scopes_of(&found.tier, &found.product, &found.name)
                .into_iter()
                .rev()
                .collect(),
        });
    }
    Ok(views)
}
