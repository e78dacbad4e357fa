//! Deployables on tiers as stored: the `tier_deployables` table, keyed by `TIER/deployable`.

use sqlx::Row;
use sqlx::any::AnyRow;
use strata_domain::deployable::Deployable;
use strata_domain::kind::Kind;
use strata_domain::names::{DeployableName, TierName};
use strata_domain::rules::FieldError;
use strata_domain::tier::Tier;
use strata_domain::tier_deployable::TierDeployable;

use crate::StoreError;
use crate::entity::{AnyQuery, Entity, name_at, referenced};
use crate::seen::Reads;

impl Entity for TierDeployable {
    const OF: Kind = Kind::TierDeployable;
    const KEY_COLUMN: &'static str = "id";
    const COLUMNS: &'static [&'static str] =
        &["tier", "deployable", "active", "inactive_reason", "release"];
    const SEARCHED: &'static [&'static str] = &["tier", "deployable", "release"];

    fn key(&self) -> String {
        TierDeployable::key(self)
    }

    fn check(&self) -> Result<(), FieldError> {
        TierDeployable::check(self)
    }

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.tier.as_str())
            .bind(self.deployable.as_str())
            .bind(i64::from(self.active))
            .bind(self.inactive_reason.clone())
            .bind(self.release.clone())
    }

    fn from_row(row: &AnyRow) -> Result<TierDeployable, StoreError> {
        Ok(TierDeployable {
            tier: name_at(row, "tier", TierName::parse)?,
            deployable: name_at(row, "deployable", DeployableName::parse)?,
            active: row.try_get::<i64, _>("active")? != 0,
            inactive_reason: row.try_get("inactive_reason")?,
            release: row.try_get("release")?,
        })
    }

    async fn check_in_store(
        &self,
        reads: &mut Reads<'_>,
        _before: Option<&TierDeployable>,
    ) -> Result<(), StoreError> {
        referenced::<Tier>(reads, "/tier", self.tier.as_str()).await?;
        referenced::<Deployable>(reads, "/deployable", self.deployable.as_str()).await?;
        Ok(())
    }
}
