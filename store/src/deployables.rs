//! Deployables as stored: the `deployables` table, schema and default config as JSON text.

use sqlx::Row;
use sqlx::any::AnyRow;
use strata_domain::deployable::Deployable;
use strata_domain::kind::Kind;
use strata_domain::names::DeployableName;
use strata_domain::rules::FieldError;

use crate::StoreError;
use crate::entity::{AnyQuery, Entity, Reference, json_at, name_at};
use crate::resolution::Touch;
use crate::sealing::Sealer;
use crate::secrets::seal_default;
use crate::seen::Reads;

impl Entity for Deployable {
    const OF: Kind = Kind::Deployable;
    const KEY_COLUMN: &'static str = "name";
    const COLUMNS: &'static [&'static str] = &["display_name", "config_schema", "default_config"];
    const SEARCHED: &'static [&'static str] = &["display_name"];
    const REFERENCED_BY: &'static [Reference] = &[
        Reference {
            kind: "product",
            table: "product_deployables",
            column: "deployable",
            key: "product",
        },
        Reference {
            kind: "tier deployable",
            table: "tier_deployables",
            column: "deployable",
            key: "id",
        },
        Reference {
            kind: "config layer",
            table: "config_layers",
            column: "deployable",
            key: "id",
        },
        Reference {
            kind: "approval policy",
            table: "approval_policies",
            column: "deployable",
            key: "name",
        },
    ];

    fn key(&self) -> String {
        self.name.to_string()
    }

    fn check(&self) -> Result<(), FieldError> {
        Deployable::check(self).map(drop)
    }

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(&self.display_name)
            .bind(self.config_schema.to_string())
            .bind(self.default_config.to_string())
    }

    fn touches(&self) -> Option<Touch> {
        Some(Touch::Deployable(self.name.clone()))
    }

    async fn seal(
        &mut self,
        _reads: &mut Reads<'_>,
        sealer: &Sealer,
        before: Option<&Deployable>,
        accept_unbound: bool,
    ) -> Result<(), StoreError> {
        seal_default(self, sealer, before, accept_unbound)
    }

    fn from_row(row: &AnyRow) -> Result<Deployable, StoreError> {
        Ok(Deployable {
            name: name_at(row, "name", DeployableName::parse)?,
            display_name: row.try_get("display_name")?,
            config_schema: json_at(row, "config_schema")?,
            default_config: json_at(row, "default_config")?,
        })
    }
}
