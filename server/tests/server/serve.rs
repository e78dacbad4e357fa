//! The real server on a free port with its own database: health, readiness, the console's
//! first paint and a server function round trip.

use crate::common;

use common::{TestApp, spawn_app, start_server};
use std::time::Duration;

use serde_json::Value;
use strata_server::cache::CacheSetting;
use strata_store::Backend;
use strata_store::test_support::TestDatabase;

/// The text of the first element carrying `data-testid="{id}"`.
fn text_of(html: &str, id: &str) -> String {
    let marker = format!("data-testid=\"{id}\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {id} in {html}"));
    let open_end = start + html[start..].find('>').unwrap() + 1;
    let close = open_end + html[open_end..].find('<').unwrap();
    html[open_end..close].to_owned()
}

/// The server runs on a multi-threaded runtime as `strata serve` does; requests time out so a
/// hang fails the test naming the request instead of stalling the run.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap()
}

fn redis_url() -> String {
    std::env::var("STRATA_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_ok() {
    let app = spawn_app(CacheSetting::InProcess).await;
    let response = client()
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");
}

/// The health the console's home page is given, as `client` sees it.
async fn overview_health(app: &TestApp, client: &reqwest::Client) -> Value {
    let overview: Value = client
        .post(format!("{}/api/overview", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    overview["health"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_tells_anyone_whether_each_part_is_up_and_no_more() {
    let app = spawn_app(CacheSetting::InProcess).await;
    let response = client()
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"ready": true, "database": "up", "origin": "up", "cache": "up"})
    );
    // Where the parts are and which versions answer: for domain admins, on the home page.
    let health = overview_health(&app, app.client().await).await;
    assert_eq!(health["database"]["kind"], "SQLite");
    assert!(
        health["database"]["version"]
            .as_str()
            .unwrap()
            .starts_with('3')
    );
    assert!(
        health["database"]["location"]
            .as_str()
            .unwrap()
            .contains("strata.db")
    );
    assert_eq!(health["origin"]["kind"], "directory");
    assert_eq!(health["cache"]["kind"], "in-process");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_page_names_versions_and_places_only_to_domain_admins() {
    let cache = CacheSetting::parse(Some(&redis_url())).unwrap();
    let app = spawn_app(cache).await;
    let health = overview_health(&app, app.client().await).await;
    assert_eq!(health["cache"]["kind"], "Redis");
    assert_eq!(health["cache"]["state"], "up", "{health}");
    assert!(health["cache"]["version"].as_str().unwrap().contains('.'));

    let store = app.db.store().await;
    let viewer = strata_store::access::NewUser {
        name: "vera",
        display_name: "Vera",
        password: common::TESTER_PASSWORD,
        domain_admin: false,
    };
    let root = strata_store::access::Actor::operator("test");
    store.load_demo("test").await.unwrap();
    store.add_user(&root, viewer).await.unwrap();
    store
        .set_role(
            &root,
            "vera",
            "acme",
            Some(strata_domain::access::Role::Viewer),
        )
        .await
        .unwrap();
    store.close().await;
    let vera = common::sign_in_as(&app.address, "vera", common::TESTER_PASSWORD)
        .await
        .unwrap();
    let health = overview_health(&app, &vera).await;
    assert_eq!(health["cache"]["state"], "up");
    for part in ["database", "origin", "cache"] {
        assert_eq!(health[part]["location"], "", "{health}");
        assert_eq!(health[part]["version"], Value::Null, "{health}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_and_says_which_part_is_down() {
    // A port nothing listens on: bind one, note it, and let it go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cache = CacheSetting::parse(Some(&format!("redis://127.0.0.1:{port}"))).unwrap();
    let app = spawn_app(cache).await;
    let response = client()
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["cache"], "down");
    assert_eq!(body["database"], "up");
    assert_eq!(body["ready"], false);
    let health = overview_health(&app, app.client().await).await;
    assert!(!health["cache"]["error"].as_str().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_page_is_rendered_on_the_server_with_the_domain_and_revision() {
    let app = spawn_app(CacheSetting::InProcess).await;
    let response = app
        .client()
        .await
        .get(format!("{}/", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let html = response.text().await.unwrap();
    assert_eq!(text_of(&html, "domain-name"), "Strata");
    assert_eq!(text_of(&html, "revision"), "0");
    for section in [
        "Tiers",
        "Organizations",
        "Products",
        "Deployables",
        "Tenants",
        "Configs",
        "History",
        "Publications",
    ] {
        assert!(html.contains(section), "sidebar lacks {section}");
    }
    assert!(
        html.contains("/pkg/strata.js"),
        "the page loads the console's script"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_server_function_round_trips() {
    let app = spawn_app(CacheSetting::InProcess).await;
    let response = app
        .client()
        .await
        .post(format!("{}/api/overview", app.address))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["revision"], 0);
    assert_eq!(body["display_name"], "Strata");
    assert_eq!(body["health"]["database"]["state"], "up");
    assert_eq!(body["person"]["name"], "tester");
    assert_eq!(body["person"]["grants"]["domain_admin"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_pages_are_404_and_sections_are_200() {
    let app = spawn_app(CacheSetting::InProcess).await;
    let missing = app
        .client()
        .await
        .get(format!("{}/no-such-page", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Not found"));
    let tiers = app
        .client()
        .await
        .get(format!("{}/tiers", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(tiers.status(), 200);
}

/// Building another server in the same process must not stall pages that are being rendered:
/// the console's route list is found once per process (see `http::console`). Before that, a
/// page whose data was first asked for while another server was starting never finished.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_finish_while_other_servers_start_in_the_same_process() {
    let app = spawn_app(CacheSetting::InProcess).await;
    let started = std::sync::atomic::AtomicBool::new(false);
    let start_others = async {
        let mut others = Vec::new();
        for _ in 0..8 {
            others.push(spawn_app(CacheSetting::InProcess).await);
        }
        started.store(true, std::sync::atomic::Ordering::SeqCst);
        others
    };
    let client = app.client().await.clone();
    let render_pages = async {
        let mut rendered = 0;
        while !started.load(std::sync::atomic::Ordering::SeqCst) || rendered < 20 {
            let mut pages = tokio::task::JoinSet::new();
            for _ in 0..4 {
                let (client, url) = (client.clone(), format!("{}/", app.address));
                pages.spawn(async move {
                    let response = client.get(url).send().await?.error_for_status()?;
                    response.text().await
                });
            }
            while let Some(page) = pages.join_next().await {
                let html = page.unwrap().expect("the home page answers and finishes");
                assert_eq!(text_of(&html, "revision"), "0");
                rendered += 1;
            }
        }
    };
    let (others, ()) = tokio::join!(start_others, render_pages);
    drop(others);
}

/// A running server publishes what is committed, also by another process, within seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_publishes_each_commit_to_its_origin() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let origin = dir.path().join("origin");
    start_server(&db, &origin, dir.path(), CacheSetting::InProcess).await;
    // Another process's store: its commits reach the server through the outbox alone.
    let store = db.store().await;
    store.load_demo("kate").await.unwrap();
    let head: Value = common::until(
        "revision 1 at the origin",
        Duration::from_secs(10),
        async || {
            let text = std::fs::read_to_string(origin.join("HEAD")).ok()?;
            Some(serde_json::from_str(&text).unwrap())
        },
    )
    .await;
    assert_eq!(head["revision"], 1);
    store.close().await;
}

/// The publications page lists each revision with its state, rendered on the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_publications_page_shows_each_revision_and_its_state() {
    let app = spawn_app(CacheSetting::InProcess).await;
    let empty = app
        .client()
        .await
        .get(format!("{}/publications", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(empty.contains("No revision was committed yet"), "{empty}");

    let store = app.db.store().await;
    store.load_demo("olga").await.unwrap();
    let html = common::until(
        "revision 1 published",
        Duration::from_secs(10),
        async || {
            let html = app
                .client()
                .await
                .get(format!("{}/publications", app.address))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            html.contains("badge up\">published").then_some(html)
        },
    )
    .await;
    assert!(html.contains("data-revision=\"1\""), "{html}");
    assert!(html.contains("olga"), "{html}");
    let figures = store
        .as_operator()
        .publication(1)
        .await
        .unwrap()
        .unwrap()
        .figures
        .unwrap();
    let documents = format!("{0} documents, {0} new", figures.documents);
    assert!(figures.documents > 7, "{figures:?}");
    assert!(html.contains(&documents), "{documents} in {html}");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_that_refers_to_itself_is_edited_in_a_form_and_the_server_stays_up() {
    let app = spawn_app(CacheSetting::InProcess).await;
    let store = app.db.store().await;
    let tree = strata_domain::deployable::Deployable {
        name: strata_domain::names::DeployableName::parse("tree-svc").unwrap(),
        display_name: "Tree".into(),
        config_schema: serde_json::json!({
            "$defs": {"node": {"type": "object", "properties": {
                "label": {"type": "string"},
                "child": {"$ref": "#/$defs/node"}
            }}},
            "type": "object",
            "properties": {"root": {"$ref": "#/$defs/node"}}
        }),
        default_config: serde_json::json!({"root": {"label": "a", "child": {"label": "b"}}}),
    };
    let mut change = store
        .begin(
            &strata_store::access::Actor::operator("test"),
            "a recursive schema",
        )
        .await
        .unwrap();
    change.create(tree).await.unwrap();
    change.commit().await.unwrap();
    store.close().await;
    let page = app
        .client()
        .await
        .get(format!("{}/configs/tree-svc/default", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    // The node's own fields are a form; where the node holds itself again, JSON.
    assert!(
        html.contains("data-pointer=\"/root/label\""),
        "{html:.2000}"
    );
    assert!(html.contains("contains itself"), "{html:.2000}");

    // Parts that refer to each other without a cycle: 12 levels of 10 properties, each the next
    // level, would be 10^12 fields; the form draws a bounded number, then offers JSON.
    let mut defs = serde_json::Map::new();
    for level in 0..12 {
        let property = match level {
            11 => serde_json::json!({"type": "string"}),
            _ => serde_json::json!({"$ref": format!("#/$defs/level{}", level + 1)}),
        };
        let properties: serde_json::Map<String, Value> = (0..10)
            .map(|i| (format!("p{i}"), property.clone()))
            .collect();
        defs.insert(
            format!("level{level}"),
            serde_json::json!({"type": "object", "properties": properties}),
        );
    }
    let maze = strata_domain::deployable::Deployable {
        name: strata_domain::names::DeployableName::parse("maze-svc").unwrap(),
        display_name: "Maze".into(),
        config_schema: serde_json::json!({"$defs": defs, "$ref": "#/$defs/level0"}),
        default_config: serde_json::json!({}),
    };
    let store = app.db.store().await;
    let mut change = store
        .begin(&strata_store::access::Actor::operator("test"), "a maze")
        .await
        .unwrap();
    change.create(maze).await.unwrap();
    change.commit().await.unwrap();
    store.close().await;
    let page = app
        .client()
        .await
        .get(format!("{}/configs/maze-svc/default", app.address))
        .timeout(std::time::Duration::from_secs(60))
        .send()
        .await
        .expect("the page within a minute");
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("The form has more than 500 fields"),
        "{html:.2000}"
    );
    let fields = html.matches("data-pointer=").count();
    assert!(fields < 2_000, "{fields} fields drawn");

    let alive = client()
        .get(format!("{}/healthz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(alive.status(), 200);
}

/// Every script on the page carries the nonce the policy names, and only those run.
fn assert_scripts_carry_the_policys_nonce(path: &str, policy: &str, html: &str) {
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap_or_else(|| panic!("{path}: no nonce in {policy}"));
    let tags: Vec<&str> = html
        .split("<script")
        .skip(1)
        .map(|rest| rest.split('>').next().unwrap_or(rest))
        .collect();
    assert!(!tags.is_empty(), "{path}: no script");
    for tag in tags {
        assert!(
            tag.contains(&format!("nonce=\"{nonce}\"")),
            "{path}: a script without the nonce of {policy}: <script{tag}>"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_pages_send_a_strict_content_security_policy_with_their_nonce() {
    let app = spawn_app(CacheSetting::InProcess).await;
    for path in ["/", "/sign-in", "/tenants", "/no-such-page"] {
        let response = app
            .client()
            .await
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        let headers = response.headers().clone();
        assert_eq!(headers["x-frame-options"], "DENY", "{path}");
        assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(headers["referrer-policy"], "same-origin", "{path}");
        let policy = headers["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert!(!policy.contains("unsafe-inline"), "{path}: {policy}");
        let html = response.text().await.unwrap();
        assert_scripts_carry_the_policys_nonce(path, &policy, &html);
    }
    for path in ["/healthz", "/api/openapi.json", "/pkg/strata.css"] {
        let response = client()
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{path}"
        );
        assert!(
            response.headers()["content-security-policy"]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'"),
            "{path}"
        );
    }
}

/// Pages rendered side by side, and right after a server function's save, each send the policy
/// with the nonce their own scripts carry (once in a while a page came with the policy for
/// answers that set none, and the browser refused all its scripts).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_console_pages_each_name_their_own_nonce() {
    let app = spawn_app(CacheSetting::InProcess).await.with_demo().await;
    let client = app.client().await.clone();
    let store = app.db.store().await;
    let paths = [
        "/",
        "/tenants",
        "/tenants/acme-berlin",
        "/products",
        "/deployables/web-api",
        "/new/products",
        "/audit",
        "/publications",
        "/no-such-page",
    ];
    for round in 0..8 {
        let mut pages = tokio::task::JoinSet::new();
        for path in paths {
            let (client, url) = (client.clone(), format!("{}{path}", app.address));
            pages.spawn(async move {
                let response = client.get(url).send().await.unwrap();
                let policy = response.headers()["content-security-policy"]
                    .to_str()
                    .unwrap()
                    .to_owned();
                (path, policy, response.text().await.unwrap())
            });
        }
        // A save through a server function while the pages render.
        let saved = common::save_product_renamed(
            &store,
            client.post(format!("{}/api/save", app.address)),
            "glx-billing",
            &format!("Billing {round}"),
            "nonce test",
        )
        .await;
        assert!(saved.status().is_success(), "{}", saved.status());
        while let Some(page) = pages.join_next().await {
            let (path, policy, html) = page.unwrap();
            assert_scripts_carry_the_policys_nonce(path, &policy, &html);
        }
    }
    store.close().await;
}

/// A build that named its files after their content: each is sent compressed as the browser
/// accepts, from the copy the build made, and kept a year; pages name those files and are
/// checked each time. Files without a hash in their name are checked each time too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_files_are_sent_compressed_and_kept_while_their_name_holds() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let site = tempfile::tempdir().unwrap();
    let pkg = site.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let css = "strata.0123456789abcdef.css";
    // What each copy holds tells which one was sent (the client decodes nothing).
    std::fs::write(pkg.join(css), "plain").unwrap();
    std::fs::write(pkg.join(format!("{css}.br")), "brotli").unwrap();
    std::fs::write(pkg.join(format!("{css}.gz")), "gzip").unwrap();
    std::fs::write(pkg.join("strata.css"), "unhashed").unwrap();
    std::fs::write(
        site.path().join("hash.txt"),
        "js: 1111111111111111\nwasm: 2222222222222222\ncss: 0123456789abcdef\n",
    )
    .unwrap();
    let address = start_server(
        &db,
        &site.path().join("origin"),
        site.path(),
        CacheSetting::InProcess,
    )
    .await;
    let client = reqwest::Client::new();
    let get = async |path: &str, encodings: &str| {
        let mut request = client.get(format!("{address}{path}"));
        if !encodings.is_empty() {
            request = request.header("accept-encoding", encodings);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_default()
        };
        let headers = (
            header("content-encoding"),
            header("cache-control"),
            header("content-type"),
            header("vary"),
        );
        (headers, response.text().await.unwrap())
    };

    let immutable = "public, max-age=31536000, immutable";
    let ((encoding, cache, kind, vary), body) = get(&format!("/pkg/{css}"), "gzip, br").await;
    assert_eq!(
        (encoding.as_str(), cache.as_str(), body.as_str()),
        ("br", immutable, "brotli")
    );
    assert_eq!(kind, "text/css");
    assert!(vary.to_lowercase().contains("accept-encoding"), "{vary}");
    let ((encoding, cache, _, _), body) = get(&format!("/pkg/{css}"), "gzip").await;
    assert_eq!(
        (encoding.as_str(), cache.as_str(), body.as_str()),
        ("gzip", immutable, "gzip")
    );
    let ((encoding, _, _, _), body) = get(&format!("/pkg/{css}"), "").await;
    assert_eq!((encoding.as_str(), body.as_str()), ("", "plain"));
    let ((_, cache, _, _), body) = get("/pkg/strata.css", "br").await;
    assert_eq!((cache.as_str(), body.as_str()), ("no-cache", "unhashed"));

    // The sign-in page (every page has the same head) names the hashed files.
    let ((_, cache, kind, _), html) = get("/sign-in", "").await;
    assert!(kind.starts_with("text/html"), "{kind}");
    assert_eq!(cache, "private, no-cache");
    for file in [
        "/pkg/strata.1111111111111111.js",
        "/pkg/strata.2222222222222222.wasm",
        "/pkg/strata.0123456789abcdef.css",
    ] {
        assert!(html.contains(file), "{file} in {html}");
    }
}
