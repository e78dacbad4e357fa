//! Change requests in the console: the lists ("Waiting for my review", "My requests",
//! everything one may see), one request as its review page shows it (its writes side by side,
//! the policies it needs and who approved it, stale writes, its history with comments), its
//! impact preview, and what people do with it — propose (from the config editor), comment,
//! approve, request changes, reject, edit, rebase, withdraw, apply. Each a store call.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use strata_domain::diff::SideBySide;
use strata_domain::kind::Kind;

use crate::layers::LayerImpact;

/// A request in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestRow {
    pub id: i64,
    pub title: String,
    pub state: String,
    pub author: String,
    pub writes: usize,
    /// When it last changed, RFC 3339.
    pub updated: String,
}

/// One proposed write as the review shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WriteShown {
    pub kind: Kind,
    pub key: String,
    /// create, update or delete.
    pub operation: String,
    pub base_version: Option<i64>,
    /// The entity at the version it was proposed on and as proposed, side by side (secrets
    /// as masks), at the paths its editor shows.
    pub rows: Vec<SideBySide>,
    /// The part a person edits, as JSON text, for its author to edit.
    pub edited: String,
}

/// One policy a request needs, in words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NeedShown {
    pub policy: String,
    pub covering: String,
    pub asks: String,
    pub example: String,
}

/// One line of a request's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventShown {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub person: String,
    /// "approved", "requested changes", …
    pub event: String,
    pub comment: String,
    pub pointer: Option<String>,
    pub reply_to: Option<i64>,
    /// Whether it was said of the request's current content (an approval that is not no
    /// longer counts).
    pub current: bool,
}

/// A write whose entity changed since it was proposed on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaleShown {
    pub kind: String,
    pub key: String,
    pub base_version: Option<i64>,
    pub current_version: Option<i64>,
}

/// A request as its review page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestView {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub author: String,
    pub state: String,
    pub content_hash: String,
    pub applied_revision: Option<i64>,
    pub created: String,
    pub writes: Vec<WriteShown>,
    pub needs: Vec<NeedShown>,
    pub approved_by: Vec<String>,
    pub unmet: Option<String>,
    pub stale: Vec<StaleShown>,
    pub history: Vec<EventShown>,
    pub may_review: bool,
    pub may_edit: bool,
    pub may_apply: bool,
}

/// What a person did with a request: done (with what to say), or refused (why).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum RequestOutcome {
    Done(String),
    Refused(String),
}

/// The requests `filter` names: `waiting` for the signed-in person's review, `mine`, or
/// `all` they may see; newest first.
#[server(endpoint = "change-requests")]
pub async fn list_requests(filter: String) -> Result<Vec<RequestRow>, ServerFnError> {
    use strata_domain::time::format_rfc3339_millis;
    use strata_store::review::requests::RequestFilter;

    use crate::ssr::{Console, bad_argument, store_failure};

    let filter = match filter.as_str() {
        "waiting" => RequestFilter::WaitingForMe,
        "mine" => RequestFilter::Mine,
        "all" => RequestFilter::All,
        other => {
            return Err(bad_argument(format!(
                "filter {other:?}: one of waiting, mine, all"
            )));
        }
    };
    let console = Console::current()?;
    let actor = console.actor()?;
    let requests = console
        .store
        .as_actor(&actor)
        .change_requests(filter)
        .await
        .map_err(store_failure)?;
    Ok(requests
        .into_iter()
        .map(|r| RequestRow {
            id: r.id,
            title: r.title,
            state: r.state.as_str().to_owned(),
            author: r.author,
            writes: r.writes.len(),
            updated: format_rfc3339_millis(r.updated_ms),
        })
        .collect())
}

/// One request, judged now; `None` when it does not exist for the signed-in person.
#[server(endpoint = "change-request")]
pub async fn get_request(id: i64) -> Result<Option<RequestView>, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    server::view(&console, id).await
}

/// What the request's writes would do to resolved configs now, as the layer editor's preview
/// shows it.
#[server(endpoint = "change-request-impact")]
pub async fn request_impact(id: i64) -> Result<LayerImpact, ServerFnError> {
    use crate::ssr::{Console, store_failure};

    let console = Console::current()?;
    let actor = console.actor()?;
    let reader = console.store.as_actor(&actor);
    let mut answer = LayerImpact::default();
    match reader.request_impact(id).await {
        Ok(impact) => crate::layers::server::shown_impact(&reader, impact, &mut answer).await?,
        Err(
            e @ (strata_store::StoreError::NotFound { .. } | strata_store::StoreError::Database(_)),
        ) => {
            return Err(store_failure(e));
        }
        // Writes that no longer apply (stale): said, for the author to rebase.
        Err(e) => answer.refusal = Some(e.to_string()),
    }
    Ok(answer)
}

