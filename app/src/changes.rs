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

use strata_domain::kind::Kind;

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
    /// An approval policy covers the change: it may be proposed for review instead (the
    /// message names the policy).
    NeedsReview(String),
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
    kind: Kind,
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
    strata_domain::with_kind!(kind, E => server::save::<E>(&console, creating, version, draft, &reason).await)
}

/// Every rule the entity of `kind` in the form's JSON `document` breaks, checked on the
/// server: the rules that need the schema checker, which the browser bundle leaves out
/// ([`crate::forms::checked_on_server`]). Nothing is written.
#[server(endpoint = "check")]
pub async fn check_entity(kind: Kind, document: String) -> Result<Vec<FieldError>, ServerFnError> {
    use crate::forms::check_draft;
    use crate::ssr::Console;

    // Only for whom may write such an entity somewhere: a check compiles the schema it is
    // sent, which is work.
    let actor = Console::current()?.actor()?;
    actor
        .check_writes_some(kind)
        .map_err(crate::ssr::store_failure)?;
    let draft: Value = serde_json::from_str(&document)
        .map_err(|e| crate::ssr::bad_argument(format!("document: not a JSON object: {e}")))?;
    Ok(check_draft(kind, &draft))
}

/// The preview of rolling `key` back to `to_version`: nothing is written.
#[server(endpoint = "rollback-preview")]
pub async fn preview_rollback(
    kind: Kind,
    key: String,
    to_version: i64,
) -> Result<RollbackPreview, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    strata_domain::with_kind!(kind, E => server::preview_rollback::<E>(&console, &key, to_version).await)
}

/// Rolls `key` back to `to_version`; `expected` is the version the person saw (0 when the
/// entity is deleted now).
#[server(endpoint = "rollback")]
pub async fn roll_back(
    kind: Kind,
    key: String,
    to_version: i64,
    expected: i64,
    reason: String,
) -> Result<SaveOutcome, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    strata_domain::with_kind!(kind, E => server::roll_back::<E>(&console, &key, to_version, expected, &reason).await)
}

/// Deletes `key`, seen at `version`: refused while anything still refers to it, or while its
/// own rules forbid it (a protected or active tenant). Its history remains.
#[server(endpoint = "delete")]
pub async fn delete_entity(
    kind: Kind,
    key: String,
    version: i64,
    reason: String,
) -> Result<SaveOutcome, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    strata_domain::with_kind!(kind, E => server::delete::<E>(&console, &key, version, &reason).await)
}

#[cfg(feature = "ssr")]
fn invalid(field: &str, rule: impl Into<String>) -> SaveOutcome {
    SaveOutcome::Invalid(vec![FieldError::new(field, rule)])
}

#[cfg(feature = "ssr")]
pub(crate) use server::{conflict, outcome};

