//! The audit log beside the change history: each publication, cache compilation and restore,
//! with who or what did it, who triggered it, the revision and the outcome. Changes carry
//! their own hash-chained history; these events record what happened to revisions after
//! they were committed (and restores, which are also changes, with their target).

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::access::Actor;
use crate::access::visibility::Visibility;

use crate::{Store, StoreError, now_ms};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditAction {
    /// A revision written to the origin.
    Publish,
    /// A revision compiled into a cache (in process or Redis).
    Compile,
    /// The domain made what it was at an earlier revision.
    Restore,
    /// A person signed in.
    SignIn,
    /// A sign-in with a wrong name or password.
    SignInFailed,
    /// A sign-in refused before the password was checked: too many failures lately.
    SignInRefused,
    /// A person signed out.
    SignOut,
    /// The first admin created through a setup link.
    Setup,
    /// A person added.
    UserAdded,
    /// A person's password, display name, domain admin right or access changed.
    UserChanged,
    /// A person's role in an organization granted, changed or withdrawn.
    MemberChanged,
    TokenCreated,
    TokenRevoked,
    /// A secret value shown in plain text to someone allowed to see it.
    SecretRevealed,
    /// A change request proposed, edited, rebased, reviewed, withdrawn or applied.
    ChangeRequest,
}

impl AuditAction {
    const ALL: [AuditAction; 15] = [
        AuditAction::Publish,
        AuditAction::Compile,
        AuditAction::Restore,
        AuditAction::SignIn,
        AuditAction::SignInFailed,
        AuditAction::SignInRefused,
        AuditAction::SignOut,
        AuditAction::Setup,
        AuditAction::UserAdded,
        AuditAction::UserChanged,
        AuditAction::MemberChanged,
        AuditAction::TokenCreated,
        AuditAction::TokenRevoked,
        AuditAction::SecretRevealed,
        AuditAction::ChangeRequest,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Publish => "publish",
            AuditAction::Compile => "compile",
            AuditAction::Restore => "restore",
            AuditAction::SignIn => "sign-in",
            AuditAction::SignInFailed => "sign-in-failed",
            AuditAction::SignInRefused => "sign-in-refused",
            AuditAction::SignOut => "sign-out",
            AuditAction::Setup => "setup",
            AuditAction::UserAdded => "user-added",
            AuditAction::UserChanged => "user-changed",
            AuditAction::MemberChanged => "member-changed",
            AuditAction::TokenCreated => "token-created",
            AuditAction::TokenRevoked => "token-revoked",
            AuditAction::SecretRevealed => "secret-revealed",
            AuditAction::ChangeRequest => "change-request",
        }
    }

    fn parse(text: &str) -> Result<AuditAction, StoreError> {
        AuditAction::ALL
            .into_iter()
            .find(|action| action.as_str() == text)
            .ok_or_else(|| StoreError::Corrupt(format!("audit action {text:?}")))
    }
}

/// One audited event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEvent {
    pub id: i64,
    pub at_ms: i64,
    pub action: AuditAction,
    /// Who or what did it: a person, or a publisher such as `strata@127.0.0.1:3000`.
    pub actor: String,
    /// Who made it happen: the author of the revision a publisher published, say.
    pub triggered_by: String,
    pub revision: i64,
    pub succeeded: bool,
    /// Figures on success; `{"error": …}` and more on failure.
    pub detail: Value,
}

/// The fields of an event's detail that anyone who may read events sees: the attempt, a
/// restore's revisions, and that something failed. Any other field (added later too) is for
/// domain admins: how long a step over every organization's configs took tells their size too.
const DETAIL_FOR_EVERYONE: [&str; 5] = ["attempt", "to", "from", "changed", "error"];

/// What someone who is not a domain admin is told of a failure: its text names the origin's
/// and the cache's locations and what they answered.
pub(crate) const FAILURE_FOR_ADMINS: &str = "it failed; domain admins see what went wrong";

