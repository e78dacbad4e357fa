//! Measures the store on SQLite and PostgreSQL and prints the figures (not a test):
//!
//! - validated commits per second: one writer committing change sets that each update a
//!   tenant's config layer, validated against the resolved config it changes;
//! - resolve latency, p50 and p99, over random (tier, tenant, deployable) of the demo domain;
//! - impact preview of a tier-layer change in a domain of 10,000 tenants × 10 deployables;
//! - small commits (one tenant's layer) alone, then while that preview runs over and over:
//!   latency p50 and p99 side by side, since a preview must not keep writers waiting;
//! - the commit of that tier-layer change, which validates every config it changes.
//!
//! Run: `scripts/services.sh` (for PostgreSQL), then
//! `cargo run --release -p strata-store --example benchmark [-- TENANTS]`.

use std::time::{Duration, Instant};

use serde_json::json;
use strata_domain::layer::{ConfigLayer, Layer};
use strata_domain::names::{DeployableName, TenantName, TierName};
use strata_domain::product::Product;
use strata_domain::tenant::Tenant;
use strata_store::access::Actor;
use strata_store::test_support::{
    BACKENDS, TestDatabase, benchmark_machine, benchmark_tenants, seed_large_domain,
};
use strata_store::{Backend, Store};

struct Dice(u64);
impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// p50, p99 and max of sorted samples.
fn spread(sorted: &[Duration]) -> String {
    format!(
        "p50 {}, p99 {}, max {}",
        ms(percentile(sorted, 0.5)),
        ms(percentile(sorted, 0.99)),
        ms(*sorted.last().unwrap())
    )
}

/// Writes `layer` over whatever version it is at (creates it when there is none), in a
/// change set of its own, validated at commit.
async fn write_over(store: &Store, layer: ConfigLayer, reason: &str) {
    let key = ConfigLayer::key_of(&layer.deployable, &layer.scope);
    let expected = store
        .as_operator()
        .get::<ConfigLayer>(&key)
        .await
        .ok()
        .map(|v| v.version);
    let mut change = store
        .begin(&Actor::operator("benchmark"), reason)
        .await
        .unwrap();
    match expected {
        Some(v) => change.update(v, layer).await.unwrap(),
        None => change.create(layer).await.unwrap(),
    };
    change.commit().await.unwrap();
}

async fn commits_per_second(store: &Store, backend: Backend) {
    let tenants: Vec<Tenant> = store
        .as_operator()
        .list::<Tenant>()
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.item)
        .collect();
    let n = 300;
    let start = Instant::now();
    for i in 0..n {
        let tenant = &tenants[i % tenants.len()];
        let product = store
            .as_operator()
            .get::<Product>(tenant.product.as_str())
            .await
            .unwrap()
            .item;
        let deployable = product.deployables.iter().next().unwrap();
        let config = match deployable.as_str() {
            // The demo's schemas are closed; write a key each of them allows.
            "web-api" => json!({"rate_limit": {"requests_per_second": 100 + i}}),
            "worker" => json!({"queue": {"url": "redis://q/1", "concurrency": 1 + i % 64}}),
            "billing" => json!({"invoice_day": 1 + i % 28}),
            _ => json!({}),
        };
        let layer = ConfigLayer {
            deployable: deployable.clone(),
            scope: Layer::Tenant(tenant.name.clone()),
            config,
        };
        write_over(store, layer, "measure commits").await;
    }
    let elapsed = start.elapsed();
    println!(
        "{backend:?}: {n} validated commits (tenant layer) in {:.2} s = {:.0} commits/s",
        elapsed.as_secs_f64(),
        n as f64 / elapsed.as_secs_f64()
    );
}

async fn resolve_latency(store: &Store, backend: Backend) {
    let tenants: Vec<Tenant> = store
        .as_operator()
        .list::<Tenant>()
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.item)
        .collect();
    let products: Vec<Product> = store
        .as_operator()
        .list::<Product>()
        .await
        .unwrap()
        .into_iter()
        .map(|v| v.item)
        .collect();
    let mut dice = Dice(42);
    let mut samples = Vec::new();
    for _ in 0..2000 {
        let tenant = &tenants[dice.roll(tenants.len())];
        let product = products.iter().find(|p| p.name == tenant.product).unwrap();
        let deployables: Vec<&DeployableName> = product.deployables.iter().collect();
        let deployable = deployables[dice.roll(deployables.len())];
        let start = Instant::now();
        let resolved = store
            .as_operator()
            .resolve(&tenant.tier, &tenant.name, deployable)
            .await
            .unwrap();
        samples.push(start.elapsed());
        assert!(resolved.violations.is_empty());
    }
    samples.sort();
    println!(
        "{backend:?}: resolve over {} calls: {}",
        samples.len(),
        spread(&samples)
    );
}

