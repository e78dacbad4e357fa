//! Who may get in: people with argon2id passwords, their roles per organization, the one-time
//! link that creates the first admin, and rate-limited, audited sign-in.

mod actor;
mod members;
mod reader;
mod reading;
pub(crate) mod scope;
pub mod secret;
mod setup;
mod sign_in;
mod tokens;
mod users;
pub(crate) mod visibility;

pub use actor::Actor;
pub use members::Member;
pub use reader::Reader;
pub(crate) use reading::rights_given;
pub use sign_in::{SignInLimits, SignInRefusal, minutes_to_wait};
pub use tokens::{ApiToken, NewToken, PresentedToken, TOKEN_PREFIX, TokenUses};
pub use users::{NewUser, User};

use serde_json::Value;

use crate::audit::{AuditAction, NewAuditEvent};
use crate::{Store, StoreError};

impl Store {
    /// Appends an access event to the audit log, at the domain's current revision.
    pub(crate) async fn record_access(
        &self,
        action: AuditAction,
        actor: &str,
        triggered_by: &str,
        outcome: Result<Value, String>,
    ) -> Result<(), StoreError> {
        let revision = self.domain().await?.revision;
        self.record_event(NewAuditEvent {
            action,
            actor,
            triggered_by,
            revision,
            outcome,
        })
        .await
    }
}
