//! Compiling published revisions into a real Redis: each config's versions in a sorted set,
//! written only where they changed, the current revision switched last in one script and
//! announced; readers one revision behind still find theirs; a writer that stopped half-way
//! leaves nothing a reader sees; no command blocks Redis; with Redis down the publication
//! waits and completes later; a Redis that restarts empty is filled again.

use crate::common;

use std::time::Duration;

use common::redis_server::RedisServer;

use futures_util::StreamExt;
use serde_json::Value;
use strata_domain::layer::Layer;
use strata_domain::names::{DeployableName, DomainName, TenantName, TierName};
use strata_domain::settings::DomainSettings;
use strata_server::origin::{DirectoryOrigin, Origin};
use strata_server::publisher::{Outcome, Publisher};
use strata_server::redis_cache::{Keys, Read, RedisCache, parse_current, version};
use strata_store::access::Actor;
use strata_store::test_support::{TestDatabase, seed_large_domain, set_layer};
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
    let current: Option<String> = redis::cmd("GET")
        .arg(Keys::new(domain).current())
        .query_async(&mut conn)
        .await
        .ok()?;
    parse_current(&current?).map(|(revision, _)| revision)
}

fn is_published(outcome: Option<Outcome>) -> i64 {
    match outcome {
        Some(Outcome::Published { revision, .. }) => revision,
        other => panic!("expected a publication, got {other:?}"),
    }
}

/// The newest version of `key` at or before `revision`, as a reader of that revision finds it.
async fn version_at(
    conn: &mut redis::aio::MultiplexedConnection,
    key: &str,
    revision: i64,
) -> Option<Value> {
    let value: Option<Vec<u8>> = redis::cmd("GET").arg(key).query_async(conn).await.unwrap();
    let value = value?;
    let bytes = strata_server::redis_cache::version_at(&value, revision)?;
    (!bytes.is_empty()).then(|| rmp_serde::from_slice(bytes).unwrap())
}

/// Keys matching `pattern`, counted with SCAN.
async fn count_keys(conn: &mut redis::aio::MultiplexedConnection, pattern: &str) -> usize {
    let (mut cursor, mut count) = (0u64, 0);
    loop {
        let (next, found): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(conn)
            .await
            .unwrap();
        count += found.len();
        if next == 0 {
            return count;
        }
        cursor = next;
    }
}

/// Removes every key of `domain` from the shared Redis.
async fn remove_domain(conn: &mut redis::aio::MultiplexedConnection, domain: &str) {
    let pattern = format!("strata:{{{domain}}}*");
    loop {
        let (next, found): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(0)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(10_000)
            .query_async(conn)
            .await
            .unwrap();
        if !found.is_empty() {
            let _: () = redis::cmd("UNLINK")
                .arg(found)
                .query_async(conn)
                .await
                .unwrap();
        }
        if next == 0 && count_keys(conn, &pattern).await == 0 {
            return;
        }
    }
}

async fn resolved(store: &Store, tier: &str, tenant: &str, deployable: &str) -> Value {
    store
        .as_operator()
        .resolve(
            &TierName::parse(tier).unwrap(),
            &TenantName::parse(tenant).unwrap(),
            &DeployableName::parse(deployable).unwrap(),
        )
        .await
        .unwrap()
        .resolved
        .config
}

/// Sets `tenant`'s own layer of `deployable` to `config`, and publishes it: the revision.
async fn publish_tenant_layer(
    store: &Store,
    publisher: &Publisher,
    tenant: &str,
    deployable: &str,
    config: Value,
) -> i64 {
    let revision = set_layer(
        store,
        &DeployableName::parse(deployable).unwrap(),
        &Layer::Tenant(TenantName::parse(tenant).unwrap()),
        config,
        "one tenant's layer",
    )
    .await;
    assert_eq!(
        is_published(publisher.publish_next().await.unwrap()),
        revision
    );
    revision
}

/// What `current` names for `domain`: (revision, generation).
async fn current_of(
    conn: &mut redis::aio::MultiplexedConnection,
    domain: &str,
) -> Option<(i64, i64)> {
    let current: Option<String> = redis::cmd("GET")
        .arg(Keys::new(domain).current())
        .query_async(conn)
        .await
        .unwrap();
    parse_current(&current?)
}

