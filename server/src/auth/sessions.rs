//! Sessions kept in the database, beside the data (tower-sessions with its sqlx stores), so a
//! sign-in survives a restart and holds on every replica. The cookie is HttpOnly and
//! SameSite=Strict, Secure when the console is reached over TLS, and expires after a time
//! without requests.

use std::str::FromStr;
use std::time::Duration;

use axum::Router;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use strata_store::{Backend, DatabaseUrl};
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer, SessionStore};
use tower_sessions_sqlx_store::{PostgresStore, SqliteStore};

use crate::config::SettingError;

/// The session cookie's name.
pub const COOKIE: &str = "strata_session";

/// The session table on the database the store uses.
#[derive(Clone, Debug)]
pub enum Sessions {
    Sqlite(SqliteStore, SqlitePool),
    Postgres(PostgresStore, PgPool),
}

/// How session cookies are set.
#[derive(Clone, Copy, Debug)]
pub struct CookiePolicy {
    /// Sent only over HTTPS.
    pub secure: bool,
    /// Time without requests after which a session ends.
    pub idle: Duration,
}

impl Sessions {
    /// Connects to the store's database and creates the session table when missing.
    pub async fn open(url: &DatabaseUrl) -> Result<Sessions, SettingError> {
        let failed = |e: sqlx::Error| {
            SettingError::new("STRATA_DATABASE_URL", format!("cannot keep sessions: {e}"))
        };
        let sessions = match url.backend() {
            Backend::Sqlite => {
                let options = SqliteConnectOptions::from_str(url.as_sqlx())
                    .map_err(failed)?
                    .journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(Duration::from_secs(10));
                let pool = SqlitePoolOptions::new()
                    .max_connections(2)
                    .connect_with(options)
                    .await
                    .map_err(failed)?;
                let store = SqliteStore::new(pool.clone());
                store.migrate().await.map_err(failed)?;
                Sessions::Sqlite(store, pool)
            }
            Backend::Postgres => {
                let pool = PgPoolOptions::new()
                    .max_connections(4)
                    .connect(url.as_sqlx())
                    .await
                    .map_err(failed)?;
                let store = PostgresStore::new(pool.clone());
                store.migrate().await.map_err(failed)?;
                Sessions::Postgres(store, pool)
            }
        };
        Ok(sessions)
    }

    /// Puts session handling around `router`.
    pub fn around(&self, router: Router, policy: CookiePolicy) -> Router {
        match self {
            Sessions::Sqlite(store, _) => router.layer(layer(store.clone(), policy)),
            Sessions::Postgres(store, _) => router.layer(layer(store.clone(), policy)),
        }
    }

    /// Deletes expired sessions every `period`, until the process stops.
    pub fn spawn_cleanup(&self, period: Duration) -> tokio::task::JoinHandle<()> {
        match self.clone() {
            Sessions::Sqlite(store, _) => tokio::spawn(async move {
                let _ = store.continuously_delete_expired(period).await;
            }),
            Sessions::Postgres(store, _) => tokio::spawn(async move {
                let _ = store.continuously_delete_expired(period).await;
            }),
        }
    }

    /// How many sessions have not expired, in the tables tower-sessions' stores keep them in
    /// (the expiry written as they write it).
    pub async fn active(&self) -> Result<i64, sqlx::Error> {
        let now = time::OffsetDateTime::now_utc();
        match self {
            Sessions::Sqlite(_, pool) => {
                sqlx::query_scalar("SELECT COUNT(*) FROM tower_sessions WHERE expiry_date > ?")
                    .bind(now)
                    .fetch_one(pool)
                    .await
            }
            Sessions::Postgres(_, pool) => {
                sqlx::query_scalar(
                    r#"SELECT COUNT(*) FROM "tower_sessions"."session" WHERE expiry_date > $1"#,
                )
                .bind(now)
                .fetch_one(pool)
                .await
            }
        }
    }
}

fn layer<S: SessionStore + Clone>(store: S, policy: CookiePolicy) -> SessionManagerLayer<S> {
    let idle = time::Duration::try_from(policy.idle).unwrap_or(time::Duration::HOUR);
    SessionManagerLayer::new(store)
        .with_name(COOKIE)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_secure(policy.secure)
        .with_expiry(Expiry::OnInactivity(idle))
}
