//! The read path for services: resolved configs served from the compiled revision, with the
//! revision as ETag, env format, aliases, and 404s that name the unknown part. A new server
//! serves what its origin holds before it publishes anything itself.

use crate::common;

use std::path::Path;
use std::time::Duration;

use common::{READER_TOKEN, start_server};
use serde_json::{Value, json};
use strata_domain::layer::{ConfigLayer, Layer};
use strata_domain::names::{DeployableName, TenantName, TierName};
use strata_server::auth::TOKEN_KEEP as KEEP;
use strata_server::cache::CacheSetting;
use strata_store::access::Actor;
use strata_store::test_support::TestDatabase;
use strata_store::{Backend, Store};

async fn serve(db: &TestDatabase, origin: &Path, site: &Path) -> String {
    start_server(db, origin, site, CacheSetting::InProcess).await
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// Waits until the config URL answers with ETag `"revision"`.
async fn until_revision(url: &str, revision: i64) -> reqwest::Response {
    common::until_revision(url, revision, Duration::from_secs(10)).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_read_resolved_configs_by_revision() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let origin = dir.path().join("origin");
    let server = serve(&db, &origin, dir.path()).await;
    let url = format!("{server}/api/v1/config/LIVE/acme-berlin/web-api");

    let early = client()
        .get(&url)
        .bearer_auth(READER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(early.status(), 503);
    assert_eq!(
        early.json::<Value>().await.unwrap()["error"]["message"],
        "no revision has been published yet"
    );

    let store: Store = db.store().await;
    store.load_demo("leo").await.unwrap();
    let response = until_revision(&url, 1).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let served: Value = response.json().await.unwrap();
    let resolved = store
        .as_operator()
        .resolve(
            &TierName::parse("LIVE").unwrap(),
            &TenantName::parse("acme-berlin").unwrap(),
            &DeployableName::parse("web-api").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(served, resolved.resolved.config);
    assert_eq!(served["rate_limit"]["requests_per_second"], 2000);

    let cached = client()
        .get(&url)
        .bearer_auth(READER_TOKEN)
        .header("if-none-match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(cached.status(), 304);
    assert_eq!(cached.headers()["etag"], "\"1\"");

    // Another answer of the same revision has a tag of its own: the JSON's tag does not
    // stand for the env lines.
    let env = client()
        .get(format!("{url}?format=env"))
        .bearer_auth(READER_TOKEN)
        .header("if-none-match", "\"1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(env.status(), 200);
    assert_eq!(env.headers()["etag"], "\"1-env-sh\"");
    let env = env.text().await.unwrap();
    assert!(env.contains("DATABASE_HOST=db.live.internal\n"), "{env}");
    assert!(
        env.contains("RATE_LIMIT_REQUESTS_PER_SECOND=2000\n"),
        "{env}"
    );

    // An alias names the same tenant.
    let by_alias = client()
        .get(format!(
            "{server}/api/v1/config/LIVE/acme-amsterdam-main/web-api"
        ))
        .bearer_auth(READER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(by_alias.status(), 200);

    for (path, part) in [
        ("LIVE/acme-nowhere/web-api", "tenant"),
        ("DEV/acme-berlin/web-api", "tier"),
        ("LIVE/acme-berlin/nothing", "deployable"),
        ("LIVE/acme-berlin/billing", "deployable"),
    ] {
        let response = client()
            .get(format!("{server}/api/v1/config/{path}"))
            .bearer_auth(READER_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["error"]["details"][0]["unknown"], part,
            "{path}: {body}"
        );
    }
    let bad = client()
        .get(format!("{url}?format=xml"))
        .bearer_auth(READER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);

    // A change is served as the next revision.
    let layer = store
        .as_operator()
        .get::<ConfigLayer>("web-api/tenant/acme-berlin")
        .await
        .unwrap();
    let mut change = store
        .begin(&Actor::operator("leo"), "more traffic")
        .await
        .unwrap();
    change
        .update(
            layer.version,
            ConfigLayer {
                deployable: DeployableName::parse("web-api").unwrap(),
                scope: Layer::Tenant(TenantName::parse("acme-berlin").unwrap()),
                config: json!({"rate_limit": {"requests_per_second": 3000}}),
            },
        )
        .await
        .unwrap();
    change.commit().await.unwrap();
    let response = until_revision(&url, 2).await;
    assert_eq!(
        response.json::<Value>().await.unwrap()["rate_limit"]["requests_per_second"],
        3000
    );

    // Another server on the same origin serves revision 2 from the origin alone.
    let empty = TestDatabase::new(Backend::Sqlite).await;
    let other = serve(&empty, &origin, dir.path()).await;
    let response = client()
        .get(format!("{other}/api/v1/config/LIVE/acme-berlin/web-api"))
        .bearer_auth(READER_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["etag"], "\"2\"");
    store.close().await;
}

/// Reads SSE `revision` events from a watch response until `count` arrived.
async fn revisions_from(mut response: reqwest::Response, count: usize) -> Vec<i64> {
    let mut text = String::new();
    let mut seen = Vec::new();
    while seen.len() < count {
        let chunk = tokio::time::timeout(Duration::from_secs(10), response.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .expect("the stream stays open");
        text.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = text.find("\n\n") {
            let event: String = text.drain(..end + 2).collect();
            if let Some(id) = event.lines().find_map(|l| l.strip_prefix("id:")) {
                seen.push(id.trim().parse().unwrap());
            }
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_gets_each_served_revision_once_in_order() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&db, &dir.path().join("origin"), dir.path()).await;
    let store: Store = db.store().await;
    let url = format!("{server}/api/v1/config/LIVE/acme-berlin/web-api");
    let watch = client()
        .get(format!("{server}/api/v1/watch?after=0"))
        .bearer_auth(READER_TOKEN)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .unwrap();
    assert_eq!(watch.headers()["content-type"], "text/event-stream");
    store.load_demo("mia").await.unwrap();
    until_revision(&url, 1).await;
    for revision in 2..=4 {
        common::rename_tier(&store, "DEV", &format!("Development {revision}")).await;
        until_revision(&url, revision).await;
    }
    assert_eq!(revisions_from(watch, 4).await, vec![1, 2, 3, 4]);

    // A watcher that has seen revision 3 hears of 4 only.
    let late = client()
        .get(format!("{server}/api/v1/watch?after=3"))
        .bearer_auth(READER_TOKEN)
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .unwrap();
    assert_eq!(revisions_from(late, 1).await, vec![4]);
    store.close().await;
}

/// Replicas share a database and an origin: each revision is published by one of them, and
/// every one serves it (the others load it from the origin).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_replica_serves_what_one_of_them_published() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let origin = dir.path().join("origin");
    let replicas = [
        serve(&db, &origin, dir.path()).await,
        serve(&db, &origin, dir.path()).await,
        serve(&db, &origin, dir.path()).await,
    ];
    let store: Store = db.store().await;
    store.load_demo("leo").await.unwrap();
    for revision in 1..=3 {
        if revision > 1 {
            common::rename_tier(&store, "LIVE", &format!("Production {revision}")).await;
        }
        for replica in &replicas {
            until_revision(
                &format!("{replica}/api/v1/config/LIVE/acme-berlin/web-api"),
                revision,
            )
            .await;
        }
        let publication = store
            .as_operator()
            .publication(revision)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            publication.attempts, 1,
            "one replica published revision {revision}"
        );
    }
    store.close().await;
}

/// A read's status and how long it took.
async fn timed_read(url: &str, token: &str) -> (u16, Duration) {
    let started = std::time::Instant::now();
    let status = client()
        .get(url)
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    (status, started.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_go_on_from_memory_while_the_database_is_down() {
    let db = TestDatabase::new(Backend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let server = serve(&db, &dir.path().join("origin"), dir.path()).await;
    let url = format!("{server}/api/v1/config/LIVE/acme-berlin/web-api");
    let store: Store = db.store().await;
    store.load_demo("leo").await.unwrap();
    until_revision(&url, 1).await;

    db.set_reachable(false).await;
    // Longer than a token is kept without asking the store again: every read is answered
    // from memory, at once.
    let mut slowest = Duration::ZERO;
    for _ in 0..12 {
        let (status, took) = timed_read(&url, READER_TOKEN).await;
        assert_eq!(
            status, 200,
            "a known token reads while the database is down"
        );
        slowest = slowest.max(took);
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert!(
        slowest < Duration::from_millis(500),
        "the slowest read took {slowest:?}"
    );
    // A token the server never saw cannot be checked: refused, and quickly.
    let unknown = "strata_never-seen-before";
    let (status, first) = timed_read(&url, unknown).await;
    assert_eq!(status, 503);
    assert!(first < Duration::from_secs(3), "{first:?}");
    let (status, again) = timed_read(&url, unknown).await;
    assert_eq!(status, 503);
    assert!(again < Duration::from_millis(500), "{again:?}");
    println!(
        "database down: 12 reads with a known token over 4.8 s, all 200, slowest {} ms; \
         an unknown token refused in {} ms, then {} ms",
        slowest.as_millis(),
        first.as_millis(),
        again.as_millis()
    );

    // Back up: the token is asked about again (its answer kept no longer than KEEP)...
    db.set_reachable(true).await;
    store.close().await;
    let store: Store = db.store().await;
    common::until(
        "the store to answer for the token again",
        Duration::from_secs(10),
        async || {
            tokio::time::sleep(KEEP).await;
            let (status, took) = timed_read(&url, READER_TOKEN).await;
            (status == 200 && took < Duration::from_millis(500)).then_some(())
        },
    )
    .await;
    // ... so a revocation applies once KEEP has passed: the very next read is refused.
    store
        .revoke_token(&Actor::operator("root"), "test-reader")
        .await
        .unwrap();
    tokio::time::sleep(KEEP + Duration::from_millis(100)).await;
    let (status, _) = timed_read(&url, READER_TOKEN).await;
    assert_eq!(
        status, 401,
        "the first read after KEEP knows of the revocation"
    );
    store.close().await;
    db.drop_database().await;
}