/// Proposes the layer edit a config editor holds (as `layer-save` would save it) for review;
/// answers the request's number.
#[server(endpoint = "layer-propose")]
#[allow(clippy::too_many_arguments)]
pub async fn propose_layer(
    deployable: String,
    kind: String,
    name: String,
    version: i64,
    config: String,
    title: String,
    description: String,
) -> Result<RequestOutcome, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    let (deployable, scope, config) =
        match crate::layers::server::edit_of(&deployable, &kind, &name, &config) {
            Ok(edit) => edit,
            Err((field, rule)) => return Ok(RequestOutcome::Refused(format!("{field}: {rule}"))),
        };
    let actor = console.actor()?;
    let proposed = console
        .store
        .propose_layer(
            &actor,
            &deployable,
            &scope,
            config,
            version,
            &title,
            &description,
        )
        .await;
    server::outcome(proposed.map(|r| format!("/change-requests/{}", r.id)))
}

/// Proposes the entity a form holds (as `save` would write it: created, or an edit of
/// `version`) for review; answers where the request is.
#[server(endpoint = "entity-propose")]
pub async fn propose_entity(
    kind: Kind,
    creating: bool,
    version: i64,
    document: String,
    title: String,
    description: String,
) -> Result<RequestOutcome, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    let write = match form_write(kind, creating, version, &document) {
        Ok(write) => write,
        Err(why) => return Ok(RequestOutcome::Refused(why)),
    };
    let actor = console.actor()?;
    let proposed = console
        .store
        .propose(&actor, &title, &description, vec![write])
        .await;
    server::outcome(proposed.map(|r| format!("/change-requests/{}", r.id)))
}

/// Proposes rolling `key` back to `to_version` (as `rollback` would write it over `expected`,
/// 0 when it is deleted now) for review; answers where the request is.
#[server(endpoint = "rollback-propose")]
pub async fn propose_rollback(
    kind: Kind,
    key: String,
    to_version: i64,
    expected: i64,
    title: String,
    description: String,
) -> Result<RequestOutcome, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    let actor = console.actor()?;
    let expected = (expected > 0).then_some(expected);
    let proposed = strata_domain::with_kind!(kind, E => console
        .store
        .propose_rollback::<E>(&actor, &key, to_version, expected, &title, &description)
        .await);
    server::outcome(proposed.map(|r| format!("/change-requests/{}", r.id)))
}

/// Proposes deleting `key` at `version` for review; answers where the request is.
#[server(endpoint = "delete-propose")]
pub async fn propose_delete(
    kind: Kind,
    key: String,
    version: i64,
    title: String,
    description: String,
) -> Result<RequestOutcome, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    let actor = console.actor()?;
    let write = strata_domain::change_request::ProposedWrite {
        kind,
        key,
        base_version: Some(version),
        image: None,
    };
    let proposed = console
        .store
        .propose(&actor, &title, &description, vec![write])
        .await;
    server::outcome(proposed.map(|r| format!("/change-requests/{}", r.id)))
}

/// Whether a save needs review.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Review {
    /// What the policy that covers it asks, in words; none where the save may be made (or
    /// would be refused for another reason, which the save then says).
    pub needs: Option<String>,
}

/// Whether saving the entity a form holds (as `save` would write it) needs review, and
/// which policy asks it: the form then offers "Propose" instead of "Save".
#[server(endpoint = "entity-review-needed")]
pub async fn entity_review_needed(
    kind: Kind,
    creating: bool,
    version: i64,
    document: String,
) -> Result<Review, ServerFnError> {
    use strata_store::StoreError;

    use crate::ssr::{Console, store_failure};

    let console = Console::current()?;
    let actor = console.actor()?;
    let Ok(write) = form_write(kind, creating, version, &document) else {
        return Ok(Review { needs: None });
    };
    match console.store.review_needed(&actor, &[write]).await {
        Ok(needs) => Ok(Review {
            needs: needs.summary(),
        }),
        // What the save shows best is left to it: a version saved meanwhile (with the merge),
        // a name taken, configs it would break (each listed).
        Err(
            StoreError::Conflict { .. }
            | StoreError::Duplicate { .. }
            | StoreError::Unresolvable(_),
        ) => Ok(Review { needs: None }),
        // Anything else is said as the save would say it: who may not make the write, what
        // does not exist for them, a rule.
        Err(e) => Err(store_failure(e)),
    }
}

