//! Resolved configs: the merge of default ← tier ← product ← tenant with provenance, the
//! validation of every affected config before a change set commits, and the impact preview.
//! On SQLite and PostgreSQL.

use crate::common;

use std::collections::BTreeMap;

use common::*;
use serde_json::{Value, json};
use strata_domain::deployable::Deployable;
use strata_domain::diff::PatchOp;
use strata_domain::layer::ConfigLayer;
use strata_domain::names::{DeployableName, TenantName, TierName};
use strata_domain::product::Product;
use strata_domain::tenant::{Tenant, TenantState};
use strata_domain::tier::Tier;
use strata_store::access::Actor;
use strata_store::entity::Entity;
use strata_store::resolution::Impact;
use strata_store::test_support::{on_each_backend, seed_large_domain};
use strata_store::{Store, StoreError};

fn names(tier: &str, tenant: &str, deployable: &str) -> (TierName, TenantName, DeployableName) {
    (
        TierName::parse(tier).unwrap(),
        TenantName::parse(tenant).unwrap(),
        DeployableName::parse(deployable).unwrap(),
    )
}

/// The config `tenant` runs web-api with on `tier`.
async fn resolved(store: &Store, tier: &str, tenant: &str) -> Value {
    resolved_of(store, tier, tenant, "web-api").await
}

async fn resolved_of(store: &Store, tier: &str, tenant: &str, deployable: &str) -> Value {
    let (tier, tenant, deployable) = names(tier, tenant, deployable);
    store
        .as_operator()
        .resolve(&tier, &tenant, &deployable)
        .await
        .unwrap()
        .resolved
        .config
}

fn violations_of(err: StoreError) -> strata_store::resolution::ConfigViolations {
    match err {
        StoreError::Unresolvable(v) => v,
        other => panic!("expected resolved configs to break, got {other}"),
    }
}

#[tokio::test]
async fn a_config_resolves_through_all_four_layers_with_the_provenance_of_each_leaf() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        commit(store, async |c| {
            c.create(layer("web-api", tier_scope("LIVE"), json!({"database": {"host": "db.live"}, "rate_limit": 50})))
                .await?;
            c.create(layer("web-api", product_scope("acme-shop"), json!({"rate_limit": 80, "features": ["search"]})))
                .await?;
            c.create(layer("web-api", tenant_scope("acme-eu"), json!({"database": {"port": 6432}, "features": null})))
                .await
        })
        .await
        .unwrap();
        let (tier, tenant, deployable) = names("LIVE", "acme-eu", "web-api");
        let config = store.as_operator().resolve(&tier, &tenant, &deployable).await.unwrap();
        assert_eq!(
            config.resolved.config,
            json!({"database": {"host": "db.live", "port": 6432}, "rate_limit": 80})
        );
        let provenance: BTreeMap<&str, String> = config
            .resolved
            .provenance
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_string()))
            .collect();
        assert_eq!(
            provenance,
            BTreeMap::from([
                ("/database/host", "tier LIVE".to_owned()),
                ("/database/port", "tenant acme-eu".to_owned()),
                ("/rate_limit", "product acme-shop".to_owned()),
            ])
        );
        assert!(config.violations.is_empty());
        // The DEV tenant gets the product layer but not LIVE's.
        assert_eq!(
            resolved(store, "DEV", "acme-us").await,
            json!({"database": {"host": "localhost", "port": 5432}, "rate_limit": 80, "features": ["search"]})
        );
    })
    .await;
}

