//! Writing entities from the console: saving a form (create or update), and rolling an entity
//! back to an earlier version after a preview. Every write names the version it edited and a
//! reason; the store refuses a stale version, and the answer then says what changed
//! meanwhile so the person can reload or apply their edits again.
//!
//! Refusals are answers, not failures: a broken rule, a conflict or a refused write comes back
//! as a [`SaveOutcome`] the form shows next to the field or in its conflict view. Only what a
//! person cannot act on (the database is down) is a server-function error.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use strata_domain::diff::SideBySide;
use strata_domain::merge::Merge;
use strata_domain::rules::FieldError;

use crate::lists::EntityKind;

/// Someone else's change that landed after the version the form was loaded at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    /// The version the form edited.
    pub edited: i64,
    /// The version stored now, who wrote it, when and why.
    pub current: i64,
    pub actor: String,
    pub at: String,
    pub reason: String,
    /// What changed from the edited version to the current one (changed leaves only).
    pub changes: Vec<SideBySide>,
    /// The entity as stored now, to reload the form with; `None` when it was deleted.
    pub document: Option<Value>,
    /// The form's edits (from the version it edited to what it sent) merged into the stored
    /// version, with what both changed as conflicts to resolve; `None` when there is nothing
    /// to merge (the entity was deleted, or the write was no form's).
    pub merge: Option<Merge>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SaveOutcome {
    /// Written as `version`; `unchanged` when the form held what was stored already.
    Saved {
        key: String,
        version: i64,
        unchanged: bool,
    },
    /// Rules the input breaks, each at the field it names.
    Invalid(Vec<FieldError>),
    Conflict(Conflict),
    /// The store refused the write as a whole: a duplicate key, an entity still in use, or
    /// resolved configs the change would break (`details` lists them).
    Refused {
        message: String,
        details: Vec<String>,
    },
}

/// What rolling back would do: the entity now and as it would be, and how many resolved
/// configs it would change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RollbackPreview {
    pub to_version: i64,
    /// The version the rollback replaces (0 when the entity is deleted now).
    pub current: i64,
    pub rows: Vec<SideBySide>,
    pub configs_changed: usize,
    /// Why the rollback would be refused, when it would be.
    pub refusal: Option<String>,
}

/// Creates (`creating`) or updates the entity of `kind` from the form's JSON `document`,
/// which was loaded at `version`.
#[server(endpoint = "save")]
pub async fn save_entity(
    kind: EntityKind,
    creating: bool,
    version: i64,
    document: String,
    reason: String,
) -> Result<SaveOutcome, ServerFnError> {
    use crate::forms::check_draft;
    use crate::ssr::Console;

    let console = Console::current()?;
    let draft: Value = match serde_json::from_str(&document) {
        Ok(draft) => draft,
        Err(e) => return Ok(invalid("", format!("the form sent no JSON object: {e}"))),
    };
    let errors = check_draft(kind, &draft);
    if !errors.is_empty() {
        return Ok(SaveOutcome::Invalid(errors));
    }
    crate::with_entity_type!(kind, E => server::save::<E>(&console, creating, version, draft, &reason).await)
}

/// The preview of rolling `key` back to `to_version`: nothing is written.
#[server(endpoint = "rollback-preview")]
pub async fn preview_rollback(
    kind: EntityKind,
    key: String,
    to_version: i64,
) -> Result<RollbackPreview, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    crate::with_entity_type!(kind, E => server::preview_rollback::<E>(&console, &key, to_version).await)
}

/// Rolls `key` back to `to_version`; `expected` is the version the person saw (0 when the
/// entity is deleted now).
#[server(endpoint = "rollback")]
pub async fn roll_back(
    kind: EntityKind,
    key: String,
    to_version: i64,
    expected: i64,
    reason: String,
) -> Result<SaveOutcome, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    crate::with_entity_type!(kind, E => server::roll_back::<E>(&console, &key, to_version, expected, &reason).await)
}

/// Deletes `key`, seen at `version`: refused while anything still refers to it, or while its
/// own rules forbid it (a protected or active tenant). Its history remains.
#[server(endpoint = "delete")]
pub async fn delete_entity(
    kind: EntityKind,
    key: String,
    version: i64,
    reason: String,
) -> Result<SaveOutcome, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    crate::with_entity_type!(kind, E => server::commit_write::<E>(&console, &key, &reason, None, None, async |change| {
        change.delete::<E>(&key, version).await.map(|()| version + 1)
    })
    .await)
}

#[cfg(feature = "ssr")]
fn invalid(field: &str, rule: impl Into<String>) -> SaveOutcome {
    SaveOutcome::Invalid(vec![FieldError::new(field, rule)])
}

