//! The entity API over HTTP (`/api/v1/{kind}`), against the demo domain on SQLite: create,
//! read, update and delete with versions (`If-Match` or a `version` field) and the item with
//! the one it replaced; lists with search and windows; and every refusal in one JSON shape —
//! 422 with JSON pointers, 409 for a stale version or a duplicate, 404, 403, 413, 428 — as a
//! domain admin's session and as a token acting in acme.

use crate::common;

use common::{signed_in, test_server};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::{Value, json};
use strata_domain::access::Role;
use strata_domain::token::TokenScope;
use strata_store::access::{Actor, NewToken};

/// Sends `request` and answers the status and the JSON body.
async fn send(request: RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, body)
}

/// The refusal's code, after checking its shape.
fn code(body: &Value) -> &str {
    let error = &body["error"];
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(error["details"].is_array(), "{body}");
    error["code"].as_str().unwrap()
}

#[tokio::test]
async fn entities_are_created_read_updated_and_deleted_with_versions_and_json_refusals() {
    let server = test_server().await.with_demo().await;
    let api = format!("{}/api/v1", server.address);
    let admin = signed_in(&server.address, &server.db).await;
    let why = ("strata-reason", "a tier for QA");
    let qa = json!({"name": "QAT", "display_name": "Quality", "is_live": false, "state": "active"});

    let (status, created) = send(
        admin
            .post(format!("{api}/tiers"))
            .header(why.0, why.1)
            .json(&qa),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["item"]["version"], 1);
    assert_eq!(created["item"]["display_name"], "Quality");
    assert!(created["prev"].is_null());

    let response = admin.get(format!("{api}/tiers/QAT")).send().await.unwrap();
    assert_eq!(response.headers()["etag"], "\"1\"");
    let read: Value = response.json().await.unwrap();
    assert_eq!(read["item"], created["item"]);

    let renamed = json!({"name": "QAT", "display_name": "Quality assurance", "is_live": false, "state": "active"});
    let (status, updated) = send(
        admin
            .put(format!("{api}/tiers/QAT"))
            .header(why.0, "a clearer name")
            .header("if-match", "\"1\"")
            .json(&renamed),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{updated}");
    assert_eq!(updated["item"]["version"], 2);
    assert_eq!(updated["prev"]["version"], 1);
    assert_eq!(updated["prev"]["display_name"], "Quality");

    // The same edit of version 1 again: someone changed it meanwhile.
    let (status, stale) = send(
        admin
            .put(format!("{api}/tiers/QAT"))
            .header(why.0, "again")
            .json(&json!({"version": 1, "name": "QAT", "display_name": "Q", "is_live": false, "state": "active"})),
    )
    .await;
    assert_eq!((status, code(&stale)), (StatusCode::CONFLICT, "conflict"));
    assert_eq!(stale["error"]["details"][0]["current_version"], 2);
    assert_eq!(stale["error"]["details"][0]["changed_by"], "tester");

    let (status, unversioned) = send(
        admin
            .put(format!("{api}/tiers/QAT"))
            .header(why.0, "x")
            .json(&renamed),
    )
    .await;
    assert_eq!(
        (status, code(&unversioned)),
        (StatusCode::PRECONDITION_REQUIRED, "version_required")
    );
    let (status, duplicate) = send(
        admin
            .post(format!("{api}/tiers"))
            .header(why.0, why.1)
            .json(&qa),
    )
    .await;
    assert_eq!(
        (status, code(&duplicate)),
        (StatusCode::CONFLICT, "duplicate")
    );

    let (status, bad) = send(
        admin
            .post(format!("{api}/tiers"))
            .header(why.0, why.1)
            .json(&json!({"name": "QA lower", "display_name": "x", "is_live": false, "state": "active"})),
    )
    .await;
    assert_eq!(
        (status, code(&bad)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    assert_eq!(bad["error"]["details"][0]["field"], "/name");
    let (status, missing) = send(
        admin
            .post(format!("{api}/tiers"))
            .header(why.0, why.1)
            .json(&json!({"name": "QBT"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        missing["error"]["details"][0]["field"], "/display_name",
        "{missing}"
    );
    let (status, not_json) = send(
        admin
            .post(format!("{api}/tiers"))
            .header(why.0, why.1)
            .body("{"),
    )
    .await;
    assert_eq!(
        (status, code(&not_json)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    let (status, no_reason) =
        send(admin.post(format!("{api}/tiers")).json(
            &json!({"name": "QCT", "display_name": "x", "is_live": false, "state": "active"}),
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason["error"]["details"][0]["field"], "/reason");
    let huge = format!(
        "{{\"name\": \"QDT\", \"display_name\": \"{}\"}}",
        "x".repeat(2 << 20)
    );
    let (status, too_large) = send(
        admin
            .post(format!("{api}/tiers"))
            .header(why.0, why.1)
            .body(huge),
    )
    .await;
    assert_eq!(
        (status, code(&too_large)),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );

    let (status, unknown) = send(admin.get(format!("{api}/tiers/NOPE"))).await;
    assert_eq!(
        (status, code(&unknown)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (status, kind) = send(admin.get(format!("{api}/widgets"))).await;
    assert_eq!((status, code(&kind)), (StatusCode::NOT_FOUND, "not_found"));

    // Lists: a window, a search, and a window too large.
    let (status, page) = send(admin.get(format!("{api}/tenants?q=acme&limit=5&offset=5"))).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["items"].as_array().unwrap().len(), 5);
    assert!(page["total"].as_i64().unwrap() > 10, "{page}");
    assert!(page["items"][0]["version"].as_i64().is_some());
    let (status, window) = send(admin.get(format!("{api}/tenants?limit=500"))).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(window["error"]["details"][0]["field"], "/limit");
    let (status, typed) = send(admin.get(format!("{api}/tenants?limit=many"))).await;
    assert_eq!(
        (status, code(&typed)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );

    // A key with slashes, and a write that would break resolved configs.
    let layer_url = format!("{api}/config-layers/web-api%2Ftier%2FLIVE");
    let (status, layer) = send(admin.get(&layer_url)).await;
    assert_eq!(status, StatusCode::OK, "{layer}");
    let mut broken = layer["item"].clone();
    broken["config"]["database"]["port"] = json!(99999);
    let (status, breaks) = send(
        admin
            .put(&layer_url)
            .header(why.0, "a port too far")
            .json(&broken),
    )
    .await;
    assert_eq!(
        (status, code(&breaks)),
        (StatusCode::UNPROCESSABLE_ENTITY, "breaks_configs")
    );
    let first = &breaks["error"]["details"][0];
    assert_eq!(
        (first["tier"].as_str(), first["field"].as_str()),
        (Some("LIVE"), Some("/database/port"))
    );

    let (status, deleted) = send(
        admin
            .delete(format!("{api}/tiers/QAT"))
            .header(why.0, "QA is done")
            .header("if-match", "\"2\""),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{deleted}");
    assert_eq!(deleted["prev"]["version"], 2);
    let (status, _) = send(admin.get(format!("{api}/tiers/QAT"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, in_use) = send(
        admin
            .delete(format!("{api}/tiers/LIVE?version=1"))
            .header(why.0, "no"),
    )
    .await;
    assert_eq!(
        (status, code(&in_use)),
        (StatusCode::CONFLICT, "in_use"),
        "{in_use}"
    );
}

#[tokio::test]
async fn a_token_acting_in_acme_changes_acme_only_and_history_names_it() {
    let server = test_server().await.with_demo().await;
    let api = format!("{}/api/v1", server.address);
    let store = server.db.store().await;
    let (_, secret) = store
        .create_token(
            &Actor::operator("root"),
            NewToken {
                name: "acme-bot",
                scope: TokenScope::Act {
                    organization: "acme".into(),
                    role: Role::Editor,
                },
                days: 1,
            },
        )
        .await
        .unwrap();
    let bot = reqwest::Client::new();
    let auth = format!("Bearer {secret}");

    let (status, tenant) = send(
        bot.get(format!("{api}/tenants/acme-berlin"))
            .header("authorization", &auth),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tenant}");
    let mut edited = tenant["item"].clone();
    edited["termination_protection"] = json!(!edited["termination_protection"].as_bool().unwrap());
    let (status, written) = send(
        bot.put(format!("{api}/tenants/acme-berlin"))
            .header("authorization", &auth)
            .header("strata-reason", "the bot flips protection")
            .json(&edited),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{written}");
    let history = store
        .as_operator()
        .history("tenant", "acme-berlin")
        .await
        .unwrap();
    assert_eq!(history.last().unwrap().actor, "token:acme-bot");

    let (status, tier) = send(
        bot.get(format!("{api}/tiers/LIVE"))
            .header("authorization", &auth),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, refused) = send(
        bot.put(format!("{api}/tiers/LIVE"))
            .header("authorization", &auth)
            .header("strata-reason", "not mine")
            .json(&tier["item"]),
    )
    .await;
    assert_eq!(
        (status, code(&refused)),
        (StatusCode::FORBIDDEN, "forbidden"),
        "{refused}"
    );
    let (status, hidden) = send(
        bot.get(format!("{api}/tenants/glx-cairo"))
            .header("authorization", &auth),
    )
    .await;
    assert_eq!(
        (status, code(&hidden)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (status, listed) = send(
        bot.get(format!("{api}/products"))
            .header("authorization", &auth),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["organization"] == "acme"),
        "{listed}"
    );
    let (status, anonymous) = send(reqwest::Client::new().get(format!("{api}/tiers"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{anonymous}");
    store.close().await;
}

#[tokio::test]
async fn an_entitys_versions_diff_and_roll_back_and_a_config_resolves_with_provenance() {
    let server = test_server().await.with_demo().await;
    let api = format!("{}/api/v1", server.address);
    let admin = signed_in(&server.address, &server.db).await;
    let (_, tier) = send(admin.get(format!("{api}/tiers/STAGING"))).await;
    let mut renamed = tier["item"].clone();
    renamed["display_name"] = json!("Staging (EU)");
    let (status, _) = send(
        admin
            .put(format!("{api}/tiers/STAGING"))
            .header("strata-reason", "staging moved")
            .json(&renamed),
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    let (status, history) = send(admin.get(format!("{api}/tiers/STAGING/history"))).await;
    assert_eq!(status, StatusCode::OK, "{history}");
    let versions = history["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(
        (
            versions[1]["version"].as_i64(),
            versions[1]["operation"].as_str(),
            versions[1]["reason"].as_str()
        ),
        (Some(2), Some("update"), Some("staging moved"))
    );
    assert_eq!(versions[1]["actor"], "tester");

    let (status, diff) = send(admin.get(format!("{api}/tiers/STAGING/diff?from=1&to=2"))).await;
    assert_eq!(status, StatusCode::OK, "{diff}");
    assert_eq!(
        diff["patch"],
        json!([{"op": "replace", "path": "/display_name", "value": "Staging (EU)"}])
    );
    let (status, missing) = send(admin.get(format!("{api}/tiers/STAGING/diff?from=1&to=9"))).await;
    assert_eq!(
        (status, code(&missing)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    assert_eq!(missing["error"]["details"][0]["field"], "/to");

    let (status, rolled) = send(
        admin
            .post(format!("{api}/tiers/STAGING/rollback"))
            .header("strata-reason", "back to the old name")
            .json(&json!({"to_version": 1, "version": 2})),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{rolled}");
    assert_eq!(rolled["item"]["version"], 3);
    assert_eq!(rolled["item"]["display_name"], tier["item"]["display_name"]);
    assert_eq!(rolled["prev"]["display_name"], "Staging (EU)");
    let (status, stale) = send(
        admin
            .post(format!("{api}/tiers/STAGING/rollback"))
            .header("strata-reason", "again")
            .json(&json!({"to_version": 1, "version": 2})),
    )
    .await;
    assert_eq!((status, code(&stale)), (StatusCode::CONFLICT, "conflict"));

    let (status, resolved) =
        send(admin.get(format!("{api}/resolve/LIVE/acme-berlin/web-api"))).await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    assert_eq!(
        resolved["config"]["rate_limit"]["requests_per_second"],
        2000
    );
    assert_eq!(
        resolved["provenance"]["/rate_limit/requests_per_second"],
        "tenant acme-berlin"
    );
    assert_eq!(resolved["provenance"]["/database/host"], "tier LIVE");
    let (status, unknown) = send(admin.get(format!("{api}/resolve/LIVE/nobody/web-api"))).await;
    assert_eq!(
        (status, code(&unknown)),
        (StatusCode::NOT_FOUND, "not_found")
    );
}

#[tokio::test]
async fn impact_revisions_restore_publications_and_audit_answer_as_the_console_does() {
    let server = test_server().await.with_demo().await;
    let api = format!("{}/api/v1", server.address);
    let admin = signed_in(&server.address, &server.db).await;
    let layer = format!("{api}/config-layers/web-api%2Ftier%2FLIVE");
    let (_, current) = send(admin.get(&layer)).await;
    let version = current["item"]["version"].as_i64().unwrap();

    // What raising LIVE's rate limit would do: every LIVE tenant without its own value
    // changes; nothing is written.
    let mut raised = current["item"].clone();
    raised["config"]["rate_limit"] = json!({"requests_per_second": 150});
    let (status, impact) = send(
        admin
            .post(format!("{layer}/impact"))
            .header("if-match", format!("\"{version}\""))
            .json(&raised),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{impact}");
    let changed = impact["changed"].as_array().unwrap();
    assert!(!changed.is_empty(), "{impact}");
    assert!(
        changed.iter().all(|c| c["target"]["tier"] == "LIVE"
            && c["target"]["deployable"] == "web-api"
            && c["patch"][0]["path"] == "/rate_limit/requests_per_second"),
        "{impact}"
    );
    assert_eq!(impact["violations"]["total"], 0);
    raised["config"]["rate_limit"] = json!({"requests_per_second": 0});
    let (_, breaking) = send(
        admin
            .post(format!("{layer}/impact"))
            .header("if-match", format!("\"{version}\""))
            .json(&raised),
    )
    .await;
    assert!(
        breaking["violations"]["total"].as_u64().unwrap() > 0,
        "{breaking}"
    );
    let (_, after) = send(admin.get(&layer)).await;
    assert_eq!(after["item"], current["item"], "a preview writes nothing");

    // The domain at revision 1, a change, and a restore to revision 1 as a new revision.
    let (status, first) = send(admin.get(format!("{api}/revisions/1"))).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["revision"], 1);
    assert_eq!(first["state"]["tier"]["LIVE"]["display_name"], "Live");
    let (status, beyond) = send(admin.get(format!("{api}/revisions/999"))).await;
    assert_eq!(
        (status, code(&beyond)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (status, word) = send(admin.get(format!("{api}/revisions/first"))).await;
    assert_eq!(
        (status, code(&word)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );

    let (_, tier) = send(admin.get(format!("{api}/tiers/LIVE"))).await;
    let mut renamed = tier["item"].clone();
    renamed["display_name"] = json!("Production");
    let (status, _) = send(
        admin
            .put(format!("{api}/tiers/LIVE"))
            .header("strata-reason", "a new name")
            .json(&renamed),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, restored) = send(
        admin
            .post(format!("{api}/revisions/1/restore"))
            .header("strata-reason", "back to the demo"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{restored}");
    assert_eq!(restored["changed"], true);
    assert_eq!(restored["revision"], 3);
    let (_, tier) = send(admin.get(format!("{api}/tiers/LIVE"))).await;
    assert_eq!(tier["item"]["display_name"], "Live");
    let (status, unchanged) = send(
        admin
            .post(format!("{api}/revisions/1/restore"))
            .header("strata-reason", "again"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{unchanged}");
    assert_eq!(
        (
            unchanged["changed"].as_bool(),
            unchanged["revision"].as_i64()
        ),
        (Some(false), Some(3))
    );

    // Publications: every revision has one; publish asks for the newest now.
    let (status, asked) = send(admin.post(format!("{api}/publish"))).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{asked}");
    assert_eq!(asked["publication"]["revision"], 3);
    let (status, publications) = send(admin.get(format!("{api}/publications?limit=10"))).await;
    assert_eq!(status, StatusCode::OK, "{publications}");
    assert_eq!(publications["items"][0]["revision"], 3);
    let (status, first) = send(admin.get(format!("{api}/publications/1"))).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert!(
        ["published", "superseded"].contains(&first["state"].as_str().unwrap()),
        "{first}"
    );
    let (status, too_many) = send(admin.get(format!("{api}/publications?limit=500"))).await;
    assert_eq!(
        (status, code(&too_many)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );

    // The audit trail: the changes, filtered, newest first; and the events.
    let (status, trail) = send(admin.get(format!("{api}/audit?kind=tier&key=LIVE&limit=5"))).await;
    assert_eq!(status, StatusCode::OK, "{trail}");
    let items = trail["items"].as_array().unwrap();
    assert!(
        items
            .iter()
            .all(|r| r["kind"] == "tier" && r["key"] == "LIVE"),
        "{trail}"
    );
    assert_eq!(items[0]["operation"], "restore");
    assert_eq!(items[0]["after"]["display_name"], "Live");
    assert_eq!(items[1]["reason"], "a new name");
    let (status, events) = send(admin.get(format!("{api}/audit/events?limit=20"))).await;
    assert_eq!(status, StatusCode::OK, "{events}");
    assert!(
        events["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "restore"),
        "{events}"
    );

    // Refusals in the one shape, wherever they come from: no such route, a NUL in a path,
    // query or body.
    let (status, nowhere) = send(admin.get(format!("{api}/tiers/LIVE/nowhere"))).await;
    assert_eq!(
        (status, code(&nowhere)),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let (status, nul) = send(admin.get(format!("{api}/tenants/acme%00"))).await;
    assert_eq!(
        (status, code(&nul)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    let (status, nul) = send(admin.get(format!("{api}/tenants?q=%00"))).await;
    assert_eq!(
        (status, code(&nul)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    let (status, nul) = send(
        admin
            .post(format!("{api}/tiers"))
            .header("strata-reason", "nul")
            .json(&json!({"name": "NUL", "display_name": "a\u{0}b", "is_live": false, "state": "active"})),
    )
    .await;
    assert_eq!(
        (status, code(&nul)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    assert_eq!(nul["error"]["details"][0]["field"], "/display_name");
}

#[tokio::test]
async fn the_openapi_document_describes_every_route_and_anyone_may_read_it() {
    let server = test_server().await;
    let anyone = reqwest::Client::new();
    let (status, document) = send(anyone.get(format!("{}/api/openapi.json", server.address))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(document["openapi"], "3.1.0");
    let paths = document["paths"].as_object().unwrap();
    for kind in [
        "tiers",
        "organizations",
        "products",
        "deployables",
        "tier-deployables",
        "tenants",
        "config-layers",
    ] {
        for (path, methods) in [
            (format!("/api/v1/{kind}"), &["get", "post"][..]),
            (
                format!("/api/v1/{kind}/{{key}}"),
                &["get", "put", "delete"][..],
            ),
            (format!("/api/v1/{kind}/{{key}}/history"), &["get"][..]),
            (format!("/api/v1/{kind}/{{key}}/diff"), &["get"][..]),
            (format!("/api/v1/{kind}/{{key}}/rollback"), &["post"][..]),
            (format!("/api/v1/{kind}/{{key}}/impact"), &["post"][..]),
        ] {
            for method in methods {
                assert!(paths[&path].get(*method).is_some(), "{method} {path}");
            }
        }
    }
    for path in [
        "/api/v1/resolve/{tier}/{tenant}/{deployable}",
        "/api/v1/revisions/{revision}",
        "/api/v1/revisions/{revision}/restore",
        "/api/v1/publications",
        "/api/v1/publish",
        "/api/v1/audit",
        "/api/v1/audit/events",
        "/api/v1/config/{tier}/{tenant}/{deployable}",
        "/api/v1/tokens",
        "/api/v1/tokens/{name}",
    ] {
        assert!(paths.contains_key(path), "{path}");
    }
    // Schemas derived from the types: a tenant's name follows its rule, every $ref resolves.
    let schemas = document["components"]["schemas"].as_object().unwrap();
    assert_eq!(schemas["TenantName"]["pattern"], "^[a-z0-9-]{3,30}$");
    let text = document.to_string();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let target = reference.split('"').next().unwrap();
        let name = target
            .strip_prefix("#/components/schemas/")
            .or_else(|| target.strip_prefix("#/components/responses/"))
            .unwrap_or_else(|| panic!("a $ref outside components: {target}"));
        assert!(
            schemas.contains_key(name) || document["components"]["responses"].get(name).is_some(),
            "{target} does not resolve"
        );
    }

    let page = anyone
        .get(format!("{}/api/docs", server.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("/api/v1/config-layers/{key}/impact")
            && html.contains("id=\"schema-ErrorBody\"")
    );
}

#[tokio::test]
async fn tokens_are_made_listed_and_revoked_over_the_api_by_whom_the_store_allows() {
    let server = test_server().await.with_demo().await;
    let api = format!("{}/api/v1", server.address);
    let admin = signed_in(&server.address, &server.db).await;
    let (status, made) = send(admin.post(format!("{api}/tokens")).json(&json!({
        "name": "ci-bot",
        "scope": {"kind": "act", "organization": "acme", "role": "editor"},
        "days": 7
    })))
    .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["token"]["described"], "acts as editor in acme");
    let secret = made["secret"].as_str().unwrap().to_owned();
    let (_, listed) = send(admin.get(format!("{api}/tokens"))).await;
    assert!(
        listed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "ci-bot"),
        "{listed}"
    );
    assert!(
        !listed.to_string().contains(&secret),
        "a list never holds a secret"
    );

    // The new token acts in acme: it may not give itself a read token (a domain admin's).
    let bot = reqwest::Client::new();
    let (status, refused) = send(
        bot.post(format!("{api}/tokens"))
            .header("authorization", format!("Bearer {secret}"))
            .json(&json!({"name": "sneaky", "scope": {"kind": "read", "tiers": ["LIVE"]}})),
    )
    .await;
    assert_eq!(
        (status, code(&refused)),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let (status, bad) = send(
        admin
            .post(format!("{api}/tokens"))
            .json(&json!({"name": "x y"})),
    )
    .await;
    assert_eq!(
        (status, code(&bad)),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
    );
    assert_eq!(bad["error"]["details"][0]["field"], "/scope");

    let (status, revoked) = send(admin.delete(format!("{api}/tokens/ci-bot"))).await;
    assert_eq!(status, StatusCode::OK, "{revoked}");
    assert_eq!(revoked["revoked_by"], "tester");
    // Servers learn of a revocation within seconds (they keep verified tokens briefly).
    let mut status = StatusCode::OK;
    for _ in 0..100 {
        status = bot
            .get(format!("{api}/tenants/acme-berlin"))
            .header("authorization", format!("Bearer {secret}"))
            .send()
            .await
            .unwrap()
            .status();
        if status == StatusCode::UNAUTHORIZED {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(status, StatusCode::UNAUTHORIZED, "revoked within 10 s");
}

#[tokio::test]
async fn a_reason_may_be_any_text_raw_utf8_or_percent_encoded_and_bad_encodings_are_named() {
    let server = test_server().await.with_demo().await;
    let api = format!("{}/api/v1", server.address);
    let admin = signed_in(&server.address, &server.db).await;
    let reasons = [
        "für Berlin",
        "東京の設定 🚀",
        "עברית ו-English",
        "two\nlines \"quoted\" </textarea><script>alert(1)</script>",
    ];
    let (_, stored) = send(admin.get(format!("{api}/tiers/STAGING"))).await;
    let mut version = stored["item"]["version"].as_i64().unwrap();
    let first = version as usize;
    for (i, reason) in reasons.iter().enumerate() {
        // Percent-encoded after UTF-8'' (any text), or as raw UTF-8 (no line breaks).
        let header = if i % 2 == 0 || reason.contains('\n') {
            reqwest::header::HeaderValue::from_str(&strata_server::api::reason::encode(reason))
                .unwrap()
        } else {
            reqwest::header::HeaderValue::from_bytes(reason.as_bytes()).unwrap()
        };
        let (status, body) = send(
            admin
                .put(format!("{api}/tiers/STAGING"))
                .header("strata-reason", header)
                .header("if-match", format!("\"{version}\""))
                .json(&json!({"name": "STAGING", "display_name": format!("Staging {i}"), "is_live": false, "state": "active"})),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{reason:?}: {body}");
        version += 1;
    }
    let (_, history) = send(admin.get(format!("{api}/tiers/STAGING/history"))).await;
    let kept: Vec<&str> = history["versions"]
        .as_array()
        .unwrap()
        .iter()
        .skip(first)
        .map(|v| v["reason"].as_str().unwrap())
        .collect();
    assert_eq!(kept, reasons);

    let (status, body) = send(
        admin
            .put(format!("{api}/tiers/STAGING"))
            .header("strata-reason", "UTF-8''%FF%FE")
            .header("if-match", format!("\"{version}\""))
            .json(&json!({"name": "STAGING", "display_name": "Staging", "is_live": false, "state": "active"})),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"]["details"][0]["field"], "/reason", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("percent-encoded UTF-8"),
        "{body}"
    );
}
