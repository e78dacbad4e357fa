//! What the audit log is asked for: changes by whom, to what kind of entity, to which key,
//! in which time range; every part optional. And what a reader learns of the hash chain.

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

/// The chain check as one reader may learn it. The chain runs over every organization's
/// records, so how many there are and where one broke tell the size and activity of
/// organizations the reader cannot see: those are for readers who see everything.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum ChainReport {
    /// `records`: how many, for readers who see every record.
    Verifies { records: Option<i64> },
    /// `at`: the first broken record, for readers who see every record.
    Broken { at: Option<i64> },
}