#[cfg(feature = "ssr")]
pub(crate) use server::{commit_write, conflict_with};

#[cfg(feature = "ssr")]
mod server {
    use leptos::prelude::ServerFnError;
    use serde_json::Value;
    use strata_domain::diff::side_by_side;
    use strata_domain::merge::three_way;
    use strata_domain::time::format_rfc3339_millis;
    use strata_store::changes::ChangeSet;
    use strata_store::entity::Entity;
    use strata_store::{Store, StoreError};

    use super::{Conflict, RollbackPreview, SaveOutcome, invalid};
    use crate::ssr::Console;

    fn failed(e: StoreError) -> ServerFnError {
        crate::ssr::store_failure(e)
    }

    pub async fn save<E: Entity>(
        console: &Console,
        creating: bool,
        version: i64,
        draft: Value,
        reason: &str,
    ) -> Result<SaveOutcome, ServerFnError> {
        let entity: E = match serde_json::from_value(draft) {
            Ok(entity) => entity,
            Err(e) => return Ok(invalid("", e.to_string())),
        };
        let key = entity.key();
        let edited = (!creating).then_some(version);
        // The form's document as the store writes it, to merge into a newer version.
        let mine = serde_json::to_value(&entity).map_err(|e| failed(StoreError::corrupt(e)))?;
        commit_write::<E>(console, &key, reason, edited, Some(&mine), async |change| {
            if creating {
                change.create(entity).await.map(|v| v.version)
            } else {
                change.update(version, entity).await.map(|v| v.version)
            }
        })
        .await
    }

    /// Makes `write` in a change set by the console's actor for `reason` and commits it. A
    /// refusal (from the write or at commit, such as configs the write would break) is the
    /// answer the form shows; `edited` is the version the form held, so saving what is stored
    /// already answers `unchanged`, and `mine` the entity the form wrote, merged into the
    /// stored version when someone else saved first.
    pub async fn commit_write<E: Entity>(
        console: &Console,
        key: &str,
        reason: &str,
        edited: Option<i64>,
        mine: Option<&Value>,
        write: impl AsyncFnOnce(&mut ChangeSet) -> Result<i64, StoreError>,
    ) -> Result<SaveOutcome, ServerFnError> {
        let store = &console.store;
        let mut change = match store.begin(&console.actor()?, reason).await {
            Ok(change) => change,
            Err(e) => return outcome_of::<E>(store, key, mine, e).await,
        };
        let written = match write(&mut change).await {
            Ok(written) => written,
            Err(e) => {
                change.abandon().await.map_err(failed)?;
                return outcome_of::<E>(store, key, mine, e).await;
            }
        };
        match change.commit().await {
            Ok(_) => Ok(SaveOutcome::Saved {
                key: key.to_owned(),
                unchanged: edited == Some(written),
                version: written,
            }),
            Err(e) => outcome_of::<E>(store, key, mine, e).await,
        }
    }

    pub async fn preview_rollback<E: Entity>(
        console: &Console,
        key: &str,
        to_version: i64,
    ) -> Result<RollbackPreview, ServerFnError> {
        let store = &console.store;
        store
            .check_read(&console.actor()?, E::KIND, key)
            .await
            .map_err(failed)?;
        let history = store.history(E::KIND, key).await.map_err(failed)?;
        let Some(target) = history.iter().find(|r| r.entity_version == to_version) else {
            return Err(crate::ssr::bad_argument(format!(
                "/version: {} {key:?} has no version {to_version}",
                E::KIND
            )));
        };
        let current = history.last().expect("the target version is in history");
        let now = current.after.clone().unwrap_or(Value::Null);
        let then = target.after.clone().unwrap_or(Value::Null);
        let mut preview = RollbackPreview {
            to_version,
            current: if current.after.is_some() {
                current.entity_version
            } else {
                0
            },
            rows: side_by_side(&now, &then),
            configs_changed: 0,
            refusal: None,
        };
        let entity = match serde_json::from_value::<E>(then) {
            Ok(entity) => entity,
            Err(_) if target.after.is_none() => {
                preview.refusal = Some(format!(
                    "version {to_version} is the deletion of {} {key:?}: there is nothing to roll back to",
                    E::KIND
                ));
                return Ok(preview);
            }
            Err(e) => {
                preview.refusal = Some(format!(
                    "version {to_version} no longer reads as a {}: {e}",
                    E::KIND
                ));
                return Ok(preview);
            }
        };
        let expected = (preview.current > 0).then_some(preview.current);
        match store.preview(&console.actor()?, entity, expected).await {
            Ok(impact) if impact.violations.is_empty() => {
                preview.configs_changed = impact.changed.len()
            }
            Ok(impact) => preview.refusal = Some(impact.violations.to_string()),
            Err(StoreError::Database(e)) => return Err(failed(StoreError::Database(e))),
            Err(e) => preview.refusal = Some(e.to_string()),
        }
        Ok(preview)
    }

