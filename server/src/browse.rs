//! `strata list KIND` and `strata history KIND KEY`: the domain from a terminal, on the
//! database, as the operator — aligned lines for people, `--json` for scripts.

use serde_json::Value;
use strata_domain::listing::{ListQuery, MAX_LIMIT};
use strata_domain::time::format_rfc3339_millis;
use strata_store::Store;
use strata_store::access::Actor;
use strata_store::entity::Entity;

use crate::api::{Resource, shown, version_shown};
use crate::startup::StartupError;

fn kind_of(kind: &str) -> Result<Resource, StartupError> {
    Resource::parse(kind).map_err(|e| StartupError::setting("KIND", e.message))
}

/// Every entity of `kind` whose key or text matches `search`, by key.
pub async fn list(
    store: &Store,
    kind: &str,
    search: &str,
    as_json: bool,
) -> Result<(), StartupError> {
    let kind = kind_of(kind)?;
    let operator = Actor::operator("cli");
    // Each entity's key and its fields with its version, as the API shows it.
    let mut items: Vec<(String, Value)> = Vec::new();
    with_resource_type!(kind, E => {
        let mut query = ListQuery {
            search: search.to_owned(),
            limit: MAX_LIMIT,
            ..ListQuery::default()
        };
        loop {
            let page = store.list_page::<E>(&operator, &query).await?;
            let done = page.items.len() < MAX_LIMIT as usize;
            items.extend(page.items.iter().map(|found| (found.item.key(), shown(found))));
            if done {
                break;
            }
            query.offset += MAX_LIMIT;
        }
    });
    if as_json {
        let items: Vec<Value> = items.into_iter().map(|(_, item)| item).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&items).expect("JSON serializes")
        );
        return Ok(());
    }
    let width = items.iter().map(|(key, _)| key.len()).max().unwrap_or(0);
    for (key, item) in &items {
        let version = &item["version"];
        let about = ["display_name", "product", "tier", "state"]
            .iter()
            .filter_map(|field| item.get(*field).and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("  ");
        println!("{key:<width$}  v{version:<3}  {about}");
    }
    eprintln!("{} {}", items.len(), kind.path());
    Ok(())
}

/// Every version of one entity, oldest first: who, when, what, why.
pub async fn history(
    store: &Store,
    kind: &str,
    key: &str,
    as_json: bool,
) -> Result<(), StartupError> {
    let kind = kind_of(kind)?;
    let records = store.history_of(kind.stored_kind(), key).await?;
    if as_json {
        let shown: Vec<Value> = records.iter().map(version_shown).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&shown).expect("JSON serializes")
        );
        return Ok(());
    }
    for r in &records {
        println!(
            "v{:<3}  {}  {:<8}  by {}  (revision {}): {}",
            r.entity_version,
            format_rfc3339_millis(r.at_ms),
            r.operation.as_str(),
            r.actor,
            r.revision,
            r.reason
        );
    }
    Ok(())
}
