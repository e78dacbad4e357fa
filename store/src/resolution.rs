//! Resolved configs in the store: which (tier, tenant, deployable) a write can change, their
//! resolution from the stored layers, the validation every change set passes before it
//! commits, and the impact preview of a write that is not made.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde_json::Value;
use sqlx::AnyConnection;
use strata_domain::deployable::Deployable;
use strata_domain::layer::{ConfigLayer, Layer};
use strata_domain::names::{DeployableName, ProductName, TenantName, TierName};
use strata_domain::product::Product;
use strata_domain::resolve::resolve;
use strata_domain::rules::FieldError;
use strata_domain::schema::{ConfigSchema, Violations};
use strata_domain::secret::hide_secrets_in;
use strata_domain::tenant::Tenant;

use crate::entity::{Entity, fetch, name_at};
use crate::sealing::{Sealer, Unopened};
use crate::{Store, StoreError};

pub use crate::impact::{
    ConfigChange, ConfigViolation, ConfigViolations, Impact, ResolvedConfig, Target, Touch,
};

const TARGETS: &str = "SELECT t.tier, t.name, t.product, pd.deployable FROM tenants t \
                       JOIN product_deployables pd ON pd.product = t.product \
                       WHERE t.state <> 'deleted'";

/// The resolved configs that `touched` can change, of tenants that are not deleted.
pub(crate) async fn affected(
    conn: &mut AnyConnection,
    touched: &BTreeSet<Touch>,
) -> Result<BTreeSet<Target>, StoreError> {
    let mut targets = BTreeSet::new();
    for touch in touched {
        let (filter, keys): (&str, Vec<&str>) = match touch {
            Touch::Deployable(d) | Touch::Layer(d, Layer::Default) => {
                ("pd.deployable = $1", vec![d.as_str()])
            }
            Touch::Layer(d, Layer::Tier(t)) => (
                "pd.deployable = $1 AND t.tier = $2",
                vec![d.as_str(), t.as_str()],
            ),
            Touch::Layer(d, Layer::Product(p)) => (
                "pd.deployable = $1 AND t.product = $2",
                vec![d.as_str(), p.as_str()],
            ),
            Touch::Layer(d, Layer::Tenant(t)) => (
                "pd.deployable = $1 AND t.name = $2",
                vec![d.as_str(), t.as_str()],
            ),
            Touch::Product(p) => ("t.product = $1", vec![p.as_str()]),
            Touch::Tenant(t) => ("t.name = $1", vec![t.as_str()]),
        };
        let sql = format!("{TARGETS} AND {filter}");
        let mut query = sqlx::query(&sql);
        for key in keys {
            query = query.bind(key);
        }
        for row in query.fetch_all(&mut *conn).await? {
            targets.insert(Target {
                tier: name_at(&row, 0, TierName::parse)?,
                tenant: name_at(&row, 1, TenantName::parse)?,
                product: name_at(&row, 2, ProductName::parse)?,
                deployable: name_at(&row, 3, DeployableName::parse)?,
            });
        }
    }
    Ok(targets)
}

/// One deployable's stored layers, by scope name.
/// One deployable's stored layers, by scope.
async fn layers_of(
    conn: &mut AnyConnection,
    deployable: &DeployableName,
    only: Option<&Target>,
) -> Result<HashMap<Layer, Value>, StoreError> {
    let base = "SELECT deployable, scope_kind, tier, product, tenant, config FROM config_layers \
                WHERE deployable = $1";
    let rows = match only {
        // One config: read just its three layers, not every tenant's.
        Some(t) => {
            sqlx::query(&format!(
                "{base} AND (tier = $2 OR product = $3 OR tenant = $4)"
            ))
            .bind(deployable.as_str())
            .bind(t.tier.as_str())
            .bind(t.product.as_str())
            .bind(t.tenant.as_str())
            .fetch_all(&mut *conn)
            .await?
        }
        None => {
            sqlx::query(base)
                .bind(deployable.as_str())
                .fetch_all(&mut *conn)
                .await?
        }
    };
    rows.iter()
        .map(|row| ConfigLayer::from_row(row).map(|layer| (layer.scope, layer.config)))
        .collect()
}

