//! Config layers as stored: the `config_layers` table, keyed by `deployable/kind/name`, with
//! the scope's name in the column of its kind.

use sqlx::Row;
use sqlx::any::AnyRow;
use strata_domain::deployable::Deployable;
use strata_domain::kind::Kind;
use strata_domain::layer::{ConfigLayer, Layer};
use strata_domain::names::{DeployableName, ProductName, TenantName, TierName};
use strata_domain::product::Product;
use strata_domain::rules::FieldError;
use strata_domain::tenant::Tenant;
use strata_domain::tier::Tier;

use crate::StoreError;
use crate::entity::{AnyQuery, Entity, json_at, name_at, referenced};
use crate::resolution::Touch;
use crate::sealing::Sealer;
use crate::secrets::seal_layer;
use crate::seen::Reads;

impl Entity for ConfigLayer {
    const OF: Kind = Kind::ConfigLayer;
    const KEY_COLUMN: &'static str = "id";
    const COLUMNS: &'static [&'static str] = &[
        "deployable",
        "scope_kind",
        "tier",
        "product",
        "tenant",
        "config",
    ];

    fn key(&self) -> String {
        ConfigLayer::key(self)
    }

    fn check(&self) -> Result<(), FieldError> {
        ConfigLayer::check(self)
    }

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        let name = |kind: &str| {
            (self.scope.kind() == kind)
                .then(|| self.scope.name().map(str::to_owned))
                .flatten()
        };
        query
            .bind(self.deployable.as_str())
            .bind(self.scope.kind())
            .bind(name("tier"))
            .bind(name("product"))
            .bind(name("tenant"))
            .bind(self.config.to_string())
    }

    fn from_row(row: &AnyRow) -> Result<ConfigLayer, StoreError> {
        // The table's checks keep exactly the scope's column set, so a NULL here is corrupt.
        let kind: String = row.try_get("scope_kind")?;
        let scope = match kind.as_str() {
            "tier" => Layer::Tier(name_at(row, "tier", TierName::parse)?),
            "product" => Layer::Product(name_at(row, "product", ProductName::parse)?),
            "tenant" => Layer::Tenant(name_at(row, "tenant", TenantName::parse)?),
            other => return Err(StoreError::corrupt(format!("config layer scope {other:?}"))),
        };
        Ok(ConfigLayer {
            deployable: name_at(row, "deployable", DeployableName::parse)?,
            scope,
            config: json_at(row, "config")?,
        })
    }

    /// The deployable and the scope exist, and a product or tenant layer is for a deployable
    /// its product is made of.
    async fn check_in_store(
        &self,
        reads: &mut Reads<'_>,
        _before: Option<&ConfigLayer>,
    ) -> Result<(), StoreError> {
        referenced::<Deployable>(reads, "/deployable", self.deployable.as_str()).await?;
        let product = match &self.scope {
            Layer::Default => None,
            Layer::Tier(tier) => {
                referenced::<Tier>(reads, "/scope/name", tier.as_str()).await?;
                None
            }
            Layer::Product(name) => {
                Some(referenced::<Product>(reads, "/scope/name", name.as_str()).await?)
            }
            Layer::Tenant(name) => {
                let tenant = referenced::<Tenant>(reads, "/scope/name", name.as_str()).await?;
                Some(referenced::<Product>(reads, "/scope/name", tenant.product.as_str()).await?)
            }
        };
        if let Some(product) = product
            && !product.deployables.contains(&self.deployable)
        {
            return Err(StoreError::invalid(
                "/deployable",
                format!(
                    "product {:?} is not made of deployable {:?}, so {} has no config for it",
                    product.name.as_str(),
                    self.deployable.as_str(),
                    self.scope
                ),
            ));
        }
        Ok(())
    }

    fn touches(&self) -> Option<Touch> {
        Some(Touch::Layer(self.deployable.clone(), self.scope.clone()))
    }

    async fn seal(
        &mut self,
        reads: &mut Reads<'_>,
        sealer: &Sealer,
        before: Option<&ConfigLayer>,
        accept_unbound: bool,
    ) -> Result<(), StoreError> {
        seal_layer(self, reads, sealer, before, accept_unbound).await
    }
}
