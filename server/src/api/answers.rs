//! What the API answers, as types: each handler serializes one of these, and the OpenAPI
//! document describes the same types (`openapi.rs`), so the two cannot drift apart.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use strata_domain::diff::PatchOp;
use strata_domain::rules::{FieldError, Versioned};
use strata_domain::time::format_rfc3339_millis;
use strata_domain::token::TokenScope;
use strata_store::access::ApiToken;
use strata_store::audit::AuditEvent;
use strata_store::history::ChangeRecord;
use strata_store::outbox::{Publication, PublishFigures};

/// An entity's fields and its version (what `If-Match` names when it is edited).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Shown<E> {
    #[serde(flatten)]
    pub item: E,
    pub version: i64,
}

pub(crate) fn shown<E: Clone>(found: &Versioned<E>) -> Shown<E> {
    Shown {
        item: found.item.clone(),
        version: found.version,
    }
}

/// What a create or update sends: the entity, and the version edited (or `If-Match`).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct Edit<E> {
    #[serde(flatten)]
    pub item: E,
    /// The version edited; `If-Match: "N"` says the same.
    pub version: Option<i64>,
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Item<E> {
    pub item: Shown<E>,
}

/// A write's answer: the entity as written (none after a deletion), the one it replaced
/// (none after a create), and the revision committed.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Written<E> {
    pub item: Option<Shown<E>>,
    pub prev: Option<Shown<E>>,
    pub revision: i64,
}

/// One layer of a deployable: its values (secrets sealed), and as `version` that of the
/// entity holding it (0 when not written yet).
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct LayerShown {
    pub deployable: String,
    pub scope: strata_domain::layer::Layer,
    pub config: Value,
    /// The entity whose versions are the layer's: the deployable for the default layer,
    /// else the stored config layer.
    pub held_by: HeldBy,
}

/// The entity holding a layer: its kind and key, and its path in this API.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct HeldBy {
    /// `deployable` or `config layer`.
    pub kind: String,
    pub key: String,
    /// `/api/v1/deployables/web-api`, `/api/v1/config-layers/web-api%2Ftier%2FLIVE`.
    pub path: String,
}

/// A layer's values, as a write sends them and answers them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct LayerValues {
    /// A JSON object merged over the layers below; `null` removes a key.
    pub config: Value,
}

/// One page of a list, and how many match in all.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Page<E> {
    pub items: Vec<Shown<E>>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

/// One version of an entity from its history.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct VersionShown {
    pub version: i64,
    /// create, update, delete, rollback, restore, import
    pub operation: String,
    pub actor: String,
    /// RFC 3339, milliseconds, UTC.
    pub at: String,
    pub reason: String,
    pub revision: i64,
    /// The entity as this version left it; null for a deletion.
    pub item: Option<Value>,
}

pub(crate) fn version_shown(record: &ChangeRecord) -> VersionShown {
    VersionShown {
        version: record.entity_version,
        operation: record.operation.as_str().to_owned(),
        actor: record.actor.clone(),
        at: format_rfc3339_millis(record.at_ms),
        reason: record.reason.clone(),
        revision: record.revision,
        item: record.after.clone(),
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Versions {
    pub versions: Vec<VersionShown>,
}

/// The RFC 6902 patch from one version to another.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Difference {
    pub from: i64,
    pub to: i64,
    pub patch: Vec<PatchOp>,
}

/// A roll back: to which version, from which one (`If-Match` says the same; 0 when the entity
/// is deleted now).
#[derive(Debug, Deserialize, JsonSchema)]
pub struct RollBack {
    pub to_version: i64,
    pub version: Option<i64>,
}

/// A config as a tenant runs it: the merged layers, which layer set each value, and what it
/// breaks of its deployable's schema (empty when valid).
#[derive(Debug, Serialize, JsonSchema)]
pub struct ResolvedConfig {
    pub config: Value,
    /// JSON pointer of each value → the layer that set it: `default`, `tier LIVE`, …
    pub provenance: BTreeMap<String, String>,
    pub violations: Vec<FieldError>,
}

/// The part of the domain the caller may read, as it stood right after a revision.
#[derive(Debug, Serialize, JsonSchema)]
pub struct StateAt {
    pub revision: i64,
    /// The domain's newest revision.
    pub current: i64,
    /// kind ("tier", "config layer", …) → key → entity.
    pub state: BTreeMap<String, BTreeMap<String, Value>>,
}

/// What restoring the domain to a revision did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Restored {
    pub restored_to: i64,
    /// The revision that holds the restore; the current one when nothing changed.
    pub revision: i64,
    pub changed: bool,
}

/// A revision on its way to the origin and the cache.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PublicationShown {
    pub revision: i64,
    /// pending, publishing, published, failed or superseded
    pub state: String,
    /// Who committed the revision.
    pub actor: String,
    pub committed_at: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub retry_at: Option<String>,
    pub published_at: Option<String>,
    pub figures: Option<PublishFigures>,
}

