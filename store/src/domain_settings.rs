//! The domain row's settings (name, display name, origin URL), written through a change set
//! like any entity: versioned, checked, recorded in history as kind `domain`. They are not
//! part of a [`crate::history::State`]: restore and export carry the entities only.

use strata_domain::names::DomainName;
use strata_domain::rules::Versioned;
use strata_domain::settings::DomainSettings;

use crate::changes::{ChangeSet, Entry, Operation};
use crate::error::VersionStamp;
use crate::{Store, StoreError};

pub use strata_domain::settings::DOMAIN_KIND;
const DOMAIN_KEY: &str = DOMAIN_KIND;

async fn read(conn: &mut sqlx::AnyConnection) -> Result<DomainSettings, StoreError> {
    let (name, display_name, origin_url): (String, String, String) =
        sqlx::query_as("SELECT name, display_name, origin_url FROM domain WHERE id = 1")
            .fetch_one(conn)
            .await?;
    Ok(DomainSettings {
        name: DomainName::parse(name).map_err(StoreError::corrupt)?,
        display_name,
        origin_url,
    })
}

/// The settings' version (0 until first changed) and the revision that wrote it.
async fn version_of(conn: &mut sqlx::AnyConnection) -> Result<(i64, i64), StoreError> {
    let (version, revision): (Option<i64>, Option<i64>) = sqlx::query_as(
        "SELECT MAX(entity_version), MAX(revision) FROM changes WHERE entity_kind = $1",
    )
    .bind(DOMAIN_KIND)
    .fetch_one(conn)
    .await?;
    Ok((version.unwrap_or(0), revision.unwrap_or(0)))
}

impl ChangeSet {
    /// Replaces the domain's settings, which must still be at `expected_version` (0 for the
    /// settings a new database starts with).
    pub async fn update_domain(
        &mut self,
        expected_version: i64,
        settings: DomainSettings,
    ) -> Result<Versioned<DomainSettings>, StoreError> {
        settings
            .check()
            .map_err(|e| StoreError::invalid(e.field, e.rule))?;
        let stamp = self.stamp(DOMAIN_KIND, DOMAIN_KEY).await?;
        let version = stamp.as_ref().map_or(0, |s| s.version);
        if version != expected_version {
            return Err(StoreError::Conflict {
                kind: DOMAIN_KIND,
                key: DOMAIN_KEY.to_owned(),
                expected: expected_version,
                current: stamp.unwrap_or(VersionStamp {
                    version: 0,
                    actor: "strata".to_owned(),
                    at_ms: 0,
                }),
            });
        }
        let current = read(self.conn().await?).await?;
        if current == settings {
            let (version, revision) = version_of(self.conn().await?).await?;
            return Ok(Versioned {
                item: current,
                version,
                revision,
            });
        }
        sqlx::query("UPDATE domain SET name = $1, display_name = $2, origin_url = $3 WHERE id = 1")
            .bind(settings.name.as_str())
            .bind(&settings.display_name)
            .bind(&settings.origin_url)
            .execute(self.conn().await?)
            .await?;
        let before = serde_json::to_value(&current).expect("settings serialize");
        let after = serde_json::to_value(&settings).expect("settings serialize");
        self.record(Entry {
            kind: DOMAIN_KIND,
            key: DOMAIN_KEY,
            version: version + 1,
            operation: Operation::Update,
            before: Some(&before),
            after: Some(&after),
        })
        .await?;
        Ok(Versioned {
            item: settings,
            version: version + 1,
            revision: self.revision(),
        })
    }
}

impl Store {
    /// The domain's settings and their version (0 until first changed).
    pub async fn domain_settings(&self) -> Result<Versioned<DomainSettings>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let item = read(&mut conn).await?;
        let (version, revision) = version_of(&mut conn).await?;
        Ok(Versioned {
            item,
            version,
            revision,
        })
    }
}
