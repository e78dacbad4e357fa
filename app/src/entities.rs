//! One entity as the console shows it: its fields as stored now and its history, every
//! version with who made it, when, why and how.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::lists::EntityKind;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    /// Text as it is; anything else as indented JSON.
    pub value: String,
    pub is_json: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    pub version: i64,
    pub revision: i64,
    pub operation: String,
    pub actor: String,
    pub at: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityDetail {
    pub key: String,
    /// `None` when the entity was deleted; its history remains.
    pub fields: Option<Vec<Field>>,
    pub version: i64,
    pub history: Vec<HistoryRow>,
}

/// The entity and its history; `None` when it never existed.
#[server(endpoint = "entity")]
pub async fn get_entity(
    kind: EntityKind,
    key: String,
) -> Result<Option<EntityDetail>, ServerFnError> {
    use serde_json::Value;
    use strata_domain::deployable::Deployable;
    use strata_domain::organization::Organization;
    use strata_domain::product::Product;
    use strata_domain::tenant::Tenant;
    use strata_domain::tier::Tier;
    use strata_domain::time::format_rfc3339_millis;
    use strata_store::{Store, StoreError};

    use crate::ssr::Console;

    async fn current<E: strata_store::entity::Entity>(
        store: &Store,
        key: &str,
    ) -> Result<Option<(Value, i64)>, StoreError> {
        match store.get::<E>(key).await {
            Ok(found) => Ok(Some((
                serde_json::to_value(&found.item).expect("entities serialize"),
                found.version,
            ))),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
    let fail = |e: StoreError| ServerFnError::new(e.to_string());
    let store = Console::current()?.store;
    let (history_kind, found) = match kind {
        EntityKind::Tier => ("tier", current::<Tier>(&store, &key).await),
        EntityKind::Organization => ("organization", current::<Organization>(&store, &key).await),
        EntityKind::Product => ("product", current::<Product>(&store, &key).await),
        EntityKind::Deployable => ("deployable", current::<Deployable>(&store, &key).await),
        EntityKind::Tenant => ("tenant", current::<Tenant>(&store, &key).await),
    };
    let found = found.map_err(fail)?;
    let records = store.history(history_kind, &key).await.map_err(fail)?;
    if found.is_none() && records.is_empty() {
        return Ok(None);
    }
    let fields = found.as_ref().map(|(value, _)| {
        value
            .as_object()
            .map(|fields| {
                fields
                    .iter()
                    .map(|(name, value)| match value {
                        Value::String(text) => Field {
                            name: name.clone(),
                            value: text.clone(),
                            is_json: false,
                        },
                        Value::Null => Field {
                            name: name.clone(),
                            value: String::new(),
                            is_json: false,
                        },
                        other => Field {
                            name: name.clone(),
                            value: serde_json::to_string_pretty(other).expect("JSON serializes"),
                            is_json: !matches!(other, Value::Bool(_) | Value::Number(_)),
                        },
                    })
                    .collect()
            })
            .unwrap_or_default()
    });
    Ok(Some(EntityDetail {
        key,
        fields,
        version: found.map_or(0, |(_, version)| version),
        history: records
            .into_iter()
            .rev()
            .map(|r| HistoryRow {
                version: r.entity_version,
                revision: r.revision,
                operation: r.operation.as_str().to_owned(),
                actor: r.actor,
                at: format_rfc3339_millis(r.at_ms),
                reason: r.reason,
            })
            .collect(),
    }))
}