#[cfg(feature = "ssr")]
mod server {
    use leptos::prelude::ServerFnError;
    use serde_json::Value;
    use strata_domain::diff::side_by_side;
    use strata_domain::time::format_rfc3339_millis;
    use strata_store::access::Reader;
    use strata_store::conflicts::Meanwhile;
    use strata_store::entity::Entity;
    use strata_store::write::Written;
    use strata_store::{StoreError, VersionStamp};

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
        // The form's document as the store writes it, to merge into a newer version.
        let mine = serde_json::to_value(&entity).map_err(|e| failed(StoreError::corrupt(e)))?;
        let written = console
            .store
            .write::<E>(
                &console.actor()?,
                reason,
                &key,
                async |change| match creating {
                    true => change.create(entity).await.map(Some),
                    false => change.update(version, entity).await.map(Some),
                },
            )
            .await;
        entity_outcome(console, &key, Some(&mine), written).await
    }

    pub async fn delete<E: Entity>(
        console: &Console,
        key: &str,
        version: i64,
        reason: &str,
    ) -> Result<SaveOutcome, ServerFnError> {
        let written = console
            .store
            .write::<E>(&console.actor()?, reason, key, async |change| {
                change.delete::<E>(key, version).await.map(|()| None)
            })
            .await;
        entity_outcome(console, key, None, written).await
    }

    pub async fn roll_back<E: Entity>(
        console: &Console,
        key: &str,
        to_version: i64,
        expected: i64,
        reason: &str,
    ) -> Result<SaveOutcome, ServerFnError> {
        let expected = (expected > 0).then_some(expected);
        let written = console
            .store
            .write::<E>(&console.actor()?, reason, key, async |change| {
                change
                    .rollback::<E>(key, to_version, expected)
                    .await
                    .map(Some)
            })
            .await;
        entity_outcome(console, key, None, written).await
    }

    /// [`outcome`] for a write of one entity; `mine` is what the form wrote, merged into a
    /// newer version when someone saved first.
    async fn entity_outcome<E: Entity>(
        console: &Console,
        key: &str,
        mine: Option<&Value>,
        written: Result<Written<E>, StoreError>,
    ) -> Result<SaveOutcome, ServerFnError> {
        outcome(
            console,
            E::KIND,
            key,
            written,
            async |reader, expected, current| {
                reader
                    .meanwhile(E::KIND, key, mine, expected, current)
                    .await
            },
        )
        .await
    }

    /// The answer the form shows for a write of the entity of `kind` and `key`: saved, or
    /// refused — a rule at its field, the conflict with what changed meanwhile (`meanwhile`
    /// says what, with the form's edits merged in), or the refusal with its list.
    pub async fn outcome<T>(
        console: &Console,
        kind: &'static str,
        key: &str,
        written: Result<Written<T>, StoreError>,
        meanwhile: impl AsyncFnOnce(&Reader<'_>, i64, VersionStamp) -> Result<Meanwhile, StoreError>,
    ) -> Result<SaveOutcome, ServerFnError> {
        let error = match written {
            Ok(written) => {
                return Ok(SaveOutcome::Saved {
                    key: key.to_owned(),
                    version: written.version(),
                    unchanged: written.unchanged(),
                });
            }
            Err(error) => error,
        };
        Ok(match error {
            StoreError::Invalid { field, rule } => invalid(&field, rule),
            StoreError::Conflict {
                expected, current, ..
            } => {
                let actor = console.actor()?;
                let found = meanwhile(&console.store.as_actor(&actor), expected, current)
                    .await
                    .map_err(failed)?;
                SaveOutcome::Conflict(conflict(found))
            }
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
            StoreError::Duplicate { .. } if kind == "config layer" => SaveOutcome::Refused {
                message: "Someone created this layer meanwhile: reload the page to edit it. Nothing was written.".to_owned(),
                details: Vec::new(),
            },
            // Every other kind the console edits is keyed by its `name`.
            e @ StoreError::Duplicate { .. } => invalid("/name", e.to_string()),
            StoreError::ApprovalRequired { need, .. } => SaveOutcome::NeedsReview(need),
            e @ StoreError::NotFound { .. } => SaveOutcome::Refused {
                message: format!("Refused: {e}. Nothing was written."),
                details: Vec::new(),
            },
            other => return Err(failed(other)),
        })
    }

    /// The conflict view of what changed meanwhile.
    pub(crate) fn conflict(meanwhile: Meanwhile) -> Conflict {
        Conflict {
            edited: meanwhile.edited,
            current: meanwhile.current.version,
            actor: meanwhile.current.actor,
            at: format_rfc3339_millis(meanwhile.current.at_ms),
            reason: meanwhile.reason,
            changes: side_by_side(&meanwhile.base, &meanwhile.theirs)
                .into_iter()
                .filter(|row| row.changed())
                .collect(),
            document: (!meanwhile.theirs.is_null()).then_some(meanwhile.theirs),
            merge: meanwhile.merge,
        }
    }

    /// What rolling back would do, as the store would refuse or make it.
    pub async fn preview_rollback<E: Entity>(
        console: &Console,
        key: &str,
        to_version: i64,
    ) -> Result<RollbackPreview, ServerFnError> {
        let actor = console.actor()?;
        let reader = console.store.as_actor(&actor);
        let history = reader.history(E::KIND, key).await.map_err(failed)?;
        // A version that is not there has no image; the store says why it cannot be had.
        let then = history
            .iter()
            .find(|r| r.entity_version == to_version)
            .and_then(|r| r.after.clone())
            .unwrap_or(Value::Null);
        let latest = history.last().expect("history is never empty");
        let now = latest.after.clone().unwrap_or(Value::Null);
        let current = if latest.after.is_some() {
            latest.entity_version
        } else {
            0
        };
        let mut preview = RollbackPreview {
            to_version,
            current,
            rows: side_by_side(&E::OF.edited(&now), &E::OF.edited(&then)),
            configs_changed: 0,
            refusal: None,
        };
        let expected = (current > 0).then_some(current);
        match reader
            .preview_rollback::<E>(key, to_version, expected)
            .await
        {
            Ok(impact) if impact.violations.is_empty() => {
                preview.configs_changed = impact.changed.len()
            }
            Ok(impact) => preview.refusal = Some(impact.violations.to_string()),
            Err(e @ StoreError::Database(_)) => return Err(failed(e)),
            Err(e) => preview.refusal = Some(e.to_string()),
        }
        Ok(preview)
    }
}