/// The write an entity form's save makes: `document` created, or written over `version`.
#[cfg(feature = "ssr")]
fn form_write(
    kind: Kind,
    creating: bool,
    version: i64,
    document: &str,
) -> Result<strata_domain::change_request::ProposedWrite, String> {
    let image: serde_json::Value =
        serde_json::from_str(document).map_err(|e| format!("/document: not JSON: {e}"))?;
    let key = strata_domain::with_kind!(kind, E => serde_json::from_value::<E>(image.clone())
        .map(|e| strata_store::entity::Entity::key(&e)))
    .map_err(|e| format!("/document: {e}"))?;
    Ok(strata_domain::change_request::ProposedWrite {
        kind,
        key,
        base_version: (!creating).then_some(version),
        image: Some(image),
    })
}

/// Says something of a request: `verdict` is comment, approve, request_changes or reject;
/// `content_hash` the content the reviewer read.
#[server(endpoint = "change-request-review")]
pub async fn review_request(
    id: i64,
    verdict: String,
    content_hash: String,
    comment: String,
    pointer: Option<String>,
    reply_to: Option<i64>,
) -> Result<RequestOutcome, ServerFnError> {
    use strata_domain::change_request::Verdict;

    use crate::ssr::{Console, bad_argument};

    let verdict = match verdict.as_str() {
        "comment" => Verdict::Comment,
        "approve" => Verdict::Approve,
        "request_changes" => Verdict::RequestChanges,
        "reject" => Verdict::Reject,
        other => {
            return Err(bad_argument(format!(
                "verdict {other:?}: one of comment, approve, request_changes, reject"
            )));
        }
    };
    let console = Console::current()?;
    let actor = console.actor()?;
    let pointer = pointer.filter(|p| !p.is_empty());
    let said = console
        .store
        .review_request(
            &actor,
            id,
            verdict,
            &content_hash,
            &comment,
            pointer.as_deref(),
            reply_to,
        )
        .await;
    server::outcome(said.map(|entry| entry.event.words().to_owned()))
}

/// Its author replaces its title, description and the edited part of each write (JSON text,
/// in the order the review shows them).
#[server(endpoint = "change-request-edit")]
pub async fn edit_request(
    id: i64,
    content_hash: String,
    title: String,
    description: String,
    edited: Vec<String>,
) -> Result<RequestOutcome, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    server::edit(&console, id, &content_hash, &title, &description, &edited).await
}

/// Its author takes in what changed meanwhile (a three-way merge), or takes it back
/// (`withdraw`); its author or an approver applies it (`apply`).
#[server(endpoint = "change-request-act")]
pub async fn act_on_request(
    id: i64,
    action: String,
    content_hash: String,
) -> Result<RequestOutcome, ServerFnError> {
    use crate::ssr::{Console, bad_argument};

    let console = Console::current()?;
    let actor = console.actor()?;
    let store = &console.store;
    match action.as_str() {
        "rebase" => server::outcome(
            store
                .rebase_request(&actor, id, &content_hash)
                .await
                .map(|_| "Rebased: approvals given before no longer count.".to_owned()),
        ),
        "withdraw" => server::outcome(
            store
                .withdraw_request(&actor, id, "")
                .await
                .map(|_| "Withdrawn.".to_owned()),
        ),
        "apply" => server::outcome(
            store
                .apply_request(&actor, id)
                .await
                .map(|(_, revision)| format!("Applied as revision {revision}.")),
        ),
        other => Err(bad_argument(format!(
            "action {other:?}: one of rebase, withdraw, apply"
        ))),
    }
}

#[cfg(feature = "ssr")]
mod server {
    use leptos::prelude::ServerFnError;
    use serde_json::Value;
    use strata_domain::diff::side_by_side;
    use strata_domain::time::format_rfc3339_millis;
    use strata_store::StoreError;

    use super::{EventShown, NeedShown, RequestOutcome, RequestView, StaleShown, WriteShown};
    use crate::ssr::{Console, store_failure};

    /// A refusal the page shows beside the request (a rule, a stale version, content that
    /// changed meanwhile); what the person may not do, or not see, answers 403 or 404 as any
    /// server function does, and a failure is an error.
    pub fn outcome(done: Result<String, StoreError>) -> Result<RequestOutcome, ServerFnError> {
        match done {
            Ok(said) => Ok(RequestOutcome::Done(said)),
            // Approvals that fall short are a refusal to show, not a lack of rights.
            Err(e @ StoreError::ApprovalRequired { .. }) => {
                Ok(RequestOutcome::Refused(e.to_string()))
            }
            Err(e) if matches!(e.status(), 403 | 404 | 500 | 503) => Err(store_failure(e)),
            Err(e) => Ok(RequestOutcome::Refused(e.to_string())),
        }
    }