#[tokio::test]
async fn resolving_names_the_field_that_does_not_fit() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        let (_, tenant, web_api) = names("LIVE", "acme-eu", "web-api");
        let err = store
            .as_operator()
            .resolve(&TierName::parse("DEV").unwrap(), &tenant, &web_api)
            .await
            .unwrap_err();
        assert_eq!(
            field_of(err),
            (
                "/tier".to_owned(),
                "tenant \"acme-eu\" runs on tier \"LIVE\", not \"DEV\"".to_owned()
            )
        );
        commit(store, async |c| c.create(deployable("worker")).await)
            .await
            .unwrap();
        let err = store
            .as_operator()
            .resolve(
                &TierName::parse("LIVE").unwrap(),
                &tenant,
                &DeployableName::parse("worker").unwrap(),
            )
            .await
            .unwrap_err();
        assert_eq!(field_of(err).0, "/deployable");
        let err = store
            .as_operator()
            .resolve(
                &TierName::parse("LIVE").unwrap(),
                &TenantName::parse("acme-zz").unwrap(),
                &web_api,
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::NotFound { kind: "tenant", .. }),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_layer_that_breaks_a_resolved_config_is_refused_naming_tier_tenant_deployable_and_pointer()
 {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        let before = store.domain().await.unwrap().revision;
        let err = commit(store, async |c| {
            c.create(layer(
                "web-api",
                tier_scope("LIVE"),
                json!({"database": {"port": 70000}}),
            ))
            .await
        })
        .await
        .unwrap_err();
        let violations = violations_of(err);
        assert_eq!(violations.total, 1);
        let v = &violations.first[0];
        assert_eq!(
            (
                v.target.tier.as_str(),
                v.target.tenant.as_str(),
                v.target.deployable.as_str(),
                v.field.as_str()
            ),
            ("LIVE", "acme-eu", "web-api", "/database/port")
        );
        assert!(v.rule.contains("65535"), "{}", v.rule);
        // Nothing was written: no layer, no revision.
        assert_eq!(store.domain().await.unwrap().revision, before);
        assert!(
            store
                .as_operator()
                .list::<ConfigLayer>()
                .await
                .unwrap()
                .is_empty()
        );

        // A null that removes a required key is caught the same way.
        let err = commit(store, async |c| {
            c.create(layer(
                "web-api",
                tenant_scope("acme-us"),
                json!({"database": null}),
            ))
            .await
        })
        .await
        .unwrap_err();
        let violations = violations_of(err);
        assert_eq!(violations.first[0].target.tenant.as_str(), "acme-us");
        assert_eq!(violations.first[0].field, "");
    })
    .await;
}

#[tokio::test]
async fn a_report_lists_the_first_twenty_violations_and_counts_them_all() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        commit(store, async |c| {
            for i in 0..24 {
                c.create(tenant(&format!("acme-t{i:02}"), "acme-shop", "LIVE"))
                    .await?;
            }
            Ok(())
        })
        .await
        .unwrap();
        let err = commit(store, async |c| {
            c.create(layer("web-api", tier_scope("LIVE"), json!({"rate_limit": -1, "database": {"port": 99999}})))
                .await
        })
        .await
        .unwrap_err();
        let message = err.to_string();
        let violations = violations_of(err);
        // 25 tenants on LIVE, two broken rules each.
        assert_eq!(violations.total, 50);
        assert_eq!(violations.first.len(), 20);
        assert!(message.ends_with("(and 30 more)"), "{message}");
        assert!(message.starts_with("the change would break 50 rule(s) of resolved configs: tier LIVE, tenant acme-eu, deployable web-api: /database/port:"), "{message}");
    })
    .await;
}

#[tokio::test]
async fn a_schema_change_that_breaks_a_resolved_config_is_refused_unless_the_same_change_set_fixes_it()
 {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        commit(store, async |c| {
            c.create(layer(
                "web-api",
                tenant_scope("acme-eu"),
                json!({"rate_limit": 500}),
            ))
            .await
        })
        .await
        .unwrap();
        let mut stricter = web_api();
        stricter.config_schema["properties"]["rate_limit"]["maximum"] = json!(200);
        let err = commit(store, async |c| c.update(1, stricter.clone()).await)
            .await
            .unwrap_err();
        let violations = violations_of(err);
        assert_eq!(
            (
                violations.total,
                violations.first[0].target.tenant.as_str(),
                violations.first[0].field.as_str()
            ),
            (1, "acme-eu", "/rate_limit")
        );
        assert_eq!(
            store
                .as_operator()
                .get::<Deployable>("web-api")
                .await
                .unwrap()
                .version,
            1
        );

        // The schema and the layer that fits it, in one change set.
        commit(store, async |c| {
            c.update(1, stricter.clone()).await?;
            c.update(
                1,
                layer(
                    "web-api",
                    tenant_scope("acme-eu"),
                    json!({"rate_limit": 150}),
                ),
            )
            .await
        })
        .await
        .unwrap();
        assert_eq!(
            resolved(store, "LIVE", "acme-eu").await["rate_limit"],
            json!(150)
        );
    })
    .await;
}

