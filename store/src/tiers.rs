//! Tiers as stored: the `tiers` table.

use sqlx::Row;
use sqlx::any::AnyRow;
use strata_domain::kind::Kind;
use strata_domain::names::TierName;
use strata_domain::rules::FieldError;
use strata_domain::tier::Tier;

use crate::StoreError;
use crate::entity::{AnyQuery, Entity, Reference, name_at, state_from_row};

impl Entity for Tier {
    const OF: Kind = Kind::Tier;
    const KEY_COLUMN: &'static str = "name";
    const COLUMNS: &'static [&'static str] = &["display_name", "is_live", "state"];
    const SEARCHED: &'static [&'static str] = &["display_name", "state"];
    const REFERENCED_BY: &'static [Reference] = &[
        Reference {
            kind: "tenant",
            table: "tenants",
            column: "tier",
            key: "name",
        },
        Reference {
            kind: "tier deployable",
            table: "tier_deployables",
            column: "tier",
            key: "id",
        },
        Reference {
            kind: "config layer",
            table: "config_layers",
            column: "tier",
            key: "id",
        },
        Reference {
            kind: "approval policy",
            table: "approval_policies",
            column: "tier",
            key: "name",
        },
    ];

    fn key(&self) -> String {
        self.name.to_string()
    }

    fn check(&self) -> Result<(), FieldError> {
        Tier::check(self)
    }

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(&self.display_name)
            .bind(i64::from(self.is_live))
            .bind(self.state.as_str())
    }

    fn from_row(row: &AnyRow) -> Result<Tier, StoreError> {
        Ok(Tier {
            name: name_at(row, "name", TierName::parse)?,
            display_name: row.try_get("display_name")?,
            is_live: row.try_get::<i64, _>("is_live")? != 0,
            state: state_from_row::<Tier>(row)?,
        })
    }
}
