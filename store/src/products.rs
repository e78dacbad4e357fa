//! Products as stored: the `products` table, and the deployables each is made of in
//! `product_deployables`.

use std::collections::BTreeSet;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use strata_domain::deployable::Deployable;
use strata_domain::kind::Kind;
use strata_domain::names::{DeployableName, OrganizationName, ProductName, check_prefix};
use strata_domain::organization::Organization;
use strata_domain::product::Product;
use strata_domain::rules::FieldError;

use crate::StoreError;
use crate::changes::ChangeSet;
use crate::entity::{AnyQuery, Entity, Reference, invalid, name_at, referenced, state_from_row};
use crate::resolution::Touch;
use crate::seen::Reads;

impl Entity for Product {
    const OF: Kind = Kind::Product;
    const KEY_COLUMN: &'static str = "name";
    const COLUMNS: &'static [&'static str] = &["organization", "display_name", "state"];
    const SEARCHED: &'static [&'static str] = &["organization", "display_name", "state"];
    const REFERENCED_BY: &'static [Reference] = &[
        Reference {
            kind: "tenant",
            table: "tenants",
            column: "product",
            key: "name",
        },
        Reference {
            kind: "config layer",
            table: "config_layers",
            column: "product",
            key: "id",
        },
        Reference {
            kind: "approval policy",
            table: "approval_policies",
            column: "product",
            key: "name",
        },
    ];

    fn key(&self) -> String {
        self.name.to_string()
    }

    fn check(&self) -> Result<(), FieldError> {
        Product::check(self)
    }

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.organization.as_str())
            .bind(&self.display_name)
            .bind(self.state.as_str())
    }

    fn from_row(row: &AnyRow) -> Result<Product, StoreError> {
        Ok(Product {
            name: name_at(row, "name", ProductName::parse)?,
            organization: name_at(row, "organization", OrganizationName::parse)?,
            display_name: row.try_get("display_name")?,
            deployables: BTreeSet::new(),
            state: state_from_row::<Product>(row)?,
        })
    }

    /// The organization and every deployable exist, and the name begins with the
    /// organization's short name.
    async fn check_in_store(
        &self,
        reads: &mut Reads<'_>,
        before: Option<&Product>,
    ) -> Result<(), StoreError> {
        if let Some(before) = before {
            for dropped in before.deployables.difference(&self.deployables) {
                let layers = layers_for(
                    reads.conn().await?,
                    dropped,
                    "product = $2",
                    self.name.as_str(),
                )
                .await?
                .into_iter()
                .chain(
                    layers_for(
                        reads.conn().await?,
                        dropped,
                        "tenant IN (SELECT name FROM tenants WHERE product = $2)",
                        self.name.as_str(),
                    )
                    .await?,
                )
                .collect::<Vec<_>>();
                if !layers.is_empty() {
                    return Err(StoreError::invalid(
                        "/deployables",
                        format!(
                            "the product would no longer be made of {:?}, but config layers for it remain: {layers:?}; delete them first",
                            dropped.as_str()
                        ),
                    ));
                }
            }
        }
        let organization =
            referenced::<Organization>(reads, "/organization", self.organization.as_str()).await?;
        check_prefix("/name", self.name.as_str(), &organization.short_name).map_err(invalid)?;
        for (i, deployable) in self.deployables.iter().enumerate() {
            referenced::<Deployable>(reads, &format!("/deployables/{i}"), deployable.as_str())
                .await?;
        }
        Ok(())
    }

    fn touches(&self) -> Option<Touch> {
        Some(Touch::Product(self.name.clone()))
    }

    async fn write_children(&self, change: &mut ChangeSet) -> Result<(), StoreError> {
        let conn = change.conn().await?;
        sqlx::query("DELETE FROM product_deployables WHERE product = $1")
            .bind(self.name.as_str())
            .execute(&mut *conn)
            .await?;
        for deployable in &self.deployables {
            sqlx::query("INSERT INTO product_deployables (product, deployable) VALUES ($1, $2)")
                .bind(self.name.as_str())
                .bind(deployable.as_str())
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    async fn read_children(&mut self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        let names: Vec<String> = sqlx::query_scalar(
            "SELECT deployable FROM product_deployables WHERE product = $1 ORDER BY deployable",
        )
        .bind(self.name.as_str())
        .fetch_all(conn)
        .await?;
        self.deployables = names
            .into_iter()
            .map(|n| DeployableName::parse(n).map_err(StoreError::corrupt))
            .collect::<Result<_, _>>()?;
        Ok(())
    }
}

/// The keys of `deployable`'s config layers whose scope matches `scope` (SQL with `$2`).
pub(crate) async fn layers_for(
    conn: &mut AnyConnection,
    deployable: &DeployableName,
    scope: &str,
    value: &str,
) -> Result<Vec<String>, StoreError> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT id FROM config_layers WHERE deployable = $1 AND {scope} ORDER BY id"
    ))
    .bind(deployable.as_str())
    .bind(value)
    .fetch_all(conn)
    .await?)
}
