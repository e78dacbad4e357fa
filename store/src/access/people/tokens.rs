//! API tokens: created by those who may give what the token does, shown once, kept as their
//! SHA-256, named, expiring, revocable, and counted when used.

use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;
use strata_domain::access::{Action, Scope};
use strata_domain::deployable::Deployable;
use strata_domain::names::TokenName;
use strata_domain::organization::Organization;
use strata_domain::tenant::Tenant;
use strata_domain::tier::Tier;
use strata_domain::token::{TokenScope, check_token_days};

use crate::access::Actor;
use crate::access::people::credentials::{new_token, token_hash};
use crate::audit::AuditAction;
use crate::entity::Entity;
use crate::{Store, StoreError, now_ms};

/// What every token's secret starts with, so that secret scanners and people recognise one.
pub const TOKEN_PREFIX: &str = "strata_";

const DAY_MS: i64 = 86_400_000;

/// A token to create.
#[derive(Debug, Clone)]
pub struct NewToken<'a> {
    pub name: &'a str,
    pub scope: TokenScope,
    /// How many days it works, from now.
    pub days: i64,
}

/// A token as the tokens page lists it (never with its secret or hash).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ApiToken {
    pub name: String,
    pub scope: TokenScope,
    pub created_by: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
    pub revoked_by: Option<String>,
    pub uses: i64,
    pub last_used_at_ms: Option<i64>,
}

impl ApiToken {
    /// Whether the token works at `now`.
    pub fn is_live(&self, now_ms: i64) -> bool {
        self.revoked_at_ms.is_none() && now_ms < self.expires_at_ms
    }
}

/// A token as presented with a request: what it may do and whether it still works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedToken {
    pub name: String,
    pub scope: TokenScope,
    pub expires_at_ms: i64,
    pub revoked: bool,
}

/// How many times a token was used since the last count, and when last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenUses {
    pub count: i64,
    pub last_at_ms: i64,
}

/// The organization a scope belongs to, as stored ('' for read tokens, which span them).
fn owner(scope: &TokenScope) -> &str {
    match scope {
        TokenScope::Read { .. } | TokenScope::Admin => "",
        TokenScope::Act { organization, .. } => organization,
    }
}

/// Who may create, see and revoke a token of `scope`: a read token reads configs of every
/// organization on its tiers, so only a domain admin; an acting token, whoever manages the
/// members of its organization.
fn check_may_manage(actor: &Actor, scope: &TokenScope) -> Result<(), StoreError> {
    match scope {
        TokenScope::Read { .. } | TokenScope::Admin => {
            if actor.may(Action::ManageMembers, &Scope::Domain) {
                return Ok(());
            }
            let what = match scope {
                TokenScope::Admin => "that act as a domain admin",
                _ => "that read configs",
            };
            Err(StoreError::Forbidden(format!(
                "{} may not manage tokens {what}: only a domain admin may",
                actor.name()
            )))
        }
        TokenScope::Act { organization, .. } => actor.check(
            Action::ManageMembers,
            &Scope::Organization(organization.clone()),
            format_args!("organization {organization:?} (its tokens)"),
        ),
    }
}

const COLUMNS: &str = "name, scope, created_by, created_at_ms, expires_at_ms, revoked_at_ms, \
                       revoked_by, uses, last_used_at_ms";

impl Store {
    /// Creates a token; answers it with its secret, which is not kept and cannot be shown
    /// again. Every name in the scope must exist.
    pub async fn create_token(
        &self,
        actor: &Actor,
        token: NewToken<'_>,
    ) -> Result<(ApiToken, String), StoreError> {
        TokenName::parse(token.name).map_err(|e| StoreError::invalid("/name", e.to_string()))?;
        token
            .scope
            .check()
            .map_err(|e| StoreError::invalid(e.field, e.rule))?;
        check_token_days("/days", token.days).map_err(|e| StoreError::invalid(e.field, e.rule))?;
        check_may_manage(actor, &token.scope)?;
        self.check_scope_names(&token.scope).await?;
        let secret = new_token(TOKEN_PREFIX);
        let now = now_ms();
        let scope = serde_json::to_string(&token.scope)
            .map_err(|e| StoreError::corrupt(format!("a token scope as JSON: {e}")))?;
        // One statement that writes first: a read before the write could not take SQLite's
        // write lock once another write committed after the read.
        let inserted = sqlx::query(
            "INSERT INTO api_tokens (name, token_hash, scope, organization, created_by, \
             created_at_ms, expires_at_ms, uses) VALUES ($1, $2, $3, $4, $5, $6, $7, 0) \
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(token.name)
        .bind(token_hash(&secret))
        .bind(scope)
        .bind(owner(&token.scope))
        .bind(actor.name())
        .bind(now)
        .bind(now + token.days * DAY_MS)
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(StoreError::Duplicate {
                kind: "token",
                key: token.name.to_owned(),
            });
        }
        self.record_access(
            AuditAction::TokenCreated,
            actor.name(),
            actor.name(),
            Ok(json!({ "token": token.name, "scope": token.scope, "days": token.days })),
        )
        .await?;
        let created = self
            .token(token.name)
            .await?
            .ok_or_else(|| not_found(token.name))?;
        Ok((created, secret))
    }

