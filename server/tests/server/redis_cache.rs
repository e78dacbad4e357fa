//! Compiling published revisions into a real Redis: one hash per revision in MessagePack, the
//! current-revision key moved last, a notification per revision, the superseded revision
//! expiring after the grace period; with Redis down the publication waits and completes later;
//! a Redis that restarts empty is filled again.

use crate::common;

use std::time::Duration;

use common::redis_server::RedisServer;

use futures_util::StreamExt;
use serde_json::Value;
use strata_domain::names::{DeployableName, DomainName, TenantName, TierName};
use strata_domain::settings::DomainSettings;
use strata_server::origin::{DirectoryOrigin, Origin};
use strata_server::publisher::{Outcome, Publisher};
use strata_server::redis_cache::{GRACE, Keys, RedisCache};
use strata_store::access::Actor;
use strata_store::test_support::TestDatabase;
use strata_store::{Backend, Store};

fn redis_url() -> String {
    std::env::var("STRATA_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

fn cache(url: &str) -> RedisCache {
    RedisCache::new(redis::Client::open(url).unwrap(), url.to_owned())
}

/// A store whose domain has a name of its own, so tests sharing one Redis do not meet.
async fn store_with_unique_domain(db: &TestDatabase) -> (Store, String) {
    let store = db.store().await;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!("test-{}-{nanos}", std::process::id());
    let mut change = store
        .begin(&Actor::operator("nina"), "a domain of its own")
        .await
        .unwrap();
    change
        .update_domain(
            0,
            DomainSettings {
                name: DomainName::parse(name.clone()).unwrap(),
                display_name: "Test".into(),
                origin_url: String::new(),
            },
        )
        .await
        .unwrap();
    change.commit().await.unwrap();
    store.load_demo("nina").await.unwrap();
    (store, name)
}

/// The revision Redis names current for `domain`; `None` when it names none or is down.
async fn redis_current(url: &str, domain: &str) -> Option<i64> {
    let client = redis::Client::open(url).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.ok()?;
    redis::cmd("GET")
        .arg(Keys::new(domain).current())
        .query_async(&mut conn)
        .await
        .ok()?
}

fn is_published(outcome: Option<Outcome>) -> i64 {
    match outcome {
        Some(Outcome::Published { revision, .. }) => revision,
        other => panic!("expected a publication, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_publication_is_compiled_into_redis_and_announced() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let (store, domain) = store_with_unique_domain(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let origin = Origin::Directory(DirectoryOrigin::new(dir.path()));
    let publisher = Publisher::new(store.clone(), origin, "test", Default::default())
        .with_redis(cache(&redis_url()));
    assert_eq!(is_published(publisher.publish_next().await.unwrap()), 2);

    assert_eq!(redis_current(&redis_url(), &domain).await, Some(2));
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys = Keys::new(&domain);
    let packed: Vec<u8> = redis::cmd("HGET")
        .arg(keys.revision(2))
        .arg(Keys::field("LIVE", "acme-berlin", "web-api"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let config: Value = rmp_serde::from_slice(&packed).unwrap();
    let resolved = store
        .as_operator()
        .resolve(
            &TierName::parse("LIVE").unwrap(),
            &TenantName::parse("acme-berlin").unwrap(),
            &DeployableName::parse("web-api").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(config, resolved.resolved.config);
    let fields: i64 = redis::cmd("HLEN")
        .arg(keys.revision(2))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(fields > 100, "{fields} configs");
    let alias: String = redis::cmd("HGET")
        .arg(keys.aliases(2))
        .arg("acme-amsterdam-main")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(alias, "acme-amsterdam");

    // The next revision is announced, and the one before expires after the grace period.
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    pubsub.subscribe(keys.channel()).await.unwrap();
    common::rename_tier(&store, "DEV", "Dev").await;
    assert_eq!(is_published(publisher.publish_next().await.unwrap()), 3);
    let message = tokio::time::timeout(Duration::from_secs(5), pubsub.on_message().next())
        .await
        .expect("an announcement")
        .unwrap();
    assert_eq!(message.get_payload::<String>().unwrap(), "3");
    let ttl: i64 = redis::cmd("TTL")
        .arg(keys.revision(2))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= GRACE.as_secs() as i64, "ttl {ttl}");
    let ttl: i64 = redis::cmd("TTL")
        .arg(keys.revision(3))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(ttl, -1, "the current revision does not expire");
    // Revision 3 was copied from 2 inside Redis: the same configs.
    let hlen = |rev: i64| redis::cmd("HLEN").arg(keys.revision(rev)).clone();
    let two: i64 = hlen(2).query_async(&mut conn).await.unwrap();
    let three: i64 = hlen(3).query_async(&mut conn).await.unwrap();
    assert_eq!(two, three);

    // A tenant taken down: its configs leave the next revision's hash.
    let berlin = store
        .as_operator()
        .get::<strata_domain::tenant::Tenant>("acme-berlin")
        .await
        .unwrap();
    let mut down = berlin.item.clone();
    let mut change = store
        .begin(&Actor::operator("nina"), "take berlin down")
        .await
        .unwrap();
    down.state = strata_domain::tenant::TenantState::Uninitializing;
    change.update(berlin.version, down.clone()).await.unwrap();
    down.state = strata_domain::tenant::TenantState::Deleted;
    change.update(berlin.version + 1, down).await.unwrap();
    change.commit().await.unwrap();
    assert_eq!(is_published(publisher.publish_next().await.unwrap()), 4);
    let four: i64 = hlen(4).query_async(&mut conn).await.unwrap();
    assert_eq!(four, three - 4, "acme-shop has 4 deployables");
    let gone: Option<Vec<u8>> = redis::cmd("HGET")
        .arg(keys.revision(4))
        .arg(Keys::field("LIVE", "acme-berlin", "web-api"))
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(gone, None);
    let kept: Vec<u8> = redis::cmd("HGET")
        .arg(keys.revision(4))
        .arg(Keys::field("LIVE", "acme-amsterdam", "web-api"))
        .query_async(&mut conn)
        .await
        .unwrap();
    let amsterdam = store
        .as_operator()
        .resolve(
            &TierName::parse("LIVE").unwrap(),
            &TenantName::parse("acme-amsterdam").unwrap(),
            &DeployableName::parse("web-api").unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        rmp_serde::from_slice::<Value>(&kept).unwrap(),
        amsterdam.resolved.config
    );
    let _: () = redis::cmd("DEL")
        .arg(keys.revision(2))
        .arg(keys.revision(3))
        .arg(keys.revision(4))
        .arg(keys.aliases(2))
        .arg(keys.aliases(3))
        .arg(keys.aliases(4))
        .arg(keys.current())
        .query_async(&mut conn)
        .await
        .unwrap();
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_down_the_publication_waits_and_completes_when_it_is_back() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let (store, domain) = store_with_unique_domain(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let origin = Origin::Directory(DirectoryOrigin::new(dir.path()));
    let down = Publisher::new(store.clone(), origin.clone(), "down", Default::default())
        .with_redis(cache("redis://127.0.0.1:1"));
    match down.publish_next().await.unwrap() {
        Some(Outcome::Failed {
            revision: 2, error, ..
        }) => {
            assert!(
                error.contains("the Redis cache at redis://127.0.0.1:1 is unavailable"),
                "{error}"
            );
        }
        other => panic!("expected a failure, got {other:?}"),
    }
    // The audit log has the failed compilation and publication, newest first.
    let events: Vec<_> = store
        .audit_events(Some(2), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.action.as_str(), e.detail["cache"].clone(), e.succeeded))
        .collect();
    assert_eq!(
        events,
        [
            ("publish", serde_json::Value::Null, false),
            ("compile", serde_json::Value::Null, false),
            ("compile", "in-process".into(), true),
        ]
    );
    // Writes go on meanwhile.
    common::rename_tier(&store, "DEV", "Dev").await;

    let up = Publisher::new(store.clone(), origin, "up", Default::default())
        .with_redis(cache(&redis_url()));
    assert_eq!(is_published(up.publish_next().await.unwrap()), 3);
    assert_eq!(redis_current(&redis_url(), &domain).await, Some(3));
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys = Keys::new(&domain);
    let _: () = redis::cmd("DEL")
        .arg(keys.revision(3))
        .arg(keys.aliases(3))
        .arg(keys.current())
        .query_async(&mut conn)
        .await
        .unwrap();
    store.close().await;
}

async fn until_redis_current(url: &str, revision: i64) {
    let what = format!("Redis at {url} to name revision {revision} current");
    common::until(&what, Duration::from_secs(30), async || {
        (redis_current(url, "strata").await == Some(revision)).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_server_fills_a_redis_that_was_stopped_and_restarted_empty() {
    let mut redis = RedisServer::start();
    let db = TestDatabase::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let cache = strata_server::cache::CacheSetting::parse(Some(&redis.url())).unwrap();
    common::start_server(&db, &dir.path().join("origin"), dir.path(), cache).await;
    let store = db.store().await;
    store.load_demo("nina").await.unwrap();
    until_redis_current(&redis.url(), 1).await;

    // Down while a commit is published: the publication fails and waits.
    redis.stop();
    common::rename_tier(&store, "LIVE", "Production").await;
    let error = common::until(
        "a failed attempt at revision 2",
        Duration::from_secs(30),
        async || {
            store
                .as_operator()
                .publication(2)
                .await
                .unwrap()
                .unwrap()
                .last_error
        },
    )
    .await;
    assert!(error.contains("the Redis cache at"), "{error}");
    // Back, empty: the retried publication writes revision 2 whole.
    redis.restart();
    until_redis_current(&redis.url(), 2).await;

    // Restarted empty with nothing to publish: the publisher notices and fills it again.
    redis.restart();
    assert_eq!(redis_current(&redis.url(), "strata").await, None);
    until_redis_current(&redis.url(), 2).await;
    let client = redis::Client::open(redis.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let fields: usize = redis::cmd("HLEN")
        .arg(Keys::new("strata").revision(2))
        .query_async(&mut conn)
        .await
        .unwrap();
    let served = strata_server::served::load_from_origin(&Origin::Directory(DirectoryOrigin::new(
        dir.path().join("origin"),
    )))
    .await
    .unwrap()
    .unwrap();
    assert_eq!(fields, served.len(), "every config of revision 2");
    let refill = store
        .audit_events(Some(2), 10)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.triggered_by == "cache check")
        .expect("the refill is in the audit log");
    assert!(refill.succeeded);
    assert_eq!(refill.detail["why"], "Redis named no revision current");
    store.close().await;
}