async fn big_domain(store: &Store, tenants: usize) -> Duration {
    let start = Instant::now();
    seed_large_domain(store, tenants).await;
    start.elapsed()
}

async fn impact_preview(store: &Store, backend: Backend, tenants: usize) {
    let seeded = big_domain(store, tenants).await;
    println!(
        "{backend:?}: seeding {tenants} tenants × 10 deployables in one change set (validating {} resolved configs): {:.1} s",
        tenants * 10,
        seeded.as_secs_f64()
    );
    let proposed = ConfigLayer {
        deployable: DeployableName::parse("service-0").unwrap(),
        scope: Layer::Tier(TierName::parse("LIVE").unwrap()),
        config: json!({"database": {"host": "db.live.internal"}, "timeouts": {"connect": 2}}),
    };
    let start = Instant::now();
    let impact = store
        .as_actor(&Actor::operator("preview"))
        .preview(proposed.clone(), None)
        .await
        .unwrap();
    let previewed = start.elapsed();
    assert_eq!(impact.changed.len(), tenants);
    println!(
        "{backend:?}: impact preview of a tier-layer change: {} configs changed, {} unchanged, {} violations, in {}",
        impact.changed.len(),
        impact.unchanged,
        impact.violations.total,
        ms(previewed)
    );
    small_commits_beside_previews(store, backend, &proposed).await;
    let start = Instant::now();
    let mut change = store
        .begin(&Actor::operator("benchmark"), "the tier layer")
        .await
        .unwrap();
    change.create(proposed).await.unwrap();
    change.commit().await.unwrap();
    println!(
        "{backend:?}: committing that change (validating {tenants} resolved configs): {}",
        ms(start.elapsed())
    );
}

/// Commits `n` small changes one after another (a tenant layer of service-1 each): the
/// latency of each, sorted.
async fn small_commits(store: &Store, round: &str, n: usize) -> Vec<Duration> {
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let layer = ConfigLayer {
            deployable: DeployableName::parse("service-1").unwrap(),
            scope: Layer::Tenant(TenantName::parse(format!("big-t{i:05}")).unwrap()),
            config: json!({"timeouts": {"read": i % 100}, "features": [round]}),
        };
        let start = Instant::now();
        write_over(store, layer, "a small change").await;
        samples.push(start.elapsed());
    }
    samples.sort();
    samples
}

async fn small_commits_beside_previews(store: &Store, backend: Backend, proposed: &ConfigLayer) {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let n = 100;
    // The first round creates the layers; the measured rounds update them.
    small_commits(store, "created", n).await;
    let alone = small_commits(store, "alone", n).await;
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let previews = std::sync::Arc::new(AtomicUsize::new(0));
    let previewing = tokio::spawn({
        let (store, proposed) = (store.clone(), proposed.clone());
        let (stop, previews) = (stop.clone(), previews.clone());
        async move {
            while !stop.load(Ordering::Relaxed) {
                store
                    .as_actor(&Actor::operator("preview"))
                    .preview(proposed.clone(), None)
                    .await
                    .unwrap();
                previews.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    // Rounds of small commits until five previews have run beside them.
    let mut beside = Vec::new();
    let mut round = 0;
    while previews.load(Ordering::Relaxed) < 5 {
        round += 1;
        beside.extend(small_commits(store, &format!("beside {round}"), n).await);
    }
    stop.store(true, Ordering::Relaxed);
    previewing.await.unwrap();
    beside.sort();
    for (what, samples) in [("alone", alone), ("during previews", beside)] {
        println!(
            "{backend:?}: {} small commits {what}: {}",
            samples.len(),
            spread(&samples)
        );
    }
    println!(
        "{backend:?}: ({} tier-layer previews ran beside the commits)",
        previews.load(Ordering::Relaxed)
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let tenants = benchmark_tenants();
    println!("strata-store benchmark: {}", benchmark_machine());
    for backend in BACKENDS {
        let db = TestDatabase::new(backend).await;
        let store = db.store().await;
        store.load_demo("benchmark").await.unwrap();
        commits_per_second(&store, backend).await;
        resolve_latency(&store, backend).await;
        store.close().await;
        db.drop_database().await;

        let db = TestDatabase::new(backend).await;
        let store = db.store().await;
        impact_preview(&store, backend, tenants).await;
        store.close().await;
        db.drop_database().await;
    }
}
