//! The audit log as the console shows it: every change in the domain, newest first, filtered
//! by actor, kind, key and time, each with what it changed; and whether the history's hash
//! chain still verifies.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use strata_domain::audit::{AuditFilter, ChainReport};

/// One line of what a change did: `replace /display_name: "Production"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeLine {
    pub op: String,
    pub path: String,
    pub value: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    pub revision: i64,
    pub kind: String,
    pub key: String,
    pub version: i64,
    pub operation: String,
    pub actor: String,
    pub at: String,
    pub reason: String,
    pub changes: Vec<ChangeLine>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditView {
    pub rows: Vec<AuditRow>,
    pub total: i64,
    /// Whether the hash chain verifies, as this reader may learn it.
    pub chain: ChainReport,
}

#[server(endpoint = "audit")]
pub async fn get_audit(
    #[server(default)] filter: AuditFilter,
    offset: i64,
    limit: i64,
) -> Result<AuditView, ServerFnError> {
    use serde_json::Value;
    use strata_domain::diff::{PatchOp, diff};
    use strata_domain::time::format_rfc3339_millis;

    use crate::ssr::Console;

    let console = Console::current()?;
    let store = &console.store;
    let fail = crate::ssr::store_failure;
    let actor = console.actor()?;
    let reader = store.as_actor(&actor);
    let page = reader
        .audit_trail(&filter, offset, limit)
        .await
        .map_err(fail)?;
    let chain = reader.chain().await.map_err(fail)?;
    let compact = |v: &Value| serde_json::to_string(v).expect("JSON serializes");
    Ok(AuditView {
        rows: page
            .items
            .into_iter()
            .map(|r| {
                // A create adds each field and a delete removes each one.
                let nothing = || Value::Object(Default::default());
                let before = r.before.clone().unwrap_or_else(nothing);
                let after = r.after.clone().unwrap_or_else(nothing);
                let changes = diff(&before, &after)
                    .into_iter()
                    .map(|op| match op {
                        PatchOp::Add { path, value } => ChangeLine {
                            op: "add".into(),
                            path,
                            value: Some(compact(&value)),
                        },
                        PatchOp::Replace { path, value } => ChangeLine {
                            op: "replace".into(),
                            path,
                            value: Some(compact(&value)),
                        },
                        PatchOp::Remove { path } => ChangeLine {
                            op: "remove".into(),
                            path,
                            value: None,
                        },
                    })
                    .collect();
                AuditRow {
                    seq: r.seq,
                    revision: r.revision,
                    kind: r.entity_kind,
                    key: r.entity_key,
                    version: r.entity_version,
                    operation: r.operation.as_str().to_owned(),
                    actor: r.actor,
                    at: format_rfc3339_millis(r.at_ms),
                    reason: r.reason,
                    changes,
                }
            })
            .collect(),
        total: page.total,
        chain,
    })
}

/// One event of the audit log beside the changes: a publication, a cache compilation or a
/// restore, with who did it, who triggered it, the revision and how it went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRow {
    pub at: String,
    pub action: String,
    pub actor: String,
    pub triggered_by: String,
    pub revision: i64,
    pub succeeded: bool,
    /// The figures, or the error, each as a label in words and its value.
    pub detail: Vec<(String, String)>,
}

/// An event's detail as a person reads it: each figure with a label in words (nested ones,
/// such as a publication's, flattened), text without JSON's quotes.
#[cfg(feature = "ssr")]
fn figures(detail: &serde_json::Value) -> Vec<(String, String)> {
    use serde_json::Value;

    let mut shown = Vec::new();
    let Value::Object(fields) = detail else {
        if !detail.is_null() {
            shown.push(("detail".to_owned(), detail.to_string()));
        }
        return shown;
    };
    for (key, value) in fields {
        match value {
            Value::Object(_) => shown.extend(figures(value)),
            Value::String(text) => shown.push((label(key), text.clone())),
            Value::Bool(yes) => {
                shown.push((label(key), if *yes { "yes" } else { "no" }.to_owned()))
            }
            other => shown.push((label(key), other.to_string())),
        }
    }
    shown
}

/// What each figure an event records is, in words.
#[cfg(feature = "ssr")]
fn label(key: &str) -> String {
    match key {
        "attempt" => "attempt",
        "ms" => "took (ms)",
        "configs" => "configs",
        "tenants_compiled" => "tenants resolved again",
        "written" => "configs written",
        "gone" => "configs removed",
        "whole" => "whole cache written",
        "documents" => "documents",
        "documents_uploaded" => "documents uploaded",
        "bytes_uploaded" => "bytes uploaded",
        "build_ms" => "build (ms)",
        "upload_ms" => "upload (ms)",
        "switch_ms" => "HEAD moved (ms)",
        "checksum" => "checksum",
        "origin" => "origin",
        "cache" => "cache",
        "to" => "restored to revision",
        "from" => "from revision",
        "changed" => "changed anything",
        "reason" | "why" => "why",
        "error" => "error",
        other => other,
    }
    .to_owned()
}

/// Who or what did something, in words: a publisher by where it runs.
#[cfg(feature = "ssr")]
fn who(actor: String) -> String {
    match actor.strip_prefix("strata@") {
        Some(place) => format!("the publisher at {place}"),
        None => actor,
    }
}

/// The newest `limit` events (at most 200).
#[server(endpoint = "audit-events")]
pub async fn get_audit_events(limit: i64) -> Result<Vec<EventRow>, ServerFnError> {
    use strata_domain::time::format_rfc3339_millis;

    use crate::ssr::Console;

    let console = Console::current()?;
    let events = console
        .store
        .audit_events_for(&console.actor()?, limit.clamp(1, 200))
        .await
        .map_err(crate::ssr::store_failure)?;
    Ok(events
        .into_iter()
        .map(|e| EventRow {
            at: format_rfc3339_millis(e.at_ms),
            action: e.action.as_str().to_owned(),
            actor: who(e.actor),
            triggered_by: who(e.triggered_by),
            revision: e.revision,
            succeeded: e.succeeded,
            detail: figures(&e.detail),
        })
        .collect())
}
