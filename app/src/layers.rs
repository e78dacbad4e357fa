//! Config layers in the console: the list of stored layers, one layer with its deployable's
//! schema and what lies below it, the impact preview of an edit (which tenants' resolved
//! configs change, and how), and saving it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use strata_domain::access::Rights;
use strata_domain::diff::SideBySide;
use strata_domain::layer::Layer;

use crate::changes::SaveOutcome;
use crate::entities::HistoryRow;
use crate::lists::EntityKind;

/// A stored layer in the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerRow {
    pub deployable: String,
    pub scope: Layer,
    pub version: i64,
    /// How many top-level keys it sets.
    pub keys: usize,
}

/// One layer as its editor needs it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerView {
    pub deployable: String,
    pub scope: Layer,
    /// 0 when the layer is not stored yet: saving creates it.
    pub version: i64,
    pub config: Value,
    /// The deployable's config schema, which the form is made from.
    pub schema: Value,
    /// The layers below merged (for a tenant: default, its tier, its product; otherwise the
    /// default): what a key left unset here inherits.
    pub below: Value,
    /// The entity whose history is the layer's: the stored layer, or for the default layer
    /// its deployable (whose versions hold the default config).
    pub entity: (EntityKind, String),
    /// Newest first.
    pub history: Vec<HistoryRow>,
    /// What the signed-in person may do with the layer: change it (edit) and roll it back,
    /// as with what it applies to.
    pub rights: Rights,
}

/// One tenant whose resolved config would change, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantImpact {
    pub tier: String,
    pub tenant: String,
    pub rows: Vec<SideBySide>,
}

/// What saving a layer would do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerImpact {
    pub changed: usize,
    pub unchanged: usize,
    /// The first [`SHOWN_TENANTS`] changed tenants with their diffs.
    pub tenants: Vec<TenantImpact>,
    /// Rules the changed configs would break: saving would be refused.
    pub violations: Vec<String>,
    pub violations_total: usize,
    /// A rule the layer itself breaks, or another reason the write would be refused.
    pub refusal: Option<String>,
    /// Someone saved the layer after the version edited: what they changed, and these edits
    /// merged into it, to go on from.
    pub conflict: Option<crate::changes::Conflict>,
}

/// How many changed tenants a preview shows in detail; the count says how many in all.
pub const SHOWN_TENANTS: usize = 20;

/// `kind` and `name` of a scope as a [`Layer`]; errors name the rule.
pub fn scope_of(kind: &str, name: &str) -> Result<Layer, String> {
    use strata_domain::names::{ProductName, TenantName, TierName};
    let wrong = |e: strata_domain::names::NameError| e.to_string();
    match kind {
        "default" if name.is_empty() => Ok(Layer::Default),
        "default" => Err("the default layer has no name".to_owned()),
        "tier" => TierName::parse(name).map(Layer::Tier).map_err(wrong),
        "product" => ProductName::parse(name).map(Layer::Product).map_err(wrong),
        "tenant" => TenantName::parse(name).map(Layer::Tenant).map_err(wrong),
        other => Err(format!(
            "{other:?} is not a layer's scope: default, tier, product or tenant"
        )),
    }
}

#[server(endpoint = "layers")]
pub async fn list_layers() -> Result<Vec<LayerRow>, ServerFnError> {
    use strata_domain::layer::ConfigLayer;

    use crate::ssr::Console;

    let console = Console::current()?;
    let layers = console
        .store
        .as_actor(&console.actor()?)
        .list::<ConfigLayer>()
        .await
        .map_err(crate::ssr::store_failure)?;
    Ok(layers
        .into_iter()
        .map(|v| LayerRow {
            deployable: v.item.deployable.to_string(),
            keys: v.item.config.as_object().map_or(0, |o| o.len()),
            scope: v.item.scope,
            version: v.version,
        })
        .collect())
}

/// The layer of `deployable` at scope `kind`/`name`, stored or not; `None` when the
/// deployable does not exist.
#[server(endpoint = "layer")]
pub async fn get_layer(
    deployable: String,
    kind: String,
    name: String,
) -> Result<Option<LayerView>, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    server::layer(&console, &deployable, &kind, &name).await
}

