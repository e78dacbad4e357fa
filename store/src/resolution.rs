//! Resolved configs in the store: which (tier, tenant, deployable) a write can change, their
//! resolution from the stored layers, the validation every change set passes before it
//! commits, and the impact preview of a write that is not made — read over the store as it
//! is, with the entities the write would leave ([`Proposed`]) in place of the stored ones.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use futures_util::TryStreamExt;
use serde_json::Value;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use strata_domain::deployable::Deployable;
use strata_domain::layer::{ConfigLayer, Layer};
use strata_domain::names::{DeployableName, NameError, ProductName, TenantName, TierName};
use strata_domain::product::Product;
use strata_domain::resolve::{Resolved, resolve};
use strata_domain::rules::FieldError;
use strata_domain::schema::{ConfigSchema, Violations};
use strata_domain::secret::hide_secrets_in;
use strata_domain::tenant::{Tenant, TenantState};

use crate::entity::{Entity, fetch, name_at};
use crate::sealing::{Sealer, Unopened};
use crate::{Store, StoreError};

pub use crate::impact::{
    ConfigChange, ConfigViolation, ConfigViolations, Impact, ResolvedConfig, Target, Touch,
};

/// The entities a write would leave, by kind and name (`None`: deleted), for reading the
/// store as if the write were made without making it: what an impact preview resolves its
/// "after" from, over a read snapshot, so it never holds the write lock.
#[derive(Debug, Default)]
pub(crate) struct Proposed {
    tenants: BTreeMap<TenantName, Option<Tenant>>,
    products: BTreeMap<ProductName, Option<Product>>,
    deployables: HashMap<DeployableName, Option<Deployable>>,
    layers: HashMap<DeployableName, HashMap<Layer, Option<Value>>>,
}

impl Proposed {
    /// Takes in one write's record: its entity's image before and after (`None` when it did
    /// not exist or is deleted). Kinds that resolution does not read are passed over.
    pub(crate) fn take(
        &mut self,
        kind: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> Result<(), StoreError> {
        /// The entity (after the write, or before it when deleted) and its image after.
        fn images<E: Entity>(
            either: Value,
            after: Option<Value>,
        ) -> Result<(E, Option<E>), StoreError> {
            let parse = |image| {
                serde_json::from_value::<E>(image).map_err(|e| {
                    StoreError::corrupt(format!("a written {} does not read back: {e}", E::KIND))
                })
            };
            Ok((parse(either)?, after.map(parse).transpose()?))
        }
        let Some(either) = after.clone().or(before) else {
            return Ok(());
        };
        match kind {
            Tenant::KIND => {
                let (tenant, after) = images::<Tenant>(either, after)?;
                self.tenants.insert(tenant.name, after);
            }
            Product::KIND => {
                let (product, after) = images::<Product>(either, after)?;
                self.products.insert(product.name, after);
            }
            Deployable::KIND => {
                let (deployable, after) = images::<Deployable>(either, after)?;
                self.deployables.insert(deployable.name, after);
            }
            ConfigLayer::KIND => {
                let (layer, after) = images::<ConfigLayer>(either, after)?;
                self.layers
                    .entry(layer.deployable)
                    .or_default()
                    .insert(layer.scope, after.map(|l| l.config));
            }
            _ => {}
        }
        Ok(())
    }
}

const TARGETS: &str = "SELECT t.tier, t.name, t.product, pd.deployable FROM tenants t \
                       JOIN product_deployables pd ON pd.product = t.product \
                       WHERE t.state <> 'deleted'";

/// Names read from many rows, each kept once and shared.
struct Names<T>(HashMap<String, T>);

impl<T: Clone> Names<T> {
    fn new() -> Self {
        Names(HashMap::new())
    }

