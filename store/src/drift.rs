//! Import from a Drift-MTC origin directory: drift-config's ReLib JSON layout (`domain.json`,
//! `tiers.json`, `organizations.json`, `products.json`, `deployable-names.json`,
//! `deployables.json`, `tenant-names.json`, `tenants/…`). Its tables are mapped to Strata's and
//! applied through the write path as one change set; what has no place in Strata is reported,
//! never dropped in silence. A row that breaks one of Strata's rules fails the import with the
//! Drift file, row and field, and nothing is applied.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Map, Value, json};
use strata_domain::deployable::Deployable;
use strata_domain::layer::{ConfigLayer, Layer};
use strata_domain::names::{
    DeployableName, NameError, OrganizationName, ProductName, TenantAlias, TenantName, TierName,
};
use strata_domain::organization::Organization;
use strata_domain::product::Product;
use strata_domain::rules::EntityState;
use strata_domain::tenant::{Tenant, TenantState};
use strata_domain::tier::Tier;
use strata_domain::tier_deployable::TierDeployable;

use crate::access::Actor;
use crate::entity::{Entity, image};
use crate::history::State;
use crate::{Store, StoreError};

/// What a Drift import did: rows mapped per Strata kind, and everything it could not map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DriftReport {
    pub mapped: BTreeMap<String, usize>,
    pub not_mapped: Vec<String>,
    /// Where each imported entity came from, kind → key → Drift file and row
    /// (`/tenant-names.json/3`), so that a refusal names the row to fix.
    pub origins: BTreeMap<String, BTreeMap<String, String>>,
}

/// The short name Drift gives a resource module in a tenant's config (its last part:
/// `drift.core.resources.postgres` → `postgres`).
fn resource_key(module: &str) -> &str {
    module.rsplit('.').next().unwrap_or(module)
}

/// drift-config's cache of all tables, pickled; empty when the origin is in its JSON layout.
const PICKLE: &str = "table-store.pickle";

/// The tables this import reads; every other file of the directory is reported.
const READ: [&str; 7] = [
    "domain.json",
    "tiers.json",
    "organizations.json",
    "products.json",
    "deployable-names.json",
    "deployables.json",
    "tenant-names.json",
];

/// Fields of the rows that are keys or mapped; any other field is reported once per table.
const MAPPED_FIELDS: [(&str, &[&str]); 6] = [
    (
        "tiers.json",
        &["tier_name", "is_live", "state", "resources"],
    ),
    (
        "organizations.json",
        &["organization_name", "short_name", "display_name", "state"],
    ),
    (
        "products.json",
        &["product_name", "organization_name", "deployables", "state"],
    ),
    (
        "deployable-names.json",
        &[
            "deployable_name",
            "display_name",
            "resources",
            "resource_attributes",
        ],
    ),
    (
        "deployables.json",
        &[
            "tier_name",
            "deployable_name",
            "is_active",
            "reason_inactive",
            "release",
        ],
    ),
    (
        "tenant-names.json",
        &[
            "tenant_name",
            "product_name",
            "organization_name",
            "tier_name",
            "alias",
            "termination_protection",
        ],
    ),
];

struct Reader<'a> {
    dir: &'a Path,
    report: DriftReport,
}

/// A row of a Drift table, with its place for error messages.
struct Row<'a> {
    at: String,
    fields: &'a Map<String, Value>,
}

impl Row<'_> {
    fn text(&self, field: &str) -> Result<&str, StoreError> {
        self.fields
            .get(field)
            .and_then(Value::as_str)
            .ok_or_else(|| {
                StoreError::invalid(format!("{}/{field}", self.at), "required, a string")
            })
    }

    fn name<T>(
        &self,
        field: &str,
        parse: fn(String) -> Result<T, NameError>,
    ) -> Result<T, StoreError> {
        parse(self.text(field)?.to_owned())
            .map_err(|e| StoreError::invalid(format!("{}/{field}", self.at), e.to_string()))
    }

    fn flag(&self, field: &str, default: bool) -> bool {
        self.fields
            .get(field)
            .and_then(Value::as_bool)
            .unwrap_or(default)
    }

    fn optional(&self, field: &str) -> Option<&str> {
        self.fields
            .get(field)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }
}

