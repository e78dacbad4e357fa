//! Secret values: sealed at rest in layers, default configs, history and exports; opened only
//! to check resolved configs (whose rules never quote them) and to reveal one to someone
//! allowed, audited; refused without a key or when moved. On SQLite and PostgreSQL.

use crate::common;

use common::*;
use serde_json::json;
use strata_domain::access::Role;
use strata_domain::deployable::Deployable;
use strata_domain::layer::{ConfigLayer, Layer};
use strata_domain::names::{DeployableName, TenantName, TierName};
use strata_domain::secret::is_sealed;
use strata_store::access::Actor;
use strata_store::audit::AuditAction;
use strata_store::resolution::ResolvedConfig;
use strata_store::sealing::SecretKey;
use strata_store::test_support::on_each_backend;
use strata_store::{Store, StoreError};

const SECRET: &str = "correct-horse-live";

fn key() -> Option<SecretKey> {
    Some(SecretKey::parse(&"7".repeat(64)).unwrap())
}

/// web-api with `database.password` secret (at least 8 characters).
fn with_password(mut deployable: Deployable) -> Deployable {
    deployable.config_schema["properties"]["database"]["properties"]["password"] =
        json!({"type": "string", "writeOnly": true, "minLength": 8});
    deployable
}

async fn seeded(store: &Store) -> Store {
    let store = store.clone().with_secret_key(key());
    seed(&store).await;
    let current = store
        .as_operator()
        .get::<Deployable>("web-api")
        .await
        .unwrap();
    commit(&store, async |c| {
        c.update(current.version, with_password(current.item))
            .await?;
        c.create(layer(
            "web-api",
            tier_scope("LIVE"),
            json!({"database": {"host": "db.live", "password": SECRET}}),
        ))
        .await
    })
    .await
    .unwrap();
    store
}

async fn live_layer(store: &Store) -> strata_domain::rules::Versioned<ConfigLayer> {
    store
        .as_operator()
        .get::<ConfigLayer>("web-api/tier/LIVE")
        .await
        .unwrap()
}

/// Creates web-api's layer for tenant acme-eu (on LIVE) in a change set of its own.
async fn acme_eu_layer(store: &Store, config: serde_json::Value) -> Result<i64, StoreError> {
    commit(store, async |c| {
        c.create(layer("web-api", tenant_scope("acme-eu"), config))
            .await
    })
    .await
}

/// The config tenant acme-eu runs web-api with on LIVE.
async fn acme_eu_config(store: &Store) -> ResolvedConfig {
    let tier = TierName::parse("LIVE").unwrap();
    let tenant = TenantName::parse("acme-eu").unwrap();
    store
        .as_operator()
        .resolve(&tier, &tenant, &web_api_name())
        .await
        .unwrap()
}

fn web_api_name() -> DeployableName {
    DeployableName::parse("web-api").unwrap()
}

#[tokio::test]
async fn secrets_are_sealed_in_layers_history_exports_and_resolved_configs() {
    on_each_backend(async |_, _, store| {
        let store = seeded(store).await;
        let stored = live_layer(&store).await;
        let sealed = stored.item.config["database"]["password"].clone();
        assert!(is_sealed(&sealed), "{sealed}");
        assert_eq!(stored.item.config["database"]["host"], "db.live");

        let history = store
            .as_operator()
            .history("config layer", "web-api/tier/LIVE")
            .await
            .unwrap();
        let text = history
            .iter()
            .map(|r| format!("{:?} {:?}", r.before, r.after))
            .collect::<String>();
        assert!(!text.contains(SECRET), "history holds the plain secret");
        assert!(text.contains(sealed.as_str().unwrap()));

        let dir = tempfile::tempdir().unwrap();
        store.export(dir.path()).await.unwrap();
        for file in std::fs::read_dir(dir.path()).unwrap() {
            let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
            assert!(!text.contains(SECRET), "an export file holds the secret");
        }

        let resolved = acme_eu_config(&store).await;
        assert_eq!(resolved.resolved.config["database"]["password"], sealed);
        assert!(resolved.violations.is_empty(), "{:?}", resolved.violations);

        // Saving the layer as read (sealed) or with the same plain value changes nothing.
        for config in [
            stored.item.config.clone(),
            json!({"database": {"host": "db.live", "password": SECRET}}),
        ] {
            let same = layer("web-api", tier_scope("LIVE"), config);
            commit(&store, async |c| c.update(stored.version, same).await)
                .await
                .unwrap();
            assert_eq!(live_layer(&store).await.version, stored.version);
        }
    })
    .await;
}

