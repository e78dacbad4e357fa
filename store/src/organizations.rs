//! Organizations as stored: the `organizations` table, with a unique short name.

use sqlx::Row;
use sqlx::any::AnyRow;
use strata_domain::kind::Kind;
use strata_domain::names::OrganizationName;
use strata_domain::organization::Organization;
use strata_domain::rules::FieldError;

use crate::StoreError;
use crate::entity::{AnyQuery, Entity, Reference, name_at, state_from_row};
use crate::seen::Reads;

impl Entity for Organization {
    const OF: Kind = Kind::Organization;
    const KEY_COLUMN: &'static str = "name";
    const COLUMNS: &'static [&'static str] = &["short_name", "display_name", "state"];
    const SEARCHED: &'static [&'static str] = &["short_name", "display_name", "state"];
    const REFERENCED_BY: &'static [Reference] = &[Reference {
        kind: "product",
        table: "products",
        column: "organization",
        key: "name",
    }];

    fn key(&self) -> String {
        self.name.to_string()
    }

    fn check(&self) -> Result<(), FieldError> {
        Organization::check(self)
    }

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.short_name.as_str())
            .bind(&self.display_name)
            .bind(self.state.as_str())
    }

    fn from_row(row: &AnyRow) -> Result<Organization, StoreError> {
        Ok(Organization {
            name: name_at(row, "name", OrganizationName::parse)?,
            short_name: name_at(row, "short_name", OrganizationName::parse)?,
            display_name: row.try_get("display_name")?,
            state: state_from_row::<Organization>(row)?,
        })
    }

    /// The short name prefixes tenant names, so two organizations may not share one.
    async fn check_in_store(
        &self,
        reads: &mut Reads<'_>,
        _before: Option<&Organization>,
    ) -> Result<(), StoreError> {
        let holder: Option<String> = sqlx::query_scalar(
            "SELECT name FROM organizations WHERE short_name = $1 AND name <> $2",
        )
        .bind(self.short_name.as_str())
        .bind(self.name.as_str())
        .fetch_optional(reads.conn().await?)
        .await?;
        match holder {
            Some(holder) => Err(StoreError::invalid(
                "/short_name",
                format!(
                    "{:?} is already the short name of organization {holder:?}",
                    self.short_name.as_str()
                ),
            )),
            None => Ok(()),
        }
    }
}
