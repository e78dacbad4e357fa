//! Products, tenants, deployables on tiers and config layers: references must exist, names
//! carry the organization's short name, deletes are refused while anything points at the row,
//! and tenants follow their life cycle. On SQLite and PostgreSQL.

use crate::common;

use common::*;
use serde_json::json;
use strata_domain::names::TenantAlias;
use strata_domain::organization::Organization;
use strata_domain::product::Product;
use strata_domain::tenant::{Tenant, TenantState};
use strata_domain::tier::Tier;
use strata_domain::tier_deployable::TierDeployable;
use strata_store::StoreError;
use strata_store::test_support::on_each_backend;

#[tokio::test]
async fn a_product_is_stored_with_its_deployables() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        commit(store, async |c| {
            c.create(deployable("worker")).await?;
            c.update(1, product("acme-shop", "acme", &["web-api", "worker"]))
                .await
        })
        .await
        .unwrap();
        let stored = store
            .as_operator()
            .get::<Product>("acme-shop")
            .await
            .unwrap();
        assert_eq!(stored.version, 2);
        assert_eq!(
            stored.item,
            product("acme-shop", "acme", &["web-api", "worker"])
        );
        let listed = store.as_operator().list::<Product>().await.unwrap();
        assert_eq!(listed[0].item.deployables.len(), 2);
        assert_eq!(
            serde_json::to_value(
                store
                    .as_operator()
                    .diff_versions("product", "acme-shop", 1, 2)
                    .await
                    .unwrap()
            )
            .unwrap(),
            json!([{"op": "replace", "path": "/deployables", "value": ["web-api", "worker"]}])
        );
        let (field, rule) = field_of(
            store
                .as_operator()
                .diff_versions("product", "acme-shop", 1, 9)
                .await
                .unwrap_err(),
        );
        assert_eq!(
            (field.as_str(), rule.as_str()),
            ("/to", "product \"acme-shop\" has no version 9")
        );
        let history = store
            .as_operator()
            .history("product", "acme-shop")
            .await
            .unwrap();
        assert_eq!(
            history[1].after.as_ref().unwrap()["deployables"],
            json!(["web-api", "worker"])
        );
    })
    .await;
}

#[tokio::test]
async fn references_that_do_not_exist_are_refused_at_their_field() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        let cases: Vec<(StoreError, &str, &str)> = vec![
            (
                commit(store, async |c| {
                    c.create(product("nope-shop", "nope", &[])).await
                })
                .await
                .unwrap_err(),
                "/organization",
                "organization \"nope\" does not exist",
            ),
            (
                commit(store, async |c| {
                    c.create(product("acme-app", "acme", &["web-api", "ghost"]))
                        .await
                })
                .await
                .unwrap_err(),
                "/deployables/0", // the set is sorted: "ghost" comes first
                "deployable \"ghost\" does not exist",
            ),
            (
                commit(store, async |c| {
                    c.create(tenant("acme-jp", "acme-shop", "STAGING")).await
                })
                .await
                .unwrap_err(),
                "/tier",
                "tier \"STAGING\" does not exist",
            ),
            (
                commit(store, async |c| {
                    c.create(layer("web-api", tier_scope("QUALITY"), json!({})))
                        .await
                })
                .await
                .unwrap_err(),
                "/scope/name",
                "tier \"QUALITY\" does not exist",
            ),
        ];
        for (err, field, rule) in cases {
            assert_eq!(field_of(err), (field.to_owned(), rule.to_owned()));
        }
    })
    .await;
}

#[tokio::test]
async fn product_and_tenant_names_begin_with_the_organization_short_name() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        let (field, rule) = field_of(
            commit(store, async |c| {
                c.create(product("shop", "acme", &[])).await
            })
            .await
            .unwrap_err(),
        );
        assert_eq!(field, "/name");
        assert!(rule.contains("\"acme-\""), "{rule}");
        let (field, _) = field_of(
            commit(store, async |c| {
                c.create(tenant("other-eu", "acme-shop", "LIVE")).await
            })
            .await
            .unwrap_err(),
        );
        assert_eq!(field, "/name");
    })
    .await;
}