#[tokio::test]
async fn a_secret_is_checked_opened_and_no_rule_quotes_it() {
    on_each_backend(async |_, _, store| {
        let store = seeded(store).await;
        let err = acme_eu_layer(&store, json!({"database": {"password": "tiny"}}))
            .await
            .unwrap_err();
        let StoreError::Unresolvable(violations) = err else {
            panic!("expected broken configs, got {err}");
        };
        let first = &violations.first[0];
        assert_eq!(first.field, "/database/password");
        assert_eq!(first.rule, "the secret value is shorter than 8 characters");
        assert!(!violations.to_string().contains("tiny"));

        // A sealed value copied to another place is refused there: another layer, and
        // another key in its own layer.
        let sealed = live_layer(&store).await.item.config["database"]["password"].clone();
        let (field, rule) = field_of(
            acme_eu_layer(&store, json!({"database": {"host": sealed}}))
                .await
                .unwrap_err(),
        );
        assert_eq!(field, "/database/host");
        assert!(rule.contains("sealed for the tier LIVE layer"), "{rule}");
        let stored = live_layer(&store).await;
        let moved = layer(
            "web-api",
            tier_scope("LIVE"),
            json!({"database": {"host": sealed.clone(), "password": sealed}}),
        );
        let (field, rule) = field_of(
            commit(&store, async |c| c.update(stored.version, moved).await)
                .await
                .unwrap_err(),
        );
        assert_eq!(field, "/database/host");
        assert!(rule.contains("does not open here"), "{rule}");
        // Nor under another key.
        let other = store
            .clone()
            .with_secret_key(Some(SecretKey::parse(&"8".repeat(64)).unwrap()));
        let (field, _) = field_of(
            acme_eu_layer(&other, json!({"database": {"password": sealed}}))
                .await
                .unwrap_err(),
        );
        assert_eq!(field, "/database/password");
    })
    .await;
}

#[tokio::test]
async fn without_a_key_a_secret_cannot_be_written_and_sealed_ones_show_as_unopened() {
    on_each_backend(async |_, _, store| {
        let sealed_store = seeded(store).await;
        let keyless = sealed_store.clone().with_secret_key(None);
        let (field, rule) = field_of(
            acme_eu_layer(&keyless, json!({"database": {"password": "long enough"}}))
                .await
                .unwrap_err(),
        );
        assert_eq!(field, "/database/password");
        assert!(rule.contains("STRATA_SECRET_KEY"), "{rule}");
        let resolved = acme_eu_config(&keyless).await;
        assert_eq!(resolved.violations.first[0].field, "/database/password");
        // Writes that leave the secret alone still need to check it: refused, not corrupted.
        assert!(matches!(
            acme_eu_layer(&keyless, json!({"rate_limit": 5})).await,
            Err(StoreError::Unresolvable(_))
        ));
    })
    .await;
}

