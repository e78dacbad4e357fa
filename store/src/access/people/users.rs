//! People who sign in: the `users` table and each one's roles (`memberships`). Users are not
//! part of the published domain; what happens to them goes to the audit log.

use std::collections::BTreeMap;

use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{Any, Row, Transaction};
use strata_domain::access::{Grants, Person, Role, check_password};
use strata_domain::names::UserName;
use strata_domain::rules::display_name;

use crate::access::Actor;
use crate::access::people::credentials::hash_password;
use crate::audit::AuditAction;
use crate::{Store, StoreError, now_ms};

/// A person as the users page lists them (never with the password hash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub name: String,
    pub display_name: String,
    pub domain_admin: bool,
    pub disabled: bool,
    pub created_at_ms: i64,
    /// Organization → role.
    pub roles: BTreeMap<String, Role>,
}

impl User {
    /// What they hold, in words: "domain admin" first, then "editor of acme", ….
    pub fn rights(&self) -> Vec<String> {
        let domain_admin = self.domain_admin.then(|| "domain admin".to_owned());
        domain_admin
            .into_iter()
            .chain(
                self.roles
                    .iter()
                    .map(|(organization, role)| format!("{role} of {organization}")),
            )
            .collect()
    }

    pub fn person(&self) -> Person {
        Person {
            name: self.name.clone(),
            display_name: self.display_name.clone(),
            grants: Grants {
                domain_admin: self.domain_admin,
                roles: self.roles.clone(),
            },
        }
    }
}

/// A person to add. The password is hashed before anything is stored.
#[derive(Debug, Clone)]
pub struct NewUser<'a> {
    pub name: &'a str,
    pub display_name: &'a str,
    pub password: &'a str,
    pub domain_admin: bool,
}

impl NewUser<'_> {
    /// Every rule the fields break, each naming its field.
    pub fn check(&self) -> Result<(), StoreError> {
        UserName::parse(self.name).map_err(|e| StoreError::invalid("/name", e.rule))?;
        display_name("/display_name", self.display_name)
            .map_err(|e| StoreError::invalid(e.field, e.rule))?;
        check_password("/password", self.password)
            .map_err(|e| StoreError::invalid(e.field, e.rule))?;
        Ok(())
    }
}

const COLUMNS: &str = "name, display_name, domain_admin, disabled, created_at_ms";

impl Store {
    /// Adds a person (only a domain admin may), recorded in the audit log.
    pub async fn add_user(&self, actor: &Actor, user: NewUser<'_>) -> Result<User, StoreError> {
        actor.check_manages_people()?;
        user.check()?;
        let hash = hash_password(user.password).await?;
        let mut tx = self.pool.begin().await?;
        insert_user(&mut tx, &user, &hash).await?;
        tx.commit().await?;
        self.record_access(
            AuditAction::UserAdded,
            actor.name(),
            actor.name(),
            Ok(json!({ "user": user.name, "domain_admin": user.domain_admin })),
        )
        .await?;
        self.existing_user(user.name).await
    }

    /// A person who must exist (just added, say).
    pub(crate) async fn existing_user(&self, name: &str) -> Result<User, StoreError> {
        self.user(name).await?.ok_or_else(|| not_found(name))
    }