#[tokio::test]
async fn deletes_are_refused_while_rows_point_at_the_entity() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        commit(store, async |c| {
            c.create(layer(
                "web-api",
                tier_scope("LIVE"),
                json!({"rate_limit": 5}),
            ))
            .await
        })
        .await
        .unwrap();
        let err = commit(store, async |c| c.delete::<Tier>("LIVE", 1).await)
            .await
            .unwrap_err();
        match &err {
            StoreError::InUse {
                kind,
                key,
                dependents,
                total,
            } => {
                assert_eq!((*kind, key.as_str(), *total), ("tier", "LIVE", 2));
                assert_eq!(
                    dependents,
                    &["tenant \"acme-eu\"", "config layer \"web-api/tier/LIVE\""]
                );
            }
            other => panic!("expected in-use, got {other}"),
        }
        assert_eq!(
            err.to_string(),
            "tier \"LIVE\" is still used by tenant \"acme-eu\", config layer \"web-api/tier/LIVE\""
        );
        let err = commit(store, async |c| {
            c.delete::<strata_domain::deployable::Deployable>("web-api", 1)
                .await
        })
        .await
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("still used by product \"acme-shop\", config layer"),
            "{err}"
        );
        let err = commit(store, async |c| c.delete::<Organization>("acme", 1).await)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::InUse { total: 1, .. }), "{err}");
        // Nothing was deleted.
        assert!(store.as_operator().get::<Tier>("LIVE").await.is_ok());
    })
    .await;
}

#[tokio::test]
async fn tenants_follow_their_life_cycle_and_are_deleted_only_when_disabled_and_unprotected() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        let mut eu = store.as_operator().get::<Tenant>("acme-eu").await.unwrap();
        // active → initializing is not a step of the life cycle.
        eu.item.state = TenantState::Initializing;
        let (field, rule) = field_of(
            commit(store, async |c| c.update(1, eu.item.clone()).await)
                .await
                .unwrap_err(),
        );
        assert_eq!(field, "/state");
        assert!(
            rule.contains("cannot go from active to initializing"),
            "{rule}"
        );

        eu.item.state = TenantState::Disabled;
        eu.item.termination_protection = true;
        commit(store, async |c| c.update(1, eu.item.clone()).await)
            .await
            .unwrap();
        let (field, _) = field_of(
            commit(store, async |c| c.delete::<Tenant>("acme-eu", 2).await)
                .await
                .unwrap_err(),
        );
        assert_eq!(field, "/termination_protection");

        eu.item.termination_protection = false;
        commit(store, async |c| c.update(2, eu.item.clone()).await)
            .await
            .unwrap();
        commit(store, async |c| c.delete::<Tenant>("acme-eu", 3).await)
            .await
            .unwrap();
        assert!(matches!(
            store.as_operator().get::<Tenant>("acme-eu").await,
            Err(StoreError::NotFound { .. })
        ));

        // An active tenant cannot be deleted.
        let (field, rule) = field_of(
            commit(store, async |c| c.delete::<Tenant>("acme-us", 1).await)
                .await
                .unwrap_err(),
        );
        assert_eq!(field, "/state");
        assert!(rule.contains("this one is active"), "{rule}");
    })
    .await;
}

#[tokio::test]
async fn aliases_are_unique_among_tenant_aliases_and_names() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        let mut eu = tenant("acme-eu", "acme-shop", "LIVE");
        eu.alias = Some(TenantAlias::parse("europe").unwrap());
        commit(store, async |c| c.update(1, eu.clone()).await)
            .await
            .unwrap();
        let mut us = tenant("acme-us", "acme-shop", "DEV");
        us.alias = Some(TenantAlias::parse("europe").unwrap());
        let (field, rule) = field_of(
            commit(store, async |c| c.update(1, us.clone()).await)
                .await
                .unwrap_err(),
        );
        assert_eq!(
            (field.as_str(), rule.as_str()),
            ("/alias", "\"europe\" already names tenant \"acme-eu\"")
        );
        us.alias = Some(TenantAlias::parse("acme-eu").unwrap());
        let (field, _) = field_of(
            commit(store, async |c| c.update(1, us.clone()).await)
                .await
                .unwrap_err(),
        );
        assert_eq!(field, "/alias");
    })
    .await;
}

