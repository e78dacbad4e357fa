//! The demo domain, export and import, and restore over a domain with every kind of entity.
//! On SQLite and PostgreSQL.

use crate::common;

use common::*;
use serde_json::{Value, json};
use strata_domain::layer::ConfigLayer;
use strata_domain::tenant::{Tenant, TenantState};
use strata_store::StoreError;
use strata_store::access::Actor;
use strata_store::audit::AuditAction;
use strata_store::changes::Operation;
use strata_store::test_support::{TestDatabase, on_each_backend};

fn read_dir(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[tokio::test]
async fn the_demo_domain_is_believable_and_loads_only_into_an_empty_domain() {
    on_each_backend(async |_, _, store| {
        store.load_demo("demo").await.unwrap();
        let state = store.as_operator().current_state().await.unwrap();
        let count = |kind: &str| state[kind].len();
        assert_eq!(
            [
                count("tier"),
                count("organization"),
                count("product"),
                count("deployable"),
                count("tenant")
            ],
            [3, 2, 3, 6, 40]
        );
        assert!(count("config layer") >= 10);
        let err = store.load_demo("demo").await.unwrap_err();
        assert_eq!(field_of(err).0, "/");
    })
    .await;
}

#[tokio::test]
async fn an_export_imported_elsewhere_exports_to_the_same_bytes() {
    on_each_backend(async |backend, _, store| {
        store.load_demo("demo").await.unwrap();
        let first = tempfile::tempdir().unwrap();
        let summary = store.export(first.path()).await.unwrap();
        assert!(
            summary.contains(&("tenants.json".to_owned(), 40)),
            "{summary:?}"
        );

        let other = TestDatabase::new(backend).await;
        let elsewhere = other.store().await;
        let revision = elsewhere
            .import(&Actor::operator("dave"), "copy the demo", first.path())
            .await
            .unwrap();
        assert_eq!(revision, 1, "one change set");
        let second = tempfile::tempdir().unwrap();
        elsewhere.export(second.path()).await.unwrap();
        assert_eq!(read_dir(first.path()), read_dir(second.path()));
        let tiers =
            String::from_utf8(std::fs::read(first.path().join("tiers.json")).unwrap()).unwrap();
        assert!(
            tiers.starts_with("{\n  \"DEV\": {\n    \"display_name\": \"Development\","),
            "{tiers}"
        );

        // Importing the same export again changes nothing.
        assert_eq!(
            elsewhere
                .import(&Actor::operator("dave"), "again", first.path())
                .await
                .unwrap(),
            1
        );
        elsewhere.close().await;
        other.drop_database().await;
    })
    .await;
}

#[tokio::test]
async fn an_import_that_breaks_a_rule_applies_nothing_and_names_the_file_and_key() {
    on_each_backend(async |_, _, store| {
        store.load_demo("demo").await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        store.export(dir.path()).await.unwrap();
        let mut tenants: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("tenants.json")).unwrap())
                .unwrap();
        tenants["acme-berlin"]["product"] = json!("acme-gone");
        std::fs::write(dir.path().join("tenants.json"), tenants.to_string()).unwrap();
        let mut layers: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.path().join("config_layers.json")).unwrap())
                .unwrap();
        layers.as_object_mut().unwrap().remove("web-api/tier/LIVE");
        std::fs::write(dir.path().join("config_layers.json"), layers.to_string()).unwrap();

        let before = store.domain().await.unwrap().revision;
        let err = store
            .import(&Actor::operator("erin"), "bad import", dir.path())
            .await
            .unwrap_err();
        assert_eq!(
            field_of(err),
            (
                "/tenants.json/acme-berlin/product".to_owned(),
                "product \"acme-gone\" does not exist".to_owned()
            )
        );
        assert_eq!(store.domain().await.unwrap().revision, before);
        assert!(
            store
                .as_operator()
                .get::<ConfigLayer>("web-api/tier/LIVE")
                .await
                .is_ok()
        );

        std::fs::write(
            dir.path().join("tenants.json"),
            "{\"acme-x\": {\"name\": 1}}",
        )
        .unwrap();
        let (field, rule) = field_of(
            store
                .import(&Actor::operator("erin"), "bad import", dir.path())
                .await
                .unwrap_err(),
        );
        assert_eq!(field, "/tenants.json/acme-x");
        assert!(rule.starts_with("not a tenant:"), "{rule}");

        std::fs::write(dir.path().join("tennants.json"), "{}").unwrap();
        let (field, _) = field_of(
            store
                .import(&Actor::operator("erin"), "bad import", dir.path())
                .await
                .unwrap_err(),
        );
        assert_eq!(field, "/tennants.json");
    })
    .await;
}

