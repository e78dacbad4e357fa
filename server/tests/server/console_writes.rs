//! The console's writes over HTTP, as the browser sends them: saving a form (created, a rule
//! broken at its field, a conflict with what changed meanwhile, a schema refused with the
//! configs it would break), rolling back after a preview, a config layer's impact preview
//! and save, and the editor pages rendered on the server. Against the demo domain on SQLite.

use crate::common;

use common::{TestApp, signed_in, test_server};
use serde_json::{Value, json};

struct Console {
    address: String,
    client: reqwest::Client,
    server: TestApp,
}

async fn console_with_demo() -> Console {
    let server = test_server().await.with_demo().await;
    let client = signed_in(&server.address, &server.db).await;
    Console {
        address: server.address.clone(),
        client,
        server,
    }
}

impl Console {
    /// Calls a server function as the browser does (URL-encoded arguments, JSON answer).
    async fn call(&self, endpoint: &str, args: &[(&str, String)]) -> Value {
        let response = self
            .client
            .post(format!("{}/api/{endpoint}", self.address))
            .form(args)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_eq!(status, 200, "{endpoint}: {text}");
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{endpoint}: {e}: {text}"))
    }

    async fn save(
        &self,
        kind: &str,
        creating: bool,
        version: i64,
        document: Value,
        reason: &str,
    ) -> Value {
        self.call(
            "save",
            &[
                ("kind", kind.to_owned()),
                ("creating", creating.to_string()),
                ("version", version.to_string()),
                ("document", document.to_string()),
                ("reason", reason.to_owned()),
            ],
        )
        .await
    }

    /// Saves organization globex with `display` as its display name, edited at `version`.
    async fn rename_globex(&self, version: i64, display: &str, reason: &str) -> Value {
        let globex = json!({"name": "globex", "short_name": "glx", "display_name": display, "state": "active"});
        self.save("organization", false, version, globex, reason)
            .await
    }

