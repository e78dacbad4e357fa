//! Measures publishing (not a test) and prints the figures:
//!
//! - a full publication of a domain of TENANTS tenants × 10 deployables (the 7 table documents
//!   to the origin, then TENANTS × 10 resolved configs compiled in memory and into Redis);
//! - a publication after a one-layer change (one document uploaded, one tenant recompiled);
//! - commit → visible latency, p50/p99: from `commit()` returning to the new revision being
//!   current in Redis and told to watchers of the served revision.
//!
//! Run: `scripts/services.sh`, then
//! `cargo run --release -p strata-server --example publish_benchmark [-- TENANTS]`.
//! The origin is a temporary directory, or `STRATA_ORIGIN` (with `STRATA_S3_ENDPOINT` for an
//! S3-compatible server) when set; give each run its own prefix.

use std::time::{Duration, Instant};

use serde_json::json;
use strata_domain::layer::Layer;
use strata_domain::names::{DeployableName, TenantName};
use strata_server::origin::{DirectoryOrigin, Origin, OriginSetting};
use strata_server::publisher::{Outcome, Publisher};
use strata_server::redis_cache::RedisCache;
use strata_server::served::Served;
use strata_store::Backend;
use strata_store::test_support::{
    TestDatabase, benchmark_machine, benchmark_tenants, seed_large_domain, set_layer,
};

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    // The publisher logs how long compiling and Redis took.
    tracing_subscriber::fmt()
        .with_env_filter("warn,strata_server::publisher=debug")
        .with_writer(std::io::stderr)
        .init();
    let tenants = benchmark_tenants();
    let base =
        std::env::var("STRATA_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let redis_url = format!("{}/6", base.trim_end_matches('/'));
    println!(
        "strata publish benchmark: {}, SQLite store, origin {}, Redis {redis_url}",
        benchmark_machine(),
        std::env::var("STRATA_ORIGIN").unwrap_or_else(|_| "a temporary directory".into())
    );
    // Database 6 is this benchmark's own: start it empty, so an earlier run's current
    // revision does not outrank this run's.
    let mut conn = redis::Client::open(redis_url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let _: () = redis::cmd("FLUSHDB")
        .arg("ASYNC")
        .query_async(&mut conn)
        .await
        .unwrap();
    // Freed in the background: wait, so the memory before is this run's.
    loop {
        if info(&mut conn, "memory")
            .await
            .contains("lazyfree_pending_objects:0\r")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Every command slower than 10 ms (Redis's default threshold) from here on is reported.
    let _: () = redis::cmd("SLOWLOG")
        .arg("RESET")
        .query_async(&mut conn)
        .await
        .unwrap();
    let memory_before = used_memory(&mut conn).await;
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = db.store().await;
    let dir = tempfile::tempdir().unwrap();
    let origin = match std::env::var("STRATA_ORIGIN") {
        Ok(url) => {
            let endpoint = std::env::var("STRATA_S3_ENDPOINT").ok();
            OriginSetting::parse(&url, endpoint.as_deref())
                .unwrap()
                .open()
                .await
        }
        Err(_) => Origin::Directory(DirectoryOrigin::new(dir.path())),
    };
    let served = Served::default();
    let redis = RedisCache::new(
        redis::Client::open(redis_url.as_str()).unwrap(),
        redis_url.clone(),
    );
    let publisher =
        Publisher::new(store.clone(), origin, "benchmark", served.clone()).with_redis(redis);

    seed_large_domain(&store, tenants).await;
    let start = Instant::now();
    let Some(Outcome::Published { figures, .. }) = publisher.publish_next().await.unwrap() else {
        panic!("the first publication failed");
    };
    let configs = served.current().map_or(0, |c| c.len());
    println!(
        "full publication: {configs} configs in {} (build {} ms, upload {} ms of {} bytes, switch {} ms; the rest is compiling in memory and into Redis)",
        ms(start.elapsed()),
        figures.build_ms,
        figures.upload_ms,
        figures.bytes_uploaded,
        figures.switch_ms
    );

    let deployable = DeployableName::parse("service-3").unwrap();
    let mut samples = Vec::new();
    let mut watcher = served.revisions();
    for round in 0..30 {
        let scope =
            Layer::Tenant(TenantName::parse(format!("big-t{:05}", round * 7 % tenants)).unwrap());
        let config = json!({"timeouts": {"read": 10 + round}});
        let revision = set_layer(&store, &deployable, &scope, config, "one layer").await;
        let committed = Instant::now();
        let Some(Outcome::Published { figures, .. }) = publisher.publish_next().await.unwrap()
        else {
            panic!("publication {revision} failed");
        };
        while *watcher.borrow_and_update() < revision {
            watcher.changed().await.unwrap();
        }
        let visible = committed.elapsed();
        if round == 0 {
            println!(
                "publication after a one-layer change: {} ({} of {} documents uploaded, {} bytes; {} tenants compiled)",
                ms(visible),
                figures.documents_uploaded,
                figures.documents,
                figures.bytes_uploaded,
                served.current().map_or(0, |c| c.recompiled_tenants)
            );
        }
        samples.push(visible);
    }
    // A tier layer: every LIVE tenant's service-3 config changes.
    let scope = Layer::Tier(strata_domain::names::TierName::parse("LIVE").unwrap());
    // Redis's own time for this publication, by command.
    let _: () = redis::cmd("CONFIG")
        .arg("RESETSTAT")
        .query_async(&mut conn)
        .await
        .unwrap();
    let started = Instant::now();
    let config = json!({"log_level": "warn"});
    let revision = set_layer(&store, &deployable, &scope, config, "a tier layer").await;
    let committed = Instant::now();
    let Some(Outcome::Published { .. }) = publisher.publish_next().await.unwrap() else {
        panic!("publication {revision} failed");
    };
    while *watcher.borrow_and_update() < revision {
        watcher.changed().await.unwrap();
    }
    println!(
        "a tier layer changing {} configs: commit {} (validating every config it changes), then served {} later ({} tenants compiled)",
        tenants,
        ms(committed - started),
        ms(committed.elapsed()),
        served.current().map_or(0, |c| c.recompiled_tenants)
    );
    println!(
        "Redis's own time for that publication, by command: {}",
        redis_time(&mut conn).await
    );

    let current = RedisCache::new(
        redis::Client::open(redis_url.as_str()).unwrap(),
        redis_url.clone(),
    )
    .current("strata")
    .await
    .unwrap();
    assert_eq!(
        current,
        Some(store.domain().await.unwrap().revision),
        "Redis is current"
    );
    let configs_bytes: usize = served
        .current()
        .map_or(0, |c| c.configs().map(|(_, _, _, json)| json.len()).sum());
    println!(
        "Redis memory: {} MB more than before the first publication; one revision's configs are {} MB of JSON",
        (used_memory(&mut conn).await - memory_before) / 1_000_000,
        configs_bytes / 1_000_000
    );
    let slow: Vec<redis::Value> = redis::cmd("SLOWLOG")
        .arg("GET")
        .arg(1000)
        .query_async(&mut conn)
        .await
        .unwrap();
    let slowest = slow
        .iter()
        .filter_map(|entry| match entry {
            redis::Value::Array(fields) => match (&fields[2], &fields[3]) {
                (redis::Value::Int(us), redis::Value::Array(args)) => Some((
                    *us,
                    match args.first() {
                        Some(redis::Value::BulkString(name)) => {
                            String::from_utf8_lossy(name).into_owned()
                        }
                        _ => "?".to_owned(),
                    },
                )),
                _ => None,
            },
            _ => None,
        })
        .max();
    println!(
        "Redis commands slower than 10 ms: {}{}",
        slow.len(),
        slowest.map_or(String::new(), |(us, name)| format!(
            " (slowest {name}, {:.1} ms)",
            us as f64 / 1000.0
        ))
    );
    samples.sort();
    println!(
        "commit → current in Redis and told to watchers, over {} commits: p50 {}, p99 {}",
        samples.len(),
        ms(samples[samples.len() / 2]),
        ms(samples[(samples.len() * 99 / 100).min(samples.len() - 1)])
    );
    store.close().await;
}

/// Redis's `used_memory`, in bytes.
async fn used_memory(conn: &mut redis::aio::MultiplexedConnection) -> i64 {
    info(conn, "memory")
        .await
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// The time Redis spent running each command since the last `CONFIG RESETSTAT` (`INFO
/// commandstats`; a script's time includes the commands it calls, which are counted too).
async fn redis_time(conn: &mut redis::aio::MultiplexedConnection) -> String {
    let info = info(conn, "commandstats").await;
    let mut commands: Vec<(u64, String)> = info
        .lines()
        .filter_map(|line| {
            let (name, fields) = line.strip_prefix("cmdstat_")?.split_once(':')?;
            let field = |key: &str| -> Option<u64> {
                fields
                    .split(',')
                    .find_map(|f| f.strip_prefix(key)?.strip_prefix('='))?
                    .parse()
                    .ok()
            };
            let (calls, usec) = (field("calls")?, field("usec")?);
            Some((
                usec,
                format!("{name} {calls}× {:.1} ms", usec as f64 / 1000.0),
            ))
        })
        .collect();
    commands.sort_by(|a, b| b.cmp(a));
    let named: Vec<String> = commands.into_iter().map(|(_, text)| text).collect();
    named.join(", ")
}

/// One section of Redis's `INFO`.
async fn info(conn: &mut redis::aio::MultiplexedConnection, section: &str) -> String {
    redis::cmd("INFO")
        .arg(section)
        .query_async(conn)
        .await
        .unwrap()
}