/// What saving `config` as the layer (edited at `version`, 0 for a new one) would do.
#[server(endpoint = "layer-preview")]
pub async fn preview_layer(
    deployable: String,
    kind: String,
    name: String,
    version: i64,
    config: String,
) -> Result<LayerImpact, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    server::preview(&console, &deployable, &kind, &name, version, &config).await
}

/// The plain value of the secret at `pointer` in the layer, as JSON text, for someone who may
/// reveal that layer's secrets; the store audits it.
#[server(endpoint = "secret-reveal")]
pub async fn reveal_secret(
    deployable: String,
    kind: String,
    name: String,
    pointer: String,
) -> Result<String, ServerFnError> {
    use strata_domain::names::DeployableName;

    use crate::ssr::{Console, store_failure};

    let console = Console::current()?;
    let deployable = DeployableName::parse(deployable).map_err(crate::ssr::bad_argument)?;
    let scope = scope_of(&kind, &name).map_err(crate::ssr::bad_argument)?;
    let value = console
        .store
        .reveal_secret(&console.actor()?, &deployable, &scope, &pointer)
        .await
        .map_err(store_failure)?;
    Ok(match value {
        Value::String(text) => text,
        other => other.to_string(),
    })
}

#[server(endpoint = "layer-save")]
pub async fn save_layer(
    deployable: String,
    kind: String,
    name: String,
    version: i64,
    config: String,
    reason: String,
) -> Result<SaveOutcome, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    server::save(
        &console,
        &deployable,
        &kind,
        &name,
        version,
        &config,
        &reason,
    )
    .await
}

#[cfg(feature = "ssr")]
mod server {
    use leptos::prelude::ServerFnError;
    use serde_json::Value;
    use strata_domain::deployable::Deployable;
    use strata_domain::diff::{apply, side_by_side};
    use strata_domain::layer::{ConfigLayer, Layer};
    use strata_domain::names::DeployableName;
    use strata_domain::resolve::merged;
    use strata_domain::secret::masked;
    use strata_domain::tenant::Tenant;
    use strata_store::{Store, StoreError};

    use super::{LayerImpact, LayerView, SHOWN_TENANTS, TenantImpact, scope_of};
    use crate::changes::{SaveOutcome, commit_write, conflict_with};
    use crate::entities::HistoryRow;
    use crate::lists::EntityKind;
    use crate::ssr::Console;

    fn failed(e: StoreError) -> ServerFnError {
        crate::ssr::store_failure(e)
    }

    /// The layer's key parts as names, or the rule they break.
    fn parse(deployable: &str, kind: &str, name: &str) -> Result<(DeployableName, Layer), String> {
        let deployable = DeployableName::parse(deployable).map_err(|e| e.to_string())?;
        Ok((deployable, scope_of(kind, name)?))
    }

    async fn stored(store: &Store, key: &str) -> Result<Option<(ConfigLayer, i64)>, ServerFnError> {
        match store.get::<ConfigLayer>(key).await {
            Ok(found) => Ok(Some((found.item, found.version))),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(failed(e)),
        }
    }

