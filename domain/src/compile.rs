//! A revision compiled for services: the resolved config of every (tier, tenant, deployable),
//! as the bytes a service reads, built from a revision's tables alone (a snapshot or the
//! store's state), so any process that can read an origin can build it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, PoisonError};

use serde::Deserialize;
use serde_json::Value;

use crate::deployable::Deployable;
use crate::layer::{ConfigLayer, Layer};
use crate::names::{DeployableName, ProductName, TierName};
use crate::product::Product;
use crate::resolve::merged;
use crate::tenant::Tenant;

/// One kind's entities: key → entity as JSON, in key order. A persistent map: a copy costs
/// nothing and shares every part it does not change, so the next revision's tables cost what
/// changed, not what exists.
pub type Table = imbl::OrdMap<String, Value>;

/// A revision's tables: kind (`tenant`, `config layer`, …) → its [`Table`].
pub type Tables = BTreeMap<String, Table>;

/// Why a (tier, tenant, deployable) has no config: which part is unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unknown {
    Tenant(String),
    /// The tenant runs on another tier.
    Tier {
        tier: String,
        tenant: String,
        runs_on: String,
    },
    Deployable(String),
    /// The tenant's product is not made of the deployable.
    NotInProduct {
        tenant: String,
        deployable: String,
    },
}

impl Unknown {
    /// The part of the path that is unknown: "tier", "tenant" or "deployable".
    pub fn part(&self) -> &'static str {
        match self {
            Unknown::Tenant(_) => "tenant",
            Unknown::Tier { .. } => "tier",
            Unknown::Deployable(_) | Unknown::NotInProduct { .. } => "deployable",
        }
    }

    pub fn message(&self) -> String {
        match self {
            Unknown::Tenant(t) => format!("no tenant or alias {t:?}"),
            Unknown::Tier {
                tier,
                tenant,
                runs_on,
            } => {
                format!("tenant {tenant:?} runs on tier {runs_on:?}, not {tier:?}")
            }
            Unknown::Deployable(d) => format!("no deployable {d:?}"),
            Unknown::NotInProduct { tenant, deployable } => {
                format!("tenant {tenant:?} does not run deployable {deployable:?}")
            }
        }
    }
}

struct CompiledTenant {
    tier: TierName,
    /// deployable → the resolved config as compact JSON. (Names, not strings: a million
    /// configs hold each name once.)
    configs: HashMap<DeployableName, Arc<[u8]>>,
}

/// Every resolved config of one revision, ready to serve.
pub struct Compiled {
    pub revision: i64,
    /// Shared with the revision it was compiled from where a tenant's inputs did not change;
    /// persistent maps, so the next revision's copy costs what changed.
    tenants: imbl::HashMap<String, Arc<CompiledTenant>>,
    aliases: imbl::HashMap<String, String>,
    deployables: HashMap<String, ()>,
    /// The tables it was compiled from: what the next revision is compared with.
    source: Arc<Tables>,
    /// Set by [`Compiled::retain_tier`]: later revisions keep to it too.
    only_tier: Option<String>,
    /// How many tenants were compiled for this revision (the others were carried over).
    pub recompiled_tenants: usize,
    /// How many configs it holds (counted as tenants come and go, not by walking them).
    configs: usize,
    /// The tables of the revision this one was compiled from (not kept alive by it), and
    /// every tenant whose configs may differ from it (compiled again or dropped): what
    /// [`Compiled::differences`] with that revision looks at.
    touched: Option<(std::sync::Weak<Tables>, Vec<String>)>,
}

fn entities<T: serde::de::DeserializeOwned>(tables: &Tables, kind: &str) -> Result<Vec<T>, String> {
    tables
        .get(kind)
        .map(|rows| {
            rows.iter()
                .map(|(key, v)| T::deserialize(v).map_err(|e| format!("{kind} {key:?}: {e}")))
                .collect()
        })
        .unwrap_or_else(|| Ok(Vec::new()))
}

/// What resolving needs besides the tenant: deployables and products (small tables, read
/// whole) and the layers, looked up by key as they are needed.
struct Inputs<'a> {
    deployables: HashMap<String, Deployable>,
    products: HashMap<String, Product>,
    layers: Option<&'a Table>,
    /// Configs of tenants without a layer of their own for the deployable, by (deployable,
    /// tier, product): every such tenant of a product on a tier runs the same config, compiled
    /// once and shared (in memory too), also by tenants compiled on other threads.
    shared: std::sync::RwLock<HashMap<SharedBy, Arc<[u8]>>>,
}

/// The deployables of a tenant whose layers changed, by the scopes of its tier, its product
/// and its own.
struct Redo<'a>([Option<&'a HashSet<&'a str>>; 3]);

impl Redo<'_> {
    fn contains(&self, deployable: &str) -> bool {
        self.0.iter().flatten().any(|set| set.contains(deployable))
    }
}

/// (deployable, tier, product): who shares a config.
type SharedBy = (DeployableName, TierName, ProductName);

