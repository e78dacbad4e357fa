//! A small domain for store tests: tiers LIVE and DEV, organization acme (short name acme),
//! deployable web-api with a schema, product acme-shop made of it, tenants acme-eu on LIVE and
//! acme-us on DEV.

#![allow(dead_code)]

use std::collections::BTreeSet;

use serde_json::{Value, json};
use strata_domain::access::Role;
use strata_domain::deployable::Deployable;
use strata_domain::layer::{ConfigLayer, Layer};
use strata_domain::names::{DeployableName, OrganizationName, ProductName, TenantName, TierName};
use strata_domain::organization::Organization;
use strata_domain::product::Product;
use strata_domain::rules::EntityState;
use strata_domain::tenant::{Tenant, TenantState};
use strata_domain::tier::Tier;
use strata_store::access::{Actor, NewUser};
use strata_store::resolution::ResolvedConfig;
use strata_store::{Store, StoreError};

pub fn tier(name: &str) -> Tier {
    Tier {
        name: TierName::parse(name).unwrap(),
        display_name: name.to_lowercase(),
        is_live: name == "LIVE",
        state: EntityState::Active,
    }
}

pub fn organization(name: &str, short_name: &str) -> Organization {
    Organization {
        name: OrganizationName::parse(name).unwrap(),
        short_name: OrganizationName::parse(short_name).unwrap(),
        display_name: name.to_uppercase(),
        state: EntityState::Active,
    }
}

/// web-api: `database.host` (string, required), `database.port` (≤ 65535), `rate_limit` (≥ 0).
pub fn web_api() -> Deployable {
    Deployable {
        name: DeployableName::parse("web-api").unwrap(),
        display_name: "Web API".into(),
        config_schema: json!({
            "type": "object",
            "properties": {
                "database": {
                    "type": "object",
                    "properties": {"host": {"type": "string"}, "port": {"type": "integer", "maximum": 65535}},
                    "required": ["host"]
                },
                "rate_limit": {"type": "integer", "minimum": 0}
            },
            "required": ["database"]
        }),
        default_config: json!({"database": {"host": "localhost", "port": 5432}, "rate_limit": 100}),
    }
}

pub fn deployable(name: &str) -> Deployable {
    Deployable {
        name: DeployableName::parse(name).unwrap(),
        display_name: name.to_owned(),
        config_schema: json!({"type": "object"}),
        default_config: json!({}),
    }
}

pub fn product(name: &str, organization: &str, deployables: &[&str]) -> Product {
    Product {
        name: ProductName::parse(name).unwrap(),
        organization: OrganizationName::parse(organization).unwrap(),
        display_name: name.to_owned(),
        deployables: deployables
            .iter()
            .map(|d| DeployableName::parse(*d).unwrap())
            .collect::<BTreeSet<_>>(),
        state: EntityState::Active,
    }
}

pub fn tenant(name: &str, product: &str, tier: &str) -> Tenant {
    Tenant {
        name: TenantName::parse(name).unwrap(),
        product: ProductName::parse(product).unwrap(),
        tier: TierName::parse(tier).unwrap(),
        alias: None,
        termination_protection: false,
        state: TenantState::Active,
    }
}

pub fn layer(deployable: &str, scope: Layer, config: Value) -> ConfigLayer {
    ConfigLayer {
        deployable: DeployableName::parse(deployable).unwrap(),
        scope,
        config,
    }
}

pub fn tier_scope(name: &str) -> Layer {
    Layer::Tier(TierName::parse(name).unwrap())
}
pub fn product_scope(name: &str) -> Layer {
    Layer::Product(ProductName::parse(name).unwrap())
}
pub fn tenant_scope(name: &str) -> Layer {
    Layer::Tenant(TenantName::parse(name).unwrap())
}

/// Seeds the small domain in one change set.
pub async fn seed(store: &Store) {
    let mut change = store
        .begin(&Actor::operator("alice"), "seed the test domain")
        .await
        .unwrap();
    change.create(tier("LIVE")).await.unwrap();
    change.create(tier("DEV")).await.unwrap();
    change.create(organization("acme", "acme")).await.unwrap();
    change.create(web_api()).await.unwrap();
    change
        .create(product("acme-shop", "acme", &["web-api"]))
        .await
        .unwrap();
    change
        .create(tenant("acme-eu", "acme-shop", "LIVE"))
        .await
        .unwrap();
    change
        .create(tenant("acme-us", "acme-shop", "DEV"))
        .await
        .unwrap();
    change.commit().await.unwrap();
}

/// Commits one write made by `write` in its own change set.
pub async fn commit<T>(
    store: &Store,
    write: impl AsyncFnOnce(&mut strata_store::changes::ChangeSet) -> Result<T, StoreError>,
) -> Result<i64, StoreError> {
    let mut change = store
        .begin(&Actor::operator("bob"), "a test change")
        .await?;
    write(&mut change).await?;
    change.commit().await
}

pub fn field_of(err: StoreError) -> (String, String) {
    match err {
        StoreError::Invalid { field, rule } => (field, rule),
        other => panic!("expected a field error, got {other}"),
    }
}

pub fn new_user<'a>(name: &'a str, password: &'a str) -> NewUser<'a> {
    NewUser {
        name,
        display_name: "Someone",
        password,
        domain_admin: false,
    }
}

pub const PASSWORD: &str = "correct horse battery";

/// A person as the console's session gives them, with `role` in acme (and nothing else).
pub async fn person(store: &strata_store::Store, name: &str, role: Option<Role>) -> Actor {
    store
        .add_user(&Actor::operator("root"), new_user(name, PASSWORD))
        .await
        .unwrap();
    if let Some(role) = role {
        store
            .set_role(&Actor::operator("root"), name, "acme", Some(role))
            .await
            .unwrap();
    }
    Actor::Person(store.signed_in_person(name).await.unwrap().unwrap())
}

/// Every tenant, as the operator reads them, in key order.
pub async fn all_tenants(store: &Store) -> Vec<Tenant> {
    let all = store.as_operator().list::<Tenant>().await.unwrap();
    all.into_iter().map(|v| v.item).collect()
}

/// Every resolved config of every tenant that is not deleted, with its tenant, as the
/// operator reads them one by one.
pub async fn every_resolved(store: &Store) -> Vec<(Tenant, ResolvedConfig)> {
    let reader = store.as_operator();
    let mut configs = Vec::new();
    for tenant in reader.list::<Tenant>().await.unwrap() {
        let tenant = tenant.item;
        if tenant.state == TenantState::Deleted {
            continue;
        }
        let product = reader
            .get::<Product>(tenant.product.as_str())
            .await
            .unwrap()
            .item;
        for deployable in &product.deployables {
            let resolved = reader
                .resolve(&tenant.tier, &tenant.name, deployable)
                .await
                .unwrap();
            configs.push((tenant.clone(), resolved));
        }
    }
    configs
}
