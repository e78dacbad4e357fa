//! API tokens over HTTP: the config read path answers only a live read token whose scope
//! covers the config (none or a bad one 401, out of scope 403, judged before anything is
//! looked up), revocation and expiry take effect within seconds, uses are counted; a token
//! acting in an organization calls the console's functions as that role and no more.

use crate::common;

use std::time::Duration;

use common::{READER_TOKEN, test_server};
use reqwest::StatusCode;
use serde_json::Value;
use strata_domain::access::Role;
use strata_domain::product::Product;
use strata_domain::token::TokenScope;
use strata_server::auth::TOKEN_KEEP;
use strata_store::Store;
use strata_store::access::{Actor, NewToken};

async fn create(store: &Store, name: &str, scope: TokenScope) -> String {
    let token = NewToken {
        name,
        scope,
        days: 7,
    };
    store
        .create_token(&Actor::operator("root"), token)
        .await
        .unwrap()
        .1
}

fn read(tiers: &[&str], tenants: &[&str], deployables: &[&str]) -> TokenScope {
    let own = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
    TokenScope::Read {
        tiers: own(tiers),
        tenants: own(tenants),
        deployables: own(deployables),
        secrets: false,
    }
}

/// GET `path` with `token` (if any): the status and the JSON error, if there is one.
async fn get(address: &str, path: &str, token: Option<&str>) -> (StatusCode, String) {
    let mut request = reqwest::Client::new().get(format!("{address}{path}"));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    let error = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
        .unwrap_or_default();
    (status, error)
}

/// Waits (past the time servers keep tokens in memory) until `path` answers `status`.
async fn until_status(address: &str, path: &str, token: &str, status: StatusCode) -> String {
    let what = format!("{path} to answer {status}");
    common::until(&what, TOKEN_KEEP + Duration::from_secs(5), async || {
        let (got, error) = get(address, path, Some(token)).await;
        (got == status).then_some(error)
    })
    .await
}