impl<'a> Inputs<'a> {
    fn new(tables: &'a Tables) -> Result<Inputs<'a>, String> {
        Ok(Inputs {
            deployables: entities::<Deployable>(tables, "deployable")?
                .into_iter()
                .map(|d| (d.name.to_string(), d))
                .collect(),
            products: entities::<Product>(tables, "product")?
                .into_iter()
                .map(|p| (p.name.to_string(), p))
                .collect(),
            layers: tables.get("config layer"),
            shared: Default::default(),
        })
    }

    /// Resolves each deployable of the tenant's product: default ← tier ← product ← tenant.
    /// With `keep`, the tenant as compiled before and the deployables whose layers changed:
    /// the others keep their configs.
    fn compile(
        &self,
        tenant: &Tenant,
        keep: Option<(&CompiledTenant, &Redo)>,
    ) -> Result<CompiledTenant, String> {
        let product = self
            .products
            .get(tenant.product.as_str())
            .ok_or_else(|| format!("tenant {:?} names a missing product", tenant.name.as_str()))?;
        let scopes = Layer::scopes_of(&tenant.tier, &tenant.product, &tenant.name);
        let mut configs = HashMap::with_capacity(product.deployables.len());
        for name in &product.deployables {
            if let Some((old, redo)) = keep
                && !redo.contains(name.as_str())
                && let Some(bytes) = old.configs.get(name.as_str())
            {
                configs.insert(name.clone(), bytes.clone());
                continue;
            }
            let deployable = self.deployables.get(name.as_str()).ok_or_else(|| {
                format!(
                    "product {:?} names a missing deployable",
                    product.name.as_str()
                )
            })?;
            let layers: Vec<Option<&Value>> = scopes
                .iter()
                .map(|scope| {
                    self.layers?
                        .get(&ConfigLayer::key_of(name, scope))?
                        .get("config")
                })
                .collect();
            let compile = || -> Arc<[u8]> {
                let stack = std::iter::once(&deployable.default_config)
                    .chain(layers.iter().flatten().copied());
                Arc::from(serde_json::to_vec(&merged(stack)).expect("JSON serializes"))
            };
            let set = |scope: &Layer| {
                scopes
                    .iter()
                    .zip(&layers)
                    .any(|(s, layer)| s == scope && layer.is_some())
            };
            let bytes = match Layer::is_shared(&scopes, set) {
                true => {
                    let by = (name.clone(), tenant.tier.clone(), tenant.product.clone());
                    let shared = self.shared.read().unwrap_or_else(PoisonError::into_inner);
                    match shared.get(&by) {
                        Some(bytes) => bytes.clone(),
                        None => {
                            drop(shared);
                            let mut shared =
                                self.shared.write().unwrap_or_else(PoisonError::into_inner);
                            shared.entry(by).or_insert_with(compile).clone()
                        }
                    }
                }
                false => compile(),
            };
            configs.insert(name.clone(), bytes);
        }
        Ok(CompiledTenant {
            tier: tenant.tier.clone(),
            configs,
        })
    }
}

/// Fewer items than this are worked through on the caller's thread.
const PARTS_FROM: usize = 2_000;

/// `each` of `items`, in order: a part per core on threads of their own when there are many.
fn in_parts<T: Sync, R: Send>(items: &[T], each: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    if items.len() < PARTS_FROM || cores == 1 {
        return items.iter().map(each).collect();
    }
    let each = &each;
    std::thread::scope(|scope| {
        let parts: Vec<_> = items
            .chunks(items.len().div_ceil(cores))
            .map(|part| scope.spawn(move || part.iter().map(each).collect::<Vec<R>>()))
            .collect();
        parts
            .into_iter()
            .flat_map(|part| part.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Each entity that differs between two states, (kind, key): added, removed or changed. Parts
/// the two tables share are skipped unread, so the cost follows what changed.
pub fn changed_entities(before: &Tables, after: &Tables) -> Vec<(String, String)> {
    let empty = Table::new();
    let kinds: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let mut changed = Vec::new();
    for kind in kinds {
        let old = before.get(kind).unwrap_or(&empty);
        let new = after.get(kind).unwrap_or(&empty);
        for difference in old.diff(new) {
            let key = match difference {
                imbl::ordmap::DiffItem::Add(key, _)
                | imbl::ordmap::DiffItem::Remove(key, _)
                | imbl::ordmap::DiffItem::Update { new: (key, _), .. } => key,
            };
            changed.push((kind.clone(), key.clone()));
        }
    }
    changed
}

fn text<'a>(row: &'a Value, pointer: &str) -> Option<&'a str> {
    row.pointer(pointer).and_then(Value::as_str)
}

impl Compiled {
    /// A revision with nothing in it, to compile revisions from.
    pub fn empty() -> Compiled {
        Compiled {
            revision: 0,
            tenants: imbl::HashMap::new(),
            aliases: imbl::HashMap::new(),
            deployables: HashMap::new(),
            source: Arc::new(Tables::new()),
            only_tier: None,
            recompiled_tenants: 0,
            configs: 0,
            touched: None,
        }
    }

    /// Resolves every served tenant's deployables. Fails only on tables that do not read as
    /// Strata's entities.
    pub fn build(revision: i64, tables: Arc<Tables>) -> Result<Compiled, String> {
        Compiled::empty().next(revision, tables)
    }

    /// Compiles `revision` from this one: only the tenants whose inputs changed are resolved
    /// again (their own row; a layer of their tier, product or their own; their product or
    /// one of its deployables); the others share this revision's compiled configs. The result
    /// equals [`Compiled::build`] of the same tables.
    pub fn next(&self, revision: i64, tables: Arc<Tables>) -> Result<Compiled, String> {
        let changed = changed_entities(&self.source, &tables);
        self.next_changed(revision, tables, &changed)
    }

    /// [`Compiled::next`] when the caller knows which entities changed, (kind, key): compares
    /// nothing else, so its cost follows the change, not the domain.
    pub fn next_changed(
        &self,
        revision: i64,
        tables: Arc<Tables>,
        changed: &[(String, String)],
    ) -> Result<Compiled, String> {
        let (before, after) = (&*self.source, &*tables);
        let row_of = |kind: &str, key: &str| {
            after
                .get(kind)
                .and_then(|rows| rows.get(key))
                .or_else(|| before.get(kind).and_then(|rows| rows.get(key)))
        };
        let (mut tenants_hit, mut tiers_hit, mut products_hit) =
            (HashSet::new(), HashSet::new(), HashSet::new());
        // Tenants and products whose own rows changed: compiled whole. Otherwise only the
        // deployables whose layers changed, by (scope kind, scope name), are resolved again.
        let (mut whole_tenants, mut whole_products) = (HashSet::new(), HashSet::new());
        let mut layers_hit: HashMap<(&str, &str), HashSet<&str>> = HashMap::new();
        let mut deployables_hit = Vec::new();
        for (kind, key) in changed {
            match kind.as_str() {
                "tenant" => {
                    tenants_hit.insert(key.as_str());
                    whole_tenants.insert(key.as_str());
                }
                "product" => {
                    products_hit.insert(key.as_str());
                    whole_products.insert(key.as_str());
                }
                "deployable" => deployables_hit.push(key),
                "config layer" => {
                    // Made and removed again in between: nothing resolves with it at either end.
                    let Some(row) = row_of(kind, key) else {
                        continue;
                    };
                    let name = text(row, "/scope/name").unwrap_or_default();
                    let scope = text(row, "/scope/kind").unwrap_or_default();
                    match scope {
                        "tier" => tiers_hit.insert(name),
                        "product" => products_hit.insert(name),
                        "tenant" => tenants_hit.insert(name),
                        _ => return Err(format!("config layer {key:?} has no scope")),
                    };
                    layers_hit
                        .entry((scope, name))
                        .or_default()
                        .insert(text(row, "/deployable").unwrap_or_default());
                }
                _ => {}
            }
        }
        if !deployables_hit.is_empty() {
            for (name, product) in before
                .get("product")
                .into_iter()
                .chain(after.get("product"))
                .flatten()
            {
                let runs = |d: &&String| {
                    product["deployables"]
                        .as_array()
                        .is_some_and(|ds| ds.iter().any(|v| v.as_str() == Some(d.as_str())))
                };
                if deployables_hit.iter().any(runs) {
                    products_hit.insert(name.as_str());
                    whole_products.insert(name.as_str());
                }
            }
        }

        let inputs = Inputs::new(after)?;
        let empty = Table::new();
        let rows = after.get("tenant").unwrap_or(&empty);
        let mut tenants = self.tenants.clone();
        let mut aliases = self.aliases.clone();
        let mut configs = self.configs;
        // How many configs a tenant held: what the count loses when it goes or is replaced.
        let held = |tenant: Option<Arc<CompiledTenant>>| tenant.map_or(0, |t| t.configs.len());
        for name in &tenants_hit {
            if !rows.contains_key(*name) {
                configs -= held(tenants.remove(*name));
            }
            // Its alias comes back below with its row, if it is still served and has one.
            let old_alias = before
                .get("tenant")
                .and_then(|rows| rows.get(*name))
                .and_then(|row| text(row, "/alias"));
            if let Some(alias) = old_alias
                && aliases.get(alias).is_some_and(|owner| owner == name)
            {
                aliases.remove(alias);
            }
        }
        let mut touched: Vec<String> = tenants_hit.iter().map(|name| (*name).to_owned()).collect();
        // Only a tier's or product's change can reach tenants not named by the change.
        let candidates: Box<dyn Iterator<Item = (&String, &Value)>> =
            if tiers_hit.is_empty() && products_hit.is_empty() {
                Box::new(
                    tenants_hit
                        .iter()
                        .filter_map(|name| rows.get_key_value(*name)),
                )
            } else {
                Box::new(rows.iter())
            };
        let mut hits = Vec::new();
        for (name, row) in candidates {
            let hit = tenants_hit.contains(name.as_str())
                || text(row, "/tier").is_some_and(|t| tiers_hit.contains(t))
                || text(row, "/product").is_some_and(|p| products_hit.contains(p));
            if !hit {
                continue;
            }
            if !tenants_hit.contains(name.as_str()) {
                touched.push(name.clone());
            }
            hits.push((name, row));
        }
        // Each hit tenant compiled again, or `None` when it is not served here.
        let compile = |(name, row): &(&String, &Value)| {
            let tenant: Tenant =
                Tenant::deserialize(*row).map_err(|e| format!("tenant {name:?}: {e}"))?;
            let wanted = self
                .only_tier
                .as_deref()
                .is_none_or(|tier| tenant.tier.as_str() == tier);
            if !tenant.state.is_served() || !wanted {
                return Ok(None);
            }
            let old = self.tenants.get(*name).filter(|old| {
                old.tier == tenant.tier
                    && !whole_tenants.contains(name.as_str())
                    && !whole_products.contains(tenant.product.as_str())
            });
            let redo = Redo(
                [
                    ("tier", tenant.tier.as_str()),
                    ("product", tenant.product.as_str()),
                    ("tenant", name.as_str()),
                ]
                .map(|scope| layers_hit.get(&scope)),
            );
            let keep = old.map(|old| (&**old, &redo));
            let compiled = Arc::new(inputs.compile(&tenant, keep)?);
            Ok::<_, String>(Some((compiled, tenant.alias)))
        };
        let mut recompiled = 0;
        for ((name, _), compiled) in hits.iter().zip(in_parts(&hits, compile)) {
            let Some((compiled, alias)) = compiled? else {
                configs -= held(tenants.remove(*name));
                continue;
            };
            configs += compiled.configs.len();
            configs -= held(tenants.insert((*name).clone(), compiled));
            if let Some(alias) = alias {
                aliases.insert(alias.to_string(), (*name).clone());
            }
            recompiled += 1;
        }
        Ok(Compiled {
            revision,
            tenants,
            aliases,
            deployables: inputs.deployables.into_keys().map(|k| (k, ())).collect(),
            source: tables,
            only_tier: self.only_tier.clone(),
            recompiled_tenants: recompiled,
            configs,
            touched: Some((Arc::downgrade(&self.source), touched)),
        })
    }

    /// The tables it was compiled from: the whole domain at its revision.
    pub fn source(&self) -> &Arc<Tables> {
        &self.source
    }

    /// Keeps only the tenants of `tier`: for a cache that serves one tier.
    pub fn retain_tier(&mut self, tier: &str) {
        self.only_tier = Some(tier.to_owned());
        self.tenants.retain(|_, t| t.tier.as_str() == tier);
        self.configs = self.tenants.values().map(|t| t.configs.len()).sum();
        let tenants = &self.tenants;
        self.aliases.retain(|_, name| tenants.contains_key(name));
    }

    /// How many resolved configs the revision holds.
    pub fn len(&self) -> usize {
        self.configs
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every resolved config: (tier, tenant, deployable, compact JSON).
    pub fn configs(&self) -> impl Iterator<Item = (&str, &str, &str, &[u8])> {
        self.tenants.iter().flat_map(|(tenant, compiled)| {
            compiled.configs.iter().map(move |(deployable, bytes)| {
                (
                    compiled.tier.as_str(),
                    tenant.as_str(),
                    deployable.as_str(),
                    &bytes[..],
                )
            })
        })
    }

    /// How this revision differs from `base`: the configs it adds or changes (tier, tenant,
    /// deployable, compact JSON) and those of `base` it no longer has. Tenants carried over
    /// from `base` unchanged by [`Compiled::next`] are skipped without comparing.
    #[allow(clippy::type_complexity)]
    pub fn differences<'a>(
        &'a self,
        base: &'a Compiled,
    ) -> (
        Vec<(&'a str, &'a str, &'a str, &'a [u8])>,
        Vec<(&'a str, &'a str, &'a str)>,
    ) {
        // Compiled from `base`: only the tenants it touched can differ.
        let touched = self
            .touched
            .as_ref()
            .filter(|(from, _)| std::ptr::eq(from.as_ptr(), Arc::as_ptr(&base.source)))
            .map(|(_, names)| names);
        let (mut changed, mut gone) = (Vec::new(), Vec::new());
        // One tenant in both revisions: what it adds or changes, and what it no longer has.
        let mut compare = |name: &'a str,
                           new: Option<&'a Arc<CompiledTenant>>,
                           old: Option<&'a Arc<CompiledTenant>>| {
            if let (Some(new), Some(old)) = (new, old)
                && Arc::ptr_eq(new, old)
            {
                return;
            }
            // What the other revision holds of the tenant, on the same tier.
            let on_tier = |other: Option<&'a Arc<CompiledTenant>>, tier: &TierName| {
                other.filter(|other| other.tier == *tier)
            };
            if let Some(new) = new {
                let old = on_tier(old, &new.tier);
                for (deployable, bytes) in &new.configs {
                    let same = old.and_then(|old| old.configs.get(deployable));
                    if !same.is_some_and(|b| Arc::ptr_eq(b, bytes) || b[..] == bytes[..]) {
                        changed.push((new.tier.as_str(), name, deployable.as_str(), &bytes[..]));
                    }
                }
            }
            if let Some(old) = old {
                let new = on_tier(new, &old.tier);
                for deployable in old.configs.keys() {
                    if !new.is_some_and(|new| new.configs.contains_key(deployable)) {
                        gone.push((old.tier.as_str(), name, deployable.as_str()));
                    }
                }
            }
        };
        match touched {
            Some(names) => {
                for name in names {
                    compare(name, self.tenants.get(name), base.tenants.get(name));
                }
            }
            None => {
                for (name, new) in &self.tenants {
                    compare(name, Some(new), base.tenants.get(name));
                }
                for (name, old) in &base.tenants {
                    if !self.tenants.contains_key(name) {
                        compare(name, None, Some(old));
                    }
                }
            }
        }
        (changed, gone)
    }

    /// Alias → tenant name.
    pub fn aliases(&self) -> impl Iterator<Item = (&str, &str)> {
        self.aliases.iter().map(|(a, t)| (a.as_str(), t.as_str()))
    }

    /// How this revision's aliases differ from `base`'s: those it adds or points elsewhere
    /// (alias, tenant), and the aliases of `base` it no longer has.
    pub fn alias_differences<'a>(
        &'a self,
        base: &'a Compiled,
    ) -> (Vec<(&'a str, &'a str)>, Vec<&'a str>) {
        let changed = self
            .aliases()
            .filter(|(alias, tenant)| base.aliases.get(*alias).map(String::as_str) != Some(tenant))
            .collect();
        let gone = base
            .aliases
            .keys()
            .filter(|alias| !self.aliases.contains_key(*alias))
            .map(String::as_str)
            .collect();
        (changed, gone)
    }

    /// The tenant `alias` names, if any.
    pub fn alias(&self, alias: &str) -> Option<&str> {
        self.aliases.get(alias).map(String::as_str)
    }

    /// A config as compact JSON, by the tenant's own name (not an alias).
    pub fn config(&self, tier: &str, tenant: &str, deployable: &str) -> Option<&[u8]> {
        let compiled = self.tenants.get(tenant)?;
        let bytes = compiled.configs.get(deployable)?;
        (compiled.tier.as_str() == tier).then_some(&bytes[..])
    }

    /// Whether the revision has a tier of this name.
    pub fn has_tier(&self, tier: &str) -> bool {
        self.source
            .get(crate::kind::Kind::Tier.name())
            .is_some_and(|tiers| tiers.contains_key(tier))
    }

    /// A tenant's own name, given its name or one of its aliases.
    pub fn own_name<'a>(&'a self, tenant: &'a str) -> &'a str {
        self.alias(tenant).unwrap_or(tenant)
    }

    /// The resolved config as compact JSON; `tenant` may be an alias.
    pub fn get(&self, tier: &str, tenant: &str, deployable: &str) -> Result<Arc<[u8]>, Unknown> {
        let name = self.own_name(tenant);
        let Some(compiled) = self.tenants.get(name) else {
            return Err(Unknown::Tenant(tenant.to_owned()));
        };
        if compiled.tier.as_str() != tier {
            return Err(Unknown::Tier {
                tier: tier.to_owned(),
                tenant: name.to_owned(),
                runs_on: compiled.tier.to_string(),
            });
        }
        match compiled.configs.get(deployable) {
            Some(bytes) => Ok(bytes.clone()),
            None if self.deployables.contains_key(deployable) => Err(Unknown::NotInProduct {
                tenant: name.to_owned(),
                deployable: deployable.to_owned(),
            }),
            None => Err(Unknown::Deployable(deployable.to_owned())),
        }
    }
}

/// How environment lines quote their values, for the loader that reads them. Every style is
/// read back exactly by the loaders it names; see docs/ENV-FILES.md for the rules and what was
/// tested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EnvStyle {
    /// For `sh` (`set -a; . ./file`), bash, and, for every value but one holding both a quote
    /// or backslash and a `$` or backtick, or ending in a backslash, python-dotenv too: plain values
    /// bare, others in single quotes, or double quotes, or sh's `'\''` form.
    #[default]
    Sh,
    /// For python-dotenv: as `Sh`, but a value with a quote or backslash in
    /// double quotes with `\\` and `\"` escaped, whatever else it holds.
    Dotenv,
    /// For `docker run --env-file`, which takes everything after `=` as it is: values unquoted;
    /// a value with a line break cannot be written.
    Docker,
}