impl AuditEvent {
    /// The event as someone who is not a domain admin may see it: who made it happen only if it
    /// was them, and of its detail only what is named in [`DETAIL_FOR_EVERYONE`] — no server
    /// names or locations, no reasons or error texts, and no counts: the configs, tenants and
    /// documents a publication or compilation went over are every organization's.
    fn seen_by(mut self, actor: &Actor) -> AuditEvent {
        if self.triggered_by != actor.name() {
            self.triggered_by = "another person".to_owned();
        }
        if self.actor != actor.name() {
            self.actor = "someone else".to_owned();
        }
        if let Value::Object(detail) = &mut self.detail {
            detail.retain(|field, _| DETAIL_FOR_EVERYONE.contains(&field.as_str()));
            if let Some(error) = detail.get_mut("error") {
                *error = Value::from(FAILURE_FOR_ADMINS);
            }
        }
        self
    }
}

/// An event to record.
#[derive(Debug, Clone)]
pub struct NewAuditEvent<'a> {
    pub action: AuditAction,
    pub actor: &'a str,
    pub triggered_by: &'a str,
    pub revision: i64,
    pub outcome: Result<Value, String>,
}

impl NewAuditEvent<'_> {
    fn detail(&self) -> Value {
        match &self.outcome {
            Ok(detail) => detail.clone(),
            Err(error) => serde_json::json!({ "error": error }),
        }
    }
}

impl Store {
    /// Appends an event to the audit log.
    pub async fn record_event(&self, event: NewAuditEvent<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_events (at_ms, action, actor, triggered_by, revision, outcome, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(now_ms())
        .bind(event.action.as_str())
        .bind(event.actor)
        .bind(event.triggered_by)
        .bind(event.revision)
        .bind(if event.outcome.is_ok() {
            "succeeded"
        } else {
            "failed"
        })
        .bind(event.detail().to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The newest events first, at most `limit`; only those of `revision` when given.
    pub async fn audit_events(
        &self,
        revision: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        let rows = match revision {
            Some(revision) => sqlx::query(&format!(
                "SELECT {COLUMNS} FROM audit_events WHERE revision = $1 ORDER BY id DESC LIMIT $2"
            ))
            .bind(revision)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?,
            None => {
                sqlx::query(&format!(
                    "SELECT {COLUMNS} FROM audit_events ORDER BY id DESC LIMIT $1"
                ))
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter().map(event_from_row).collect()
    }

    /// The newest events `actor` may see, at most `limit`: all of them for the operator and
    /// domain admins; for everyone else with a role, what happened to revisions (publications,
    /// compilations, restores). Who signed in when, and changes to people, are the domain
    /// admins' to read.
    pub async fn audit_events_for(
        &self,
        actor: &Actor,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, StoreError> {
        match Visibility::of(actor) {
            Visibility::All => return self.audit_events(None, limit).await,
            nothing if nothing.sees_nothing() => return Ok(Vec::new()),
            Visibility::Organizations(_) => {}
        }
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM audit_events \
             WHERE action IN ('publish', 'compile', 'restore') ORDER BY id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| event_from_row(row).map(|event| event.seen_by(actor)))
            .collect()
    }
}

const COLUMNS: &str = "id, at_ms, action, actor, triggered_by, revision, outcome, detail";

fn event_from_row(row: &AnyRow) -> Result<AuditEvent, StoreError> {
    let detail: String = row.try_get("detail")?;
    Ok(AuditEvent {
        id: row.try_get("id")?,
        at_ms: row.try_get("at_ms")?,
        action: AuditAction::parse(&row.try_get::<String, _>("action")?)?,
        actor: row.try_get("actor")?,
        triggered_by: row.try_get("triggered_by")?,
        revision: row.try_get("revision")?,
        succeeded: row.try_get::<String, _>("outcome")? == "succeeded",
        detail: serde_json::from_str(&detail)
            .map_err(|e| StoreError::Corrupt(format!("audit event detail {detail:?}: {e}")))?,
    })
}
