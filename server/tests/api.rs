//! The entity API over HTTP (`/api/v1/{kind}`), against the demo domain on SQLite: create,
//! read, update and delete with versions (`If-Match` or a `version` field) and the item with
//! the one it replaced; lists with search and windows; and every refusal in one JSON shape —
//! 422 with JSON pointers, 409 for a stale version or a duplicate, 404, 403, 413, 428 — as a
//! domain admin's session and as a token acting in acme.

mod common;

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
    let history = store.history("tenant", "acme-berlin").await.unwrap();
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