/// Resolves and validates each target from the stored deployables and layers. Secrets stay
/// sealed in what is answered; they are opened to check the config against its schema, and no
/// rule reported quotes one.
pub(crate) async fn resolve_targets(
    conn: &mut AnyConnection,
    sealer: &Sealer,
    targets: &BTreeSet<Target>,
) -> Result<Vec<ResolvedConfig>, StoreError> {
    let mut by_deployable: BTreeMap<&DeployableName, Vec<&Target>> = BTreeMap::new();
    for target in targets {
        by_deployable
            .entry(&target.deployable)
            .or_default()
            .push(target);
    }
    let mut resolved = Vec::with_capacity(targets.len());
    for (name, targets) in by_deployable {
        let deployable = fetch::<Deployable>(conn, name.as_str())
            .await?
            .ok_or_else(|| {
                StoreError::corrupt(format!("deployable {name} is referenced but missing"))
            })?
            .item;
        let schema = ConfigSchema::parse("/config_schema", deployable.config_schema.clone())
            .map_err(|e| StoreError::corrupt(format!("the stored schema of {name}: {e}")))?;
        let only = (targets.len() == 1).then(|| targets[0]);
        let layers = layers_of(conn, name, only).await?;
        for target in targets {
            let scopes = Layer::scopes_of(&target.tier, &target.product, &target.tenant);
            let stack = std::iter::once((Layer::Default, &deployable.default_config)).chain(
                scopes
                    .into_iter()
                    .filter_map(|scope| layers.get(&scope).map(|v| (scope, v))),
            );
            let merged = resolve(stack);
            let violations = match sealer.open_document(name.as_str(), &merged.config) {
                Ok((opened, secrets)) => {
                    let mut violations = schema.violations("", &opened);
                    hide_secrets_in(&mut violations, &secrets);
                    violations
                }
                Err(Unopened { pointer, reason }) => Violations {
                    first: vec![FieldError::new(pointer, reason)],
                    total: 1,
                },
            };
            resolved.push(ResolvedConfig {
                target: target.clone(),
                resolved: merged,
                violations,
            });
        }
    }
    Ok(resolved)
}

/// Validates every resolved config `touched` can change: what a change set checks before it
/// commits.
pub(crate) async fn check_touched(
    conn: &mut AnyConnection,
    sealer: &Sealer,
    touched: &BTreeSet<Touch>,
) -> Result<ConfigViolations, StoreError> {
    let mut report = ConfigViolations::default();
    if touched.is_empty() {
        return Ok(report);
    }
    let targets = affected(conn, touched).await?;
    for config in resolve_targets(conn, sealer, &targets).await? {
        report.add(&config);
    }
    Ok(report)
}

impl Store {
    /// The config `tenant` runs `deployable` with on `tier`, with the layer of every leaf and
    /// what it breaks of the schema (nothing, unless the schema was loaded from elsewhere).
    pub(crate) async fn resolve(
        &self,
        tier: &TierName,
        tenant: &TenantName,
        deployable: &DeployableName,
    ) -> Result<ResolvedConfig, StoreError> {
        let mut read = self.snapshot().await?;
        let found = fetch::<Tenant>(&mut read, tenant.as_str())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: Tenant::KIND,
                key: tenant.to_string(),
            })?
            .item;
        if &found.tier != tier {
            return Err(StoreError::invalid(
                "/tier",
                format!(
                    "tenant {tenant:?} runs on tier {:?}, not {tier:?}",
                    found.tier.as_str()
                ),
            ));
        }
        if fetch::<Deployable>(&mut read, deployable.as_str())
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound {
                kind: Deployable::KIND,
                key: deployable.to_string(),
            });
        }
        let product = fetch::<Product>(&mut read, found.product.as_str())
            .await?
            .ok_or_else(|| {
                StoreError::corrupt(format!("tenant {} has no product", tenant.as_str()))
            })?
            .item;
        if !product.deployables.contains(deployable) {
            return Err(StoreError::invalid(
                "/deployable",
                format!(
                    "product {:?} of tenant {:?} is not made of deployable {:?}",
                    product.name.as_str(),
                    tenant.as_str(),
                    deployable.as_str()
                ),
            ));
        }
        let target = Target {
            tier: tier.clone(),
            tenant: tenant.clone(),
            deployable: deployable.clone(),
            product: product.name,
        };
        let mut configs =
            resolve_targets(&mut read, &self.sealer, &BTreeSet::from([target])).await?;
        read.rollback().await?;
        configs
            .pop()
            .ok_or_else(|| StoreError::corrupt("resolving one config gave none"))
    }
}