    /// The name in `column` of `row`, parsed the first time it is seen.
    fn at(
        &mut self,
        row: &AnyRow,
        column: usize,
        parse: fn(String) -> Result<T, NameError>,
    ) -> Result<T, StoreError> {
        let text: &str = row.try_get(column)?;
        if let Some(name) = self.0.get(text) {
            return Ok(name.clone());
        }
        let name = parse(text.to_owned()).map_err(StoreError::corrupt)?;
        self.0.insert(text.to_owned(), name.clone());
        Ok(name)
    }
}

/// The columns [`TARGETS`] selects, in order.
const COLUMNS: [&str; 4] = ["t.tier", "t.name", "t.product", "pd.deployable"];

/// How many names one query of [`affected`] asks for at most.
const KEYS_PER_QUERY: usize = 500;

/// Above this many names touched, [`affected`] reads every config once instead.
const SCANNED_ABOVE: usize = 10 * KEYS_PER_QUERY;

/// The resolved configs that `touched` can change, of tenants that are not deleted, as the
/// store holds them with `proposed` in place.
pub(crate) async fn affected(
    conn: &mut AnyConnection,
    touched: &BTreeSet<Touch>,
    proposed: &Proposed,
) -> Result<BTreeSet<Target>, StoreError> {
    // Touches of one shape are asked for together, `column IN (…)` (of one deployable where
    // the shape names one): a change set that touches 100,000 tenants asks a few hundred
    // queries, not 100,000.
    let mut asked: BTreeMap<(Option<&DeployableName>, &str), Vec<&str>> = BTreeMap::new();
    for touch in touched {
        let (deployable, column, key) = match touch {
            Touch::Deployable(d) | Touch::Layer(d, Layer::Default) => {
                (None, "pd.deployable", d.as_str())
            }
            Touch::Layer(d, Layer::Tier(t)) => (Some(d), "t.tier", t.as_str()),
            Touch::Layer(d, Layer::Product(p)) => (Some(d), "t.product", p.as_str()),
            Touch::Layer(d, Layer::Tenant(t)) => (Some(d), "t.name", t.as_str()),
            Touch::Product(p) => (None, "t.product", p.as_str()),
            Touch::Tenant(t) => (None, "t.name", t.as_str()),
        };
        asked.entry((deployable, column)).or_default().push(key);
    }
    let mut targets = BTreeSet::new();
    // Each name read once: a tenant's configs, and the tenants of a tier or product, share it.
    let (mut tiers, mut tenants, mut products, mut deployables) =
        (Names::new(), Names::new(), Names::new(), Names::new());
    let mut read = |row: &AnyRow| -> Result<Target, StoreError> {
        Ok(Target {
            tier: tiers.at(row, 0, TierName::parse)?,
            tenant: tenants.at(row, 1, TenantName::parse)?,
            product: products.at(row, 2, ProductName::parse)?,
            deployable: deployables.at(row, 3, DeployableName::parse)?,
        })
    };
    if asked.values().map(Vec::len).sum::<usize>() > SCANNED_ABOVE {
        // So many names that reading every config once and keeping those touched is cheaper
        // than asking for them in parts (an import touches every tenant).
        let asked: Vec<_> = asked
            .into_iter()
            .map(|((deployable, column), keys)| {
                let at = COLUMNS
                    .iter()
                    .position(|c| *c == column)
                    .expect("a column of TARGETS");
                (deployable, at, keys.into_iter().collect::<HashSet<&str>>())
            })
            .collect();
        let mut rows = sqlx::query(TARGETS).fetch(&mut *conn);
        while let Some(row) = rows.try_next().await? {
            let deployable: &str = row.try_get(3)?;
            let touched = asked.iter().any(|(only, at, keys)| {
                only.is_none_or(|d| d.as_str() == deployable)
                    && row.try_get::<&str, _>(*at).is_ok_and(|v| keys.contains(v))
            });
            if touched {
                targets.insert(read(&row)?);
            }
        }
    } else {
        for ((deployable, column), keys) in asked {
            for keys in keys.chunks(KEYS_PER_QUERY) {
                let first = 1 + usize::from(deployable.is_some());
                let list: Vec<String> = (first..first + keys.len())
                    .map(|i| format!("${i}"))
                    .collect();
                let sql = format!(
                    "{TARGETS}{} AND {column} IN ({})",
                    if deployable.is_some() {
                        " AND pd.deployable = $1"
                    } else {
                        ""
                    },
                    list.join(", ")
                );
                let mut query = sqlx::query(&sql);
                if let Some(d) = deployable {
                    query = query.bind(d.as_str());
                }
                for key in keys {
                    query = query.bind(*key);
                }
                // Read as they come: a change set that touches every tenant reads every
                // config's row once per shape, which need not all be held at once.
                let mut rows = query.fetch(&mut *conn);
                while let Some(row) = rows.try_next().await? {
                    targets.insert(read(&row)?);
                }
            }
        }
    }
    if proposed.tenants.is_empty() && proposed.products.is_empty() {
        return Ok(targets);
    }
    // A proposed tenant or product changes which configs there are: every config of that
    // tenant, or of that product's tenants, is made again from the proposed entities. The
    // write that proposes one touches it, so each of those configs is among the touched.
    targets.retain(|t| {
        !proposed.tenants.contains_key(&t.tenant) && !proposed.products.contains_key(&t.product)
    });
    let mut tenants: Vec<(TenantName, TierName, ProductName)> = proposed
        .tenants
        .values()
        .flatten()
        .filter(|t| t.state != TenantState::Deleted)
        .map(|t| (t.name.clone(), t.tier.clone(), t.product.clone()))
        .collect();
    for product in proposed.products.keys() {
        let rows = sqlx::query(
            "SELECT name, tier, product FROM tenants WHERE product = $1 AND state <> 'deleted'",
        )
        .bind(product.as_str())
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
            let name = name_at(&row, 0, TenantName::parse)?;
            if !proposed.tenants.contains_key(&name) {
                tenants.push((
                    name,
                    name_at(&row, 1, TierName::parse)?,
                    name_at(&row, 2, ProductName::parse)?,
                ));
            }
        }
    }
    let mut made_of: HashMap<ProductName, BTreeSet<DeployableName>> = HashMap::new();
    for (tenant, tier, product) in tenants {
        if !made_of.contains_key(&product) {
            let deployables = match proposed.products.get(&product) {
                Some(found) => found
                    .as_ref()
                    .map(|p| p.deployables.clone())
                    .unwrap_or_default(),
                None => fetch::<Product>(conn, product.as_str())
                    .await?
                    .map(|p| p.item.deployables)
                    .unwrap_or_default(),
            };
            made_of.insert(product.clone(), deployables);
        }
        for deployable in &made_of[&product] {
            targets.insert(Target {
                tier: tier.clone(),
                tenant: tenant.clone(),
                deployable: deployable.clone(),
                product: product.clone(),
            });
        }
    }
    Ok(targets)
}

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

