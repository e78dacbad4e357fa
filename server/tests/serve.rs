//! The real server on a free port with its own database: health, readiness, the console's
//! first paint and a server function round trip.

mod common;

use common::{signed_in, start_server};
use serde_json::Value;
use strata_server::cache::CacheSetting;
use strata_store::Backend;
use strata_store::test_support::TestDatabase;

struct TestApp {
    address: String,
    /// Signed in as a domain admin.
    client: reqwest::Client,
    _db: TestDatabase,
    _dir: tempfile::TempDir,
}

async fn spawn_app(cache: CacheSetting) -> TestApp {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let address = start_server(&db, &dir.path().join("origin"), dir.path(), cache).await;
    let client = signed_in(&address, &db).await;
    TestApp {
        address,
        client,
        _db: db,
        _dir: dir,
    }
}

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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_reports_database_origin_and_cache() {
    let app = spawn_app(CacheSetting::InProcess).await;
    let response = client()
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["database"]["kind"], "SQLite");
    assert_eq!(body["database"]["state"], "up");
    assert!(
        body["database"]["version"]
            .as_str()
            .unwrap()
            .starts_with('3')
    );
    assert_eq!(body["origin"]["kind"], "directory");
    assert_eq!(body["origin"]["state"], "up");
    assert_eq!(body["cache"]["kind"], "in-process");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_names_the_redis_version_when_redis_answers() {
    let cache = CacheSetting::parse(Some(&redis_url())).unwrap();
    let app = spawn_app(cache).await;
    let body: Value = client()
        .get(format!("{}/readyz", app.address))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["cache"]["kind"], "Redis");
    assert_eq!(body["cache"]["state"], "up", "{body}");
    assert!(body["cache"]["version"].as_str().unwrap().contains('.'));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_and_says_why_when_redis_is_down() {
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
    assert_eq!(body["cache"]["state"], "down");
    assert!(!body["cache"]["error"].as_str().unwrap().is_empty());
    assert_eq!(body["database"]["state"], "up");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_home_page_is_rendered_on_the_server_with_the_domain_and_revision() {
    let app = spawn_app(CacheSetting::InProcess).await;
    let response = app
        .client
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
        .client
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
        .client
        .get(format!("{}/no-such-page", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Not found"));
    let tiers = app
        .client
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
    let client = app.client.clone();
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
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        if let Ok(text) = std::fs::read_to_string(origin.join("HEAD")) {
            let head: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(head["revision"], 1);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "revision 1 was not published"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    store.close().await;
}

/// The publications page lists each revision with its state, rendered on the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_publications_page_shows_each_revision_and_its_state() {
    let app = spawn_app(CacheSetting::InProcess).await;
    let empty = app
        .client
        .get(format!("{}/publications", app.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(empty.contains("No revision was committed yet"), "{empty}");

    let store = app._db.store().await;
    store.load_demo("olga").await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let html = app
            .client
            .get(format!("{}/publications", app.address))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if html.contains("badge up\">published") {
            assert!(html.contains("data-revision=\"1\""), "{html}");
            assert!(html.contains("olga"), "{html}");
            assert!(html.contains("7 documents, 7 new"), "{html}");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "not published: {html}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    store.close().await;
}