#[tokio::test]
async fn marking_a_value_secret_seals_it_in_every_stored_layer_and_unmarking_opens_it() {
    on_each_backend(async |_, _, store| {
        let store = seeded(store).await;
        let mut marked = store
            .as_operator()
            .get::<Deployable>("web-api")
            .await
            .unwrap();
        marked.item.config_schema["properties"]["database"]["properties"]["host"]["x-secret"] =
            json!(true);
        commit(&store, async |c| {
            c.update(marked.version, marked.item.clone()).await
        })
        .await
        .unwrap();
        let stored = live_layer(&store).await;
        assert!(is_sealed(&stored.item.config["database"]["host"]));
        assert_eq!(stored.version, 2, "the rewrite is a version in history");
        let deployable = store
            .as_operator()
            .get::<Deployable>("web-api")
            .await
            .unwrap();
        assert!(is_sealed(
            &deployable.item.default_config["database"]["host"]
        ));
        // The resolved config still checks: the host opens where it stands.
        let resolved = acme_eu_config(&store).await;
        assert!(resolved.violations.is_empty(), "{:?}", resolved.violations);

        let mut unmarked = deployable.clone();
        unmarked.item.config_schema["properties"]["database"]["properties"]["host"] =
            json!({"type": "string"});
        commit(&store, async |c| {
            c.update(unmarked.version, unmarked.item.clone()).await
        })
        .await
        .unwrap();
        assert_eq!(
            live_layer(&store).await.item.config["database"]["host"],
            "db.live"
        );
        assert_eq!(
            store
                .as_operator()
                .get::<Deployable>("web-api")
                .await
                .unwrap()
                .item
                .default_config["database"]["host"],
            "localhost"
        );
    })
    .await;
}

#[tokio::test]
async fn a_secret_is_revealed_only_to_publishers_of_its_owner_and_audited() {
    on_each_backend(async |_, _, store| {
        let store = seeded(store).await;
        commit(&store, async |c| {
            c.create(layer(
                "web-api",
                product_scope("acme-shop"),
                json!({"database": {"password": "acme-shop-secret"}}),
            ))
            .await
        })
        .await
        .unwrap();
        let shop = product_scope("acme-shop");
        let publisher = person(&store, "pia", Some(Role::Publisher)).await;
        let editor = person(&store, "eddie", Some(Role::Editor)).await;
        let stranger = person(&store, "sam", None).await;

        let value = store
            .reveal_secret(&publisher, &web_api_name(), &shop, "/database/password")
            .await
            .unwrap();
        assert_eq!(value, json!("acme-shop-secret"));
        assert!(matches!(
            store
                .reveal_secret(&editor, &web_api_name(), &shop, "/database/password")
                .await,
            Err(StoreError::Forbidden(_))
        ));
        assert!(matches!(
            store
                .reveal_secret(&stranger, &web_api_name(), &shop, "/database/password")
                .await,
            Err(StoreError::NotFound { .. })
        ));
        // The tier layer is the domain's: a publisher of acme may not reveal it.
        assert!(matches!(
            store
                .reveal_secret(&publisher, &web_api_name(), &tier_scope("LIVE"), "/database/password")
                .await,
            Err(StoreError::Forbidden(_))
        ));
        assert_eq!(
            store
                .reveal_secret(
                    &Actor::operator("root"),
                    &web_api_name(),
                    &tier_scope("LIVE"),
                    "/database/password"
                )
                .await
                .unwrap(),
            json!(SECRET)
        );
        // A value that is not secret is not revealed (nor anything else through this door).
        let (field, _) = field_of(
            store
                .reveal_secret(
                    &Actor::operator("root"),
                    &web_api_name(),
                    &Layer::Default,
                    "/database/host",
                )
                .await
                .unwrap_err(),
        );
        assert_eq!(field, "/pointer");

        let events = store
            .audit_events(None, 10)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.action == AuditAction::SecretRevealed)
            .collect::<Vec<_>>();
        assert_eq!(events.len(), 2, "{events:?}");
        assert_eq!(events[1].actor, "pia");
        assert_eq!(
            events[1].detail,
            json!({"deployable": "web-api", "layer": "product acme-shop", "pointer": "/database/password"})
        );
        let text = serde_json::to_string(&events).unwrap();
        assert!(!text.contains("acme-shop-secret") && !text.contains(SECRET));
    })
    .await;
}

