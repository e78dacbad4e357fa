//! What the audit log is asked for: changes by whom, to what kind of entity, to which key,
//! in which time range; every part optional.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    /// Exactly this actor.
    #[serde(default)]
    pub actor: Option<String>,
    /// Exactly this kind: "tier", "tenant", "config layer", …
    #[serde(default)]
    pub kind: Option<String>,
    /// Keys containing this text.
    #[serde(default)]
    pub key: Option<String>,
    /// Changes at or after this time (ms since the epoch).
    #[serde(default)]
    pub from_ms: Option<i64>,
    /// Changes before this time (ms since the epoch).
    #[serde(default)]
    pub until_ms: Option<i64>,
}
