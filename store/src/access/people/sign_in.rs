//! Signing in: the password checked against its argon2id hash, with failures counted per
//! account and per address so that guessing is slowed to a few tries per window. Every
//! attempt, refused or not, goes to the audit log.

use serde_json::json;
use strata_domain::access::Person;
use strata_domain::names::UserName;

use crate::access::people::credentials::{dummy_hash, verify_password};
use crate::audit::AuditAction;
use crate::metrics::SignInOutcome;
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

/// How often at most the audit log gets an entry for the refused sign-ins of one account or
/// address: a flood of refused attempts makes one entry a minute, counting those since the last.
const REFUSALS_LOGGED_EVERY_MS: i64 = 60_000;

/// What a sign-in is counted and audited under when the name typed cannot be a user's (too
/// long, control characters, …): no such account exists, and nothing stores what was typed.
const NOT_A_USER_NAME: &str = "(not a user name)";

/// The outcome of asking for an attempt.
enum Reservation {
    /// Go on: the attempt is recorded (as failed until the password proves right).
    Granted { attempt: i64 },
    /// Too many failures; `log` is the number of refusals to write to the audit log now.
    Refused {
        refusal: SignInRefusal,
        log: Option<i64>,
    },
}

impl Store {
    /// Checks `password` for `account`, from `address`. Refused without checking the password
    /// when the account or the address failed too often within the window. Counting and
    /// reserving an attempt is one locked step, so parallel attempts, on one replica or many,
    /// never check more passwords than the limits allow.
    pub async fn sign_in(
        &self,
        account: &str,
        password: &str,
        address: &str,
        limits: &SignInLimits,
    ) -> Result<Result<Person, SignInRefusal>, StoreError> {
        let typed = account.trim().to_lowercase();
        let account = match UserName::parse(typed.as_str()) {
            Ok(_) => typed,
            Err(_) => NOT_A_USER_NAME.to_owned(),
        };
        let attempt = match self.reserve_attempt(&account, address, limits).await? {
            Reservation::Granted { attempt } => attempt,
            Reservation::Refused { refusal, log } => {
                self.metrics().signed_in(SignInOutcome::Limited);
                if let Some(refused) = log {
                    let text = match refused {
                        1 => refusal.to_string(),
                        n => format!("{refusal} ({n} attempts refused since the last entry)"),
                    };
                    self.record_access(AuditAction::SignInRefused, &account, address, Err(text))
                        .await?;
                }
                return Ok(Err(refusal));
            }
        };
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
        match person {
            Some(person) => {
                sqlx::query("UPDATE sign_in_attempts SET succeeded = 1 WHERE id = $1")
                    .bind(attempt)
                    .execute(&self.pool)
                    .await?;
                self.record_access(
                    AuditAction::SignIn,
                    &account,
                    address,
                    Ok(json!({ "address": address })),
                )
                .await?;
                self.metrics().signed_in(SignInOutcome::Succeeded);
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
                self.metrics().signed_in(SignInOutcome::Failed);
                Ok(Err(SignInRefusal::WrongCredentials))
            }
        }
    }

    /// Counts the recent failures of `account` and of `address` and, within the limits,
    /// records an attempt (failed until proven otherwise), holding both guards' locks
    /// throughout: a row lock each on PostgreSQL, the write lock on SQLite.
    async fn reserve_attempt(
        &self,
        account: &str,
        address: &str,
        limits: &SignInLimits,
    ) -> Result<Reservation, StoreError> {
        let now = now_ms();
        let since = now - limits.window_ms;
        let mut tx = self.pool.begin().await?;
        let guards = [format!("account:{account}"), format!("address:{address}")];
        // Always in this order, so two attempts never wait on each other's second lock.
        for guard in &guards {
            sqlx::query(
                "INSERT INTO sign_in_guards (guard) VALUES ($1) \
                 ON CONFLICT (guard) DO UPDATE SET refused = sign_in_guards.refused",
            )
            .bind(guard)
            .execute(&mut *tx)
            .await?;
        }
        let last_success: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(at_ms) FROM sign_in_attempts WHERE account = $1 AND succeeded = 1",
        )
        .bind(account)
        .fetch_one(&mut *tx)
        .await?;
        let limited = [
            (
                "for this account",
                &guards[0],
                "account",
                account,
                since.max(last_success.unwrap_or(0)),
                limits.per_account,
            ),
            (
                "from this address",
                &guards[1],
                "address",
                address,
                since,
                limits.per_address,
            ),
        ];
        for (whom, guard, column, value, since, limit) in limited {
            let failures: Vec<i64> = sqlx::query_scalar(&format!(
                "SELECT at_ms FROM sign_in_attempts \
                 WHERE {column} = $1 AND succeeded = 0 AND at_ms > $2 ORDER BY at_ms"
            ))
            .bind(value)
            .bind(since)
            .fetch_all(&mut *tx)
            .await?;
            if failures.len() as i64 >= limit {
                let oldest_counted = failures
                    .len()
                    .checked_sub(limit.max(1) as usize)
                    .map_or(now, |i| failures[i]);
                let refusal = SignInRefusal::TooManyAttempts {
                    whom,
                    retry_after_ms: oldest_counted + limits.window_ms - now,
                };
                let (refused, logged_ms): (i64, i64) = sqlx::query_as(
                    "UPDATE sign_in_guards SET refused = refused + 1 WHERE guard = $1 \
                     RETURNING refused, refused_logged_ms",
                )
                .bind(guard)
                .fetch_one(&mut *tx)
                .await?;
                let log = (now - logged_ms >= REFUSALS_LOGGED_EVERY_MS).then_some(refused);
                if log.is_some() {
                    sqlx::query(
                        "UPDATE sign_in_guards SET refused = 0, refused_logged_ms = $1 WHERE guard = $2",
                    )
                    .bind(now)
                    .bind(guard)
                    .execute(&mut *tx)
                    .await?;
                }
                tx.commit().await?;
                return Ok(Reservation::Refused { refusal, log });
            }
        }
        let attempt: i64 = sqlx::query_scalar(
            "INSERT INTO sign_in_attempts (at_ms, account, address, succeeded) \
             VALUES ($1, $2, $3, 0) RETURNING id",
        )
        .bind(now)
        .bind(account)
        .bind(address)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Reservation::Granted { attempt })
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
