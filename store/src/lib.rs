//! The configuration store: the only code that writes Strata's tables. It speaks to SQLite
//! (the embedded default) or PostgreSQL through one sqlx `AnyPool`, so every query is written
//! once and the same tests run against both databases.

pub mod access;
pub mod audit;
pub mod changes;
mod config_layers;
pub mod conflicts;
mod converge;
mod database_url;
mod demo;
mod deployables;
pub mod domain_settings;
pub mod drift;
pub mod entity;
mod entity_writes;
mod error;
pub mod exchange;
mod files;
pub mod history;
mod impact;
pub mod layer_editing;
mod listing;
pub mod metrics;
mod operation;
mod organizations;
pub mod outbox;
mod pending;
mod products;
pub mod resolution;
pub mod review;
pub mod sealing;
mod search_index;
mod secrets;
mod seen;
mod state;
mod tenants;
#[cfg(feature = "test-support")]
pub mod test_support;
mod tier_deployables;
mod tiers;
pub mod write;

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Row, Transaction};

pub use database_url::{Backend, DatabaseUrl};
pub use error::{StoreError, VersionStamp};

/// Milliseconds since the Unix epoch, as the store records times.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

/// The domain row: one whole configuration database.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DomainInfo {
    pub name: String,
    pub display_name: String,
    pub origin_url: String,
    pub revision: i64,
}

/// A handle on the store. Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    url: DatabaseUrl,
    /// Told after every commit through this handle (and its clones).
    committed: std::sync::Arc<tokio::sync::Notify>,
    /// Seals and opens secret values (with `STRATA_SECRET_KEY`, when set).
    sealer: sealing::Sealer,
    /// What this handle counts for operators.
    metrics: metrics::StoreMetrics,
}

impl Store {
    /// Opens the database (creating a SQLite file and its folder when missing). Does not
    /// migrate: call [`Store::migrate`].
    pub async fn connect(url: &DatabaseUrl) -> Result<Store, StoreError> {
        install_default_drivers();
        url.prepare()?;
        // One plain connection first: a refused or misnamed database fails now, in one
        // attempt, instead of after the pool's retries.
        AnyConnection::connect(url.as_sqlx())
            .await
            .map_err(|source| StoreError::Connect {
                location: url.redacted(),
                source,
            })?
            .close()
            .await?;
        let backend = url.backend();
        let pool = AnyPoolOptions::new()
            .acquire_timeout(std::time::Duration::from_secs(10))
            .max_connections(match backend {
                // One writer at a time is SQLite's rule; a few readers keep pages responsive.
                Backend::Sqlite => 4,
                Backend::Postgres => 16,
            })
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(url.as_sqlx())
            .await
            .map_err(|source| StoreError::Connect {
                location: url.redacted(),
                source,
            })?;
        Ok(Store {
            pool,
            url: url.clone(),
            committed: Default::default(),
            sealer: Default::default(),
            metrics: Default::default(),
        })
    }

    /// This handle with the key secret values are sealed with (none: values a schema marks
    /// secret cannot be written, and sealed ones cannot be opened).
    pub fn with_secret_key(mut self, key: Option<sealing::SecretKey>) -> Store {
        self.sealer = sealing::Sealer::new(key);
        self
    }

    /// This handle counting into `metrics` (a server's registered families).
    pub fn with_metrics(mut self, metrics: metrics::StoreMetrics) -> Store {
        self.metrics = metrics;
        self
    }

    pub(crate) fn metrics(&self) -> &metrics::StoreMetrics {
        &self.metrics
    }

    /// Seals and opens secret values.
    pub fn sealer(&self) -> &sealing::Sealer {
        &self.sealer
    }

    /// Brings the schema up to date. Safe to run from several replicas at once: sqlx takes a
    /// lock on PostgreSQL, and SQLite serialises writers.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.url.backend() {
            Backend::Sqlite => sqlx::migrate!("migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("migrations/postgres"),
        };
        migrator.run(&self.pool).await?;
        access::scope::fill_change_owners(&self.pool).await?;
        search_index::make_all(&self.pool, self.url.backend()).await?;
        Ok(())
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    pub async fn domain(&self) -> Result<DomainInfo, StoreError> {
        let row =
            sqlx::query("SELECT name, display_name, origin_url, revision FROM domain WHERE id = 1")
                .fetch_one(&self.pool)
                .await?;
        Ok(DomainInfo {
            name: row.try_get("name")?,
            display_name: row.try_get("display_name")?,
            origin_url: row.try_get("origin_url")?,
            revision: row.try_get("revision")?,
        })
    }

    /// The version string the database server reports, e.g. "3.46.0" or "15.20".
    pub async fn server_version(&self) -> Result<String, StoreError> {
        let sql = match self.url.backend() {
            Backend::Sqlite => "SELECT sqlite_version()",
            Backend::Postgres => "SHOW server_version",
        };
        let row = sqlx::query(sql).fetch_one(&self.pool).await?;
        Ok(row.try_get(0)?)
    }

    /// A read-only transaction that sees one committed state throughout, on both databases
    /// (SQLite's deferred transactions read one snapshot; PostgreSQL needs repeatable read).
    pub(crate) async fn snapshot(&self) -> Result<Transaction<'static, Any>, StoreError> {
        let mut tx = self.pool.begin().await?;
        if self.url.backend() == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