impl<'a> Reader<'a> {
    fn read(&self, file: &str) -> Result<Value, StoreError> {
        let text = crate::files::read_text(self.dir, file)?;
        serde_json::from_str(&text)
            .map_err(|e| StoreError::invalid(format!("/{file}"), format!("not JSON: {e}")))
    }

    fn rows(&mut self, file: &str, value: &'a Value) -> Result<Vec<Row<'a>>, StoreError> {
        let rows = value.as_array().ok_or_else(|| {
            StoreError::invalid(format!("/{file}"), "a Drift table is a JSON array of rows")
        })?;
        let mapped = MAPPED_FIELDS
            .iter()
            .find(|(f, _)| *f == file)
            .map_or(&[][..], |(_, fields)| *fields);
        let mut extra = BTreeSet::new();
        let mut out = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            let fields = row.as_object().ok_or_else(|| {
                StoreError::invalid(format!("/{file}/{i}"), "a row is a JSON object")
            })?;
            extra.extend(
                fields
                    .keys()
                    .filter(|k| !mapped.contains(&k.as_str()))
                    .cloned(),
            );
            out.push(Row {
                at: format!("/{file}/{i}"),
                fields,
            });
        }
        if !extra.is_empty() {
            self.report.not_mapped.push(format!(
                "{file}: fields {} have no place in Strata",
                extra.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
        Ok(out)
    }

    /// Drift's states for tiers, organizations and products: initializing, active, disabled,
    /// deleted. `None` for a deleted row, which is not imported.
    fn entity_state(
        &mut self,
        row: &Row<'_>,
        what: &str,
    ) -> Result<Option<EntityState>, StoreError> {
        match row.optional("state").unwrap_or("active") {
            "active" => Ok(Some(EntityState::Active)),
            "disabled" => Ok(Some(EntityState::Disabled)),
            "initializing" => {
                self.report.not_mapped.push(format!(
                    "{what} is initializing in Drift; imported as active"
                ));
                Ok(Some(EntityState::Active))
            }
            "deleted" => {
                self.report
                    .not_mapped
                    .push(format!("{what} is deleted in Drift; not imported"));
                Ok(None)
            }
            other => Err(StoreError::invalid(
                format!("{}/state", row.at),
                format!("{other:?} is not a Drift state"),
            )),
        }
    }
}

/// One row of Drift's `tenants` table: a deployable of a tenant, its state, the config the
/// row carries besides its keys, and where the row is.
type DeployableRow<'a> = (String, &'a str, Map<String, Value>, String);

impl Reader<'_> {
    /// Adds `entity`, made from the Drift row at `at`.
    fn add<E: Entity>(&mut self, state: &mut State, at: &str, entity: &E) {
        self.report
            .origins
            .entry(E::KIND.to_owned())
            .or_default()
            .insert(entity.key(), at.to_owned());
        state
            .entry(E::KIND.to_owned())
            .or_default()
            .insert(entity.key(), image(entity));
    }
}

/// Reads a Drift origin directory into Strata's state, and what could not be mapped.
pub fn read_drift(dir: &Path) -> Result<(State, DriftReport), StoreError> {
    let mut reader = Reader {
        dir,
        report: DriftReport::default(),
    };
    let mut state = crate::history::empty_state();

    // drift-config writes an empty pickle beside its JSON layout, and the tables pickled in it
    // instead in its default format.
    if std::fs::metadata(dir.join(PICKLE)).is_ok_and(|m| m.len() > 0) {
        return Err(StoreError::invalid(
            format!("/{PICKLE}"),
            format!(
                "this Drift origin is pickled (drift-config's default format on S3 and Redis), which Strata does not read: \
                 convert it to drift-config's JSON layout first, in place, with \
                 python3 -c \"from driftconfig.backends import FileBackend; b = FileBackend('{}'); b.save_table_store(b.load_table_store(), file_format='json')\"",
                dir.display()
            ),
        ));
    }
    let domain = reader.read("domain.json")?;
    for (field, value) in domain.as_object().into_iter().flatten() {
        let said = match field.as_str() {
            "domain_name" | "origin" => {
                format!("domain.json: {field} {value} is Strata's own setting; not changed")
            }
            "display_name" => format!(
                "domain.json: the display name {value} is Strata's own setting; not changed"
            ),
            "custom_values" => format!(
                "domain.json: custom values {} have no place in Strata; not imported",
                value
                    .as_object()
                    .map(|o| o.keys().cloned().collect::<Vec<_>>().join(", "))
                    .unwrap_or_else(|| value.to_string())
            ),
            _ => format!("domain.json: {field} has no place in Strata; not imported"),
        };
        reader.report.not_mapped.push(said);
    }

    let tiers = reader.read("tiers.json")?;
    // Each tier's defaults for resource modules: module → attributes.
    let mut tier_resources: BTreeMap<TierName, Map<String, Value>> = BTreeMap::new();
    for row in reader.rows("tiers.json", &tiers)? {
        let name = row.name("tier_name", TierName::parse)?;
        let Some(state_) = reader.entity_state(&row, &format!("tier {name}"))? else {
            continue;
        };
        if let Some(Value::Object(resources)) = row.fields.get("resources") {
            tier_resources.insert(name.clone(), resources.clone());
        }
        reader.add(
            &mut state,
            &row.at,
            &Tier {
                display_name: name.to_string(),
                name,
                is_live: row.flag("is_live", false),
                state: state_,
            },
        );
    }

    let organizations = reader.read("organizations.json")?;
    let mut short_names = BTreeMap::new();
    for row in reader.rows("organizations.json", &organizations)? {
        let name = row.name("organization_name", OrganizationName::parse)?;
        let Some(state_) = reader.entity_state(&row, &format!("organization {name}"))? else {
            continue;
        };
        let short_name = row.name("short_name", OrganizationName::parse)?;
        short_names.insert(name.clone(), short_name.clone());
        reader.add(
            &mut state,
            &row.at,
            &Organization {
                display_name: row
                    .optional("display_name")
                    .unwrap_or(name.as_str())
                    .to_owned(),
                name,
                short_name,
                state: state_,
            },
        );
    }

    let deployable_names = reader.read("deployable-names.json")?;
    // The resource modules each deployable uses.
    let mut resources_of: BTreeMap<DeployableName, Vec<String>> = BTreeMap::new();
    for row in reader.rows("deployable-names.json", &deployable_names)? {
        let name = row.name("deployable_name", DeployableName::parse)?;
        // Tenants' configs hold a module's attributes under its short name, so its defaults go
        // there too (`accres.postgres` → `postgres`).
        let mut defaults = Map::new();
        if let Some(Value::Object(attributes)) = row.fields.get("resource_attributes") {
            for (module, values) in attributes {
                let key = resource_key(module);
                if defaults.insert(key.to_owned(), values.clone()).is_some() {
                    reader.report.not_mapped.push(format!(
                        "{}/resource_attributes: two modules are both {key:?} in tenants' configs; the last, {module}, is kept",
                        row.at
                    ));
                }
            }
        }
        let modules: Vec<String> = row
            .fields
            .get("resources")
            .and_then(Value::as_array)
            .map(|m| {
                m.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        resources_of.insert(name.clone(), modules);
        reader.add(
            &mut state,
            &row.at,
            &Deployable {
                display_name: row
                    .optional("display_name")
                    .unwrap_or(name.as_str())
                    .to_owned(),
                name,
                // Drift has no config schema: an open one, to be tightened in Strata.
                config_schema: json!({"type": "object"}),
                default_config: Value::Object(defaults),
            },
        );
    }
    // A tier's resource defaults: a tier layer of each deployable that uses the resource, as
    // Drift gives them to every tenant made on that tier.
    for (tier, resources) in &tier_resources {
        for module in resources.keys() {
            if !resources_of.values().flatten().any(|m| m == module) {
                reader.report.not_mapped.push(format!(
                    "tiers.json: tier {tier}'s defaults for resource {module}, which no deployable uses; not imported"
                ));
            }
        }
        for (deployable, modules) in &resources_of {
            let config: Map<String, Value> = modules
                .iter()
                .filter_map(|m| Some((resource_key(m).to_owned(), resources.get(m)?.clone())))
                .collect();
            if config.is_empty() {
                continue;
            }
            let at = format!("/tiers.json/{tier}/resources");
            reader.add(
                &mut state,
                &at,
                &ConfigLayer {
                    deployable: deployable.clone(),
                    scope: Layer::Tier(tier.clone()),
                    config: Value::Object(config),
                },
            );
        }
    }
    if !state[Deployable::KIND].is_empty() {
        reader.report.not_mapped.push(
            "deployable-names.json: Drift has no config schemas; deployables get an open schema ({\"type\": \"object\"}) and their resource_attributes as default config".to_owned(),
        );
    }

    let products = reader.read("products.json")?;
    let mut made_of: BTreeMap<ProductName, BTreeSet<DeployableName>> = BTreeMap::new();
    let mut organization_of = BTreeMap::new();
    for row in reader.rows("products.json", &products)? {
        let name = row.name("product_name", ProductName::parse)?;
        let Some(state_) = reader.entity_state(&row, &format!("product {name}"))? else {
            continue;
        };
        let organization = row.name("organization_name", OrganizationName::parse)?;
        let mut deployables = BTreeSet::new();
        for (i, d) in row
            .fields
            .get("deployables")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .enumerate()
        {
            let d = d.as_str().unwrap_or_default();
            deployables.insert(DeployableName::parse(d).map_err(|e| {
                StoreError::invalid(format!("{}/deployables/{i}", row.at), e.to_string())
            })?);
        }
        made_of.insert(name.clone(), deployables.clone());
        organization_of.insert(name.clone(), organization.clone());
        reader.add(
            &mut state,
            &row.at,
            &Product {
                display_name: name.to_string(),
                name,
                organization,
                deployables,
                state: state_,
            },
        );
    }

    let tier_deployables = reader.read("deployables.json")?;
    for row in reader.rows("deployables.json", &tier_deployables)? {
        let tier = row.name("tier_name", TierName::parse)?;
        let deployable = row.name("deployable_name", DeployableName::parse)?;
        let active = row.flag("is_active", true);
        let reason = row.optional("reason_inactive").map(str::to_owned);
        let inactive_reason = match (active, reason) {
            (true, Some(_)) => {
                reader.report.not_mapped.push(format!(
                    "deployables.json: {tier}/{deployable} is active; its reason_inactive is dropped"
                ));
                None
            }
            (true, None) => None,
            (false, Some(reason)) => Some(reason),
            (false, None) => Some("inactive in Drift (no reason given)".to_owned()),
        };
        reader.add(
            &mut state,
            &row.at,
            &TierDeployable {
                tier,
                deployable,
                active,
                inactive_reason,
                release: row.optional("release").map(str::to_owned),
            },
        );
    }

    // Each tenant's per-deployable rows: their state, and any config they carry.
    let mut per_deployable: BTreeMap<String, Vec<DeployableRow<'_>>> = BTreeMap::new();
    let tenant_files = read_tenant_rows(&reader, dir)?;
    for (file, rows) in &tenant_files {
        for (i, row) in rows.iter().enumerate() {
            let at = format!("/tenants/{file}/{i}");
            let fields = row
                .as_object()
                .ok_or_else(|| StoreError::invalid(&at, "a row is a JSON object"))?;
            let tenant = fields
                .get("tenant_name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let deployable = fields
                .get("deployable_name")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let row_state = fields
                .get("state")
                .and_then(Value::as_str)
                .unwrap_or("initializing");
            let config: Map<String, Value> = fields
                .iter()
                .filter(|(k, _)| {
                    !matches!(
                        k.as_str(),
                        "tenant_name" | "tier_name" | "deployable_name" | "state"
                    )
                })
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            per_deployable.entry(tenant.to_owned()).or_default().push((
                deployable.to_owned(),
                row_state,
                config,
                at,
            ));
        }
    }

    let tenant_names = reader.read("tenant-names.json")?;
    for row in reader.rows("tenant-names.json", &tenant_names)? {
        let name = row.name("tenant_name", TenantName::parse)?;
        let product = row.name("product_name", ProductName::parse)?;
        let deployables = per_deployable.remove(name.as_str()).unwrap_or_default();
        let states: BTreeSet<&str> = deployables.iter().map(|(_, s, _, _)| *s).collect();
        let tenant_state = [
            "active",
            "disabled",
            "initializing",
            "uninitializing",
            "deleted",
        ]
        .into_iter()
        .find(|s| states.contains(s))
        .and_then(TenantState::parse)
        .unwrap_or(TenantState::Initializing);
        if states.len() > 1 {
            reader.report.not_mapped.push(format!(
                "tenant {name}: its deployables are {} in Drift; Strata keeps one state, {}",
                states.into_iter().collect::<Vec<_>>().join(" and "),
                tenant_state.as_str()
            ));
        }
        // A deleted product is not imported: its tenants cannot be either.
        if !made_of.contains_key(&product) {
            let deleted = match tenant_state {
                TenantState::Deleted => "is deleted in Drift, as is",
                _ => "names",
            };
            reader.report.not_mapped.push(format!(
                "{}: tenant {name} {deleted} product {product}, which is not imported; nor is the tenant",
                row.at
            ));
            continue;
        }
        for (deployable, _, config, at) in deployables {
            if config.is_empty() {
                continue;
            }
            let deployable = DeployableName::parse(deployable.clone()).map_err(|e| {
                StoreError::invalid(format!("/tenants/{name}/deployable_name"), e.to_string())
            })?;
            if !made_of
                .get(&product)
                .is_some_and(|d| d.contains(&deployable))
            {
                reader.report.not_mapped.push(format!(
                    "tenant {name}: config for {deployable}, which product {product} is not made of; not imported"
                ));
                continue;
            }
            reader.add(
                &mut state,
                &at,
                &ConfigLayer {
                    deployable,
                    scope: Layer::Tenant(name.clone()),
                    config: Value::Object(config),
                },
            );
        }
        reader.add(
            &mut state,
            &row.at,
            &Tenant {
                alias: row
                    .optional("alias")
                    .map(|a| TenantAlias::parse(a.to_owned()))
                    .transpose()
                    .map_err(|e| StoreError::invalid(format!("{}/alias", row.at), e.to_string()))?,
                tier: row.name("tier_name", TierName::parse)?,
                product,
                name,
                termination_protection: row.flag("termination_protection", false),
                state: tenant_state,
            },
        );
    }
    for tenant in per_deployable.keys() {
        reader.report.not_mapped.push(format!(
            "tenants/: rows for {tenant:?}, which tenant-names.json does not name; not imported"
        ));
    }

    report_other_files(&mut reader, dir, "")?;
    for (kind, rows) in &state {
        reader.report.mapped.insert(kind.clone(), rows.len());
    }
    Ok((state, reader.report))
}

/// The rows of `tenants/tenants.*.json`, by file name.
fn read_tenant_rows(
    reader: &Reader<'_>,
    dir: &Path,
) -> Result<Vec<(String, Vec<Value>)>, StoreError> {
    let folder = dir.join("tenants");
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(&folder) else {
        return Ok(files);
    };
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if !file.starts_with("tenants.") || !file.ends_with(".json") {
            continue;
        }
        let value = reader.read(&format!("tenants/{file}"))?;
        let rows = value.as_array().cloned().ok_or_else(|| {
            StoreError::invalid(
                format!("/tenants/{file}"),
                "a Drift table is a JSON array of rows",
            )
        })?;
        files.push((file, rows));
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// Names every file the import did not read, with its number of rows.
fn report_other_files(reader: &mut Reader<'_>, dir: &Path, prefix: &str) -> Result<(), StoreError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir.join(prefix))
        .map_err(|source| StoreError::File {
            path: dir.join(prefix).display().to_string(),
            source,
        })?
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
        if crate::files::is_directory(dir, &name) {
            if name != "tenants" {
                report_other_files(reader, dir, &format!("{name}/"))?;
            }
            continue;
        }
        if READ.contains(&name.as_str()) || name.starts_with("#ts") || name == PICKLE {
            continue;
        }
        let rows = crate::files::read_text(dir, &name)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .map(|v| match v {
                Value::Array(a) => a.len(),
                Value::Object(o) => o.len(),
                _ => 1,
            });
        reader.report.not_mapped.push(match rows {
            Some(n) => format!("{name}: a Drift table Strata has no place for ({n} rows)"),
            None => format!("{name}: not a Drift JSON table"),
        });
    }
    Ok(())
}

impl Store {
    /// Makes the domain what a Drift origin directory holds, in one change set through the
    /// write path, and says what could not be mapped.
    pub async fn import_drift(
        &self,
        actor: &Actor,
        reason: &str,
        dir: &Path,
    ) -> Result<(i64, DriftReport), StoreError> {
        let (state, report) = read_drift(dir)?;
        let revision = self
            .import_state_from(actor, reason, &state, &|kind, key| {
                report
                    .origins
                    .get(kind)
                    .and_then(|rows| rows.get(key))
                    .cloned()
                    .unwrap_or_else(|| format!("/{kind}/{key}"))
            })
            .await?;
        Ok((revision, report))
    }
}