    pub async fn layer(
        console: &Console,
        deployable: &str,
        kind: &str,
        name: &str,
    ) -> Result<Option<LayerView>, ServerFnError> {
        let store = &console.store;
        let Ok((deployable, scope)) = parse(deployable, kind, name) else {
            return Ok(None);
        };
        // A layer is as readable as what it applies to (it may not exist yet).
        let (owner_kind, owner) = match &scope {
            Layer::Product(product) => ("product", product.to_string()),
            Layer::Tenant(tenant) => ("tenant", tenant.to_string()),
            Layer::Default | Layer::Tier(_) => ("deployable", deployable.to_string()),
        };
        let actor = console.actor()?;
        let rights = match store.rights_on(&actor, owner_kind, &owner).await {
            Ok(rights) => rights,
            Err(StoreError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(failed(e)),
        };
        let (found, deployable_version) = match store.get::<Deployable>(deployable.as_str()).await {
            Ok(found) => (found.item, found.version),
            Err(StoreError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(failed(e)),
        };
        // The default layer is the deployable's default config, versioned with it.
        let (entity, config, version, mut below) = if scope == Layer::Default {
            let entity = (EntityKind::Deployable, deployable.to_string());
            (
                entity,
                found.default_config.clone(),
                deployable_version,
                vec![],
            )
        } else {
            let key = ConfigLayer::key_of(&deployable, &scope);
            let (config, version) = match stored(store, &key).await? {
                Some((layer, version)) => (layer.config, version),
                None => (Value::Object(Default::default()), 0),
            };
            let below = vec![found.default_config.clone()];
            ((EntityKind::ConfigLayer, key), config, version, below)
        };
        if let Layer::Tenant(tenant) = &scope
            && let Ok(tenant) = store.get::<Tenant>(tenant.as_str()).await
        {
            let tenant = tenant.item;
            for lower in [Layer::Tier(tenant.tier), Layer::Product(tenant.product)] {
                if let Some((layer, _)) =
                    stored(store, &ConfigLayer::key_of(&deployable, &lower)).await?
                {
                    below.push(layer.config);
                }
            }
        }
        let history = HistoryRow::newest_first(
            store
                .history(entity.0.store_kind(), &entity.1)
                .await
                .map_err(failed)?,
        );
        Ok(Some(LayerView {
            deployable: deployable.to_string(),
            scope,
            version,
            config,
            schema: found.config_schema,
            // Shown, never sent back: secrets as masks.
            below: masked(&merged(below.iter())),
            entity,
            history,
            rights,
        }))
    }

    /// What saving a layer writes: a stored layer, or for the default layer its deployable
    /// with the new default config.
    enum Edit {
        Stored(ConfigLayer),
        Default(Deployable),
    }

    impl Edit {
        /// The key of the entity written, and the entity as the form has it (to merge into a
        /// version saved meanwhile).
        fn key_and_image(&self) -> (String, Value) {
            let (key, image) = match self {
                Edit::Stored(layer) => (layer.key(), serde_json::to_value(layer)),
                Edit::Default(found) => (found.name.to_string(), serde_json::to_value(found)),
            };
            (key, image.expect("entities serialize to JSON"))
        }
    }

    /// The edit a form sent, or the rule it breaks (a field and a rule).
    async fn edit_from(
        store: &Store,
        deployable: &str,
        kind: &str,
        name: &str,
        config: &str,
    ) -> Result<Result<Edit, (String, String)>, ServerFnError> {
        let (deployable, scope) = match parse(deployable, kind, name) {
            Ok(parsed) => parsed,
            Err(rule) => return Ok(Err((String::new(), rule))),
        };
        let config: Value = match serde_json::from_str(config) {
            Ok(config) => config,
            Err(e) => return Ok(Err(("/config".to_owned(), format!("not JSON: {e}")))),
        };
        if scope == Layer::Default {
            let mut found = match store.get::<Deployable>(deployable.as_str()).await {
                Ok(found) => found.item,
                Err(e @ StoreError::Database(_)) => return Err(failed(e)),
                Err(e) => return Ok(Err((String::new(), e.to_string()))),
            };
            found.default_config = config;
            return Ok(match found.check() {
                Ok(_) => Ok(Edit::Default(found)),
                Err(e) => Err((e.field, e.rule)),
            });
        }
        let layer = ConfigLayer {
            deployable,
            scope,
            config,
        };
        Ok(match layer.check() {
            Ok(()) => Ok(Edit::Stored(layer)),
            Err(e) => Err((e.field, e.rule)),
        })
    }

    pub async fn preview(
        console: &Console,
        deployable: &str,
        kind: &str,
        name: &str,
        version: i64,
        config: &str,
    ) -> Result<LayerImpact, ServerFnError> {
        let store = &console.store;
        let mut answer = LayerImpact {
            changed: 0,
            unchanged: 0,
            tenants: Vec::new(),
            violations: Vec::new(),
            violations_total: 0,
            refusal: None,
            conflict: None,
        };
        let edit = match edit_from(store, deployable, kind, name, config).await? {
            Ok(edit) => edit,
            Err((field, rule)) => {
                answer.refusal = Some(format!("{field}: {rule}"));
                return Ok(answer);
            }
        };
        let expected = (version > 0).then_some(version);
        let actor = console.actor()?;
        let (key, mine) = edit.key_and_image();
        let default = matches!(edit, Edit::Default(_));
        let impact = match edit {
            Edit::Stored(layer) => store.preview(&actor, layer, expected).await,
            Edit::Default(deployable) => store.preview(&actor, deployable, expected).await,
        };
        let impact = match impact {
            Ok(impact) => impact,
            // Saved meanwhile: the person may go on from the stored version with their edits
            // merged in, as after a save.
            Err(StoreError::Conflict {
                expected, current, ..
            }) => {
                answer.conflict = Some(match default {
                    true => {
                        conflict_with::<Deployable>(store, &key, Some(&mine), expected, current)
                            .await?
                    }
                    false => {
                        conflict_with::<ConfigLayer>(store, &key, Some(&mine), expected, current)
                            .await?
                    }
                });
                return Ok(answer);
            }
            Err(e @ StoreError::Database(_)) => return Err(failed(e)),
            // Not one's to change: 403, as the save would be.
            Err(e @ StoreError::Forbidden(_)) => return Err(crate::ssr::store_failure(e)),
            Err(e) => {
                answer.refusal = Some(e.to_string());
                return Ok(answer);
            }
        };
        answer.changed = impact.changed.len();
        answer.unchanged = impact.unchanged;
        answer.violations_total = impact.violations.total;
        answer.violations = impact
            .violations
            .first
            .iter()
            .map(|v| format!("{}: {} {}", v.target, v.field, v.rule))
            .collect();
        for change in impact.changed.iter().take(SHOWN_TENANTS) {
            let t = &change.target;
            let before = match store.resolve(&t.tier, &t.tenant, &t.deployable).await {
                Ok(config) => config.resolved.config,
                Err(e @ StoreError::Database(_)) => return Err(failed(e)),
                Err(_) => Value::Null,
            };
            let after =
                apply(&before, &change.patch).map_err(|e| failed(StoreError::corrupt(e)))?;
            answer.tenants.push(TenantImpact {
                tier: t.tier.to_string(),
                tenant: t.tenant.to_string(),
                rows: side_by_side(&before, &after)
                    .into_iter()
                    .filter(|r| r.changed())
                    .collect(),
            });
        }
        Ok(answer)
    }

    pub async fn save(
        console: &Console,
        deployable: &str,
        kind: &str,
        name: &str,
        version: i64,
        config: &str,
        reason: &str,
    ) -> Result<SaveOutcome, ServerFnError> {
        let edit = match edit_from(&console.store, deployable, kind, name, config).await? {
            Ok(edit) => edit,
            Err((field, rule)) => {
                return Ok(SaveOutcome::Invalid(vec![
                    strata_domain::rules::FieldError::new(field, rule),
                ]));
            }
        };
        let edited = (version > 0).then_some(version);
        let (key, mine) = edit.key_and_image();
        match edit {
            Edit::Stored(layer) => {
                commit_write::<ConfigLayer>(
                    console,
                    &key,
                    reason,
                    edited,
                    Some(&mine),
                    async |change| {
                        if version > 0 {
                            change.update(version, layer).await.map(|v| v.version)
                        } else {
                            change.create(layer).await.map(|v| v.version)
                        }
                    },
                )
                .await
            }
            Edit::Default(found) => {
                commit_write::<Deployable>(
                    console,
                    &key,
                    reason,
                    edited,
                    Some(&mine),
                    async |change| change.update(version, found).await.map(|v| v.version),
                )
                .await
            }
        }
    }
}