impl From<Publication> for PublicationShown {
    fn from(p: Publication) -> PublicationShown {
        PublicationShown {
            revision: p.revision,
            state: p.state.as_str().to_owned(),
            actor: p.actor,
            committed_at: format_rfc3339_millis(p.committed_ms),
            attempts: p.attempts,
            last_error: p.last_error,
            retry_at: p.retry_at_ms.map(format_rfc3339_millis),
            published_at: p.published_ms.map(format_rfc3339_millis),
            figures: p.figures,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Publications {
    pub items: Vec<PublicationShown>,
}

/// What asking for a publication did.
#[derive(Debug, Serialize, JsonSchema)]
pub struct PublishAsked {
    /// The newest revision and its state now; none before the first commit.
    pub publication: Option<PublicationShown>,
    pub message: String,
}

/// One change from the audit trail, with the entity before and after it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditRecord {
    pub seq: i64,
    pub revision: i64,
    pub kind: String,
    pub key: String,
    pub version: i64,
    pub operation: String,
    pub actor: String,
    pub at: String,
    pub reason: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// The record's hash, chained to the one before it.
    pub hash: String,
}

impl From<ChangeRecord> for AuditRecord {
    fn from(r: ChangeRecord) -> AuditRecord {
        AuditRecord {
            seq: r.seq,
            revision: r.revision,
            kind: r.entity_kind,
            key: r.entity_key,
            version: r.entity_version,
            operation: r.operation.as_str().to_owned(),
            actor: r.actor,
            at: format_rfc3339_millis(r.at_ms),
            reason: r.reason,
            before: r.before,
            after: r.after,
            hash: r.hash,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct AuditTrail {
    pub items: Vec<AuditRecord>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

/// Something the system did that is not a change: a publication, a cache compile, a restore,
/// a secret revealed, a sign-in refused.
#[derive(Debug, Serialize, JsonSchema)]
pub struct EventShown {
    pub id: i64,
    pub at: String,
    pub action: String,
    pub actor: String,
    pub triggered_by: String,
    pub revision: i64,
    pub succeeded: bool,
    pub detail: Value,
}

impl From<AuditEvent> for EventShown {
    fn from(e: AuditEvent) -> EventShown {
        EventShown {
            id: e.id,
            at: format_rfc3339_millis(e.at_ms),
            action: e.action.as_str().to_owned(),
            actor: e.actor,
            triggered_by: e.triggered_by,
            revision: e.revision,
            succeeded: e.succeeded,
            detail: e.detail,
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Events {
    pub items: Vec<EventShown>,
}

/// Every refusal: `{"error": {"code", "message", "details"}}`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ErrorDetail {
    /// Stable, for programs: invalid, breaks_configs, not_found, conflict, duplicate, in_use,
    /// forbidden, unauthorized, too_large, version_required, unavailable, internal.
    pub code: String,
    /// For people.
    pub message: String,
    /// The fields and rules, the current version, the broken configs, …
    pub details: Vec<Value>,
}

/// A token as the API shows it: never its secret or hash.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TokenShown {
    pub name: String,
    pub scope: TokenScope,
    /// "reads configs on LIVE", "acts as editor in acme", …
    pub described: String,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: String,
    pub revoked_at: Option<String>,
    pub revoked_by: Option<String>,
    pub uses: i64,
    pub last_used_at: Option<String>,
}

impl From<ApiToken> for TokenShown {
    fn from(t: ApiToken) -> TokenShown {
        TokenShown {
            described: t.scope.describe(),
            name: t.name,
            scope: t.scope,
            created_by: t.created_by,
            created_at: format_rfc3339_millis(t.created_at_ms),
            expires_at: format_rfc3339_millis(t.expires_at_ms),
            revoked_at: t.revoked_at_ms.map(format_rfc3339_millis),
            revoked_by: t.revoked_by,
            uses: t.uses,
            last_used_at: t.last_used_at_ms.map(format_rfc3339_millis),
        }
    }
}

#[derive(Debug, Serialize, JsonSchema)]
pub struct Tokens {
    pub items: Vec<TokenShown>,
}

/// What creating a token sends.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct NewTokenAsked {
    pub name: String,
    pub scope: TokenScope,
    /// How many days it works (1 to 366; 90 when not said).
    pub days: Option<i64>,
}

/// A token just made, with its secret: shown this once, kept only as a hash.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TokenMade {
    pub token: TokenShown,
    pub secret: String,
}

/// Change requests the caller may see, newest first.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ChangeRequests {
    pub items: Vec<strata_store::review::requests::ChangeRequest>,
}

/// A change request to propose: what it changes and why, and its writes.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Proposal {
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub writes: Vec<strata_domain::change_request::ProposedWrite>,
}

/// A change request's new content, over the content (hash) its author edited.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestEdit {
    pub content_hash: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    pub writes: Vec<strata_domain::change_request::ProposedWrite>,
}

/// What a reviewer says: a comment, or a verdict on the content (hash) they read.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewAsked {
    /// `comment` when not given.
    pub verdict: Option<strata_domain::change_request::Verdict>,
    /// The content the reviewer read; required for a verdict.
    pub content_hash: Option<String>,
    #[serde(default)]
    pub comment: String,
    /// A JSON pointer the comment is pinned to.
    pub pointer: Option<String>,
    /// The line of the request's history this comment answers.
    pub reply_to: Option<i64>,
}

/// The content (hash) the caller read.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Seen {
    pub content_hash: String,
}

/// Why a request is taken back.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Withdrawal {
    #[serde(default)]
    pub comment: String,
}

/// A request applied, and the revision that applied it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RequestApplied {
    pub request: strata_store::review::requests::ChangeRequest,
    pub revision: i64,
}
