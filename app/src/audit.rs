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
    /// The figures, or the error, as compact JSON.
    pub detail: String,
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
            actor: e.actor,
            triggered_by: e.triggered_by,
            revision: e.revision,
            succeeded: e.succeeded,
            detail: e.detail.to_string(),
        })
        .collect())
}