#[tokio::test]
async fn adding_a_deployable_to_a_product_validates_the_configs_it_brings() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        let mut strict = deployable("worker");
        strict.config_schema =
            json!({"type": "object", "properties": {"threads": {"type": "integer"}}});
        commit(store, async |c| {
            c.create(strict.clone()).await?;
            // No tenant runs worker yet, so this layer breaks nothing so far.
            c.create(layer(
                "worker",
                tier_scope("LIVE"),
                json!({"threads": "many"}),
            ))
            .await
        })
        .await
        .unwrap();
        let err = commit(store, async |c| {
            c.update(1, product("acme-shop", "acme", &["web-api", "worker"]))
                .await
        })
        .await
        .unwrap_err();
        let violations = violations_of(err);
        assert_eq!(violations.total, 1);
        assert_eq!(violations.first[0].target.deployable.as_str(), "worker");
        assert_eq!(violations.first[0].field, "/threads");
        assert_eq!(
            store
                .as_operator()
                .get::<Product>("acme-shop")
                .await
                .unwrap()
                .version,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn an_impact_preview_shows_each_affected_config_s_patch_and_writes_nothing() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        commit(store, async |c| {
            c.create(tenant("acme-de", "acme-shop", "LIVE")).await?;
            c.create(layer(
                "web-api",
                tenant_scope("acme-de"),
                json!({"rate_limit": 7}),
            ))
            .await
        })
        .await
        .unwrap();
        let revision = store.domain().await.unwrap().revision;
        let proposed = layer(
            "web-api",
            tier_scope("LIVE"),
            json!({"rate_limit": 60, "database": {"host": "db.live"}}),
        );
        let impact = store
            .as_actor(&Actor::operator("preview"))
            .preview(proposed.clone(), None)
            .await
            .unwrap();
        assert!(impact.violations.is_empty());
        assert_eq!(impact.unchanged, 0);
        let patches: Vec<(&str, &[PatchOp])> = impact
            .changed
            .iter()
            .map(|c| (c.target.tenant.as_str(), c.patch.as_slice()))
            .collect();
        assert_eq!(
            patches,
            vec![
                // acme-de keeps its own rate limit.
                (
                    "acme-de",
                    &[PatchOp::Replace {
                        path: "/database/host".into(),
                        value: json!("db.live")
                    }][..]
                ),
                (
                    "acme-eu",
                    &[
                        PatchOp::Replace {
                            path: "/database/host".into(),
                            value: json!("db.live")
                        },
                        PatchOp::Replace {
                            path: "/rate_limit".into(),
                            value: json!(60)
                        },
                    ][..]
                ),
            ]
        );
        // Nothing was written.
        assert_eq!(store.domain().await.unwrap().revision, revision);
        assert_eq!(
            store
                .as_operator()
                .list::<ConfigLayer>()
                .await
                .unwrap()
                .len(),
            1
        );

        // A breaking proposal is previewed with its violations instead of an error.
        let breaking = layer("web-api", tier_scope("LIVE"), json!({"rate_limit": -5}));
        let impact = store
            .as_actor(&Actor::operator("preview"))
            .preview(breaking, None)
            .await
            .unwrap();
        assert_eq!(impact.violations.total, 1);
        assert_eq!(impact.violations.first[0].target.tenant.as_str(), "acme-eu");
        assert_eq!(impact.unchanged, 1);
    })
    .await;
}

