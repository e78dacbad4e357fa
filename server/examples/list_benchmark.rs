//! Measures the console on a large domain (not a test) and prints the figures: the
//! server-rendered `/tenants` page (first page, the middle and last pages, searches, a sort by
//! state) over
//! TENANTS tenants, each fetched 30 times after one warm-up; p50 and p99, and the HTML size.
//! Then the editor pages (a tenant's page with its ten resolved configs, a tier layer's
//! editor) and the impact preview of a tier-layer edit that changes every tenant's config.
//! Last, the History page once history holds about ten change records per tenant (1,000,000 at
//! 100,000 tenants): its first load after they were written (which checks the hash chain over
//! every record not checked before), then loads that check only what is new.
//!
//! On SQLite, then PostgreSQL (`scripts/services.sh` starts one).
//!
//! Run: `cargo run --release -p strata-server --example list_benchmark [-- TENANTS]`.

use std::time::{Duration, Instant};

use strata_server::config::Settings;
use strata_server::startup::Application;
use strata_store::access::{Actor, NewUser};
use strata_store::test_support::{
    BACKENDS, TestDatabase, benchmark_machine, benchmark_tenants, large_domain_state,
    seed_large_domain,
};
use strata_store::{Backend, Store};

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let tenants = benchmark_tenants();
    println!(
        "strata list benchmark: {}, {tenants} tenants",
        benchmark_machine()
    );
    for backend in BACKENDS {
        println!("{backend:?} store:");
        run(backend, tenants).await;
    }
}

async fn run(backend: Backend, tenants: usize) {
    let db = TestDatabase::new(backend).await;
    let store = db.store().await;
    let seeded = seed_large_domain(&store, tenants).await;
    let dir = tempfile::tempdir().unwrap();
    let app = Application::build(Settings::local(db.url.clone(), dir.path()))
        .await
        .unwrap();
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run_until_stopped());
    // Signed in as a domain admin, as a person using the console is.
    let password = "benchmark password";
    let admin = NewUser {
        name: "bench",
        display_name: "Bench",
        password,
        domain_admin: true,
    };
    store
        .add_user(&Actor::operator("benchmark"), admin)
        .await
        .unwrap();
    let mut origin = reqwest::header::HeaderMap::new();
    origin.insert(reqwest::header::ORIGIN, base.parse().unwrap());
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(origin)
        .build()
        .unwrap();
    let signed_in = client
        .post(format!("{base}/auth/sign-in"))
        .form(&[("name", "bench"), ("password", password)])
        .send()
        .await
        .unwrap();
    assert!(
        signed_in.url().path() == "/",
        "signed in: {}",
        signed_in.url()
    );
    // Measured once the server has published what was seeded, not while it does.
    published(&store, seeded).await;
    let last_page = tenants.div_ceil(50);
    for (what, path) in [
        ("first page", "/tenants".to_owned()),
        (
            "a page in the middle",
            format!("/tenants?page={}", last_page / 2),
        ),
        ("last page", format!("/tenants?page={last_page}")),
        ("search", "/tenants?q=t0999".to_owned()),
        ("search of two characters", "/tenants?q=t9".to_owned()),
        (
            "sorted by state, descending",
            "/tenants?sort=state&desc=1".to_owned(),
        ),
        (
            "sorted by state, a page in the middle",
            format!("/tenants?sort=state&page={}", last_page / 2),
        ),
    ] {
        let url = format!("{base}{path}");
        let mut samples = Vec::new();
        let mut size = 0;
        for round in 0..31 {
            let started = Instant::now();
            let response = client.get(&url).send().await.unwrap();
            assert_eq!(response.status(), 200, "{url}");
            let html = response.text().await.unwrap();
            assert!(
                html.contains("data-testid=\"list-summary\""),
                "{url} has no list"
            );
            if round > 0 {
                samples.push(started.elapsed());
            }
            size = html.len();
        }
        samples.sort();
        println!(
            "GET {path} ({what}): p50 {}, p99 {}, {size} bytes of HTML",
            ms(samples[samples.len() / 2]),
            ms(samples[samples.len() - 1])
        );
    }
    let editors = [
        (
            "a tenant with 10 resolved configs",
            "/tenants/big-t00000".to_owned(),
        ),
        (
            "a tier layer's editor",
            "/configs/service-0/tier/LIVE".to_owned(),
        ),
    ];
    pages(&client, &base, &editors, "").await;
    let preview = [
        ("deployable", "service-0"),
        ("kind", "tier"),
        ("name", "LIVE"),
        ("version", "0"),
        ("config", r#"{"log_level": "debug"}"#),
    ];
    let (samples, changed) = sampled(6, || async {
        let response = client
            .post(format!("{base}/api/layer-preview"))
            .form(&preview)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let impact: serde_json::Value = response.json().await.unwrap();
        impact["changed"].as_u64().unwrap() as usize
    })
    .await;
    println!(
        "POST /api/layer-preview (a new LIVE layer of service-0, {changed} configs change, 20 diffs shown): p50 {}, max {}",
        ms(samples[samples.len() / 2]),
        ms(samples[samples.len() - 1])
    );
    history_page(&store, &client, &base, tenants).await;
    store.close().await;
    db.drop_database().await;
}

