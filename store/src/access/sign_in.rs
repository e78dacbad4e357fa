//! Signing in: the password checked against its argon2id hash, with failures counted per
//! account and per address so that guessing is slowed to a few tries per window. Every
//! attempt, refused or not, goes to the audit log.

use serde_json::json;
use strata_domain::access::Person;

use super::secret::{dummy_hash, verify_password};
use crate::audit::AuditAction;
use crate::{Store, StoreError, now_ms};

/// How many failed sign-ins are allowed within a window before further attempts are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInLimits {
    pub window_ms: i64,
    /// Failures of one account since its last success.
    pub per_account: i64,
    /// Failures from one address, whatever the account.
    pub per_address: i64,
}

impl Default for SignInLimits {
    fn default() -> SignInLimits {
        SignInLimits {
            window_ms: 15 * 60 * 1000,
            per_account: 5,
            per_address: 20,
        }
    }
}

/// Why a sign-in did not succeed. Deliberately does not say whether the account exists.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInRefusal {
    #[error("wrong user name or password")]
    WrongCredentials,
    #[error(
        "too many failed sign-ins {whom}; try again in {} minute(s)",
        minutes_to_wait(*retry_after_ms)
    )]
    TooManyAttempts {
        whom: &'static str,
        retry_after_ms: i64,
    },
}

/// Whole minutes until another attempt is allowed: rounded up, at least one.
pub fn minutes_to_wait(retry_after_ms: i64) -> i64 {
    ((retry_after_ms + 59_999) / 60_000).max(1)
}

impl Store {
    /// Checks `password` for `account`, from `address`. Refused without checking the password
    /// when the account or the address failed too often within the window.
    pub async fn sign_in(
        &self,
        account: &str,
        password: &str,
        address: &str,
        limits: &SignInLimits,
    ) -> Result<Result<Person, SignInRefusal>, StoreError> {
        let account = account.trim().to_lowercase();
        let now = now_ms();
        let since = now - limits.window_ms;
        let last_success: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(at_ms) FROM sign_in_attempts WHERE account = $1 AND succeeded = 1",
        )
        .bind(&account)
        .fetch_one(&self.pool)
        .await?;
        let account_since = since.max(last_success.unwrap_or(0));
        let limited = [
            (
                "for this account",
                "account",
                account.as_str(),
                account_since,
                limits.per_account,
            ),
            (
                "from this address",
                "address",
                address,
                since,
                limits.per_address,
            ),
        ];
        for (whom, column, value, since, limit) in limited {
            let failures: Vec<i64> = sqlx::query_scalar(&format!(
                "SELECT at_ms FROM sign_in_attempts \
                 WHERE {column} = $1 AND succeeded = 0 AND at_ms > $2 ORDER BY at_ms"
            ))
            .bind(value)
            .bind(since)
            .fetch_all(&self.pool)
            .await?;
            if failures.len() as i64 >= limit {
                let oldest_counted = failures[failures.len() - limit as usize];
                let refusal = SignInRefusal::TooManyAttempts {
                    whom,
                    retry_after_ms: oldest_counted + limits.window_ms - now,
                };
                self.record_access(
                    AuditAction::SignInRefused,
                    &account,
                    address,
                    Err(refusal.to_string()),
                )
                .await?;
                return Ok(Err(refusal));
            }
        }
        let stored = self.password_hash(&account).await?;
        let matches = match &stored {
            Some(hash) => verify_password(password, hash).await?,
            None => {
                // The same work as for a real account, so timing does not tell names apart.
                verify_password(password, dummy_hash().await).await?;
                false
            }
        };
        let person = match matches {
            true => self.signed_in_person(&account).await?,
            false => None,
        };
        sqlx::query(
            "INSERT INTO sign_in_attempts (at_ms, account, address, succeeded) VALUES ($1, $2, $3, $4)",
        )
        .bind(now)
        .bind(&account)
        .bind(address)
        .bind(i64::from(person.is_some()))
        .execute(&self.pool)
        .await?;
        match person {
            Some(person) => {
                self.record_access(
                    AuditAction::SignIn,
                    &account,
                    address,
                    Ok(json!({ "address": address })),
                )
                .await?;
                Ok(Ok(person))
            }
            None => {
                self.record_access(
                    AuditAction::SignInFailed,
                    &account,
                    address,
                    Err(SignInRefusal::WrongCredentials.to_string()),
                )
                .await?;
                Ok(Err(SignInRefusal::WrongCredentials))
            }
        }
    }

    /// Records a sign-out.
    pub async fn record_sign_out(&self, name: &str, address: &str) -> Result<(), StoreError> {
        self.record_access(
            AuditAction::SignOut,
            name,
            address,
            Ok(json!({ "address": address })),
        )
        .await
    }
}
