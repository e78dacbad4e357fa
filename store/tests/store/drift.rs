//! Import of a Drift-MTC origin directory made by the real drift-config tool
//! (`scripts/make-drift-fixture`): its tables become Strata's, through the write path, and what
//! has no place in Strata is reported. On SQLite and PostgreSQL.

use crate::common;

use std::path::{Path, PathBuf};

use common::field_of;
use serde_json::json;
use strata_domain::deployable::Deployable;
use strata_domain::layer::ConfigLayer;
use strata_domain::names::{DeployableName, TenantName, TierName};
use strata_domain::product::Product;
use strata_domain::rules::EntityState;
use strata_domain::tenant::{Tenant, TenantState};
use strata_domain::tier_deployable::TierDeployable;
use strata_store::access::Actor;
use strata_store::test_support::on_each_backend;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/drift-origin")
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[tokio::test]
async fn a_drift_origin_becomes_a_strata_domain_and_the_rest_is_reported() {
    on_each_backend(async |_, _, store| {
        let (revision, report) = store
            .import_drift(&Actor::operator("grace"), "move from Drift", &fixture())
            .await
            .unwrap();
        assert_eq!(revision, 1);
        let mapped: Vec<(&str, usize)> = report.mapped.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(
            mapped,
            vec![
                ("approval policy", 0),
                ("config layer", 2),
                ("deployable", 3),
                ("organization", 2),
                ("product", 3),
                ("tenant", 12),
                ("tier", 2),
                ("tier deployable", 6),
            ]
        );
        let product = store.as_operator().get::<Product>("acme0-prod0").await.unwrap().item;
        assert_eq!(product.deployables.len(), 3, "Drift's duplicates are one set");
        assert_eq!(
            store.as_operator().get::<Product>("acme1-prod1").await.unwrap().item.state,
            EntityState::Disabled
        );
        let tenant = store.as_operator().get::<Tenant>("acme0-prod0-test0-localtiera").await.unwrap().item;
        assert_eq!(tenant.alias.unwrap().as_str(), "acme0-main");
        assert_eq!(tenant.state, TenantState::Active);
        assert_eq!(
            store.as_operator().get::<Tenant>("acme1-prod1-test1-localtierb").await.unwrap().item.state,
            TenantState::Initializing
        );
        let inactive = store.as_operator().get::<TierDeployable>("LOCALTIERB/svc2").await.unwrap().item;
        assert_eq!(
            (inactive.active, inactive.inactive_reason.as_deref()),
            (false, Some("not deployed on B yet"))
        );
        assert_eq!(
            store.as_operator().get::<TierDeployable>("LOCALTIERA/svc0").await.unwrap().item.release.as_deref(),
            Some("0.9.1")
        );
        assert_eq!(
            store.as_operator().get::<Deployable>("svc1").await.unwrap().item.default_config,
            json!({"postgres": {"port": 5432}})
        );
        let layer = store
            .as_operator()
            .get::<ConfigLayer>("svc1/tenant/acme0-prod0-test0-localtiera")
            .await
            .unwrap()
            .item;
        assert_eq!(
            layer.config,
            json!({"postgres": {"server": "db.a.internal", "database": "acme0_prod0_test0"}})
        );

        let report_text = report.not_mapped.join("\n");
        for expected in [
            "api-router/routing.json: a Drift table Strata has no place for (0 rows)",
            "authentication/users.json: a Drift table Strata has no place for (0 rows)",
            "tiers.json: fields aws have no place in Strata",
            "domain.json: the display name \"Acme games, migrated\" is Strata's own setting; not changed",
            "domain.json: custom values support_email have no place in Strata; not imported",
            "tiers.json: tier LOCALTIERA's defaults for resource accres.redis, which no deployable uses; not imported",
            "product acme1-prod0 is deleted in Drift; not imported",
            "/tenant-names.json/8: tenant acme1-prod0-test0-localtiera is deleted in Drift, as is product acme1-prod0, which is not imported; nor is the tenant",
            "tenant-names.json: fields reserved_at, reserved_by have no place in Strata",
            "tenant acme0-prod0-test0-localtiera: its deployables are active and initializing in Drift; Strata keeps one state, active",
            "Drift has no config schemas",
        ] {
            assert!(report_text.contains(expected), "missing {expected:?} in:\n{report_text}");
        }
        assert!(
            !report_text.contains("termination_protection"),
            "Strata has the field: {report_text}"
        );
        // Termination protection, as Drift had it.
        for (tenant, protected) in [
            ("acme0-prod0-test1-localtiera", true),
            ("acme0-prod0-test0-localtiera", false),
        ] {
            let tenant = store.as_operator().get::<Tenant>(tenant).await.unwrap().item;
            assert_eq!(tenant.termination_protection, protected, "{}", tenant.name);
        }
        // Importing the same origin again changes nothing.
        let (again, _) = store.import_drift(&Actor::operator("grace"), "again", &fixture()).await.unwrap();
        assert_eq!(again, 1);
        // The tier's resource defaults are the tier's layer, under the key tenants use: a
        // tenant made after the import resolves with the tier's database server.
        let tier_layer = store
            .as_operator()
            .get::<ConfigLayer>("svc1/tier/LOCALTIERA")
            .await
            .unwrap()
            .item;
        assert_eq!(
            tier_layer.config,
            json!({"postgres": {"server": "db.a.internal", "username": "postgres", "password": "tier-a-db-password"}})
        );
        let mut change = store.begin(&Actor::operator("grace"), "a new tenant").await.unwrap();
        let new_tenant: Tenant = serde_json::from_value(json!({
            "name": "acme0-prod0-new-localtiera", "product": "acme0-prod0", "tier": "LOCALTIERA",
            "alias": null, "termination_protection": false, "state": "active"
        }))
        .unwrap();
        change.create(new_tenant).await.unwrap();
        change.commit().await.unwrap();
        let resolved = store
            .as_operator()
            .resolve(
                &TierName::parse("LOCALTIERA".to_owned()).unwrap(),
                &TenantName::parse("acme0-prod0-new-localtiera".to_owned()).unwrap(),
                &DeployableName::parse("svc1".to_owned()).unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(
            resolved.resolved.config["postgres"],
            json!({"server": "db.a.internal", "username": "postgres", "password": "tier-a-db-password", "port": 5432})
        );
    })
    .await;
}

#[tokio::test]
async fn a_drift_row_that_breaks_a_strata_rule_fails_the_import_naming_file_row_and_field() {
    on_each_backend(async |_, _, store| {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixture(), dir.path());
        let path = dir.path().join("tiers.json");
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("LOCALTIERB", "local-b");
        std::fs::write(&path, text).unwrap();
        let (field, rule) = field_of(
            store
                .import_drift(&Actor::operator("grace"), "bad", dir.path())
                .await
                .unwrap_err(),
        );
        assert_eq!(field, "/tiers.json/1/tier_name");
        assert!(
            rule.contains("3 to 20 characters: capital letters"),
            "{rule}"
        );
        assert_eq!(store.domain().await.unwrap().revision, 0);
    })
    .await;
}