/// Every resolved config the operator can read, by where it is served: `TIER/tenant/deployable`.
async fn every_config(store: &Store) -> BTreeMap<String, Value> {
    every_resolved(store)
        .await
        .into_iter()
        .map(|(tenant, config)| {
            let at = format!(
                "{}/{}/{}",
                tenant.tier, tenant.name, config.target.deployable
            );
            (at, config.resolved.config)
        })
        .collect()
}

/// Previews writing `entity` (an update of its stored version, or a create), checks the
/// preview wrote nothing, makes the same write, and answers the preview and the configs that
/// changed: each with its patch, in the preview's order.
async fn preview_then_write<E: Entity>(
    store: &Store,
    entity: E,
) -> (Impact, Vec<(String, Vec<PatchOp>)>) {
    let version = store
        .as_operator()
        .get::<E>(&entity.key())
        .await
        .ok()
        .map(|v| v.version);
    let before = every_config(store).await;
    let impact = store
        .as_operator()
        .preview(entity.clone(), version)
        .await
        .unwrap();
    assert_eq!(every_config(store).await, before, "the preview wrote");
    commit(store, async |c| match version {
        Some(version) => c.update(version, entity).await,
        None => c.create(entity).await,
    })
    .await
    .unwrap();
    let after = every_config(store).await;
    let keys: std::collections::BTreeSet<_> = before.keys().chain(after.keys()).collect();
    let mut changed = Vec::new();
    for key in keys {
        let old = before.get(key).unwrap_or(&Value::Null);
        let new = after.get(key).unwrap_or(&Value::Null);
        let patch = strata_domain::diff::diff(old, new);
        if !patch.is_empty() {
            changed.push((key.clone(), patch));
        }
    }
    (impact, changed)
}

#[tokio::test]
async fn an_impact_preview_names_exactly_the_configs_the_write_then_changes() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        commit(store, async |c| {
            c.create(deployable("worker")).await?;
            c.create(product("acme-jobs", "acme", &["worker"])).await?;
            c.create(tenant("acme-de", "acme-shop", "LIVE")).await?;
            c.create(layer(
                "web-api",
                tenant_scope("acme-de"),
                json!({"rate_limit": 7}),
            ))
            .await
        })
        .await
        .unwrap();
        let taken_down = Tenant {
            state: TenantState::Uninitializing,
            ..tenant("acme-de", "acme-shop", "LIVE")
        };
        // Writes that change which configs there are, then ones that change their values.
        let steps: Vec<(&str, Step)> = vec![
            (
                "a product gains a deployable",
                Step::Product(product("acme-shop", "acme", &["web-api", "worker"])),
            ),
            (
                "a tenant moves to another product",
                Step::Tenant(tenant("acme-us", "acme-jobs", "DEV")),
            ),
            (
                "a new tenant",
                Step::Tenant(tenant("acme-fr", "acme-shop", "DEV")),
            ),
            (
                "a tenant moves to another tier",
                Step::Tenant(tenant("acme-fr", "acme-shop", "LIVE")),
            ),
            (
                "a tier layer",
                Step::Layer(layer("worker", tier_scope("DEV"), json!({"threads": 4}))),
            ),
            (
                "a deployable's default config",
                Step::Deployable(Deployable {
                    default_config: json!({"threads": 1, "queue": "jobs"}),
                    ..deployable("worker")
                }),
            ),
            (
                "a tenant is taken down (its configs stay)",
                Step::Tenant(taken_down),
            ),
            (
                "a product loses a deployable",
                Step::Product(product("acme-jobs", "acme", &[])),
            ),
        ];
        for (what, step) in steps {
            let (impact, changed) = match step {
                Step::Product(p) => preview_then_write(store, p).await,
                Step::Tenant(t) => preview_then_write(store, t).await,
                Step::Layer(l) => preview_then_write(store, l).await,
                Step::Deployable(d) => preview_then_write(store, d).await,
            };
            assert_eq!(
                changed.is_empty(),
                what.contains("stay"),
                "{what}: which configs change"
            );
            let mut previewed: Vec<(String, Vec<PatchOp>)> = impact
                .changed
                .iter()
                .map(|c| {
                    let t = &c.target;
                    let at = format!("{}/{}/{}", t.tier, t.tenant, t.deployable);
                    (at, c.patch.clone())
                })
                .collect();
            previewed.sort_by(|a, b| a.0.cmp(&b.0));
            assert_eq!(previewed, changed, "{what}");
        }
    })
    .await;
}

