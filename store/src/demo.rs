//! Demo data: a believable domain, so a first run shows a living console. Three tiers, two
//! organizations, six deployables with real-looking schemas, three products, forty tenants and
//! layered configs, written through the write path like any other change, and one approval
//! policy: changes to LIVE are reviewed. With a secret key,
//! web-api's database passwords on LIVE and for acme-berlin are set (sealed).

use std::collections::BTreeSet;

use serde_json::{Value, json};
use strata_domain::access::Role;
use strata_domain::approval_policy::ApprovalPolicy;
use strata_domain::deployable::Deployable;
use strata_domain::layer::{ConfigLayer, Layer};
use strata_domain::names::{
    DeployableName, OrganizationName, PolicyName, ProductName, TenantAlias, TenantName, TierName,
};
use strata_domain::organization::Organization;
use strata_domain::product::Product;
use strata_domain::rules::EntityState;
use strata_domain::tenant::{Tenant, TenantState};
use strata_domain::tier::Tier;
use strata_domain::tier_deployable::TierDeployable;

use crate::access::Actor;
use crate::changes::ChangeSet;
use crate::{Store, StoreError};

const CITIES: [&str; 20] = [
    "amsterdam",
    "berlin",
    "cairo",
    "dublin",
    "lisbon",
    "madrid",
    "oslo",
    "paris",
    "prague",
    "rome",
    "sofia",
    "tokyo",
    "vienna",
    "zurich",
    "athens",
    "bergen",
    "denver",
    "lima",
    "nairobi",
    "seoul",
];

fn name<T>(parse: fn(String) -> Result<T, strata_domain::names::NameError>, s: &str) -> T {
    parse(s.to_owned()).expect("demo names follow the rules")
}

fn deployable(n: &str, display: &str, schema: Value, default: Value) -> Deployable {
    Deployable {
        name: name(DeployableName::parse, n),
        display_name: display.to_owned(),
        config_schema: schema,
        default_config: default,
    }
}

fn object(properties: Value, required: &[&str]) -> Value {
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false
    })
}

fn deployables() -> Vec<Deployable> {
    let database = json!({
        "type": "object",
        "properties": {
            "host": {"type": "string", "minLength": 1},
            "port": {"type": "integer", "minimum": 1, "maximum": 65535},
            "pool_size": {"type": "integer", "minimum": 1, "maximum": 200},
            "tls": {"type": "boolean"},
            "password": {"type": "string", "minLength": 12, "writeOnly": true,
                         "description": "Secret: sealed at rest, masked in the console."}
        },
        "required": ["host", "port"],
        "additionalProperties": false
    });
    vec![
        deployable(
            "web-api",
            "Web API",
            object(
                json!({
                    "database": database,
                    "rate_limit": {"type": "object", "properties": {
                        "requests_per_second": {"type": "integer", "minimum": 1},
                        "burst": {"type": "integer", "minimum": 0}
                    }, "required": ["requests_per_second"]},
                    "log_level": {"enum": ["error", "warn", "info", "debug", "trace"]},
                    "cors_origins": {"type": "array", "items": {"type": "string", "format": "uri"}}
                }),
                &["database", "rate_limit", "log_level"],
            ),
            json!({
                "database": {"host": "localhost", "port": 5432, "pool_size": 10, "tls": false},
                "rate_limit": {"requests_per_second": 100, "burst": 50},
                "log_level": "info",
                "cors_origins": []
            }),
        ),
        deployable(
            "worker",
            "Background worker",
            object(
                json!({
                    "database": database,
                    "queue": {"type": "object", "properties": {
                        "url": {"type": "string"},
                        "concurrency": {"type": "integer", "minimum": 1, "maximum": 64},
                        "max_retries": {"type": "integer", "minimum": 0, "maximum": 20}
                    }, "required": ["url", "concurrency"]}
                }),
                &["database", "queue"],
            ),
            json!({
                "database": {"host": "localhost", "port": 5432, "pool_size": 4},
                "queue": {"url": "redis://localhost:6379/1", "concurrency": 4, "max_retries": 5}
            }),
        ),
        deployable(
            "cache-proxy",
            "Cache proxy",
            object(
                json!({
                    "redis_url": {"type": "string", "pattern": "^rediss?://"},
                    "ttl_seconds": {"type": "integer", "minimum": 0, "maximum": 86400},
                    "max_memory_mb": {"type": "integer", "minimum": 16}
                }),
                &["redis_url", "ttl_seconds"],
            ),
            json!({"redis_url": "redis://localhost:6379/0", "ttl_seconds": 60, "max_memory_mb": 256}),
        ),
        deployable(
            "feature-flags",
            "Feature flags",
            object(
                json!({
                    "flags": {"type": "object", "additionalProperties": {"type": "boolean"}},
                    "rollout_percent": {"type": "integer", "minimum": 0, "maximum": 100}
                }),
                &["flags"],
            ),
            json!({"flags": {"new_checkout": false, "dark_mode": true, "beta_search": false}, "rollout_percent": 0}),
        ),
        deployable(
            "billing",
            "Billing",
            object(
                json!({
                    "provider": {"enum": ["stripe", "adyen", "sandbox"]},
                    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                    "invoice_day": {"type": "integer", "minimum": 1, "maximum": 28}
                }),
                &["provider", "currency"],
            ),
            json!({"provider": "sandbox", "currency": "USD", "invoice_day": 1}),
        ),
        deployable(
            "search",
            "Search",
            object(
                json!({
                    "index": {"type": "string"},
                    "replicas": {"type": "integer", "minimum": 0, "maximum": 5},
                    "shards": {"type": "integer", "minimum": 1, "maximum": 32}
                }),
                &["index", "replicas"],
            ),
            json!({"index": "products", "replicas": 0, "shards": 1}),
        ),
    ]
}

