//! Deployables: a schema that compiles and a default config that follows it, or a field error;
//! stored and read back unchanged, on SQLite and PostgreSQL.

use serde_json::{Value, json};
use strata_domain::deployable::Deployable;
use strata_domain::names::DeployableName;
use strata_store::StoreError;
use strata_store::access::Actor;
use strata_store::test_support::on_each_backend;

fn web_api(default_config: Value) -> Deployable {
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
            }
        }),
        default_config,
    }
}

fn field_of(err: StoreError) -> (String, String) {
    match err {
        StoreError::Invalid { field, rule } => (field, rule),
        other => panic!("expected a field error, got {other}"),
    }
}

#[tokio::test]
async fn a_deployable_is_stored_with_its_schema_and_default_config() {
    on_each_backend(async |backend, _, store| {
        let deployable =
            web_api(json!({"database": {"host": "db.internal", "port": 5432}, "rate_limit": 100}));
        let mut change = store
            .begin(&Actor::operator("alice"), "register web-api")
            .await
            .unwrap();
        change.create(deployable.clone()).await.unwrap();
        change.commit().await.unwrap();
        assert_eq!(
            store
                .as_operator()
                .get::<Deployable>("web-api")
                .await
                .unwrap()
                .item,
            deployable,
            "{backend:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_default_config_that_breaks_the_schema_is_refused_at_its_pointer() {
    on_each_backend(async |_, _, store| {
        let mut change = store
            .begin(&Actor::operator("alice"), "register web-api")
            .await
            .unwrap();

        let (field, rule) = field_of(
            change
                .create(web_api(json!({"database": {"host": "db", "port": 99999}})))
                .await
                .unwrap_err(),
        );
        assert_eq!(field, "/default_config/database/port");
        assert!(rule.contains("65535"), "{rule}");

        let (field, rule) = field_of(
            change
                .create(web_api(
                    json!({"database": {"port": "x"}, "rate_limit": -1}),
                ))
                .await
                .unwrap_err(),
        );
        assert!(field.starts_with("/default_config"), "{field}");
        assert!(rule.ends_with("(2 more violations)"), "{rule}");

        let (field, _) = field_of(change.create(web_api(json!([]))).await.unwrap_err());
        assert_eq!(field, "/default_config");

        let mut bad_schema = web_api(json!({}));
        bad_schema.config_schema = json!({"type": "objekt"});
        let (field, rule) = field_of(change.create(bad_schema).await.unwrap_err());
        assert!(
            field.starts_with("/config_schema") && rule.contains("not a valid JSON Schema"),
            "{field}: {rule}"
        );

        assert_eq!(change.commit().await.unwrap(), 0, "nothing was written");
    })
    .await;
}

#[tokio::test]
async fn a_schema_change_that_the_default_config_breaks_is_refused() {
    on_each_backend(async |_, _, store| {
        let mut change = store
            .begin(&Actor::operator("alice"), "register")
            .await
            .unwrap();
        change
            .create(web_api(json!({"rate_limit": 100})))
            .await
            .unwrap();
        change.commit().await.unwrap();

        let mut stricter = web_api(json!({"rate_limit": 100}));
        stricter.config_schema["properties"]["rate_limit"]["maximum"] = json!(50);
        let mut change = store
            .begin(&Actor::operator("bob"), "cap the rate")
            .await
            .unwrap();
        let (field, rule) = field_of(change.update(1, stricter).await.unwrap_err());
        assert_eq!(field, "/default_config/rate_limit");
        assert!(rule.contains("50"), "{rule}");
        drop(change);
        assert_eq!(
            store
                .as_operator()
                .get::<Deployable>("web-api")
                .await
                .unwrap()
                .version,
            1
        );
    })
    .await;
}