enum Step {
    Product(Product),
    Tenant(Tenant),
    Layer(ConfigLayer),
    Deployable(Deployable),
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_impact_preview_keeps_no_writer_waiting_while_it_resolves() {
    on_each_backend(async |_, _, store| {
        seed_large_domain(store, 1_500).await;
        // A product's write reaches each of its 1,500 tenants' 10 configs: resolved before and
        // after, they take far longer than the commit below.
        let big_app = store.as_operator().get::<Product>("big-app").await.unwrap();
        let renamed = Product {
            display_name: "Bigger app".into(),
            ..big_app.item
        };
        let previewing = tokio::spawn({
            let store = store.clone();
            async move {
                let started = std::time::Instant::now();
                let impact = store
                    .as_operator()
                    .preview(renamed, Some(big_app.version))
                    .await;
                (impact, started.elapsed())
            }
        });
        tokio::time::sleep(std::time::Duration::from_millis(30)).await;
        assert!(!previewing.is_finished(), "the preview is under way");
        let started = std::time::Instant::now();
        commit(store, async |c| c.create(tier("QAX")).await)
            .await
            .unwrap();
        let committed_in = started.elapsed();
        let finished_first = previewing.is_finished();
        let (impact, took) = previewing.await.unwrap();
        let impact = impact.unwrap();
        assert!(
            !finished_first,
            "a commit made while a preview resolves finishes before it \
             (commit {committed_in:?}, preview {took:?})"
        );
        assert_eq!((impact.changed.len(), impact.unchanged), (0, 15_000));
        assert!(impact.violations.is_empty());
        // The commit is in; the preview wrote nothing.
        assert!(store.as_operator().get::<Tier>("QAX").await.is_ok());
        let product = store.as_operator().get::<Product>("big-app").await.unwrap();
        assert_eq!(product.version, big_app.version);
    })
    .await;
}

#[tokio::test]
async fn a_change_to_many_configs_names_each_one_it_breaks_and_only_those() {
    on_each_backend(async |_, _, store| {
        // 1,200 tenants; one in ten (big-t00000, big-t00010, …) sets its own service-0
        // pool size of 20.
        seed_large_domain(store, 1_200).await;
        let err = commit(store, async |c| {
            c.create(layer(
                "service-0",
                tier_scope("LIVE"),
                json!({"database": {"pool_size": 0}}),
            ))
            .await
        })
        .await
        .unwrap_err();
        let violations = violations_of(err);
        assert_eq!(violations.total, 1_080);
        let named: Vec<&str> = violations
            .first
            .iter()
            .map(|v| v.target.tenant.as_str())
            .collect();
        assert_eq!(named.len(), 20);
        assert!(named.iter().all(|t| !t.ends_with('0')), "{named:?}");
        assert!(violations.first.iter().all(
            |v| v.field == "/database/pool_size" && v.target.deployable.as_str() == "service-0"
        ));
        // The tenants with their own pool size are fine with a tier layer their own overrides.
        commit(store, async |c| {
            c.create(layer(
                "service-0",
                tier_scope("LIVE"),
                json!({"database": {"pool_size": 3}}),
            ))
            .await
        })
        .await
        .unwrap();
        let own = resolved_of(store, "LIVE", "big-t00010", "service-0").await;
        let shared = resolved_of(store, "LIVE", "big-t00011", "service-0").await;
        assert_eq!(own["database"]["pool_size"], 20);
        assert_eq!(shared["database"]["pool_size"], 3);
    })
    .await;
}
