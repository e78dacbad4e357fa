//! The first admin: while nobody can sign in, the server makes a one-time setup link (printed
//! to its log) through which the first domain admin is created in the browser. A link works
//! once, until it expires, and only while there are no users.

use serde_json::json;

use crate::access::people::credentials::{hash_password, new_token, token_hash};
use crate::access::people::users::{NewUser, User, insert_user};
use crate::audit::AuditAction;
use crate::{Store, StoreError, now_ms};

impl Store {
    /// A new setup link's token, valid for `valid_ms`, or `None` when someone can already sign
    /// in. Earlier unused links stay valid until they expire.
    pub async fn create_setup_link(&self, valid_ms: i64) -> Result<Option<String>, StoreError> {
        if self.has_users().await? {
            return Ok(None);
        }
        let token = new_token("");
        let now = now_ms();
        sqlx::query(
            "INSERT INTO setup_links (token_hash, created_at_ms, expires_at_ms) VALUES ($1, $2, $3)",
        )
        .bind(token_hash(&token))
        .bind(now)
        .bind(now + valid_ms)
        .execute(&self.pool)
        .await?;
        Ok(Some(token))
    }

    /// Whether `token` would be accepted now (for the setup page to say so before asking).
    pub async fn setup_link_is_valid(&self, token: &str) -> Result<bool, StoreError> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT token_hash FROM setup_links \
             WHERE token_hash = $1 AND used_at_ms IS NULL AND expires_at_ms > $2",
        )
        .bind(token_hash(token))
        .bind(now_ms())
        .fetch_optional(&self.pool)
        .await?;
        Ok(found.is_some() && !self.has_users().await?)
    }

    /// Creates the first domain admin through a setup link, spending the link: all of it or,
    /// when the link is unknown, used, expired or someone exists already, nothing.
    pub async fn set_up_first_admin(
        &self,
        token: &str,
        user: NewUser<'_>,
    ) -> Result<User, StoreError> {
        user.check()?;
        let hash = hash_password(user.password).await?;
        let mut tx = self.pool.begin().await?;
        let spent = sqlx::query(
            "UPDATE setup_links SET used_at_ms = $1, used_by = $2 \
             WHERE token_hash = $3 AND used_at_ms IS NULL AND expires_at_ms > $1",
        )
        .bind(now_ms())
        .bind(user.name)
        .bind(token_hash(token))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&mut *tx)
            .await?;
        if spent != 1 || existing > 0 {
            tx.rollback().await?;
            return Err(StoreError::invalid(
                "/token",
                "this setup link is unknown, used or expired, or an admin exists already; \
                 restart the server for a new link, or use `strata user add`",
            ));
        }
        insert_user(
            &mut tx,
            &NewUser {
                domain_admin: true,
                ..user.clone()
            },
            &hash,
        )
        .await?;
        tx.commit().await?;
        self.record_access(
            AuditAction::Setup,
            user.name,
            "setup link",
            Ok(json!({ "user": user.name, "domain_admin": true })),
        )
        .await?;
        self.existing_user(user.name).await
    }
}
