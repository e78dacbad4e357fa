//! Tiers: created, changed and deleted through a change set; read from the store.

use serde_json::Value;
use sqlx::Row;
use sqlx::any::AnyRow;
use strata_domain::names::TierName;
use strata_domain::rules::Versioned;
use strata_domain::tier::{Tier, TierState};

use crate::changes::{ChangeSet, Entry, Operation};
use crate::{Store, StoreError};

pub const KIND: &str = "tier";

const COLUMNS: &str = "name, display_name, is_live, state, version, revision";

impl ChangeSet {
    pub async fn create_tier(&mut self, tier: Tier) -> Result<Versioned<Tier>, StoreError> {
        tier.check()
            .map_err(|e| StoreError::invalid(e.field, e.rule))?;
        let key = tier.name.as_str();
        if fetch(self.conn(), key).await?.is_some() {
            return Err(StoreError::Duplicate {
                kind: KIND,
                key: key.to_owned(),
            });
        }
        let version = self.next_version(KIND, key).await?;
        sqlx::query(&format!(
            "INSERT INTO tiers ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(key)
        .bind(&tier.display_name)
        .bind(i64::from(tier.is_live))
        .bind(tier.state.as_str())
        .bind(version)
        .bind(self.revision())
        .execute(self.conn())
        .await?;
        let after = image(&tier);
        self.record(Entry {
            kind: KIND,
            key,
            version,
            operation: Operation::Create,
            before: None,
            after: Some(&after),
        })
        .await?;
        Ok(Versioned {
            item: tier,
            version,
            revision: self.revision(),
        })
    }

    /// Replaces the tier named `tier.name`, which must still be at `expected_version`.
    /// Writing what is already stored changes nothing and records nothing.
    pub async fn update_tier(
        &mut self,
        expected_version: i64,
        tier: Tier,
    ) -> Result<Versioned<Tier>, StoreError> {
        tier.check()
            .map_err(|e| StoreError::invalid(e.field, e.rule))?;
        let key = tier.name.as_str().to_owned();
        let current = self.current(&key, expected_version).await?;
        if current.item == tier {
            return Ok(current);
        }
        let version = current.version + 1;
        sqlx::query(
            "UPDATE tiers SET display_name = $1, is_live = $2, state = $3, version = $4, revision = $5 WHERE name = $6",
        )
        .bind(&tier.display_name)
        .bind(i64::from(tier.is_live))
        .bind(tier.state.as_str())
        .bind(version)
        .bind(self.revision())
        .bind(&key)
        .execute(self.conn())
        .await?;
        let (before, after) = (image(&current.item), image(&tier));
        self.record(Entry {
            kind: KIND,
            key: &key,
            version,
            operation: Operation::Update,
            before: Some(&before),
            after: Some(&after),
        })
        .await?;
        Ok(Versioned {
            item: tier,
            version,
            revision: self.revision(),
        })
    }

    /// Deletes the tier, which must still be at `expected_version`.
    pub async fn delete_tier(
        &mut self,
        name: &TierName,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let key = name.as_str();
        let current = self.current(key, expected_version).await?;
        sqlx::query("DELETE FROM tiers WHERE name = $1")
            .bind(key)
            .execute(self.conn())
            .await?;
        let before = image(&current.item);
        self.record(Entry {
            kind: KIND,
            key,
            version: current.version + 1,
            operation: Operation::Delete,
            before: Some(&before),
            after: None,
        })
        .await
    }

    /// The stored tier, if it is still at `expected_version`; else not-found or a conflict.
    async fn current(
        &mut self,
        key: &str,
        expected_version: i64,
    ) -> Result<Versioned<Tier>, StoreError> {
        let current = fetch(self.conn(), key)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: KIND,
                key: key.to_owned(),
            })?;
        if current.version != expected_version {
            let stamp = self
                .stamp(KIND, key)
                .await?
                .ok_or_else(|| StoreError::Corrupt(format!("tier {key:?} has no history")))?;
            return Err(StoreError::Conflict {
                kind: KIND,
                key: key.to_owned(),
                expected: expected_version,
                current: stamp,
            });
        }
        Ok(current)
    }
}

impl Store {
    pub async fn tier(&self, name: &str) -> Result<Versioned<Tier>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        fetch(&mut conn, name)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: KIND,
                key: name.to_owned(),
            })
    }

    /// All tiers, by name.
    pub async fn tiers(&self) -> Result<Vec<Versioned<Tier>>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM tiers ORDER BY name"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(from_row).collect()
    }
}

async fn fetch(
    conn: &mut sqlx::AnyConnection,
    name: &str,
) -> Result<Option<Versioned<Tier>>, StoreError> {
    sqlx::query(&format!("SELECT {COLUMNS} FROM tiers WHERE name = $1"))
        .bind(name)
        .fetch_optional(conn)
        .await?
        .as_ref()
        .map(from_row)
        .transpose()
}

fn from_row(row: &AnyRow) -> Result<Versioned<Tier>, StoreError> {
    let name: String = row.try_get("name")?;
    let state: String = row.try_get("state")?;
    Ok(Versioned {
        item: Tier {
            name: TierName::parse(&name).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            display_name: row.try_get("display_name")?,
            is_live: row.try_get::<i64, _>("is_live")? != 0,
            state: TierState::parse(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("tier state {state:?}")))?,
        },
        version: row.try_get("version")?,
        revision: row.try_get("revision")?,
    })
}

fn image(tier: &Tier) -> Value {
    serde_json::to_value(tier).expect("a tier serializes")
}