impl EnvStyle {
    pub const ALL: [EnvStyle; 3] = [EnvStyle::Sh, EnvStyle::Dotenv, EnvStyle::Docker];

    /// The style's name, as `?style=` and `--style` take it.
    pub fn as_str(self) -> &'static str {
        match self {
            EnvStyle::Sh => "sh",
            EnvStyle::Dotenv => "dotenv",
            EnvStyle::Docker => "docker",
        }
    }

    pub fn parse(text: &str) -> Option<EnvStyle> {
        EnvStyle::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A value that environment lines of a style cannot carry, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {why}")]
pub struct Unwritable {
    pub name: String,
    pub why: &'static str,
}

/// A config as environment variables: `KEY=value` lines, nested keys joined with `_` and
/// upper-cased (characters other than letters and digits become `_`); strings as they are,
/// other scalars as JSON, arrays and empty objects as compact JSON; each value quoted as
/// `style` reads it back exactly. Sorted by name.
pub fn to_env(config: &Value, style: EnvStyle) -> Result<String, Unwritable> {
    fn walk(value: &Value, prefix: &str, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                for (key, inner) in map {
                    let part: String = key
                        .chars()
                        .map(|c| {
                            if c.is_ascii_alphanumeric() {
                                c.to_ascii_uppercase()
                            } else {
                                '_'
                            }
                        })
                        .collect();
                    let name = if prefix.is_empty() {
                        part
                    } else {
                        format!("{prefix}_{part}")
                    };
                    walk(inner, &name, out);
                }
            }
            Value::String(s) => out.push((prefix.to_owned(), s.clone())),
            other => out.push((prefix.to_owned(), other.to_string())),
        }
    }
    let mut lines = Vec::new();
    walk(config, "", &mut lines);
    lines.sort();
    // Two keys that give one name (`a-b` and `a_b`) would have one silently lose to the other;
    // a name starting with a digit is not a variable to a shell.
    if let Some(pair) = lines.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(Unwritable {
            name: pair[0].0.clone(),
            why: "two keys of the config give this one name",
        });
    }
    if style == EnvStyle::Sh
        && let Some((name, _)) = lines
            .iter()
            .find(|(n, _)| n.starts_with(|c: char| c.is_ascii_digit()))
    {
        return Err(Unwritable {
            name: name.clone(),
            why: "starts with a digit, which no shell takes for a variable: use style=dotenv or style=docker",
        });
    }
    let mut text = String::new();
    for (name, value) in lines.into_iter().filter(|(name, _)| !name.is_empty()) {
        let written = env_value(&value, style).map_err(|why| Unwritable {
            name: name.clone(),
            why,
        })?;
        text.push_str(&format!("{name}={written}\n"));
    }
    Ok(text)
}

