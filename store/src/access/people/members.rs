//! Who holds which role in an organization.

use serde_json::json;
use sqlx::Row;
use strata_domain::access::{Action, Role, Scope};
use strata_domain::organization::Organization;

use crate::access::Actor;
use crate::access::people::users::role_from_row;
use crate::audit::AuditAction;
use crate::entity::Entity;
use crate::{Store, StoreError, now_ms};

/// One member of an organization.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Member {
    pub user: String,
    pub display_name: String,
    pub role: Role,
    pub granted_at_ms: i64,
    pub granted_by: String,
}

impl Store {
    /// Gives `user` the role `role` in `organization` (replacing the one they held), or with
    /// `None` takes their membership away. Both must exist; the actor must manage the
    /// organization's members.
    pub async fn set_role(
        &self,
        actor: &Actor,
        user: &str,
        organization: &str,
        role: Option<Role>,
    ) -> Result<(), StoreError> {
        self.check_read(actor, Organization::KIND, organization)
            .await?;
        actor.check(
            Action::ManageMembers,
            &Scope::Organization(organization.to_owned()),
            format_args!("organization {organization:?}"),
        )?;
        self.get::<Organization>(organization).await?;
        let by = actor.name();
        self.existing_user(user).await?;
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM memberships WHERE user_name = $1 AND organization = $2")
            .bind(user)
            .bind(organization)
            .execute(&mut *tx)
            .await?;
        if let Some(role) = role {
            sqlx::query(
                "INSERT INTO memberships (user_name, organization, role, granted_at_ms, granted_by) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(user)
            .bind(organization)
            .bind(role.as_str())
            .bind(now_ms())
            .bind(by)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.record_access(
            AuditAction::MemberChanged,
            by,
            by,
            Ok(json!({
                "user": user,
                "organization": organization,
                "role": role.map(Role::as_str),
            })),
        )
        .await
    }

    /// The members of `organization`, by name, for anyone who may read it.
    pub async fn members(
        &self,
        actor: &Actor,
        organization: &str,
    ) -> Result<Vec<Member>, StoreError> {
        self.check_read(actor, Organization::KIND, organization)
            .await?;
        let rows = sqlx::query(
            "SELECT m.user_name, u.display_name, m.role, m.granted_at_ms, m.granted_by \
             FROM memberships m JOIN users u ON u.name = m.user_name \
             WHERE m.organization = $1 ORDER BY m.user_name",
        )
        .bind(organization)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Member {
                    user: row.try_get("user_name")?,
                    display_name: row.try_get("display_name")?,
                    role: role_from_row(row)?,
                    granted_at_ms: row.try_get("granted_at_ms")?,
                    granted_by: row.try_get("granted_by")?,
                })
            })
            .collect()
    }
}