fn product(n: &str, org: &str, display: &str, made_of: &[&str]) -> Product {
    Product {
        name: name(ProductName::parse, n),
        organization: name(OrganizationName::parse, org),
        display_name: display.to_owned(),
        deployables: made_of
            .iter()
            .map(|d| name(DeployableName::parse, d))
            .collect::<BTreeSet<_>>(),
        state: EntityState::Active,
    }
}

fn layer(d: &str, scope: Layer, config: Value) -> ConfigLayer {
    ConfigLayer {
        deployable: name(DeployableName::parse, d),
        scope,
        config,
    }
}

fn tier(n: &str) -> Layer {
    Layer::Tier(name(TierName::parse, n))
}

/// The demo's forty tenants: (name, product, tier).
fn tenants() -> Vec<(String, &'static str, &'static str)> {
    let mut all = Vec::new();
    for (i, city) in CITIES.iter().enumerate() {
        let tier = ["LIVE", "LIVE", "STAGING", "LIVE", "DEV"][i % 5];
        all.push((format!("acme-{city}"), "acme-shop", tier));
        if i % 2 == 0 {
            all.push((format!("acme-{city}-bi"), "acme-analytics", tier));
        }
    }
    for (i, city) in CITIES.iter().enumerate().take(40 - all.len()) {
        let tier = ["LIVE", "STAGING", "LIVE", "DEV"][i % 4];
        all.push((format!("glx-{city}"), "glx-billing", tier));
    }
    all
}