/// A change set remembers what it read and wrote (`store/src/seen.rs`): names and aliases
/// written earlier in the same change set count, and an alias it let go is free again.
#[tokio::test]
async fn aliases_written_earlier_in_one_change_set_count() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        let with_alias = |name: &str, tier: &str, alias: &str| {
            let mut t = tenant(name, "acme-shop", tier);
            t.alias = Some(TenantAlias::parse(alias).unwrap());
            t
        };
        let (field, rule) = field_of(
            commit(store, async |c| {
                c.update(1, with_alias("acme-eu", "LIVE", "europe")).await?;
                c.update(1, with_alias("acme-us", "DEV", "europe")).await
            })
            .await
            .unwrap_err(),
        );
        assert_eq!(
            (field.as_str(), rule.as_str()),
            ("/alias", "\"europe\" already names tenant \"acme-eu\"")
        );
        let (field, rule) = field_of(
            commit(store, async |c| {
                c.update(1, with_alias("acme-eu", "LIVE", "acme-ch"))
                    .await?;
                c.create(tenant("acme-ch", "acme-shop", "LIVE")).await
            })
            .await
            .unwrap_err(),
        );
        assert_eq!(
            (field.as_str(), rule.as_str()),
            ("/name", "\"acme-ch\" is the alias of tenant \"acme-eu\"")
        );
        commit(store, async |c| {
            c.update(1, with_alias("acme-eu", "LIVE", "europe")).await?;
            c.update(2, with_alias("acme-eu", "LIVE", "emea")).await?;
            c.update(1, with_alias("acme-us", "DEV", "europe")).await
        })
        .await
        .unwrap();
        let us = store.as_operator().get::<Tenant>("acme-us").await.unwrap();
        assert_eq!(us.item.alias.unwrap().as_str(), "europe");
        assert_eq!(us.version, 2);
    })
    .await;
}

#[tokio::test]
async fn a_deployable_on_a_tier_needs_a_reason_when_inactive() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        let mut pair = TierDeployable {
            tier: strata_domain::names::TierName::parse("LIVE").unwrap(),
            deployable: strata_domain::names::DeployableName::parse("web-api").unwrap(),
            active: false,
            inactive_reason: None,
            release: Some("2.1.0".into()),
        };
        let (field, _) = field_of(
            commit(store, async |c| c.create(pair.clone()).await)
                .await
                .unwrap_err(),
        );
        assert_eq!(field, "/inactive_reason");
        pair.inactive_reason = Some("paused for the migration".into());
        commit(store, async |c| c.create(pair.clone()).await)
            .await
            .unwrap();
        assert_eq!(
            store
                .as_operator()
                .get::<TierDeployable>("LIVE/web-api")
                .await
                .unwrap()
                .item,
            pair
        );
    })
    .await;
}

#[tokio::test]
async fn a_rollback_to_a_version_whose_references_are_gone_is_refused() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        commit(store, async |c| {
            c.create(deployable("worker")).await?;
            c.update(1, product("acme-shop", "acme", &["web-api", "worker"]))
                .await
        })
        .await
        .unwrap();
        commit(store, async |c| {
            c.update(2, product("acme-shop", "acme", &["web-api"]))
                .await?;
            c.delete::<strata_domain::deployable::Deployable>("worker", 1)
                .await
        })
        .await
        .unwrap();
        let (field, rule) = field_of(
            commit(store, async |c| {
                c.rollback::<Product>("acme-shop", 2, Some(3)).await
            })
            .await
            .unwrap_err(),
        );
        assert_eq!(field, "/deployables/1");
        assert_eq!(rule, "deployable \"worker\" does not exist");
    })
    .await;
}

#[tokio::test]
async fn a_product_or_tenant_change_that_would_strand_config_layers_is_refused() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        commit(store, async |c| {
            c.create(deployable("worker")).await?;
            c.update(1, product("acme-shop", "acme", &["web-api", "worker"]))
                .await?;
            c.create(product("acme-blog", "acme", &["web-api"])).await?;
            c.create(layer(
                "worker",
                tenant_scope("acme-eu"),
                json!({"threads": 4}),
            ))
            .await
        })
        .await
        .unwrap();
        let (field, rule) = field_of(
            commit(store, async |c| {
                c.update(2, product("acme-shop", "acme", &["web-api"]))
                    .await
            })
            .await
            .unwrap_err(),
        );
        assert_eq!(field, "/deployables");
        assert!(rule.contains("\"worker/tenant/acme-eu\""), "{rule}");
        let (field, rule) = field_of(
            commit(store, async |c| {
                c.update(1, tenant("acme-eu", "acme-blog", "LIVE")).await
            })
            .await
            .unwrap_err(),
        );
        assert_eq!(field, "/product");
        assert!(rule.contains("worker/tenant/acme-eu"), "{rule}");
        // acme-us has no worker layer: it may move.
        commit(store, async |c| {
            c.update(1, tenant("acme-us", "acme-blog", "DEV")).await
        })
        .await
        .unwrap();
    })
    .await;
}