/// Whether python-dotenv reads `value` unquoted exactly: one line, no quote or space at its
/// start, no space at its end, no ` #` (a comment) in it.
pub fn dotenv_bare(value: &str) -> bool {
    !value.contains(['\n', '\r'])
        && !value.starts_with(['\'', '"', ' ', '\t'])
        && !value.ends_with([' ', '\t'])
        && !value.contains(" #")
        && !value.contains("\t#")
}

/// One value as `style` writes it.
fn env_value(value: &str, style: EnvStyle) -> Result<String, &'static str> {
    if value.contains('\0') {
        return Err("holds the NUL character, which no process environment can");
    }
    let bare = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_-./:@%+,=".contains(c));
    if bare {
        return Ok(value.to_owned());
    }
    if style == EnvStyle::Docker {
        // Docker takes the rest of the line as it is: anything but a line break.
        return match value.contains(['\n', '\r']) {
            true => Err(
                "holds a line break, which docker --env-file cannot carry: use style=sh or style=dotenv with a loader that reads quotes",
            ),
            false => Ok(value.to_owned()),
        };
    }
    // python-dotenv cannot read a backslash just before a closing quote (it takes it for an
    // escaped quote, and reads on into the next lines), but reads a value to the end of its
    // line as it is when nothing in it looks like a quote, a comment or padding.
    let trailing_backslash = value.ends_with('\\');
    if style == EnvStyle::Dotenv && trailing_backslash {
        return match dotenv_bare(value) {
            true => Ok(value.to_owned()),
            false => Err(
                "ends with a backslash and is not one plain line, which python-dotenv cannot read: use style=sh",
            ),
        };
    }
    let quoted_in_single = !value.contains(['\'', '\\']);
    if quoted_in_single {
        return Ok(format!("'{value}'"));
    }
    let expands_in_sh = value.contains(['$', '`']);
    if style == EnvStyle::Dotenv || !(expands_in_sh || trailing_backslash) {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        return Ok(format!("\"{escaped}\""));
    }
    // sh's own form: single quotes, a quote as '\'', and trailing backslashes escaped after
    // the closing quote, so that a dotenv reader stops at that line and reads the next ones.
    let head = value.trim_end_matches('\\');
    let tail = "\\\\".repeat(value.len() - head.len());
    Ok(format!("'{}'{tail}", head.replace('\'', "'\\''")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tables() -> Tables {
        let mut t = Tables::new();
        let mut put = |kind: &str, key: &str, v: Value| {
            t.entry(kind.to_owned())
                .or_default()
                .insert(key.to_owned(), v);
        };
        put(
            "deployable",
            "web-api",
            json!({"name": "web-api", "display_name": "W", "config_schema": {"type": "object"}, "default_config": {"db": {"host": "localhost", "port": 5432}, "debug": false}}),
        );
        put(
            "deployable",
            "worker",
            json!({"name": "worker", "display_name": "K", "config_schema": {"type": "object"}, "default_config": {}}),
        );
        put(
            "product",
            "acme-shop",
            json!({"name": "acme-shop", "organization": "acme", "display_name": "S", "deployables": ["web-api"], "state": "active"}),
        );
        put(
            "tenant",
            "acme-eu",
            json!({"name": "acme-eu", "product": "acme-shop", "tier": "LIVE", "alias": "europe", "termination_protection": false, "state": "active"}),
        );
        put(
            "tenant",
            "acme-old",
            json!({"name": "acme-old", "product": "acme-shop", "tier": "LIVE", "alias": null, "termination_protection": false, "state": "deleted"}),
        );
        put(
            "config layer",
            "web-api/tier/LIVE",
            json!({"deployable": "web-api", "scope": {"kind": "tier", "name": "LIVE"}, "config": {"db": {"host": "db.live"}}}),
        );
        put(
            "config layer",
            "web-api/tenant/acme-eu",
            json!({"deployable": "web-api", "scope": {"kind": "tenant", "name": "acme-eu"}, "config": {"debug": true}}),
        );
        t
    }

    #[test]
    fn a_revision_compiles_to_each_tenant_s_resolved_configs() {
        let compiled = Compiled::build(9, Arc::new(tables())).unwrap();
        assert_eq!((compiled.revision, compiled.len()), (9, 1));
        let bytes = compiled.get("LIVE", "acme-eu", "web-api").unwrap();
        assert_eq!(
            serde_json::from_slice::<Value>(&bytes).unwrap(),
            json!({"db": {"host": "db.live", "port": 5432}, "debug": true})
        );
        assert_eq!(
            compiled.get("LIVE", "europe", "web-api").unwrap(),
            bytes,
            "aliases resolve"
        );
        let unknown = |t, n, d| compiled.get(t, n, d).unwrap_err();
        assert_eq!(
            unknown("LIVE", "acme-old", "web-api").part(),
            "tenant",
            "deleted tenants are not served"
        );
        assert_eq!(unknown("DEV", "acme-eu", "web-api").part(), "tier");
        assert_eq!(unknown("LIVE", "acme-eu", "nope").part(), "deployable");
        assert_eq!(
            unknown("LIVE", "acme-eu", "worker").message(),
            "tenant \"acme-eu\" does not run deployable \"worker\""
        );
    }

    /// Enough tenants that they are compiled a part per core: each still gets exactly its own
    /// stack of layers, a config its product shares on its tier is one allocation whichever
    /// part compiled it, and the count of configs is what it holds.
    #[test]
    fn many_tenants_compiled_on_several_threads_each_get_their_own_configs() {
        let mut tables = tables();
        let tenants = 3 * PARTS_FROM;
        for t in 0..tenants {
            let (name, tier) = (format!("many-{t:05}"), ["LIVE", "DEV"][t % 2]);
            tables.get_mut("tenant").unwrap().insert(
                name.clone(),
                json!({"name": name, "product": "acme-shop", "tier": tier, "alias": format!("many-alias-{t}"), "termination_protection": false, "state": "active"}),
            );
            if t % 7 == 0 {
                tables.get_mut("config layer").unwrap().insert(
                    format!("web-api/tenant/{name}"),
                    json!({"deployable": "web-api", "scope": {"kind": "tenant", "name": name}, "config": {"db": {"port": t}}}),
                );
            }
        }
        let compiled = Compiled::build(3, Arc::new(tables)).unwrap();
        assert_eq!(compiled.len(), tenants + 1);
        assert_eq!(compiled.len(), compiled.configs().count());
        let config = |tier: &str, t: usize| {
            let bytes = compiled
                .get(tier, &format!("many-alias-{t}"), "web-api")
                .unwrap();
            (serde_json::from_slice::<Value>(&bytes).unwrap(), bytes)
        };
        for t in 0..tenants {
            let tier = ["LIVE", "DEV"][t % 2];
            let host = if tier == "LIVE" {
                "db.live"
            } else {
                "localhost"
            };
            let port = if t % 7 == 0 { t } else { 5432 };
            let expected = json!({"db": {"host": host, "port": port}, "debug": false});
            assert_eq!(config(tier, t).0, expected, "tenant {t}");
        }
        // The first and the last tenant on LIVE without a layer of their own: different parts.
        let last = (0..tenants)
            .rev()
            .find(|t| t % 2 == 0 && t % 7 != 0)
            .unwrap();
        assert!(Arc::ptr_eq(&config("LIVE", 2).1, &config("LIVE", last).1));
    }

    #[test]
    fn the_next_revision_recompiles_and_reports_only_what_changed() {
        let mut tables = tables();
        let put = |t: &mut Tables, kind: &str, key: &str, v: Value| {
            t.entry(kind.to_owned())
                .or_default()
                .insert(key.to_owned(), v);
        };
        put(
            &mut tables,
            "tenant",
            "acme-us",
            json!({"name": "acme-us", "product": "acme-shop", "tier": "LIVE", "alias": null, "termination_protection": false, "state": "active"}),
        );
        let first = Compiled::build(1, Arc::new(tables.clone())).unwrap();
        assert_eq!(first.recompiled_tenants, 2);

        // A tenant layer: that tenant only.
        put(
            &mut tables,
            "config layer",
            "web-api/tenant/acme-us",
            json!({"deployable": "web-api", "scope": {"kind": "tenant", "name": "acme-us"}, "config": {"debug": true}}),
        );
        let second = first.next(2, Arc::new(tables.clone())).unwrap();
        assert_eq!(second.recompiled_tenants, 1);
        let (changed, gone) = second.differences(&first);
        assert_eq!(
            changed.iter().map(|c| (c.0, c.1, c.2)).collect::<Vec<_>>(),
            [("LIVE", "acme-us", "web-api")]
        );
        assert!(gone.is_empty());

        // A tier layer: both tenants; one moves to another tier, so its LIVE config is gone.
        put(
            &mut tables,
            "tenant",
            "acme-us",
            json!({"name": "acme-us", "product": "acme-shop", "tier": "DEV", "alias": null, "termination_protection": false, "state": "active"}),
        );
        put(
            &mut tables,
            "config layer",
            "web-api/tier/LIVE",
            json!({"deployable": "web-api", "scope": {"kind": "tier", "name": "LIVE"}, "config": {"db": {"host": "db2.live"}}}),
        );
        let third = second.next(3, Arc::new(tables.clone())).unwrap();
        assert_eq!(third.recompiled_tenants, 2);
        let (changed, gone) = third.differences(&second);
        let mut changed: Vec<_> = changed.iter().map(|c| (c.0, c.1)).collect();
        changed.sort();
        assert_eq!(changed, [("DEV", "acme-us"), ("LIVE", "acme-eu")]);
        assert_eq!(gone, [("LIVE", "acme-us", "web-api")]);

        // A table that resolution does not read: nothing is recompiled.
        put(&mut tables, "tier", "QA", json!({"name": "QA"}));
        let fourth = third.next(4, Arc::new(tables)).unwrap();
        assert_eq!(fourth.recompiled_tenants, 0);
        assert_eq!(fourth.differences(&third), (vec![], vec![]));
        assert_eq!(
            fourth.get("DEV", "acme-us", "web-api"),
            third.get("DEV", "acme-us", "web-api")
        );
    }

    #[test]
    fn env_lines_join_nested_keys_upper_cased() {
        let config = json!({"db": {"host": "db.live", "port": 5432, "tls": {}}, "feature-flags": {"new": true}, "hosts": ["a", "b"], "motd": "hi\nthere"});
        assert_eq!(
            to_env(&config, EnvStyle::Sh).unwrap(),
            "DB_HOST=db.live\nDB_PORT=5432\nDB_TLS='{}'\nFEATURE_FLAGS_NEW=true\nHOSTS='[\"a\",\"b\"]'\nMOTD='hi\nthere'\n"
        );
    }

    #[test]
    fn env_values_are_quoted_as_the_style_reads_them() {
        let line = |value: &str, style| to_env(&json!({"v": value}), style);
        let sh = |value: &str| line(value, EnvStyle::Sh).unwrap();
        assert_eq!(sh("plain-1.2:3@x/y"), "V=plain-1.2:3@x/y\n");
        assert_eq!(sh(""), "V=\n");
        assert_eq!(sh("a b $HOME `x` \"q\" #"), "V='a b $HOME `x` \"q\" #'\n");
        assert_eq!(sh("it's C:\\dir"), "V=\"it's C:\\\\dir\"\n");
        assert_eq!(sh("it's $5"), "V='it'\\''s $5'\n");
        assert_eq!(sh("C:\\dir\\"), "V='C:\\dir'\\\\\n");
        assert_eq!(
            line("it's $5 \"x\"", EnvStyle::Dotenv).unwrap(),
            "V=\"it's $5 \\\"x\\\"\"\n"
        );
        assert_eq!(
            line("C:\\dir\\", EnvStyle::Dotenv).unwrap(),
            "V=C:\\dir\\\n"
        );
        assert!(line("two\nlines\\", EnvStyle::Dotenv).is_err());
        assert_eq!(line("a 'b' $c", EnvStyle::Docker).unwrap(), "V=a 'b' $c\n");
        let refused = line("two\nlines", EnvStyle::Docker).unwrap_err();
        assert_eq!(refused.name, "V");
        assert!(refused.why.contains("line break"), "{refused}");
        assert!(line("nul\0", EnvStyle::Sh).is_err());
        let twice = to_env(&json!({"a-b": 1, "a_b": 2}), EnvStyle::Dotenv).unwrap_err();
        assert_eq!(twice.name, "A_B");
        let digit = to_env(&json!({"2fa": {"on": true}}), EnvStyle::Sh).unwrap_err();
        assert_eq!(digit.name, "2FA_ON");
        assert_eq!(
            to_env(&json!({"2fa": {"on": true}}), EnvStyle::Docker).unwrap(),
            "2FA_ON=true\n"
        );
    }
}