/// Resolves and validates each target from the stored deployables and layers, with
/// `proposed` in place. Secrets stay sealed in what is answered; they are opened to check the
/// config against its schema, and no rule reported quotes one.
#[tracing::instrument(name = "resolve", skip_all, fields(configs = targets.len()))]
pub(crate) async fn resolve_targets(
    conn: &mut AnyConnection,
    sealer: &Sealer,
    targets: &BTreeSet<Target>,
    proposed: &Proposed,
) -> Result<Vec<ResolvedConfig>, StoreError> {
    let parts = in_parts(conn, sealer, targets, proposed, |stack, part| {
        stack.resolve_each(part)
    })
    .await?;
    Ok(parts.into_iter().flatten().collect())
}

/// The rules the targets' configs break, resolved as [`resolve_targets`] does, without
/// keeping the configs.
#[tracing::instrument(name = "validate", skip_all, fields(configs = targets.len()))]
async fn check_targets(
    conn: &mut AnyConnection,
    sealer: &Sealer,
    targets: &BTreeSet<Target>,
) -> Result<ConfigViolations, StoreError> {
    let parts = in_parts(
        conn,
        sealer,
        targets,
        &Proposed::default(),
        |stack, part| stack.check_each(part),
    )
    .await?;
    let mut report = ConfigViolations::default();
    for part in parts {
        report.join(part);
    }
    Ok(report)
}

/// Reads what each deployable's targets are made of and hands them to `each`, in order of
/// deployable then target, a part at a time: many configs are worked off the async workers
/// (so other requests go on meanwhile), a part on each core.
async fn in_parts<T: Send + 'static>(
    conn: &mut AnyConnection,
    sealer: &Sealer,
    targets: &BTreeSet<Target>,
    proposed: &Proposed,
    each: fn(&Stack, Vec<Target>) -> T,
) -> Result<Vec<T>, StoreError> {
    let mut by_deployable: BTreeMap<&DeployableName, Vec<&Target>> = BTreeMap::new();
    for target in targets {
        by_deployable
            .entry(&target.deployable)
            .or_default()
            .push(target);
    }
    let mut done = Vec::new();
    for (name, targets) in by_deployable {
        let deployable = match proposed.deployables.get(name) {
            Some(found) => found.clone(),
            None => fetch::<Deployable>(conn, name.as_str())
                .await?
                .map(|d| d.item),
        }
        .ok_or_else(|| {
            StoreError::corrupt(format!("deployable {name} is referenced but missing"))
        })?;
        let schema = ConfigSchema::parse("/config_schema", deployable.config_schema)
            .map_err(|e| StoreError::corrupt(format!("the stored schema of {name}: {e}")))?;
        let only = (targets.len() == 1).then(|| targets[0]);
        let mut layers = layers_of(conn, name, only).await?;
        for (scope, config) in proposed.layers.get(name).into_iter().flatten() {
            match config {
                Some(config) => layers.insert(scope.clone(), config.clone()),
                None => layers.remove(scope),
            };
        }
        let stack = Stack {
            name: name.clone(),
            default: deployable.default_config,
            layers,
            schema,
            sealer: sealer.clone(),
        };
        let targets: Vec<Target> = targets.into_iter().cloned().collect();
        if targets.len() < RESOLVED_IN_PLACE {
            done.push(each(&stack, targets));
            continue;
        }
        let stack = Arc::new(stack);
        let parts = std::thread::available_parallelism().map_or(1, |n| n.get());
        let mut running = Vec::with_capacity(parts);
        for part in targets.chunks(targets.len().div_ceil(parts)) {
            let (stack, part) = (stack.clone(), part.to_vec());
            running.push(tokio::task::spawn_blocking(move || each(&stack, part)));
        }
        for part in running {
            match part.await {
                Ok(part) => done.push(part),
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                // Only when the runtime shuts down.
                Err(e) => return Err(StoreError::corrupt(format!("resolving stopped: {e}"))),
            }
        }
    }
    Ok(done)
}