const BERLIN: &str = "/api/v1/config/LIVE/acme-berlin/web-api";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_config_read_path_answers_only_a_live_read_token_in_scope() {
    let served = test_server().await.with_demo().await;
    let address = &served.address;
    let store = served.db.store().await;

    // No token, not a bearer token, a token nobody has: 401, saying how to authenticate.
    let response = reqwest::get(format!("{address}{BERLIN}")).await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"strata\""
    );
    let malformed = reqwest::Client::new()
        .get(format!("{address}{BERLIN}"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::UNAUTHORIZED);
    let (status, error) = get(address, BERLIN, Some("strata_nobody-has-this")).await;
    assert_eq!(
        (status, error.as_str()),
        (StatusCode::UNAUTHORIZED, "this token is not valid")
    );
    let (status, _) = get(address, "/api/v1/watch", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // A token for two tenants on LIVE reads their configs, by name or alias, and nothing
    // else: other tiers, tenants (existing or not) and deployables are 403.
    let berlin = create(
        &store,
        "berlin-reader",
        read(&["LIVE"], &["acme-berlin", "acme-amsterdam"], &[]),
    )
    .await;
    assert_eq!(get(address, BERLIN, Some(&berlin)).await.0, StatusCode::OK);
    let by_alias = "/api/v1/config/LIVE/acme-amsterdam-main/web-api";
    assert_eq!(
        get(address, by_alias, Some(&berlin)).await.0,
        StatusCode::OK
    );
    for (path, says) in [
        ("/api/v1/config/DEV/acme-berlin/web-api", "tier \"DEV\""),
        (
            "/api/v1/config/LIVE/acme-paris/web-api",
            "tenant \"acme-paris\"",
        ),
        (
            "/api/v1/config/LIVE/acme-nowhere/web-api",
            "tenant \"acme-nowhere\"",
        ),
    ] {
        let (status, error) = get(address, path, Some(&berlin)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {error}");
        assert!(error.contains(says), "{path}: {error}");
    }
    // Asked by an alias of a tenant it may not read, a token is answered with the name it
    // asked, not told the tenant's own name.
    let only_berlin = create(
        &store,
        "only-berlin",
        read(&["LIVE"], &["acme-berlin"], &[]),
    )
    .await;
    let (status, error) = get(address, by_alias, Some(&only_berlin)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    assert!(error.contains("tenant \"acme-amsterdam-main\""), "{error}");
    assert!(!error.contains("\"acme-amsterdam\""), "{error}");
    let web_api = create(&store, "web-api-reader", read(&["LIVE"], &[], &["web-api"])).await;
    assert_eq!(get(address, BERLIN, Some(&web_api)).await.0, StatusCode::OK);
    let (status, error) = get(
        address,
        "/api/v1/config/LIVE/acme-berlin/billing",
        Some(&web_api),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    // In scope but unknown is still 404.
    let (status, _) = get(
        address,
        "/api/v1/config/LIVE/acme-nowhere/web-api",
        Some(&web_api),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Asked for a tenant of another tier, a LIVE token is not told which tier that is; a token
    // that reads both tiers is.
    let elsewhere = store
        .as_operator()
        .list::<strata_domain::tenant::Tenant>()
        .await
        .unwrap()
        .into_iter()
        .find(|t| t.item.tier.as_str() == "DEV" && t.item.product.as_str() == "acme-shop")
        .unwrap()
        .item
        .name;
    let path = format!("/api/v1/config/LIVE/{elsewhere}/web-api");
    let (status, error) = get(address, &path, Some(&web_api)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    assert!(!error.contains("DEV"), "{error}");
    let (status, error) = get(address, &path, Some(common::READER_TOKEN)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{error}");
    assert!(error.contains("runs on tier \"DEV\""), "{error}");

    // A token that acts in an organization does not read configs.
    let acting = TokenScope::Act {
        organization: "acme".into(),
        role: Role::Admin,
    };
    let bot = create(&store, "acme-bot", acting).await;
    for path in [BERLIN, "/api/v1/watch"] {
        let (status, error) = get(address, path, Some(&bot)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(error.contains("needs a read token"), "{error}");
    }

    // Uses are counted (in memory, written every few seconds).
    let berlin_token = common::until(
        "the token's uses counted",
        Duration::from_secs(15),
        async || {
            let tokens = store.tokens(&Actor::operator("root")).await.unwrap();
            tokens
                .into_iter()
                .find(|t| t.name == "berlin-reader" && t.uses >= 2)
        },
    )
    .await;
    assert!(berlin_token.last_used_at_ms.is_some());

    // Revoked, or expired: 401 within the time servers keep tokens, saying which.
    store
        .revoke_token(&Actor::operator("root"), "berlin-reader")
        .await
        .unwrap();
    let error = until_status(address, BERLIN, &berlin, StatusCode::UNAUTHORIZED).await;
    assert_eq!(error, "token \"berlin-reader\" was revoked");
    served
        .db
        .execute_raw("UPDATE api_tokens SET expires_at_ms = 0 WHERE name = 'web-api-reader'")
        .await;
    let error = until_status(address, BERLIN, &web_api, StatusCode::UNAUTHORIZED).await;
    assert_eq!(error, "token \"web-api-reader\" has expired");
    assert_eq!(
        get(address, BERLIN, Some(READER_TOKEN)).await.0,
        StatusCode::OK
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_acting_in_an_organization_calls_the_console_as_that_role_only() {
    let served = test_server().await.with_demo().await;
    let address = &served.address;
    let store = served.db.store().await;
    let acting = |organization: &str, role| TokenScope::Act {
        organization: organization.into(),
        role,
    };
    let editor = create(&store, "acme-editor", acting("acme", Role::Editor)).await;
    let viewer = create(&store, "acme-viewer", acting("acme", Role::Viewer)).await;

    // No cookie, no Origin header: automation, not a browser.
    let save = |token: String, key: &'static str, name: &'static str| {
        let (address, store) = (address.clone(), store.clone());
        async move {
            let request = reqwest::Client::new()
                .post(format!("{address}/api/save"))
                .bearer_auth(token);
            let response =
                common::save_product_renamed(&store, request, key, name, "renamed by automation")
                    .await;
            (response.status(), response.text().await.unwrap())
        }
    };
    let (status, text) = save(editor.clone(), "acme-shop", "Acme Shop (bot)").await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let history = store
        .as_operator()
        .history("product", "acme-shop")
        .await
        .unwrap();
    assert_eq!(history.last().unwrap().actor, "token:acme-editor");

    let (status, text) = save(viewer, "acme-shop", "Acme Shop (viewer)").await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{text}");
    assert!(text.contains("token:acme-viewer may not change"), "{text}");
    let before = store
        .as_operator()
        .get::<Product>("glx-billing")
        .await
        .unwrap()
        .version;
    // Another organization's product does not exist for it, as when reading.
    let (_, text) = save(editor.clone(), "glx-billing", "Globex (acme's bot)").await;
    assert!(
        text.contains("glx-billing") && text.contains("does not exist"),
        "{text}"
    );
    assert!(!text.contains("globex"), "{text}");
    let after = store
        .as_operator()
        .get::<Product>("glx-billing")
        .await
        .unwrap()
        .version;
    assert_eq!(after, before, "nothing written");

    // A read token is not for the console; a bad token is 401, not a redirect.
    let (status, _) = save(READER_TOKEN.to_owned(), "acme-shop", "x").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = save("strata_nobody-has-this".to_owned(), "acme-shop", "x").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    store.close().await;
}