async fn write(change: &mut ChangeSet) -> Result<(), StoreError> {
    for (n, display, live) in [
        ("DEV", "Development", false),
        ("STAGING", "Staging", false),
        ("LIVE", "Live", true),
    ] {
        change
            .create(Tier {
                name: name(TierName::parse, n),
                display_name: display.to_owned(),
                is_live: live,
                state: EntityState::Active,
            })
            .await?;
    }
    for (n, short, display) in [
        ("acme", "acme", "Acme Corporation"),
        ("globex", "glx", "Globex"),
    ] {
        change
            .create(Organization {
                name: name(OrganizationName::parse, n),
                short_name: name(OrganizationName::parse, short),
                display_name: display.to_owned(),
                state: EntityState::Active,
            })
            .await?;
    }
    for d in deployables() {
        change.create(d.clone()).await?;
        for (t, release) in [
            ("DEV", "2.4.0-rc.2"),
            ("STAGING", "2.4.0-rc.1"),
            ("LIVE", "2.3.7"),
        ] {
            let inactive = d.name.as_str() == "search" && t == "DEV";
            change
                .create(TierDeployable {
                    tier: name(TierName::parse, t),
                    deployable: d.name.clone(),
                    active: !inactive,
                    inactive_reason: inactive
                        .then(|| "the search index is too large for DEV".to_owned()),
                    release: Some(release.to_owned()),
                })
                .await?;
        }
    }
    change
        .create(product(
            "acme-shop",
            "acme",
            "Acme Shop",
            &["web-api", "worker", "cache-proxy", "feature-flags"],
        ))
        .await?;
    change
        .create(product(
            "acme-analytics",
            "acme",
            "Acme Analytics",
            &["worker", "search", "feature-flags"],
        ))
        .await?;
    change
        .create(product(
            "glx-billing",
            "globex",
            "Globex Billing",
            &["web-api", "billing", "feature-flags", "cache-proxy"],
        ))
        .await?;
    for (i, (n, product, tier)) in tenants().into_iter().enumerate() {
        let live = tier == "LIVE";
        change
            .create(Tenant {
                alias: (i % 7 == 0).then(|| {
                    name(
                        TenantAlias::parse,
                        &format!("{}-main", &n[..n.len().min(25)]),
                    )
                }),
                name: name(TenantName::parse, &n),
                product: name(ProductName::parse, product),
                tier: name(TierName::parse, tier),
                termination_protection: live,
                state: match i {
                    5 => TenantState::Disabled,
                    11 => TenantState::Initializing,
                    _ => TenantState::Active,
                },
            })
            .await?;
    }
    let layers = [
        layer(
            "web-api",
            tier("LIVE"),
            json!({"database": {"host": "db.live.internal", "pool_size": 50, "tls": true}, "log_level": "warn"}),
        ),
        layer(
            "web-api",
            tier("STAGING"),
            json!({"database": {"host": "db.staging.internal", "tls": true}}),
        ),
        layer(
            "worker",
            tier("LIVE"),
            json!({"database": {"host": "db.live.internal", "tls": true}, "queue": {"url": "redis://queue.live.internal:6379/1", "concurrency": 16}}),
        ),
        layer(
            "cache-proxy",
            tier("LIVE"),
            json!({"redis_url": "rediss://cache.live.internal:6380/0", "ttl_seconds": 300, "max_memory_mb": 2048}),
        ),
        layer(
            "feature-flags",
            tier("DEV"),
            json!({"flags": {"new_checkout": true, "beta_search": true}, "rollout_percent": 100}),
        ),
        layer("search", tier("LIVE"), json!({"replicas": 2, "shards": 8})),
        layer(
            "feature-flags",
            Layer::Product(name(ProductName::parse, "acme-shop")),
            json!({"flags": {"new_checkout": true}, "rollout_percent": 25}),
        ),
        layer(
            "billing",
            Layer::Product(name(ProductName::parse, "glx-billing")),
            json!({"provider": "stripe", "currency": "EUR"}),
        ),
        layer(
            "web-api",
            Layer::Tenant(name(TenantName::parse, "acme-berlin")),
            json!({"rate_limit": {"requests_per_second": 2000, "burst": 500}}),
        ),
        layer(
            "web-api",
            Layer::Tenant(name(TenantName::parse, "acme-paris")),
            json!({"cors_origins": ["https://shop.acme.fr"]}),
        ),
        layer(
            "billing",
            Layer::Tenant(name(TenantName::parse, "glx-cairo")),
            json!({"currency": "EGP", "invoice_day": 15}),
        ),
        layer(
            "feature-flags",
            Layer::Tenant(name(TenantName::parse, "acme-oslo")),
            json!({"flags": {"dark_mode": false}}),
        ),
    ];
    // Secret values, where the store has a key to seal them with.
    let secrets = change.sealer().has_key();
    for mut l in layers {
        let password = match l.key().as_str() {
            "web-api/tier/LIVE" => Some("live-database-password"),
            "web-api/tenant/acme-berlin" => Some("acme-berlin-db-password"),
            _ => None,
        };
        if let Some(password) = password.filter(|_| secrets) {
            l.config["database"]["password"] = json!(password);
        }
        change.create(l).await?;
    }
    Ok(())
}

/// The demo's one approval policy: a change to LIVE's configs needs a publisher of the
/// organization that owns what it writes (or a domain admin) to approve it, and a schema change
/// a domain admin.
pub(crate) fn live_review() -> ApprovalPolicy {
    ApprovalPolicy {
        name: name(PolicyName::parse, "live-review"),
        display_name: "Changes to LIVE are reviewed".to_owned(),
        tier: name(TierName::parse, "LIVE"),
        product: None,
        deployable: None,
        approvals: 1,
        approver_role: Role::Publisher,
        schema_needs_domain_admin: true,
        state: EntityState::Active,
    }
}

impl Store {
    /// Loads the demo domain into an empty store as one change set by `actor`. Refused when
    /// the domain already holds entities, so a real domain is never mixed with demo data.
    pub async fn load_demo(&self, actor: &str) -> Result<i64, StoreError> {
        let state = self.current_state().await?;
        if let Some((kind, rows)) = state.iter().find(|(_, rows)| !rows.is_empty()) {
            return Err(StoreError::invalid(
                "/",
                format!(
                    "the demo loads into an empty domain; this one already holds {} {kind}(s)",
                    rows.len()
                ),
            ));
        }
        let mut change = self
            .begin(&Actor::operator(actor), "load the demo domain")
            .await?;
        let writes = write(&mut change).await;
        change.commit_if(writes).await
    }

    /// Puts the demo domain's LIVE under review ([`live_review`]), as a change set of its own
    /// after [`Store::load_demo`]: in the same one, the policy would cover the LIVE tenants the
    /// domain creates, and refuse them.
    pub async fn load_demo_policies(&self, actor: &str) -> Result<i64, StoreError> {
        let mut change = self
            .begin(&Actor::operator(actor), "review changes to LIVE")
            .await?;
        let policy = change.create(live_review()).await.map(drop);
        change.commit_if(policy).await
    }
}