    pub async fn view(console: &Console, id: i64) -> Result<Option<RequestView>, ServerFnError> {
        let actor = console.actor()?;
        let reader = console.store.as_actor(&actor);
        let review = match reader.request_review(id).await {
            Ok(review) => review,
            Err(StoreError::NotFound { .. }) => return Ok(None),
            Err(e) => return Err(store_failure(e)),
        };
        let request = review.request;
        let mut writes = Vec::new();
        for write in &request.writes {
            let before = match write.base_version {
                Some(version) => match reader
                    .version_images(write.kind.name(), &write.key, version, version)
                    .await
                {
                    Ok((image, _)) => image,
                    Err(StoreError::NotFound { .. }) => Value::Null,
                    Err(e) => return Err(store_failure(e)),
                },
                None => Value::Null,
            };
            let after = write.image.clone().unwrap_or(Value::Null);
            let edited = write.kind.edited(&after);
            writes.push(WriteShown {
                kind: write.kind,
                key: write.key.clone(),
                operation: match (&write.image, write.base_version) {
                    (None, _) => "delete",
                    (Some(_), None) => "create",
                    (Some(_), Some(_)) => "update",
                }
                .to_owned(),
                base_version: write.base_version,
                rows: side_by_side(&write.kind.edited(&before), &edited),
                edited: serde_json::to_string_pretty(&edited).expect("JSON serializes"),
            });
        }
        let hash = request.content_hash.clone();
        Ok(Some(RequestView {
            id: request.id,
            title: request.title,
            description: request.description,
            author: request.author,
            state: request.state.as_str().to_owned(),
            content_hash: hash.clone(),
            applied_revision: request.applied_revision,
            created: format_rfc3339_millis(request.created_ms),
            writes,
            needs: review
                .needs
                .policies
                .into_iter()
                .map(|n| NeedShown {
                    policy: n.policy,
                    covering: n.covering,
                    asks: n.asks,
                    example: n.example,
                })
                .collect(),
            approved_by: review.approved_by,
            unmet: review.unmet,
            stale: review
                .stale
                .into_iter()
                .map(|s| StaleShown {
                    kind: s.kind,
                    key: s.key,
                    base_version: s.base_version,
                    current_version: s.current_version,
                })
                .collect(),
            history: review
                .history
                .into_iter()
                .map(|e| EventShown {
                    seq: e.seq,
                    at: format_rfc3339_millis(e.at_ms),
                    actor: e.actor,
                    person: e.person,
                    event: e.event.words().to_owned(),
                    comment: e.comment,
                    pointer: e.pointer,
                    reply_to: e.reply_to,
                    current: e.content_hash == hash,
                })
                .collect(),
            may_review: review.may.review,
            may_edit: review.may.edit,
            may_apply: review.may.apply,
        }))
    }

    pub async fn edit(
        console: &Console,
        id: i64,
        content_hash: &str,
        title: &str,
        description: &str,
        edited: &[String],
    ) -> Result<RequestOutcome, ServerFnError> {
        let actor = console.actor()?;
        let request = match console.store.as_actor(&actor).change_request(id).await {
            Ok(request) => request,
            Err(e) => return outcome(Err(e)),
        };
        if edited.len() != request.writes.len() {
            return Ok(RequestOutcome::Refused(format!(
                "/writes: the request has {} writes, {} were sent",
                request.writes.len(),
                edited.len()
            )));
        }
        let mut writes = request.writes.clone();
        for (i, (write, text)) in writes.iter_mut().zip(edited).enumerate() {
            let Some(image) = write.image.as_mut() else {
                continue;
            };
            let value: Value = match serde_json::from_str(text) {
                Ok(value) => value,
                Err(e) => {
                    return Ok(RequestOutcome::Refused(format!(
                        "/writes/{i}: not JSON: {e}"
                    )));
                }
            };
            match write.kind.edited_part() {
                Some(pointer) => match image.pointer_mut(pointer) {
                    Some(part) => *part = value,
                    None => {
                        return Ok(RequestOutcome::Refused(format!(
                            "/writes/{i}: no {pointer}"
                        )));
                    }
                },
                None => *image = value,
            }
        }
        outcome(
            console
                .store
                .edit_request(&actor, id, content_hash, title, description, writes)
                .await
                .map(|_| "Saved: approvals given before no longer count.".to_owned()),
        )
    }
}
