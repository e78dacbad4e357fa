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
use strata_domain::kind::Kind;

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
    pub entity: (Kind, String),
    /// Newest first.
    pub history: Vec<HistoryRow>,
    /// What the signed-in person may do with the layer: change it (edit) and roll it back,
    /// as with what it applies to.
    pub rights: Rights,
    /// The approval policies a change to it needs, in words: where not empty, the editor
    /// proposes the change for review instead of saving it.
    pub review: Vec<String>,
}

/// One tenant whose resolved config would change, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TenantImpact {
    pub tier: String,
    pub tenant: String,
    pub rows: Vec<SideBySide>,
}

/// What saving a layer would do.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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

/// What the deployable's schema says of a layer's `config` as typed: the rules a layer must
/// keep (types, enums, ranges; not `required`, which only a whole resolved config must meet).
/// Checked on the server: the browser bundle leaves the schema checker out. Nothing is
/// written; a deployable the person may not read is "not found".
#[server(endpoint = "layer-check")]
pub async fn check_layer(
    deployable: String,
    config: String,
) -> Result<Vec<strata_domain::rules::FieldError>, ServerFnError> {
    use strata_domain::deployable::Deployable;
    use strata_domain::schema::ConfigSchema;

    use crate::ssr::{Console, bad_argument, store_failure};

    let console = Console::current()?;
    let found = console
        .store
        .as_actor(&console.actor()?)
        .get::<Deployable>(&deployable)
        .await
        .map_err(store_failure)?;
    let config: Value = serde_json::from_str(&config)
        .map_err(|e| bad_argument(format!("config: not JSON: {e}")))?;
    // A schema that does not compile leaves the checking to the save, which says so.
    Ok(ConfigSchema::parse("", found.item.config_schema)
        .and_then(|schema| schema.for_layers())
        .map(|schema| schema.layer_violations(&config).first)
        .unwrap_or_default())
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
    let scope = Layer::parse(&kind, &name).map_err(|e| crate::ssr::bad_argument(e.rule))?;
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
pub(crate) mod server {
    use leptos::prelude::ServerFnError;
    use serde_json::Value;
    use strata_domain::diff::{apply, side_by_side};
    use strata_domain::layer::{ConfigLayer, Layer};
    use strata_domain::names::DeployableName;
    use strata_domain::resolve::merged;
    use strata_domain::secret::masked;
    use strata_store::StoreError;

    use super::{LayerImpact, LayerView, SHOWN_TENANTS, TenantImpact};
    use crate::changes::{SaveOutcome, conflict, outcome};
    use crate::entities::HistoryRow;
    use crate::ssr::Console;

    fn failed(e: StoreError) -> ServerFnError {
        crate::ssr::store_failure(e)
    }

    /// The layer's key parts as names, or the rule they break (a field and a rule).
    fn parse(
        deployable: &str,
        kind: &str,
        name: &str,
    ) -> Result<(DeployableName, Layer), (String, String)> {
        let deployable = DeployableName::parse(deployable)
            .map_err(|e| ("/deployable".to_owned(), e.to_string()))?;
        let scope = Layer::parse(kind, name).map_err(|e| (e.field, e.rule))?;
        Ok((deployable, scope))
    }

    /// The layer and config a form sent, or the rule they break.
    pub(crate) fn edit_of(
        deployable: &str,
        kind: &str,
        name: &str,
        config: &str,
    ) -> Result<(DeployableName, Layer, Value), (String, String)> {
        let (deployable, scope) = parse(deployable, kind, name)?;
        let config = serde_json::from_str(config)
            .map_err(|e| ("/config".to_owned(), format!("not JSON: {e}")))?;
        Ok((deployable, scope, config))
    }

    pub async fn layer(
        console: &Console,
        deployable: &str,
        kind: &str,
        name: &str,
    ) -> Result<Option<LayerView>, ServerFnError> {
        let Ok((deployable, scope)) = parse(deployable, kind, name) else {
            return Ok(None);
        };
        let actor = console.actor()?;
        let reader = console.store.as_actor(&actor);
        let found = match reader.layer(&deployable, &scope).await {
            Ok(found) => found,
            Err(StoreError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(failed(e)),
        };
        let (holder_kind, holder_key) = found.holder;
        let history = match reader.history(holder_kind.name(), &holder_key).await {
            Ok(records) => HistoryRow::newest_first(records),
            // A layer not written yet has no history.
            Err(StoreError::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(failed(e)),
        };
        let review = reader
            .layer_needs(&deployable, &scope)
            .await
            .map_err(failed)?
            .policies
            .iter()
            .map(strata_store::review::gate::PolicyNeed::describe)
            .collect();
        Ok(Some(LayerView {
            review,
            deployable: deployable.to_string(),
            scope,
            version: found.version,
            config: found.config,
            schema: found.deployable.item.config_schema,
            // Shown, never sent back: secrets as masks.
            below: masked(&merged(found.below.iter())),
            entity: (holder_kind, holder_key),
            history,
            rights: found.rights,
        }))
    }

    pub async fn preview(
        console: &Console,
        deployable: &str,
        kind: &str,
        name: &str,
        version: i64,
        config: &str,
    ) -> Result<LayerImpact, ServerFnError> {
        let mut answer = LayerImpact::default();
        let (deployable, scope, config) = match edit_of(deployable, kind, name, config) {
            Ok(edit) => edit,
            Err((field, rule)) => {
                answer.refusal = Some(format!("{field}: {rule}"));
                return Ok(answer);
            }
        };
        let actor = console.actor()?;
        let reader = console.store.as_actor(&actor);
        let mine = config.clone();
        let impact = match reader
            .preview_layer(&deployable, &scope, config, version)
            .await
        {
            Ok(impact) => impact,
            // Saved meanwhile: the person may go on from the stored version with their edits
            // merged in, as after a save.
            Err(StoreError::Conflict {
                expected, current, ..
            }) => {
                let found = reader
                    .layer_meanwhile(&deployable, &scope, &mine, expected, current)
                    .await
                    .map_err(failed)?;
                answer.conflict = Some(conflict(found));
                return Ok(answer);
            }
            Err(e @ StoreError::Database(_)) => return Err(failed(e)),
            // Not one's to change: 403, as the save would be.
            Err(e @ StoreError::Forbidden(_)) => return Err(failed(e)),
            Err(e) => {
                answer.refusal = Some(e.to_string());
                return Ok(answer);
            }
        };
        shown_impact(&reader, impact, &mut answer).await?;
        Ok(answer)
    }

    /// What `impact` does, as the console shows it: the counts, the rules broken, and the first
    /// [`SHOWN_TENANTS`] tenants' configs side by side, as `reader` may read them.
    pub async fn shown_impact(
        reader: &strata_store::access::Reader<'_>,
        impact: strata_store::resolution::Impact,
        answer: &mut LayerImpact,
    ) -> Result<(), ServerFnError> {
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
            let before = match reader.resolve(&t.tier, &t.tenant, &t.deployable).await {
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
        Ok(())
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
        let (deployable, scope, config) = match edit_of(deployable, kind, name, config) {
            Ok(edit) => edit,
            Err((field, rule)) => {
                return Ok(SaveOutcome::Invalid(vec![
                    strata_domain::rules::FieldError::new(field, rule),
                ]));
            }
        };
        let actor = console.actor()?;
        let mine = config.clone();
        let written = console
            .store
            .write_layer(&actor, reason, &deployable, &scope, config, version)
            .await;
        let (kind, key) = ConfigLayer::holder_of(&deployable, &scope);
        outcome(
            console,
            kind.name(),
            &key,
            written,
            async |reader, expected, current| {
                reader
                    .layer_meanwhile(&deployable, &scope, &mine, expected, current)
                    .await
            },
        )
        .await
    }
}