#[tokio::test]
async fn a_sealed_value_copied_into_another_layer_is_refused_and_never_revealed_there() {
    on_each_backend(async |_, _, store| {
        let store = seeded(store).await;
        // acme's publisher may reveal what acme's layers hold, and reads the shared tier layer
        // (sealed) — but the tier's password is the domain's, not theirs to see.
        let publisher = person(&store, "pia", Some(Role::Publisher)).await;
        let sealed = live_layer(&store).await.item.config["database"]["password"].clone();
        assert!(is_sealed(&sealed));
        let copied = json!({"database": {"password": sealed}});
        for scope in [product_scope("acme-shop"), tenant_scope("acme-eu")] {
            let mut change = store
                .begin(&publisher, "copy the tier's secret")
                .await
                .unwrap();
            let (field, rule) = field_of(
                change
                    .create(layer("web-api", scope.clone(), copied.clone()))
                    .await
                    .unwrap_err(),
            );
            assert_eq!(field, "/database/password", "{rule}");
            assert!(rule.contains("sealed for the tier LIVE layer"), "{rule}");
            assert!(!rule.contains(SECRET));
            change.abandon().await.unwrap();
            assert!(matches!(
                store
                    .reveal_secret(&publisher, &web_api_name(), &scope, "/database/password")
                    .await,
                Err(StoreError::NotFound { .. })
            ));
        }
        // The same value typed in plain is the publisher's own secret now, sealed for their layer.
        let mut change = store
            .begin(&publisher, "a password of our own")
            .await
            .unwrap();
        change
            .create(layer(
                "web-api",
                product_scope("acme-shop"),
                json!({"database": {"password": "our-own-password"}}),
            ))
            .await
            .unwrap();
        change.commit().await.unwrap();
        let ours = store
            .as_operator()
            .get::<ConfigLayer>("web-api/product/acme-shop")
            .await
            .unwrap();
        let text = ours.item.config["database"]["password"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(text.starts_with("sealed:v2:product/acme-shop:"), "{text}");
        assert_eq!(
            store
                .reveal_secret(
                    &publisher,
                    &web_api_name(),
                    &product_scope("acme-shop"),
                    "/database/password"
                )
                .await
                .unwrap(),
            json!("our-own-password")
        );
    })
    .await;
}

#[tokio::test]
async fn values_sealed_before_layers_were_bound_come_back_from_an_old_export_and_move_for_no_one_else()
 {
    on_each_backend(async |_, _, store| {
        let store = seeded(store).await;
        let old = key().unwrap().seal_unbound(
            "web-api",
            "/database/password",
            &json!("old-export-password"),
        );
        let config = json!({"database": {"password": old}});
        // An organization's publisher cannot write it where it did not stand: it would open in
        // any layer, whichever it was taken from.
        let publisher = person(&store, "pia", Some(Role::Publisher)).await;
        let mut change = store.begin(&publisher, "an old value").await.unwrap();
        let (field, rule) = field_of(
            change
                .create(layer("web-api", tenant_scope("acme-eu"), config.clone()))
                .await
                .unwrap_err(),
        );
        assert_eq!(field, "/database/password", "{rule}");
        assert!(rule.contains("before sealed values were bound"), "{rule}");
        change.abandon().await.unwrap();

        // The operator imports an export made back then: accepted as it is, and it opens.
        let mut state = store.as_operator().current_state().await.unwrap();
        let image =
            serde_json::to_value(layer("web-api", tenant_scope("acme-eu"), config)).unwrap();
        state
            .get_mut("config layer")
            .unwrap()
            .insert("web-api/tenant/acme-eu".into(), image);
        store
            .import_state(&Actor::operator("root"), "an export of last year", &state)
            .await
            .unwrap();
        assert_eq!(
            store
                .reveal_secret(
                    &publisher,
                    &web_api_name(),
                    &tenant_scope("acme-eu"),
                    "/database/password"
                )
                .await
                .unwrap(),
            json!("old-export-password")
        );
    })
    .await;
}
