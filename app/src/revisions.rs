//! Whole revisions of the domain: what differs between any two, and restoring the domain to an
//! earlier one after seeing what the restore would change.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use strata_domain::diff::SideBySide;

/// One entity that differs between two revisions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntityDifference {
    pub kind: String,
    pub key: String,
    /// added, removed or changed (from the first revision to the second).
    pub change: String,
    /// The values that differ.
    pub rows: Vec<SideBySide>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevisionDiff {
    pub from: i64,
    pub to: i64,
    /// The first [`SHOWN_DIFFERENCES`] entities that differ.
    pub entities: Vec<EntityDifference>,
    /// How many differ in all.
    pub total: usize,
}

/// How many differing entities a diff lists; the count says how many there are.
pub const SHOWN_DIFFERENCES: usize = 100;

/// What differs from revision `from` to revision `to`.
#[server(endpoint = "revision-diff")]
pub async fn compare_revisions(from: i64, to: i64) -> Result<RevisionDiff, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    let (store, actor) = (&console.store, console.actor()?);
    let fail = crate::ssr::store_failure;
    let current = store.domain().await.map_err(fail)?.revision;
    for (field, revision) in [("from", from), ("to", to)] {
        if !(0..=current).contains(&revision) {
            return Err(crate::ssr::bad_argument(format!(
                "{field}: revision {revision} does not exist; the domain is at revision {current}"
            )));
        }
    }
    // Only what the person may read, at both revisions.
    let reader = store.as_actor(&actor);
    let before = reader.state_at(from).await.map_err(fail)?;
    let after = reader.state_at(to).await.map_err(fail)?;
    Ok(differences(from, to, &before, &after))
}

/// What restoring the domain to `revision` would change: the diff from the current revision.
#[server(endpoint = "restore-preview")]
pub async fn preview_restore(revision: i64) -> Result<RevisionDiff, ServerFnError> {
    use crate::ssr::Console;

    let store = Console::current()?.store;
    let current = store
        .domain()
        .await
        .map_err(crate::ssr::store_failure)?
        .revision;
    compare_revisions(current, revision).await
}

/// Restores the domain to `revision` as one new revision. Answers what happened, in words; a
/// refused restore (a protected tenant would go, say) answers why, and writes nothing.
#[server(endpoint = "restore")]
pub async fn restore_domain(revision: i64, reason: String) -> Result<RestoreAnswer, ServerFnError> {
    use strata_store::StoreError;

    use crate::ssr::Console;

    let console = Console::current()?;
    let before = console
        .store
        .domain()
        .await
        .map_err(crate::ssr::store_failure)?
        .revision;
    Ok(
        match console
            .store
            .restore(&console.actor()?, &reason, revision)
            .await
        {
            Ok(made) if made == before => RestoreAnswer::Unchanged,
            Ok(made) => RestoreAnswer::Restored { revision: made },
            Err(e @ (StoreError::Database(_) | StoreError::Forbidden(_))) => {
                return Err(crate::ssr::store_failure(e));
            }
            Err(e) => RestoreAnswer::Refused(e.to_string()),
        },
    )
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RestoreAnswer {
    /// The domain now equals the revision, as this new revision.
    Restored {
        revision: i64,
    },
    /// The domain already equalled it: nothing was written.
    Unchanged,
    Refused(String),
}

#[cfg(feature = "ssr")]
fn differences(
    from: i64,
    to: i64,
    before: &strata_store::history::State,
    after: &strata_store::history::State,
) -> RevisionDiff {
    use std::collections::BTreeSet;

    use serde_json::Value;
    use strata_domain::diff::side_by_side;

    let mut entities = Vec::new();
    let mut total = 0;
    let kinds: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    for kind in kinds {
        let empty = Default::default();
        let (old, new) = (
            before.get(kind).unwrap_or(&empty),
            after.get(kind).unwrap_or(&empty),
        );
        let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        for key in keys {
            let (a, b) = (old.get(key), new.get(key));
            if a == b {
                continue;
            }
            total += 1;
            if entities.len() >= SHOWN_DIFFERENCES {
                continue;
            }
            let change = match (a, b) {
                (None, _) => "added",
                (_, None) => "removed",
                _ => "changed",
            };
            entities.push(EntityDifference {
                kind: kind.clone(),
                key: key.clone(),
                change: change.to_owned(),
                rows: side_by_side(a.unwrap_or(&Value::Null), b.unwrap_or(&Value::Null))
                    .into_iter()
                    .filter(|r| r.changed())
                    .collect(),
            });
        }
    }
    RevisionDiff {
        from,
        to,
        entities,
        total,
    }
}