#[tokio::test]
async fn a_refusal_of_strata_rules_names_the_drift_file_and_row() {
    on_each_backend(async |_, _, store| {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixture(), dir.path());
        // A tenant on a tier Drift does not have: refused by Strata's reference rule.
        let path = dir.path().join("tenant-names.json");
        let text = std::fs::read_to_string(&path).unwrap().replacen(
            "\"tenant_name\": \"acme0-prod0-test0-localtierb\",\n        \"tier_name\": \"LOCALTIERB\"",
            "\"tenant_name\": \"acme0-prod0-test0-localtierb\",\n        \"tier_name\": \"LOCALTIERC\"",
            1,
        );
        std::fs::write(&path, text).unwrap();
        let (field, rule) = field_of(
            store
                .import_drift(&Actor::operator("grace"), "bad", dir.path())
                .await
                .unwrap_err(),
        );
        assert_eq!(field, "/tenant-names.json/1/tier");
        assert_eq!(rule, "tier \"LOCALTIERC\" does not exist");
        assert_eq!(store.domain().await.unwrap().revision, 0);
    })
    .await;
}

#[tokio::test]
async fn a_pickled_drift_origin_is_refused_saying_how_to_convert_it() {
    on_each_backend(async |_, _, store| {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&fixture(), dir.path());
        std::fs::write(dir.path().join("table-store.pickle"), b"\x80\x02}q\x00.").unwrap();
        let (field, rule) = field_of(
            store
                .import_drift(&Actor::operator("grace"), "pickled", dir.path())
                .await
                .unwrap_err(),
        );
        assert_eq!(field, "/table-store.pickle");
        assert!(rule.contains("pickled"), "{rule}");
        assert!(
            rule.contains("save_table_store(b.load_table_store(), file_format='json')"),
            "{rule}"
        );
        // drift-config's empty pickle beside its JSON layout is no reason to refuse.
        std::fs::write(dir.path().join("table-store.pickle"), b"").unwrap();
        store
            .import_drift(&Actor::operator("grace"), "json", dir.path())
            .await
            .unwrap();
    })
    .await;
}

