//! Tenants as stored: the `tenants` table, with a unique alias and the life cycle enforced on
//! every write.

use sqlx::Row;
use sqlx::any::AnyRow;
use strata_domain::kind::Kind;
use strata_domain::names::{ProductName, TenantAlias, TenantName, TierName, check_prefix};
use strata_domain::organization::Organization;
use strata_domain::product::Product;
use strata_domain::rules::FieldError;
use strata_domain::tenant::{Tenant, TenantState};
use strata_domain::tier::Tier;

use crate::StoreError;
use crate::entity::{AnyQuery, Entity, Reference, invalid, name_at, referenced};
use crate::resolution::Touch;
use crate::seen::Reads;

/// How a refusal names the tenant `holder` to one writing a tenant of `product`: by name when
/// it is of the same organization.
async fn holder_of(
    reads: &mut Reads<'_>,
    holder: &str,
    product: &Product,
) -> Result<String, StoreError> {
    let organization = match reads.entity::<Tenant>(holder).await? {
        Some(tenant) => reads
            .entity::<Product>(tenant.item.product.as_str())
            .await?
            .map(|p| p.item.organization),
        None => None,
    };
    Ok(match organization.as_ref() == Some(&product.organization) {
        true => format!("tenant {holder:?}"),
        false => "a tenant of another organization".to_owned(),
    })
}

impl Entity for Tenant {
    const OF: Kind = Kind::Tenant;
    const KEY_COLUMN: &'static str = "name";
    const COLUMNS: &'static [&'static str] = &[
        "product",
        "tier",
        "alias",
        "termination_protection",
        "state",
    ];
    const SEARCHED: &'static [&'static str] = &["product", "tier", "alias", "state"];
    const REFERENCED_BY: &'static [Reference] = &[Reference {
        kind: "config layer",
        table: "config_layers",
        column: "tenant",
        key: "id",
    }];

    fn key(&self) -> String {
        self.name.to_string()
    }

    fn check(&self) -> Result<(), FieldError> {
        Ok(())
    }

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(self.product.as_str())
            .bind(self.tier.as_str())
            .bind(self.alias.as_ref().map(|a| a.to_string()))
            .bind(i64::from(self.termination_protection))
            .bind(self.state.as_str())
    }

    fn from_row(row: &AnyRow) -> Result<Tenant, StoreError> {
        let state: String = row.try_get("state")?;
        Ok(Tenant {
            name: name_at(row, "name", TenantName::parse)?,
            product: name_at(row, "product", ProductName::parse)?,
            tier: name_at(row, "tier", TierName::parse)?,
            alias: row
                .try_get::<Option<String>, _>("alias")?
                .map(TenantAlias::parse)
                .transpose()
                .map_err(StoreError::corrupt)?,
            termination_protection: row.try_get::<i64, _>("termination_protection")? != 0,
            state: TenantState::parse(&state)
                .ok_or_else(|| StoreError::Corrupt(format!("tenant state {state:?}")))?,
        })
    }

    /// Product and tier exist, the name begins with the product's organization's short name,
    /// the alias is no other tenant's alias or name, and a state change follows the life
    /// cycle.
    async fn check_in_store(
        &self,
        reads: &mut Reads<'_>,
        before: Option<&Tenant>,
    ) -> Result<(), StoreError> {
        if let Some(before) = before {
            Tenant::check_transition(before.state, self.state).map_err(invalid)?;
        }
        let product = referenced::<Product>(reads, "/product", self.product.as_str()).await?;
        if before.is_some_and(|b| b.product != self.product) {
            // The tenant's own layers must be for deployables of its new product.
            let orphans: Vec<String> = sqlx::query_scalar(
                "SELECT id FROM config_layers WHERE tenant = $1 AND deployable NOT IN \
                 (SELECT deployable FROM product_deployables WHERE product = $2) ORDER BY id",
            )
            .bind(self.name.as_str())
            .bind(self.product.as_str())
            .fetch_all(reads.conn().await?)
            .await?;
            if !orphans.is_empty() {
                return Err(StoreError::invalid(
                    "/product",
                    format!(
                        "product {:?} is not made of the deployables of the tenant's config layers {orphans:?}; delete them first",
                        self.product.as_str()
                    ),
                ));
            }
        }
        referenced::<Tier>(reads, "/tier", self.tier.as_str()).await?;
        let organization =
            referenced::<Organization>(reads, "/product", product.organization.as_str()).await?;
        check_prefix("/name", self.name.as_str(), &organization.short_name).map_err(invalid)?;
        // Names and aliases of tenants are one name space, across organizations; the tenant
        // holding a name is named only when it is of the same organization (a refusal reveals
        // no other organization's tenants).
        if let Some(alias) = &self.alias {
            let as_alias = reads.alias_holder(alias.as_str()).await?;
            let as_name = reads.entity::<Tenant>(alias.as_str()).await?;
            let holder = as_alias
                .into_iter()
                .chain(as_name.map(|t| t.item.name.to_string()))
                .find(|h| h != self.name.as_str());
            if let Some(holder) = holder {
                return Err(StoreError::invalid(
                    "/alias",
                    format!(
                        "{:?} already names {}",
                        alias.as_str(),
                        holder_of(reads, &holder, &product).await?
                    ),
                ));
            }
        }
        // A new tenant's name must not be another tenant's alias either.
        if let Some(holder) = reads
            .alias_holder(self.name.as_str())
            .await?
            .filter(|h| h != self.name.as_str())
        {
            return Err(StoreError::invalid(
                "/name",
                format!(
                    "{:?} is the alias of {}",
                    self.name.as_str(),
                    holder_of(reads, &holder, &product).await?
                ),
            ));
        }
        Ok(())
    }

    fn check_delete(&self) -> Result<(), FieldError> {
        self.check_deletable()
    }

    fn touches(&self) -> Option<Touch> {
        Some(Touch::Tenant(self.name.clone()))
    }
}