    pub async fn roll_back<E: Entity>(
        console: &Console,
        key: &str,
        to_version: i64,
        expected: i64,
        reason: &str,
    ) -> Result<SaveOutcome, ServerFnError> {
        let expected = (expected > 0).then_some(expected);
        commit_write::<E>(console, key, reason, expected, None, async |change| {
            change
                .rollback::<E>(key, to_version, expected)
                .await
                .map(|v| v.version)
        })
        .await
    }

    /// What changed since `expected`, the version a form edited, up to `current`, and the
    /// form's entity `mine` merged into it (a three-way merge), for the conflict view.
    pub(crate) async fn conflict_with<E: Entity>(
        store: &Store,
        key: &str,
        mine: Option<&Value>,
        expected: i64,
        current: strata_store::VersionStamp,
    ) -> Result<Conflict, ServerFnError> {
        let history = store.history(E::KIND, key).await.map_err(failed)?;
        let image = |version: i64| {
            history
                .iter()
                .find(|r| r.entity_version == version)
                .and_then(|r| r.after.clone())
                .unwrap_or(Value::Null)
        };
        let latest = history.iter().find(|r| r.entity_version == current.version);
        let document = image(current.version);
        let base = image(expected);
        let mut merge = mine
            .filter(|_| !document.is_null() && !base.is_null())
            .map(|mine| three_way(&base, &document, mine));
        if let (Some(merge), Some(mine)) = (merge.as_mut(), mine) {
            // A secret typed in the form is shown masked in the conflict, as stored
            // ones are.
            let schema = match E::KIND {
                "deployable" => Some(("/default_config", mine["config_schema"].clone())),
                "config layer" => match mine["deployable"].as_str() {
                    Some(d) => store
                        .get::<strata_domain::deployable::Deployable>(d)
                        .await
                        .ok()
                        .map(|found| ("/config", found.item.config_schema)),
                    None => None,
                },
                _ => None,
            };
            if let Some((inside, schema)) = schema {
                merge.mark_secrets(&schema, inside, &[&document, mine]);
            }
        }
        Ok(Conflict {
            edited: expected,
            current: current.version,
            actor: current.actor,
            at: format_rfc3339_millis(current.at_ms),
            reason: latest.map(|r| r.reason.clone()).unwrap_or_default(),
            changes: side_by_side(&base, &document)
                .into_iter()
                .filter(|row| row.changed())
                .collect(),
            document: (!document.is_null()).then_some(document),
            merge,
        })
    }

    /// The answer for a refused write: a rule at its field, the conflict with what changed
    /// meanwhile (and `mine` merged into it), or the refusal with its list.
    async fn outcome_of<E: Entity>(
        store: &Store,
        key: &str,
        mine: Option<&Value>,
        error: StoreError,
    ) -> Result<SaveOutcome, ServerFnError> {
        Ok(match error {
            StoreError::Invalid { field, rule } => invalid(&field, rule),
            StoreError::Conflict {
                expected, current, ..
            } => SaveOutcome::Conflict(conflict_with::<E>(store, key, mine, expected, current).await?),
            StoreError::Unresolvable(violations) => SaveOutcome::Refused {
                message: format!(
                    "Refused: the change would break {} rule(s) of resolved configs. Nothing was written.",
                    violations.total
                ),
                details: violations
                    .first
                    .iter()
                    .map(|v| format!("{}: {} {}", v.target, v.field, v.rule))
                    .chain(
                        (violations.total > violations.first.len()).then(|| {
                            format!("and {} more", violations.total - violations.first.len())
                        }),
                    )
                    .collect(),
            },
            StoreError::InUse {
                dependents, total, ..
            } => SaveOutcome::Refused {
                message: format!("Refused: still used by {total}. Nothing was written."),
                details: dependents,
            },
            // A layer is created by saving its page: someone else saved it first.
            StoreError::Duplicate { .. } if E::KIND == "config layer" => SaveOutcome::Refused {
                message: "Someone created this layer meanwhile: reload the page to edit it. Nothing was written.".to_owned(),
                details: Vec::new(),
            },
            // Every other kind the console edits is keyed by its `name`.
            e @ StoreError::Duplicate { .. } => invalid("/name", e.to_string()),
            e @ StoreError::NotFound { .. } => SaveOutcome::Refused {
                message: format!("Refused: {e}. Nothing was written."),
                details: Vec::new(),
            },
            other => return Err(failed(other)),
        })
    }
}