#[tokio::test]
async fn restore_brings_back_every_kind_as_one_revision_of_restore_records() {
    on_each_backend(async |_, _, store| {
        store.load_demo("demo").await.unwrap();
        let demo = store.as_operator().current_state().await.unwrap();
        // Change a layer, add a tenant with its own layer, and delete a disabled tenant.
        commit(store, async |c| {
            c.update(1, layer("web-api", tier_scope("LIVE"), json!({"database": {"host": "db2.live.internal"}})))
                .await?;
            // Disabled: a restore deletes only tenants that may be deleted.
            let mut quito = tenant("acme-quito", "acme-shop", "DEV");
            quito.state = TenantState::Disabled;
            c.create(quito).await?;
            c.create(layer("web-api", tenant_scope("acme-quito"), json!({"log_level": "debug"})))
                .await
        })
        .await
        .unwrap();
        let disabled: Vec<Tenant> = store
            .as_operator()
            .list::<Tenant>()
            .await
            .unwrap()
            .into_iter()
            .map(|v| v.item)
            .filter(|t| t.state == TenantState::Disabled && !t.termination_protection)
            .filter(|t| t.name.as_str() != "acme-quito")
            .collect();
        for t in &disabled {
            commit(store, async |c| c.delete::<Tenant>(t.name.as_str(), 1).await)
                .await
                .unwrap();
        }
        let revision = store.restore(&Actor::operator("frank"), "undo the morning", 1).await.unwrap();
        assert_eq!(store.as_operator().current_state().await.unwrap(), demo);
        assert_eq!(store.as_operator().state_at(revision).await.unwrap(), demo);
        let records = store.as_operator().history("tenant", "acme-quito").await.unwrap();
        assert_eq!(records.last().unwrap().operation, Operation::Restore);
        assert_eq!(records.last().unwrap().after, None);
        assert_eq!(store.verify_chain().await.unwrap().first_broken_seq, None);

        // A restore that would delete a protected tenant is refused, and applies nothing.
        let mut protected = tenant("acme-quito", "acme-shop", "LIVE");
        protected.state = TenantState::Disabled;
        protected.termination_protection = true;
        commit(store, async |c| c.create(protected.clone()).await)
            .await
            .unwrap();
        let err = store.restore(&Actor::operator("frank"), "again", 1).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid { ref field, .. } if field == "/tenant/acme-quito/termination_protection"), "{err}");
        assert!(store.as_operator().get::<Tenant>("acme-quito").await.is_ok());
        let (field, _) = field_of(store.restore(&Actor::operator("frank"), "future", 999).await.unwrap_err());
        assert_eq!(field, "/revision");

        // Each restore, made or refused, is in the audit log with its outcome.
        let events = store.audit_events(None, 10).await.unwrap();
        let restores: Vec<_> = events
            .iter()
            .map(|e| (e.action, e.actor.as_str(), e.revision, e.succeeded, e.detail["to"].clone()))
            .collect();
        let now = store.domain().await.unwrap().revision;
        assert_eq!(
            restores,
            [
                (AuditAction::Restore, "frank", now, false, Value::Null),
                (AuditAction::Restore, "frank", now, false, Value::Null),
                (AuditAction::Restore, "frank", revision, true, json!(1)),
            ]
        );
        let refused = events[1].detail["error"].as_str().unwrap();
        assert!(refused.contains("termination_protection"), "{refused}");
        assert_eq!(store.audit_events(Some(revision), 10).await.unwrap().len(), 1);
    })
    .await;
}

/// An import large enough that the commit's check reads every config once instead of asking
/// for each tenant's (more than 5,000 tenants touched) still finds the one config it breaks,
/// and applies nothing; without it, the import applies every tenant and layer.
#[tokio::test]
async fn a_large_import_checks_every_config_it_touches() {
    on_each_backend(async |_, _, store| {
        let tenants = 5_100;
        let mut state = strata_store::test_support::large_domain_state(tenants);
        let layers = state.get_mut("config layer").unwrap();
        assert_eq!(layers.len(), tenants / 10);
        layers.get_mut("service-0/tenant/big-t05010").unwrap()["config"]["database"]["pool_size"] =
            json!(0);
        let actor = Actor::operator("erin");
        let err = store
            .import_state(&actor, "a large import", &state)
            .await
            .unwrap_err();
        let StoreError::Unresolvable(broken) = err else {
            panic!("expected broken configs, got {err}");
        };
        assert_eq!(broken.total, 1, "{broken}");
        let only = &broken.first[0];
        assert_eq!(
            (
                only.target.tenant.as_str(),
                only.target.deployable.as_str(),
                only.field.as_str()
            ),
            ("big-t05010", "service-0", "/database/pool_size")
        );
        assert_eq!(store.domain().await.unwrap().revision, 0);

        let layers = state.get_mut("config layer").unwrap();
        layers.get_mut("service-0/tenant/big-t05010").unwrap()["config"]["database"]["pool_size"] =
            json!(3);
        let revision = store
            .import_state(&actor, "a large import", &state)
            .await
            .unwrap();
        let last = store
            .as_operator()
            .get::<Tenant>("big-t05099")
            .await
            .unwrap();
        assert_eq!((last.version, last.revision), (1, 1));
        let layer = store
            .as_operator()
            .get::<ConfigLayer>("service-0/tenant/big-t05010")
            .await
            .unwrap();
        assert_eq!(layer.item.config["database"]["pool_size"], json!(3));
        let chain = store.verify_chain().await.unwrap();
        assert_eq!(chain.records, (tenants + tenants / 10 + 14) as i64);
        assert_eq!(chain.first_broken_seq, None);
        assert_eq!(revision, 1);
    })
    .await;
}