/// How the fields of the Drift origin fared: mapped to a value Strata holds, reported with a
/// reason, or lost (neither).
#[derive(Default)]
struct Tally {
    rows_mapped: usize,
    rows_reported: usize,
    fields_mapped: usize,
    fields_reported: usize,
    lost: Vec<String>,
}

impl Tally {
    fn field(&mut self, at: &str, field: &str, mapped: bool, reported: bool) {
        if mapped {
            self.fields_mapped += 1;
        } else if reported {
            self.fields_reported += 1;
        } else {
            self.lost.push(format!("{at}/{field}"));
        }
    }
}

fn table(file: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let text = std::fs::read_to_string(fixture().join(file)).unwrap();
    let rows: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    rows.into_iter()
        .map(|r| r.as_object().unwrap().clone())
        .collect()
}

/// The last part of a Drift resource module's name, the key tenants' configs use.
fn short(module: &str) -> &str {
    module.rsplit('.').next().unwrap()
}

#[tokio::test]
async fn every_field_of_every_drift_row_is_mapped_exactly_or_reported() {
    use serde_json::Value;
    on_each_backend(async |_, _, store| {
        let (_, report) = store
            .import_drift(&Actor::operator("grace"), "move from Drift", &fixture())
            .await
            .unwrap();
        let state = store.as_operator().current_state().await.unwrap();
        let said = report.not_mapped.join("\n");
        let get = |kind: &str, key: &str| state.get(kind).and_then(|t| t.get(key)).cloned();
        // A field a table's report line names ("tiers.json: fields aws have no place").
        let named = |file: &str, field: &str| {
            report.not_mapped.iter().any(|line| {
                line.starts_with(&format!("{file}: fields "))
                    && line.split([' ', ',']).any(|word| word == field)
            })
        };
        let mut t = Tally::default();

        let domain: Value =
            serde_json::from_str(&std::fs::read_to_string(fixture().join("domain.json")).unwrap())
                .unwrap();
        for field in domain.as_object().unwrap().keys() {
            let reported = said.contains(&format!("domain.json: {field}"))
                || (field == "display_name" && said.contains("domain.json: the display name"))
                || (field == "custom_values" && said.contains("domain.json: custom values"));
            t.field("/domain.json", field, false, reported);
        }
        t.rows_reported += 1;

        let deployable_names = table("deployable-names.json");
        let modules_used: Vec<String> = deployable_names
            .iter()
            .flat_map(|r| r["resources"].as_array().cloned().unwrap_or_default())
            .filter_map(|m| m.as_str().map(str::to_owned))
            .collect();
        for (i, row) in table("tiers.json").iter().enumerate() {
            let at = format!("/tiers.json/{i}");
            let name = row["tier_name"].as_str().unwrap();
            let Some(tier) = get("tier", name) else {
                t.rows_reported += 1;
                assert!(said.contains(&format!("tier {name} is deleted")), "{at}");
                continue;
            };
            t.rows_mapped += 1;
            for (field, value) in row {
                let mapped = match field.as_str() {
                    "tier_name" => tier["name"] == *value,
                    "is_live" => tier["is_live"] == *value,
                    "state" => tier["state"] == *value,
                    // Each module's defaults: the tier layer of each deployable that uses it.
                    "resources" => value.as_object().unwrap().iter().all(|(module, attributes)| {
                        deployable_names
                            .iter()
                            .filter(|d| d["resources"].as_array().is_some_and(|m| m.contains(&json!(module))))
                            .all(|d| {
                                let key = format!("{}/tier/{name}", d["deployable_name"].as_str().unwrap());
                                get("config layer", &key)
                                    .is_some_and(|l| l["config"][short(module)] == *attributes)
                            })
                            && (modules_used.contains(module)
                                || said.contains(&format!("resource {module}, which no deployable uses")))
                    }),
                    _ => false,
                };
                t.field(&at, field, mapped, named("tiers.json", field));
            }
        }

        for (i, row) in table("organizations.json").iter().enumerate() {
            let at = format!("/organizations.json/{i}");
            let organization = get("organization", row["organization_name"].as_str().unwrap()).unwrap();
            t.rows_mapped += 1;
            for (field, value) in row {
                let mapped = match field.as_str() {
                    "organization_name" => organization["name"] == *value,
                    "short_name" | "display_name" | "state" => organization[field] == *value,
                    _ => false,
                };
                t.field(&at, field, mapped, named("organizations.json", field));
            }
        }

        for (i, row) in table("products.json").iter().enumerate() {
            let at = format!("/products.json/{i}");
            let name = row["product_name"].as_str().unwrap();
            let Some(product) = get("product", name) else {
                assert!(said.contains(&format!("product {name} is deleted in Drift")), "{at}");
                t.rows_reported += 1;
                t.fields_reported += row.len();
                continue;
            };
            t.rows_mapped += 1;
            for (field, value) in row {
                let mapped = match field.as_str() {
                    "product_name" => product["name"] == *value,
                    "organization_name" => product["organization"] == *value,
                    "state" => product["state"] == *value,
                    "deployables" => {
                        let mut drift: Vec<&Value> = value.as_array().unwrap().iter().collect();
                        drift.sort_by_key(|v| v.to_string());
                        drift.dedup();
                        product["deployables"].as_array().unwrap().iter().collect::<Vec<_>>() == drift
                    }
                    _ => false,
                };
                t.field(&at, field, mapped, named("products.json", field));
            }
        }

        for (i, row) in deployable_names.iter().enumerate() {
            let at = format!("/deployable-names.json/{i}");
            let deployable = get("deployable", row["deployable_name"].as_str().unwrap()).unwrap();
            t.rows_mapped += 1;
            for (field, value) in row {
                let mapped = match field.as_str() {
                    "deployable_name" => deployable["name"] == *value,
                    "display_name" => deployable["display_name"] == *value,
                    // Checked with the tiers' resources, where they are used.
                    "resources" => true,
                    "resource_attributes" => value.as_object().unwrap().iter().all(|(module, attributes)| {
                        deployable["default_config"][short(module)] == *attributes
                    }),
                    _ => false,
                };
                t.field(&at, field, mapped, named("deployable-names.json", field));
            }
        }

        for (i, row) in table("deployables.json").iter().enumerate() {
            let at = format!("/deployables.json/{i}");
            let key = format!(
                "{}/{}",
                row["tier_name"].as_str().unwrap(),
                row["deployable_name"].as_str().unwrap()
            );
            let td = get("tier deployable", &key).unwrap();
            t.rows_mapped += 1;
            for (field, value) in row {
                let mapped = match field.as_str() {
                    "tier_name" => td["tier"] == *value,
                    "deployable_name" => td["deployable"] == *value,
                    "is_active" => td["active"] == *value,
                    "reason_inactive" => td["inactive_reason"] == *value,
                    "release" => td["release"] == *value,
                    _ => false,
                };
                t.field(&at, field, mapped, named("deployables.json", field));
            }
        }

        let tenant_names = table("tenant-names.json");
        for (i, row) in tenant_names.iter().enumerate() {
            let at = format!("/tenant-names.json/{i}");
            let name = row["tenant_name"].as_str().unwrap();
            let Some(tenant) = get("tenant", name) else {
                assert!(said.contains(&format!("{at}: tenant {name} ")), "{at}: {said}");
                t.rows_reported += 1;
                t.fields_reported += row.len();
                continue;
            };
            t.rows_mapped += 1;
            for (field, value) in row {
                let mapped = match field.as_str() {
                    "tenant_name" => tenant["name"] == *value,
                    "product_name" => tenant["product"] == *value,
                    "organization_name" => get("product", tenant["product"].as_str().unwrap())
                        .is_some_and(|p| p["organization"] == *value),
                    "tier_name" => tenant["tier"] == *value,
                    "alias" => tenant["alias"] == *value,
                    "termination_protection" => tenant["termination_protection"] == *value,
                    _ => false,
                };
                t.field(&at, field, mapped, named("tenant-names.json", field));
            }
        }

        let mut files: Vec<_> = std::fs::read_dir(fixture().join("tenants"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|f| f.starts_with("tenants."))
            .collect();
        files.sort();
        for file in files {
            for (i, row) in table(&format!("tenants/{file}")).iter().enumerate() {
                let at = format!("/tenants/{file}/{i}");
                let name = row["tenant_name"].as_str().unwrap();
                let deployable = row["deployable_name"].as_str().unwrap();
                let Some(tenant) = get("tenant", name) else {
                    assert!(said.contains(&format!(": tenant {name} ")), "{at}");
                    t.rows_reported += 1;
                    t.fields_reported += row.len();
                    continue;
                };
                t.rows_mapped += 1;
                let layer = get("config layer", &format!("{deployable}/tenant/{name}"));
                for (field, value) in row {
                    let (mapped, reported) = match field.as_str() {
                        "tenant_name" => (tenant["name"] == *value, false),
                        "tier_name" => (tenant["tier"] == *value, false),
                        "deployable_name" => (
                            get("product", tenant["product"].as_str().unwrap()).is_some_and(|p| {
                                p["deployables"].as_array().unwrap().contains(value)
                            }),
                            false,
                        ),
                        "state" => (
                            tenant["state"] == *value,
                            said.contains(&format!("tenant {name}: its deployables are")),
                        ),
                        // Anything else is the config this tenant runs the deployable with.
                        _ => (
                            layer.as_ref().is_some_and(|l| l["config"][field] == *value),
                            said.contains(&format!("tenant {name}: config for {deployable}")),
                        ),
                    };
                    t.field(&at, field, mapped, reported);
                }
            }
        }

        let rows = t.rows_mapped + t.rows_reported;
        let fields = t.fields_mapped + t.fields_reported + t.lost.len();
        println!(
            "Drift origin: {rows} rows ({} mapped, {} reported), {fields} fields ({} mapped exactly, {} reported, {} lost)",
            t.rows_mapped,
            t.rows_reported,
            t.fields_mapped,
            t.fields_reported,
            t.lost.len()
        );
        assert!(t.lost.is_empty(), "lost without a word: {:?}\n{said}", t.lost);
    })
    .await;
}
