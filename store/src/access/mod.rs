//! Access: who may do what (`policy/`: actors, owners, reading, reads bound to an actor) and
//! who acts (`people/`: users, roles, sign-in, setup links, API tokens).

mod people;
mod policy;

pub use people::credentials;
pub use people::members::Member;
pub use people::sign_in::{SignInLimits, SignInRefusal, minutes_to_wait};
pub use people::tokens::{ApiToken, NewToken, PresentedToken, TOKEN_PREFIX, TokenUses};
pub use people::users::{NewUser, User};
pub use policy::actor::Actor;
pub use policy::reader::Reader;
pub(crate) use policy::reading::rights_given;
pub(crate) use policy::{reading, scope, visibility};

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