    async fn page(&self, path: &str) -> String {
        let response = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{path}");
        response.text().await.unwrap()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_saves_names_broken_rules_and_answers_a_stale_version_with_the_conflict() {
    let console = console_with_demo().await;

    let created = console
        .save(
            "tier",
            true,
            0,
            json!({"name": "SANDBOX", "display_name": "Quality", "is_live": false, "state": "active"}),
            "acceptance tests",
        )
        .await;
    assert_eq!(
        created,
        json!({"Saved": {"key": "SANDBOX", "version": 1, "unchanged": false}})
    );
    let store = console.server.db.store().await;
    let history = store
        .as_operator()
        .history("tier", "SANDBOX")
        .await
        .unwrap();
    assert_eq!(
        (history[0].actor.as_str(), history[0].reason.as_str()),
        ("tester", "acceptance tests")
    );

    // The browser's checks run on the server too, every field at once.
    let invalid = console
        .save(
            "tier",
            true,
            0,
            json!({"name": "qa", "display_name": " ", "is_live": false, "state": "active"}),
            "x",
        )
        .await;
    let fields: Vec<&str> = invalid["Invalid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["/name", "/display_name"]);
    // A rule only the store can check answers at its field as well.
    let duplicate = console
        .save(
            "tier",
            true,
            0,
            json!({"name": "SANDBOX", "display_name": "Again", "is_live": false, "state": "active"}),
            "x",
        )
        .await;
    assert_eq!(duplicate["Invalid"][0]["field"], "/name");
    assert!(
        duplicate["Invalid"][0]["rule"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );
    // No reason, no change.
    let unexplained = console.rename_globex(1, "G", " ").await;
    assert_eq!(unexplained["Invalid"][0]["field"], "/reason");

    // Two people loaded version 1; the second save finds version 2 and is told what changed.
    let first = console.rename_globex(1, "Globex Inc.", "legal name").await;
    assert_eq!(first["Saved"]["version"], 2);
    let second = console.rename_globex(1, "Globex Corp", "full name").await;
    let conflict = &second["Conflict"];
    assert_eq!(
        (conflict["edited"].as_i64(), conflict["current"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(conflict["actor"], "tester");
    assert_eq!(conflict["reason"], "legal name");
    assert_eq!(
        conflict["changes"],
        json!([{"path": "/display_name", "before": "\"Globex\"", "after": "\"Globex Inc.\""}])
    );
    assert_eq!(conflict["document"]["display_name"], "Globex Inc.");
    let stored = store
        .as_operator()
        .get::<strata_domain::organization::Organization>("globex")
        .await
        .unwrap();
    assert_eq!(
        (stored.version, stored.item.display_name.as_str()),
        (2, "Globex Inc.")
    );
    // Re-applied on top of version 2, it saves.
    let again = console.rename_globex(2, "Globex Corp", "full name").await;
    assert_eq!(again["Saved"]["version"], 3);
    // Saving what is stored writes nothing.
    let same = console.rename_globex(3, "Globex Corp", "nothing").await;
    assert_eq!(same["Saved"]["unchanged"], true);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delete_is_refused_while_anything_refers_to_the_entity_and_keeps_its_history() {
    let console = console_with_demo().await;
    let delete = |kind: &str, key: &str, version: i64| {
        vec![
            ("kind", kind.to_owned()),
            ("key", key.to_owned()),
            ("version", version.to_string()),
            ("reason", "tidy up".to_owned()),
        ]
    };
    let in_use = console.call("delete", &delete("tier", "LIVE", 1)).await;
    assert!(
        in_use["Refused"]["message"]
            .as_str()
            .unwrap()
            .contains("still used by"),
        "{in_use}"
    );
    assert!(!in_use["Refused"]["details"].as_array().unwrap().is_empty());
    // A live tenant is protected from termination in the demo.
    let protected = console
        .call("delete", &delete("tenant", "acme-berlin", 1))
        .await;
    assert_eq!(
        protected["Invalid"][0]["field"], "/termination_protection",
        "{protected}"
    );
    let tier =
        json!({"name": "SPARE", "display_name": "Spare", "is_live": false, "state": "active"});
    console.save("tier", true, 0, tier, "a spare tier").await;
    let stale = console.call("delete", &delete("tier", "SPARE", 0)).await;
    assert_eq!(stale["Conflict"]["current"], 1, "{stale}");
    let deleted = console.call("delete", &delete("tier", "SPARE", 1)).await;
    assert_eq!(deleted["Saved"]["version"], 2, "{deleted}");
    let store = console.server.db.store().await;
    let history = store.as_operator().history("tier", "SPARE").await.unwrap();
    assert_eq!(history[1].operation.as_str(), "delete");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_that_tenants_break_is_refused_with_them_and_nothing_is_written() {
    let console = console_with_demo().await;
    let store = console.server.db.store().await;
    let billing = store
        .as_operator()
        .get::<strata_domain::deployable::Deployable>("billing")
        .await
        .unwrap();
    let mut document = serde_json::to_value(&billing.item).unwrap();
    document["config_schema"]["properties"]["currency"] = json!({"enum": ["USD"]});
    let refused = console
        .save(
            "deployable",
            false,
            billing.version,
            document,
            "dollars only",
        )
        .await;
    let details = refused["Refused"]["details"].as_array().unwrap();
    assert!(
        details
            .iter()
            .any(|d| d.as_str().unwrap().contains("glx-cairo")),
        "{refused}"
    );
    assert!(
        refused["Refused"]["message"]
            .as_str()
            .unwrap()
            .contains("Nothing was written")
    );
    let after = store
        .as_operator()
        .get::<strata_domain::deployable::Deployable>("billing")
        .await
        .unwrap();
    assert_eq!(after.version, billing.version);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_roll_back_is_previewed_then_written_as_a_new_version() {
    let console = console_with_demo().await;
    let staging = json!({"name": "STAGING", "display_name": "Staging EU", "is_live": false, "state": "active"});
    assert_eq!(
        console.save("tier", false, 1, staging, "moved").await["Saved"]["version"],
        2
    );
    let args = |to: i64| {
        vec![
            ("kind", "tier".to_owned()),
            ("key", "STAGING".to_owned()),
            ("to_version", to.to_string()),
        ]
    };
    let preview = console.call("rollback-preview", &args(1)).await;
    assert_eq!(preview["current"], 2);
    assert_eq!(preview["refusal"], Value::Null);
    let changed: Vec<&Value> = preview["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["before"] != r["after"])
        .collect();
    assert_eq!(
        changed,
        [&json!({"path": "/display_name", "before": "\"Staging EU\"", "after": "\"Staging\""})]
    );
    // The STAGING tier's tenants resolve the same configs whatever the tier's display name.
    assert_eq!(preview["configs_changed"], 0);

    let mut roll = args(1);
    roll.push(("expected", "1".to_owned()));
    roll.push(("reason", "postponed".to_owned()));
    let stale = console.call("rollback", &roll).await;
    assert_eq!(stale["Conflict"]["current"], 2);
    roll[3].1 = "2".to_owned();
    let done = console.call("rollback", &roll).await;
    assert_eq!(done["Saved"]["version"], 3);
    let store = console.server.db.store().await;
    let history = store
        .as_operator()
        .history("tier", "STAGING")
        .await
        .unwrap();
    assert_eq!(history[2].operation.as_str(), "rollback");
    assert_eq!(
        history[2].after.as_ref().unwrap()["display_name"],
        "Staging"
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_layer_edit_is_previewed_per_tenant_and_saved() {
    let console = console_with_demo().await;
    let layer = |config: Value, version: i64| {
        vec![
            ("deployable", "web-api".to_owned()),
            ("kind", "tier".to_owned()),
            ("name", "STAGING".to_owned()),
            ("version", version.to_string()),
            ("config", config.to_string()),
        ]
    };
    let config =
        json!({"database": {"host": "db.staging.internal", "tls": true}, "log_level": "debug"});
    let impact = console
        .call("layer-preview", &layer(config.clone(), 1))
        .await;
    assert_eq!(impact["refusal"], Value::Null);
    assert_eq!(impact["violations_total"], 0);
    let changed = impact["changed"].as_u64().unwrap();
    assert!(changed > 0, "{impact}");
    assert_eq!(
        impact["tenants"].as_array().unwrap().len() as u64,
        changed.min(20)
    );
    assert_eq!(
        impact["tenants"][0]["rows"],
        json!([{"path": "/log_level", "before": "\"info\"", "after": "\"debug\""}])
    );
    // A value the schema refuses shows as violations of the resolved configs.
    let broken = json!({"database": {"host": "db.staging.internal", "port": 0}});
    let refused = console.call("layer-preview", &layer(broken, 1)).await;
    assert!(
        refused["violations_total"].as_u64().unwrap() >= changed,
        "{refused}"
    );

    let mut save = layer(config, 1);
    save.push(("reason", "more logs on staging".to_owned()));
    let saved = console.call("layer-save", &save).await;
    assert_eq!(saved["Saved"]["version"], 2);
    let view = console
        .call(
            "layer",
            &[
                ("deployable", "web-api".to_owned()),
                ("kind", "tier".to_owned()),
                ("name", "STAGING".to_owned()),
            ],
        )
        .await;
    assert_eq!(view["version"], 2);
    assert_eq!(view["config"]["log_level"], "debug");
    assert_eq!(view["below"]["log_level"], "info");
    assert_eq!(view["history"][0]["reason"], "more logs on staging");

    // A layer's history rolls back like any entity's.
    let key = "web-api/tier/STAGING".to_owned();
    let preview = console
        .call(
            "rollback-preview",
            &[
                ("kind", "config_layer".to_owned()),
                ("key", key.clone()),
                ("to_version", "1".to_owned()),
            ],
        )
        .await;
    assert_eq!(preview["refusal"], Value::Null, "{preview}");
    assert_eq!(preview["configs_changed"].as_u64(), Some(changed));
    let rolled = console
        .call(
            "rollback",
            &[
                ("kind", "config_layer".to_owned()),
                ("key", key),
                ("to_version", "1".to_owned()),
                ("expected", "2".to_owned()),
                ("reason", "back to quiet logs".to_owned()),
            ],
        )
        .await;
    assert_eq!(rolled["Saved"]["version"], 3);

    // The default layer is the deployable's default config, edited and previewed the same way.
    let default = |config: &Value| {
        vec![
            ("deployable", "web-api".to_owned()),
            ("kind", "default".to_owned()),
            ("name", String::new()),
            ("version", "1".to_owned()),
            ("config", config.to_string()),
        ]
    };
    let view = console
        .call(
            "layer",
            &[
                ("deployable", "web-api".to_owned()),
                ("kind", "default".to_owned()),
                ("name", String::new()),
            ],
        )
        .await;
    assert_eq!(
        (view["version"].as_i64(), view["entity"][0].as_str()),
        (Some(1), Some("deployable"))
    );
    let mut config = view["config"].clone();
    config["rate_limit"]["burst"] = json!(75);
    let impact = console.call("layer-preview", &default(&config)).await;
    assert_eq!(impact["refusal"], Value::Null, "{impact}");
    assert!(impact["changed"].as_u64().unwrap() > 0, "{impact}");
    // The default must follow the whole schema: a required key cannot go.
    let mut broken = config.clone();
    broken.as_object_mut().unwrap().remove("log_level");
    let refused = console.call("layer-preview", &default(&broken)).await;
    assert!(
        refused["refusal"]
            .as_str()
            .unwrap()
            .starts_with("/default_config"),
        "{refused}"
    );
    let mut save = default(&config);
    save.push(("reason", "bigger bursts".to_owned()));
    assert_eq!(
        console.call("layer-save", &save).await["Saved"]["version"],
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editor_pages_render_on_the_server() {
    let console = console_with_demo().await;
    let form = console.page("/tenants/acme-oslo/edit").await;
    assert!(form.contains("data-testid=\"entity-form\""), "{form}");
    assert!(form.contains("value=\"acme-oslo\""), "{form}");
    // An active tenant may stay active, be disabled or be taken down; nothing else is offered.
    let states: Vec<&str> = form
        .split("<option value=\"")
        .skip(1)
        .map(|o| o.split('"').next().unwrap())
        .filter(|o| {
            [
                "initializing",
                "active",
                "disabled",
                "uninitializing",
                "deleted",
            ]
            .contains(o)
        })
        .collect();
    assert_eq!(states, ["active", "disabled", "uninitializing"]);

    let tenant = console.page("/tenants/acme-berlin").await;
    assert!(
        tenant.contains("data-testid=\"resolved-web-api\""),
        "{tenant}"
    );
    assert!(
        tenant.contains("href=\"/configs/web-api/tenant/acme-berlin\""),
        "{tenant}"
    );
    assert!(
        tenant.contains("href=\"/configs/web-api/tier/LIVE\""),
        "{tenant}"
    );
    assert!(
        tenant.contains("href=\"/configs/web-api/default\""),
        "{tenant}"
    );
    let default = console.page("/configs/web-api/default").await;
    assert!(
        default.contains("data-pointer=\"/rate_limit/burst\""),
        "{default}"
    );

    let layer = console.page("/configs/web-api/tier/LIVE").await;
    assert!(layer.contains("data-pointer=\"/database/host\""), "{layer}");
    assert!(layer.contains("db.live.internal"), "{layer}");
    let list = console.page("/configs").await;
    assert!(
        list.contains("href=\"/configs/billing/tenant/glx-cairo\""),
        "{list}"
    );
    console.page("/new/deployables").await;

    let missing = console
        .client
        .get(format!("{}/configs/nothing/tier/LIVE", console.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
