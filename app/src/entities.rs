//! One entity as the console shows it: its fields as stored now and its history, every
//! version with who made it, when, why and how.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use strata_domain::access::Rights;
use strata_domain::diff::SideBySide;

use strata_domain::kind::Kind;

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
    /// This version is the entity's deletion: nothing to show or roll back to.
    pub deleted: bool,
    pub revision: i64,
    pub operation: String,
    pub actor: String,
    pub at: String,
    pub reason: String,
}

#[cfg(feature = "ssr")]
impl HistoryRow {
    /// An entity's change records (oldest first, as the store gives them) as the console's
    /// history rows, newest first.
    pub fn newest_first(records: Vec<strata_store::history::ChangeRecord>) -> Vec<HistoryRow> {
        records
            .into_iter()
            .rev()
            .map(|r| HistoryRow {
                version: r.entity_version,
                deleted: r.after.is_none(),
                revision: r.revision,
                operation: r.operation.as_str().to_owned(),
                actor: r.actor,
                at: strata_domain::time::format_rfc3339_millis(r.at_ms),
                reason: r.reason,
            })
            .collect()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityDetail {
    pub key: String,
    /// `None` when the entity was deleted; its history remains.
    pub fields: Option<Vec<Field>>,
    /// The entity as stored, for its edit form; `None` when deleted.
    pub document: Option<Value>,
    pub version: i64,
    pub history: Vec<HistoryRow>,
    /// What the signed-in person may do with it.
    pub rights: Rights,
}

/// The entity and its history; `None` when it never existed.
#[server(endpoint = "entity")]
pub async fn get_entity(kind: Kind, key: String) -> Result<Option<EntityDetail>, ServerFnError> {
    use strata_store::StoreError;

    use crate::ssr::Console;

    let fail = crate::ssr::store_failure;
    let console = Console::current()?;
    let actor = console.actor()?;
    let reader = console.store.as_actor(&actor);
    // What the person may not read does not exist for them.
    let rights = match reader.rights(kind.name(), &key).await {
        Ok(rights) => rights,
        Err(StoreError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(fail(e)),
    };
    let found = strata_domain::with_kind!(kind, E => match reader.get::<E>(&key).await {
        Ok(found) => Some((
            serde_json::to_value(&found.item).expect("entities serialize"),
            found.version,
        )),
        Err(StoreError::NotFound { .. }) => None,
        Err(e) => return Err(fail(e)),
    });
    let records = match reader.history(kind.name(), &key).await {
        Ok(records) => records,
        Err(StoreError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(fail(e)),
    };
    let fields = found.as_ref().map(|(value, _)| {
        value
            .as_object()
            .map(|fields| {
                fields
                    .iter()
                    .map(|(name, value)| field(name, &strata_domain::secret::masked(value)))
                    .collect()
            })
            .unwrap_or_default()
    });
    let (document, version) = match found {
        Some((document, version)) => (Some(document), version),
        None => (None, 0),
    };
    Ok(Some(EntityDetail {
        key,
        fields,
        document,
        version,
        history: HistoryRow::newest_first(records),
        rights,
    }))
}

/// A field as the page shows it (secrets masked): text as it is, anything else as indented
/// JSON.
#[cfg(feature = "ssr")]
fn field(name: &str, value: &Value) -> Field {
    let (value, is_json) = match value {
        Value::String(text) => (text.clone(), false),
        Value::Null => (String::new(), false),
        other => (
            serde_json::to_string_pretty(other).expect("JSON serializes"),
            !matches!(other, Value::Bool(_) | Value::Number(_)),
        ),
    };
    Field {
        name: name.to_owned(),
        value,
        is_json,
    }
}

/// Two versions of an entity side by side: every leaf of either, with its value in each (a
/// version that is a deletion has none).
#[server(endpoint = "compare")]
pub async fn compare_versions(
    kind: Kind,
    key: String,
    from: i64,
    to: i64,
) -> Result<Vec<SideBySide>, ServerFnError> {
    use strata_domain::diff::side_by_side;

    use crate::ssr::Console;

    let console = Console::current()?;
    let (before, after) = console
        .store
        .as_actor(&console.actor()?)
        .version_images(kind.name(), &key, from, to)
        .await
        .map_err(crate::ssr::store_failure)?;
    // What the person edits of it, at the paths the editor shows.
    Ok(side_by_side(&kind.edited(&before), &kind.edited(&after)))
}

/// The keys a form may pick from, for each kind of entity its fields refer to.
#[server(endpoint = "form-options")]
pub async fn form_options(kind: Kind) -> Result<Vec<(Kind, Vec<String>)>, ServerFnError> {
    use strata_domain::listing::{ListQuery, MAX_LIMIT};

    use crate::forms::{Form, Input};
    use crate::ssr::Console;

    let console = Console::current()?;
    let (store, actor) = (&console.store, console.actor()?);
    let mut options = Vec::new();
    for field in kind.form() {
        let (Input::Reference(referred)
        | Input::References(referred)
        | Input::OptionalReference(referred)) = field.input
        else {
            continue;
        };
        let query = ListQuery {
            sort: Some("name".to_owned()),
            limit: MAX_LIMIT,
            ..ListQuery::default()
        };
        let keys = strata_domain::with_kind!(referred, E => store
            .as_actor(&actor)
            .list_page::<E>(&query)
            .await
            .map_err(crate::ssr::store_failure)?
            .items
            .into_iter()
            .map(|v| strata_store::entity::Entity::key(&v.item))
            .collect());
        options.push((referred, keys));
    }
    Ok(options)
}