/// Grows history to about ten records per tenant (rounds of an import that turns every
/// tenant's termination protection on or off), then measures the History page.
async fn history_page(store: &Store, client: &reqwest::Client, base: &str, tenants: usize) {
    let started = Instant::now();
    let mut grown = 0;
    for round in 1..=9 {
        let mut state = large_domain_state(tenants);
        let table = state.remove("tenant").unwrap();
        let toggled = table.into_iter().map(|(key, mut tenant)| {
            tenant["termination_protection"] = serde_json::json!(round % 2 == 1);
            (key, tenant)
        });
        state.insert("tenant".to_owned(), toggled.collect());
        grown = store
            .import_state(&Actor::operator("benchmark"), "grow history", &state)
            .await
            .unwrap();
    }
    // Two tiers, an organization, ten deployables and a product, then each tenant and layer,
    // then a record per tenant each round.
    let records = 14 + tenants + tenants / 10 + 9 * tenants;
    println!(
        "history grown to {records} change records in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    published(store, grown).await;
    let started = Instant::now();
    fetch(client, &format!("{base}/history")).await;
    println!(
        "GET /history, first load after the records were written: {}",
        ms(started.elapsed())
    );
    let history = [
        ("newest records", "/history".to_owned()),
        ("one tenant's records", "/history?key=big-t00042".to_owned()),
        ("a page deep in history", "/history?page=5000".to_owned()),
    ];
    pages(client, base, &history, &format!(", {records} records")).await;
}

/// Waits until the server's publisher has published `revision`, and says how long that took.
async fn published(store: &Store, revision: i64) {
    let started = Instant::now();
    while store.newest_published().await.unwrap() < Some(revision) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "(revision {revision} published {:.1} s after it was awaited; measuring from here)",
        started.elapsed().as_secs_f64()
    );
}

/// GETs `url`, which must answer 200: the size of its body.
async fn fetch(client: &reqwest::Client, url: &str) -> usize {
    let response = client.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response.text().await.unwrap().len()
}

/// Fetches each page 31 times, the first as a warm-up, and prints p50, p99 and its size;
/// `about` follows each page's description.
async fn pages(client: &reqwest::Client, base: &str, pages: &[(&str, String)], about: &str) {
    for (what, path) in pages {
        let url = format!("{base}{path}");
        let (samples, size) = sampled(31, || fetch(client, &url)).await;
        println!(
            "GET {path} ({what}{about}): p50 {}, p99 {}, {size} bytes of HTML",
            ms(samples[samples.len() / 2]),
            ms(samples[samples.len() - 1])
        );
    }
}

/// Runs `request` `rounds` times, the first as a warm-up: the other rounds' times sorted, and
/// what the last one answered.
async fn sampled<F, Fut>(rounds: usize, request: F) -> (Vec<Duration>, usize)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let mut samples = Vec::new();
    let mut answer = 0;
    for round in 0..rounds {
        let started = Instant::now();
        answer = request().await;
        if round > 0 {
            samples.push(started.elapsed());
        }
    }
    samples.sort();
    (samples, answer)
}