/// Fewer configs of one deployable than this are resolved where they are asked for.
const RESOLVED_IN_PLACE: usize = 1_000;

/// What one deployable's configs are made of: its default config and stored layers, and the
/// schema they must follow.
struct Stack {
    name: DeployableName,
    default: Value,
    layers: HashMap<Layer, Value>,
    schema: ConfigSchema,
    sealer: Sealer,
}

impl Stack {
    /// Resolves and validates each target.
    fn resolve_each(&self, targets: Vec<Target>) -> Vec<ResolvedConfig> {
        self.each(targets, Stack::resolve)
            .map(|(target, (resolved, violations))| ResolvedConfig {
                target,
                resolved,
                violations,
            })
            .collect()
    }

    /// What [`Stack::resolve_each`] finds broken, without keeping the configs.
    fn check_each(&self, targets: Vec<Target>) -> ConfigViolations {
        let mut report = ConfigViolations::default();
        for (target, violations) in self.each(targets, |stack, target| stack.resolve(target).1) {
            report.add(&target, &violations);
        }
        report
    }

    /// Each target with `of` its config: worked out once for a config the tenants of a
    /// product on a tier share.
    fn each<'a, T: Clone + 'a>(
        &'a self,
        targets: Vec<Target>,
        of: impl Fn(&Stack, &Target) -> T + 'a,
    ) -> impl Iterator<Item = (Target, T)> + 'a {
        let mut shared: HashMap<(TierName, ProductName), T> = HashMap::new();
        targets.into_iter().map(move |target| {
            let found = if self.is_shared(&target) {
                shared
                    .entry((target.tier.clone(), target.product.clone()))
                    .or_insert_with(|| of(self, &target))
                    .clone()
            } else {
                of(self, &target)
            };
            (target, found)
        })
    }

    /// Whether the target's config is every tenant's of its product on its tier
    /// ([`Layer::is_shared`]).
    fn is_shared(&self, target: &Target) -> bool {
        let scopes = Layer::scopes_of(&target.tier, &target.product, &target.tenant);
        Layer::is_shared(&scopes, |scope| self.layers.contains_key(scope))
    }

    /// One config: merged from its layers, with its secrets opened to check it against the
    /// schema; no rule reported quotes a secret.
    fn resolve(&self, target: &Target) -> (Resolved, Violations) {
        let scopes = Layer::scopes_of(&target.tier, &target.product, &target.tenant);
        let stack = std::iter::once((Layer::Default, &self.default)).chain(
            scopes
                .into_iter()
                .filter_map(|scope| self.layers.get(&scope).map(|v| (scope, v))),
        );
        let merged = resolve(stack);
        let violations = match self
            .sealer
            .open_document(self.name.as_str(), &merged.config)
        {
            Ok((opened, secrets)) => {
                let mut violations = self.schema.violations("", &opened);
                hide_secrets_in(&mut violations, &secrets);
                violations
            }
            Err(Unopened { pointer, reason }) => Violations {
                first: vec![FieldError::new(pointer, reason)],
                total: 1,
            },
        };
        (merged, violations)
    }
}

/// Validates every resolved config `touched` can change: what a change set checks before it
/// commits. Also answers which configs it validated.
pub(crate) async fn check_touched(
    conn: &mut AnyConnection,
    sealer: &Sealer,
    touched: &BTreeSet<Touch>,
) -> Result<(ConfigViolations, BTreeSet<Target>), StoreError> {
    if touched.is_empty() {
        return Ok((ConfigViolations::default(), BTreeSet::new()));
    }
    let targets = affected(conn, touched, &Proposed::default()).await?;
    Ok((check_targets(conn, sealer, &targets).await?, targets))
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
        let mut configs = resolve_targets(
            &mut read,
            &self.sealer,
            &BTreeSet::from([target]),
            &Proposed::default(),
        )
        .await?;
        read.rollback().await?;
        configs
            .pop()
            .ok_or_else(|| StoreError::corrupt("resolving one config gave none"))
    }
}