/// The figures of the newest compilation into Redis of `revision`, from the audit log.
async fn redis_figures(store: &Store, revision: i64) -> Value {
    store
        .audit_events(Some(revision), 10)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.action.as_str() == "compile" && e.detail["cache"] != "in-process")
        .expect("a compilation into Redis")
        .detail
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_publication_writes_what_changed_and_readers_see_one_whole_revision() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let (store, domain) = store_with_unique_domain(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let origin = Origin::Directory(DirectoryOrigin::new(dir.path()));
    let redis = cache(&redis_url());
    let publisher =
        Publisher::new(store.clone(), origin, "test", Default::default()).with_redis(redis.clone());
    assert_eq!(is_published(publisher.publish_next().await.unwrap()), 2);

    assert_eq!(redis_current(&redis_url(), &domain).await, Some(2));
    let berlin = resolved(&store, "LIVE", "acme-berlin", "web-api").await;
    assert_eq!(
        redis
            .read(&domain, "LIVE", "acme-berlin", "web-api")
            .await
            .unwrap(),
        Read::Config(berlin.clone(), 2)
    );
    let figures = redis_figures(&store, 2).await;
    assert_eq!(figures["whole"], true, "{figures}");
    assert!(figures["written"].as_i64().unwrap() > 100, "{figures}");
    // Read by an alias.
    let amsterdam = resolved(&store, "LIVE", "acme-amsterdam", "web-api").await;
    assert_eq!(
        redis
            .read(&domain, "LIVE", "acme-amsterdam-main", "web-api")
            .await
            .unwrap(),
        Read::Config(amsterdam.clone(), 2)
    );

    // A revision that changes no config is announced, and writes nothing.
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let mut pubsub = client.get_async_pubsub().await.unwrap();
    let keys = Keys::new(&domain);
    pubsub.subscribe(keys.channel()).await.unwrap();
    common::rename_tier(&store, "DEV", "Dev").await;
    assert_eq!(is_published(publisher.publish_next().await.unwrap()), 3);
    let message = tokio::time::timeout(Duration::from_secs(5), pubsub.on_message().next())
        .await
        .expect("an announcement")
        .unwrap();
    assert_eq!(message.get_payload::<String>().unwrap(), "3");
    let figures = redis_figures(&store, 3).await;
    assert_eq!(
        (figures["written"].clone(), figures["whole"].clone()),
        (0.into(), false.into())
    );

    // One tenant's layer: one config written; a reader still on revision 3 finds the old one.
    let revision = publish_tenant_layer(
        &store,
        &publisher,
        "acme-berlin",
        "web-api",
        serde_json::json!({"log_level": "debug"}),
    )
    .await;
    let figures = redis_figures(&store, revision).await;
    assert_eq!(
        (figures["written"].clone(), figures["gone"].clone()),
        (1.into(), 0.into()),
        "{figures}"
    );
    let now = resolved(&store, "LIVE", "acme-berlin", "web-api").await;
    assert_ne!(now, berlin);
    assert_eq!(
        redis
            .read(&domain, "LIVE", "acme-berlin", "web-api")
            .await
            .unwrap(),
        Read::Config(now.clone(), revision)
    );
    let (_, generation) = current_of(&mut conn, &domain).await.unwrap();
    let key = keys.config(generation, "LIVE", "acme-berlin", "web-api");
    assert_eq!(
        version_at(&mut conn, &key, revision - 1).await,
        Some(berlin)
    );
    assert_eq!(
        version_at(&mut conn, &key, revision).await,
        Some(now.clone())
    );
    // Changed again: the version before the newest is kept, older ones go.
    let again = publish_tenant_layer(
        &store,
        &publisher,
        "acme-berlin",
        "web-api",
        serde_json::json!({"log_level": "warn"}),
    )
    .await;
    let newest = resolved(&store, "LIVE", "acme-berlin", "web-api").await;
    assert_eq!(version_at(&mut conn, &key, again).await, Some(newest));
    assert_eq!(version_at(&mut conn, &key, again - 1).await, Some(now));
    assert_eq!(version_at(&mut conn, &key, revision - 1).await, None);

    // A tenant taken down: its configs are gone from the next revision on.
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
    let gone_at = change.commit().await.unwrap();
    assert_eq!(
        is_published(publisher.publish_next().await.unwrap()),
        gone_at
    );
    assert_eq!(
        redis_figures(&store, gone_at).await["gone"],
        4,
        "acme-shop has 4 deployables"
    );
    assert_eq!(
        redis
            .read(&domain, "LIVE", "acme-berlin", "web-api")
            .await
            .unwrap(),
        Read::Missing(gone_at)
    );
    assert_eq!(
        redis
            .read(&domain, "LIVE", "acme-amsterdam", "web-api")
            .await
            .unwrap(),
        Read::Config(amsterdam, gone_at)
    );
    // Gone is a version too: a reader one revision behind still finds the config.
    assert_eq!(version_at(&mut conn, &key, gone_at).await, None);
    assert!(version_at(&mut conn, &key, gone_at - 1).await.is_some());
    remove_domain(&mut conn, &domain).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_tenant_change_sends_redis_only_that_config_and_no_command_blocks_it() {
    let redis_server = RedisServer::start();
    let client = redis::Client::open(redis_server.url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    // Every command slower than 10 ms is logged.
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("slowlog-log-slower-than")
        .arg(10_000)
        .query_async(&mut conn)
        .await
        .unwrap();
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = db.store().await;
    seed_large_domain(&store, 3_000).await;
    let dir = tempfile::tempdir().unwrap();
    let origin = Origin::Directory(DirectoryOrigin::new(dir.path()));
    let publisher = Publisher::new(store.clone(), origin, "test", Default::default())
        .with_redis(cache(&redis_server.url()));
    let first = is_published(publisher.publish_next().await.unwrap());
    assert_eq!(redis_figures(&store, first).await["written"], 30_000);

    let _: () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query_async(&mut conn)
        .await
        .unwrap();
    let revision = publish_tenant_layer(
        &store,
        &publisher,
        "big-t00042",
        "service-3",
        serde_json::json!({"log_level": "debug"}),
    )
    .await;
    let stats: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut conn)
        .await
        .unwrap();
    // cmdstat_NAME:calls=N,… per command (our own INFO above not yet counted).
    let calls = |name: &str| {
        stats
            .lines()
            .find_map(|l| l.strip_prefix(&format!("cmdstat_{name}:calls=")))
            .map_or(0, |rest| {
                rest.split(',').next().unwrap().parse::<u64>().unwrap()
            })
    };
    assert_eq!(calls("evalsha"), 1, "one version added:\n{stats}");
    let total: u64 = stats
        .lines()
        .filter_map(|l| {
            l.split_once(":calls=")
                .map(|(_, rest)| rest.split(',').next().unwrap().parse::<u64>().unwrap())
        })
        .sum();
    // The lock, the dirty mark, the clock, the script, the switch: a fixed few, whatever the
    // domain holds.
    assert!(total <= 25, "{total} commands for one config:\n{stats}");
    for whole in ["copy", "hset", "hgetall", "keys", "scan"] {
        assert_eq!(calls(whole), 0, "{whole}:\n{stats}");
    }
    let slow: Vec<redis::Value> = redis::cmd("SLOWLOG")
        .arg("GET")
        .arg(100)
        .query_async(&mut conn)
        .await
        .unwrap();
    // A one-key SET, GET or TIME cannot block Redis by what it does, nor can one batch of
    // configs (an MSET, or the script that sets one, of at most 500 keys: about a millisecond
    // of work); when one is logged, the machine did not run Redis for a while (two cores, the
    // whole suite side by side). Any other command logged is one Strata should not send: one
    // whose size follows the domain's.
    let blocking: Vec<&redis::Value> = slow
        .iter()
        .filter(|entry| {
            let redis::Value::Array(fields) = entry else {
                return true;
            };
            let Some(redis::Value::Array(words)) = fields.get(3) else {
                return true;
            };
            let words: Vec<String> = words
                .iter()
                .map(|word| match word {
                    redis::Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
                    _ => String::new(),
                })
                .collect();
            // The log keeps 32 arguments and counts the rest: "... (N more arguments)".
            let more: usize = words
                .last()
                .and_then(|last| last.strip_prefix("... ("))
                .and_then(|rest| rest.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let arguments = words.len() + more;
            let command = words.first().map(|w| w.to_ascii_uppercase());
            match command.as_deref() {
                Some("SET" | "GET" | "TIME") => false,
                // The script: its name, sha, key count, 500 keys and the lock's, the token, then
                // each key again with its value.
                Some("MSET" | "EVALSHA") => arguments > 3 + 501 + 1 + 2 * 500,
                _ => true,
            }
        })
        .collect();
    assert!(
        blocking.is_empty(),
        "commands slower than 10 ms: {blocking:?}"
    );
    assert_eq!(
        cache(&redis_server.url())
            .read("strata", "LIVE", "big-t00042", "service-3")
            .await
            .unwrap(),
        Read::Config(
            resolved(&store, "LIVE", "big-t00042", "service-3").await,
            revision
        )
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_that_stopped_half_way_leaves_nothing_a_reader_sees() {
    let db = TestDatabase::new(Backend::Sqlite).await;
    let (store, domain) = store_with_unique_domain(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let origin = Origin::Directory(DirectoryOrigin::new(dir.path()));
    let redis = cache(&redis_url());
    let publisher =
        Publisher::new(store.clone(), origin, "test", Default::default()).with_redis(redis.clone());
    let published = is_published(publisher.publish_next().await.unwrap());
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let keys = Keys::new(&domain);

    // A writer of the next revision added a version and stopped: its mark stays.
    let next = published + 1;
    let amsterdam = keys.config(1, "LIVE", "acme-amsterdam", "web-api");
    let packed = rmp_serde::to_vec(&serde_json::json!({"half": "written"})).unwrap();
    let mut garbage = version(next, &packed);
    let kept: Vec<u8> = redis::cmd("GET")
        .arg(&amsterdam)
        .query_async(&mut conn)
        .await
        .unwrap();
    garbage.extend(kept);
    let _: () = redis::pipe()
        .cmd("SET")
        .arg(keys.dirty())
        .arg(1)
        .ignore()
        .set(&amsterdam, garbage)
        .ignore()
        .query_async(&mut conn)
        .await
        .unwrap();
    // The next revision changes another tenant: it is written whole, in a new generation.
    let revision = publish_tenant_layer(
        &store,
        &publisher,
        "acme-berlin",
        "web-api",
        serde_json::json!({"log_level": "debug"}),
    )
    .await;
    assert_eq!(revision, next);
    assert_eq!(redis_figures(&store, revision).await["whole"], true);
    let expected = resolved(&store, "LIVE", "acme-amsterdam", "web-api").await;
    assert_eq!(
        redis
            .read(&domain, "LIVE", "acme-amsterdam", "web-api")
            .await
            .unwrap(),
        Read::Config(expected.clone(), revision)
    );

    // The old generation is removed once its grace period is over, a part per call.
    assert_eq!(redis.reap(&domain).await.unwrap(), 0, "not due yet");
    let _: () = redis::cmd("ZADD")
        .arg(keys.reap())
        .arg("XX")
        .arg(0)
        .arg(1)
        .query_async(&mut conn)
        .await
        .unwrap();
    let old = format!("{}*", keys.generation(1));
    let before = count_keys(&mut conn, &old).await;
    assert!(before > 100, "{before} keys in the old generation");
    let mut removed = 0;
    loop {
        let now = redis.reap(&domain).await.unwrap();
        if now == 0 {
            break;
        }
        removed += now;
    }
    assert_eq!(removed, before);
    assert_eq!(count_keys(&mut conn, &old).await, 0);
    assert_eq!(
        redis
            .read(&domain, "LIVE", "acme-amsterdam", "web-api")
            .await
            .unwrap(),
        Read::Config(expected, revision)
    );
    remove_domain(&mut conn, &domain).await;
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
    remove_domain(&mut conn, &domain).await;
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
    let (_, generation) = current_of(&mut conn, "strata").await.unwrap();
    let pattern = format!("{}config:*", Keys::new("strata").generation(generation));
    let fields = count_keys(&mut conn, &pattern).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_gone_as_a_tenant_is_read_as_the_alias_it_became() {
    let domain = format!("alias-{}", std::process::id());
    let keys = Keys::new(&domain);
    let client = redis::Client::open(redis_url()).unwrap();
    let mut conn = client.get_multiplexed_async_connection().await.unwrap();
    let config = serde_json::json!({"log_level": "debug"});
    // Revision 5 took tenant "old-name" away and gave its name to "new-name" as an alias.
    let _: () = redis::pipe()
        .set(keys.current(), "5 1")
        .ignore()
        .set(
            keys.config(1, "LIVE", "old-name", "web-api"),
            version(5, b""),
        )
        .ignore()
        .set(keys.alias(1, "old-name"), version(5, b"new-name"))
        .ignore()
        .set(
            keys.config(1, "LIVE", "new-name", "web-api"),
            version(3, &rmp_serde::to_vec(&config).unwrap()),
        )
        .ignore()
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(
        cache(&redis_url())
            .read(&domain, "LIVE", "old-name", "web-api")
            .await
            .unwrap(),
        Read::Config(config, 5)
    );
    remove_domain(&mut conn, &domain).await;
}