    /// Whether anyone can sign in yet.
    pub async fn has_users(&self) -> Result<bool, StoreError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(count > 0)
    }

    /// A person with their roles, if they exist.
    pub async fn user(&self, name: &str) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM users WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let mut user = user_from_row(&row)?;
        user.roles = self.roles_of(name).await?;
        Ok(Some(user))
    }

    /// Everyone, by name, with their roles (for a domain admin).
    pub async fn users(&self, actor: &Actor) -> Result<Vec<User>, StoreError> {
        actor.check_manages_people()?;
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM users ORDER BY name"))
            .fetch_all(&self.pool)
            .await?;
        let mut users: Vec<User> = rows.iter().map(user_from_row).collect::<Result<_, _>>()?;
        let memberships = sqlx::query("SELECT user_name, organization, role FROM memberships")
            .fetch_all(&self.pool)
            .await?;
        for row in &memberships {
            let name: String = row.try_get("user_name")?;
            if let Some(user) = users.iter_mut().find(|u| u.name == name) {
                user.roles
                    .insert(row.try_get("organization")?, role_from_row(row)?);
            }
        }
        Ok(users)
    }

    /// The person a session names, as long as they exist and may sign in.
    pub async fn signed_in_person(&self, name: &str) -> Result<Option<Person>, StoreError> {
        Ok(self
            .user(name)
            .await?
            .filter(|user| !user.disabled)
            .map(|user| user.person()))
    }

    /// Sets a person's password: their own, or anyone's for a domain admin.
    pub async fn set_password(
        &self,
        actor: &Actor,
        name: &str,
        password: &str,
    ) -> Result<(), StoreError> {
        if actor.name() != name {
            actor.check_manages_people()?;
        }
        check_password("/password", password).map_err(|e| StoreError::invalid(e.field, e.rule))?;
        let hash = hash_password(password).await?;
        self.change_user(actor, name, "password_hash", hash, json!("changed"))
            .await
    }

    /// Stops (or allows again) a person from signing in; their sessions end at their next
    /// request, which finds them disabled.
    pub async fn set_disabled(
        &self,
        actor: &Actor,
        name: &str,
        disabled: bool,
    ) -> Result<(), StoreError> {
        actor.check_manages_people()?;
        self.change_user(
            actor,
            name,
            "disabled",
            i64::from(disabled),
            json!(disabled),
        )
        .await
    }

    /// Sets one column of a person, and audits it as the change `detail` of that field.
    async fn change_user<T>(
        &self,
        actor: &Actor,
        name: &str,
        column: &'static str,
        value: T,
        detail: serde_json::Value,
    ) -> Result<(), StoreError>
    where
        T: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + 'static,
    {
        let changed = sqlx::query(&format!(
            "UPDATE users SET {column} = $1, changed_at_ms = $2 WHERE name = $3"
        ))
        .bind(value)
        .bind(now_ms())
        .bind(name)
        .execute(&self.pool)
        .await?
        .rows_affected();
        if changed == 0 {
            return Err(not_found(name));
        }
        let field = column.trim_end_matches("_hash");
        self.record_access(
            AuditAction::UserChanged,
            actor.name(),
            actor.name(),
            Ok(json!({ "user": name, field: detail })),
        )
        .await
    }

    async fn roles_of(&self, name: &str) -> Result<BTreeMap<String, Role>, StoreError> {
        let rows = sqlx::query("SELECT organization, role FROM memberships WHERE user_name = $1")
            .bind(name)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("organization")?, role_from_row(row)?)))
            .collect()
    }

    /// The stored password hash of an account that may sign in.
    pub(crate) async fn password_hash(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT password_hash FROM users WHERE name = $1 AND disabled = 0")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }
}

/// Inserts a checked person inside `tx`; a taken name is a duplicate.
pub(crate) async fn insert_user(
    tx: &mut Transaction<'static, Any>,
    user: &NewUser<'_>,
    hash: &str,
) -> Result<(), StoreError> {
    // Writes first: a read before the write could not take SQLite's write lock once another
    // write committed after the read.
    let now = now_ms();
    let inserted = sqlx::query(
        "INSERT INTO users (name, display_name, password_hash, domain_admin, disabled, \
         created_at_ms, changed_at_ms) VALUES ($1, $2, $3, $4, 0, $5, $5) \
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(user.name)
    .bind(user.display_name.trim())
    .bind(hash)
    .bind(i64::from(user.domain_admin))
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if inserted.rows_affected() == 0 {
        return Err(StoreError::Duplicate {
            kind: "user",
            key: user.name.to_owned(),
        });
    }
    Ok(())
}

fn not_found(name: &str) -> StoreError {
    StoreError::NotFound {
        kind: "user",
        key: name.to_owned(),
    }
}

fn user_from_row(row: &AnyRow) -> Result<User, StoreError> {
    Ok(User {
        name: row.try_get("name")?,
        display_name: row.try_get("display_name")?,
        domain_admin: row.try_get::<i64, _>("domain_admin")? == 1,
        disabled: row.try_get::<i64, _>("disabled")? == 1,
        created_at_ms: row.try_get("created_at_ms")?,
        roles: BTreeMap::new(),
    })
}

pub(crate) fn role_from_row(row: &AnyRow) -> Result<Role, StoreError> {
    let text: String = row.try_get("role")?;
    Role::parse(&text).map_err(|_| StoreError::corrupt(format!("role {text:?}")))
}