    /// Every name a scope gives must be of something that exists, so a typo is caught now
    /// rather than as a 403 in a service's log later.
    async fn check_scope_names(&self, scope: &TokenScope) -> Result<(), StoreError> {
        async fn each<E: Entity>(
            store: &Store,
            field: &str,
            names: &[String],
        ) -> Result<(), StoreError> {
            for (i, name) in names.iter().enumerate() {
                match store.get::<E>(name).await {
                    Ok(_) => {}
                    Err(StoreError::NotFound { kind, key }) => {
                        return Err(StoreError::invalid(
                            format!("{field}/{i}"),
                            format!("{kind} {key:?} does not exist"),
                        ));
                    }
                    Err(other) => return Err(other),
                }
            }
            Ok(())
        }
        match scope {
            TokenScope::Read {
                tiers,
                tenants,
                deployables,
                ..
            } => {
                each::<Tier>(self, "/scope/tiers", tiers).await?;
                each::<Tenant>(self, "/scope/tenants", tenants).await?;
                each::<Deployable>(self, "/scope/deployables", deployables).await
            }
            TokenScope::Admin => Ok(()),
            TokenScope::Act { organization, .. } => {
                match self.get::<Organization>(organization).await {
                    Err(StoreError::NotFound { kind, key }) => Err(StoreError::invalid(
                        "/scope/organization",
                        format!("{kind} {key:?} does not exist"),
                    )),
                    Err(other) => Err(other),
                    Ok(_) => Ok(()),
                }
            }
        }
    }

    async fn token(&self, name: &str) -> Result<Option<ApiToken>, StoreError> {
        sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens WHERE name = $1"))
            .bind(name)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(token_from_row)
            .transpose()
    }

    /// The tokens `actor` may manage, by name: all of them for a domain admin, those acting
    /// in organizations they administer for anyone else.
    pub async fn tokens(&self, actor: &Actor) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM api_tokens ORDER BY name"))
            .fetch_all(&self.pool)
            .await?;
        let mut tokens = Vec::new();
        for row in &rows {
            let token = token_from_row(row)?;
            if check_may_manage(actor, &token.scope).is_ok() {
                tokens.push(token);
            }
        }
        Ok(tokens)
    }

    /// Revokes a token: it stops working (on every server within the time they keep tokens
    /// in memory) and stays listed, with who revoked it. A token the actor may not manage
    /// "does not exist" for them.
    pub async fn revoke_token(&self, actor: &Actor, name: &str) -> Result<ApiToken, StoreError> {
        let token = self
            .token(name)
            .await?
            .filter(|token| check_may_manage(actor, &token.scope).is_ok())
            .ok_or_else(|| not_found(name))?;
        if token.revoked_at_ms.is_some() {
            return Ok(token);
        }
        sqlx::query(
            "UPDATE api_tokens SET revoked_at_ms = $1, revoked_by = $2 \
             WHERE name = $3 AND revoked_at_ms IS NULL",
        )
        .bind(now_ms())
        .bind(actor.name())
        .bind(name)
        .execute(&self.pool)
        .await?;
        self.record_access(
            AuditAction::TokenRevoked,
            actor.name(),
            actor.name(),
            Ok(json!({ "token": name })),
        )
        .await?;
        self.token(name).await?.ok_or_else(|| not_found(name))
    }

    /// The token whose secret this is, revoked and expired ones included (the caller says
    /// why it is refused); `None` for a secret no token has.
    pub async fn presented_token(
        &self,
        secret: &str,
    ) -> Result<Option<PresentedToken>, StoreError> {
        let row = sqlx::query(
            "SELECT name, scope, expires_at_ms, revoked_at_ms FROM api_tokens \
             WHERE token_hash = $1",
        )
        .bind(token_hash(secret))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(PresentedToken {
            name: row.try_get("name")?,
            scope: scope_from_row(&row)?,
            expires_at_ms: row.try_get("expires_at_ms")?,
            revoked: row.try_get::<Option<i64>, _>("revoked_at_ms")?.is_some(),
        }))
    }

    /// Adds uses counted since the last call, per token name.
    pub async fn count_token_uses(&self, uses: &[(String, TokenUses)]) -> Result<(), StoreError> {
        if uses.is_empty() {
            return Ok(());
        }
        let mut tx = self.pool.begin().await?;
        for (name, counted) in uses {
            sqlx::query(
                "UPDATE api_tokens SET uses = uses + $1, last_used_at_ms = \
                 CASE WHEN last_used_at_ms IS NULL OR last_used_at_ms < $2 THEN $2 \
                 ELSE last_used_at_ms END WHERE name = $3",
            )
            .bind(counted.count)
            .bind(counted.last_at_ms)
            .bind(name)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

fn not_found(name: &str) -> StoreError {
    StoreError::NotFound {
        kind: "token",
        key: name.to_owned(),
    }
}

fn scope_from_row(row: &AnyRow) -> Result<TokenScope, StoreError> {
    let text: String = row.try_get("scope")?;
    serde_json::from_str(&text)
        .map_err(|e| StoreError::corrupt(format!("the scope of a token: {e}: {text}")))
}

fn token_from_row(row: &AnyRow) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        name: row.try_get("name")?,
        scope: scope_from_row(row)?,
        created_by: row.try_get("created_by")?,
        created_at_ms: row.try_get("created_at_ms")?,
        expires_at_ms: row.try_get("expires_at_ms")?,
        revoked_at_ms: row.try_get("revoked_at_ms")?,
        revoked_by: row.try_get("revoked_by")?,
        uses: row.try_get("uses")?,
        last_used_at_ms: row.try_get("last_used_at_ms")?,
    })
}
