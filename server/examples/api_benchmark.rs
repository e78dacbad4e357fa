//! Measures the entity API (not a test) and prints the figures: validated writes per second
//! (an update of a tenant's web-api layer through `PUT /api/v1/config-layers/…`, each checked
//! against the schema for that tenant's resolved config, committed, and published by the
//! server's publisher meanwhile) and reads per second (`GET /api/v1/tenants/{key}`), each with
//! 32 connections kept alive for 10 seconds, as a token acting as editor in acme. The demo
//! domain on SQLite; client and server share the machine.
//!
//! Run: `cargo run --release -p strata-server --example api_benchmark`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use strata_domain::access::Role;
use strata_domain::token::TokenScope;
use strata_server::config::Settings;
use strata_server::startup::Application;
use strata_store::Backend;
use strata_store::access::{Actor, NewToken};
use strata_store::test_support::{TestDatabase, benchmark_machine};

const CONNECTIONS: usize = 32;
const RUN: Duration = Duration::from_secs(10);

struct Figures {
    done: usize,
    refused: usize,
    latencies: Vec<Duration>,
}

fn report(name: &str, mut figures: Figures) {
    figures.latencies.sort();
    let at = |q: f64| {
        let i = ((figures.latencies.len() as f64 * q) as usize).min(figures.latencies.len() - 1);
        figures.latencies[i].as_secs_f64() * 1000.0
    };
    println!(
        "{name:<34} {:>9.0} /s   p50 {:>6.2} ms   p99 {:>6.2} ms   ({} in {} s, {} refused)",
        figures.done as f64 / RUN.as_secs_f64(),
        at(0.5),
        at(0.99),
        figures.done,
        RUN.as_secs(),
        figures.refused
    );
}

/// Runs `one` on CONNECTIONS tasks for RUN; each call answers whether it succeeded.
async fn load<F, Fut>(one: F) -> Figures
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let one = Arc::new(one);
    let until = Instant::now() + RUN;
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|task| {
            let one = one.clone();
            tokio::spawn(async move {
                let mut figures = Figures {
                    done: 0,
                    refused: 0,
                    latencies: Vec::new(),
                };
                let mut round = 0u64;
                while Instant::now() < until {
                    round += 1;
                    let started = Instant::now();
                    if one(task, round).await {
                        figures.done += 1;
                        figures.latencies.push(started.elapsed());
                    } else {
                        figures.refused += 1;
                    }
                }
                figures
            })
        })
        .collect();
    let mut all = Figures {
        done: 0,
        refused: 0,
        latencies: Vec::new(),
    };
    for task in tasks {
        let figures = task.await.unwrap();
        all.done += figures.done;
        all.refused += figures.refused;
        all.latencies.extend(figures.latencies);
    }
    all
}

#[tokio::main]
async fn main() {
    println!(
        "strata API benchmark: {}, SQLite store, demo domain, {CONNECTIONS} connections, {} s each",
        benchmark_machine(),
        RUN.as_secs()
    );
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = db.store().await;
    store.load_demo("bench").await.unwrap();
    let (_, secret) = store
        .create_token(
            &Actor::operator("bench"),
            NewToken {
                name: "bench-bot",
                scope: TokenScope::Act {
                    organization: "acme".into(),
                    role: Role::Editor,
                },
                days: 1,
            },
        )
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let app = Application::build(Settings::local(db.url.clone(), dir.path()))
        .await
        .unwrap();
    let base = format!("http://{}/api/v1", app.addr());
    tokio::spawn(app.run_until_stopped());
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {secret}").parse().unwrap(),
    );
    headers.insert("strata-reason", "api benchmark".parse().unwrap());
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .unwrap();

    // Each connection writes one tenant's layer (acme-shop, made of web-api, has fewer tenants
    // than there are connections, so some share one: a write from a stale version is counted
    // as refused, and the next one starts from the current version).
    let listed: Value = client
        .get(format!("{base}/tenants?limit=200"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tenants: Vec<String> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["product"] == "acme-shop")
        .map(|t| t["name"].as_str().unwrap().to_owned())
        .collect();
    println!(
        "writing the web-api layers of {} acme tenants",
        tenants.len()
    );
    let versions: Arc<Vec<std::sync::Mutex<i64>>> = Arc::new(
        (0..tenants.len())
            .map(|_| std::sync::Mutex::new(0))
            .collect(),
    );
    for (i, tenant) in tenants.iter().enumerate() {
        let url = format!("{base}/config-layers/web-api%2Ftenant%2F{tenant}");
        let found = client.get(&url).send().await.unwrap();
        let version = if found.status() == 200 {
            found.json::<Value>().await.unwrap()["item"]["version"]
                .as_i64()
                .unwrap()
        } else {
            let layer = json!({"deployable": "web-api", "scope": {"kind": "tenant", "name": tenant}, "config": {}});
            let created = client
                .post(format!("{base}/config-layers"))
                .json(&layer)
                .send()
                .await
                .unwrap();
            assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
            1
        };
        *versions[i].lock().unwrap() = version;
    }
    let writes = {
        let (client, base, tenants) = (client.clone(), base.clone(), Arc::new(tenants));
        load(move |task, round| {
            let (client, base, tenants, versions) = (
                client.clone(),
                base.clone(),
                tenants.clone(),
                versions.clone(),
            );
            async move {
                let i = task % tenants.len();
                let tenant = &tenants[i];
                let version = *versions[i].lock().unwrap();
                let layer = json!({
                    "deployable": "web-api",
                    "scope": {"kind": "tenant", "name": tenant},
                    "config": {"rate_limit": {"requests_per_second": 100 + round, "burst": 10}},
                    "version": version,
                });
                let answer = client
                    .put(format!("{base}/config-layers/web-api%2Ftenant%2F{tenant}"))
                    .json(&layer)
                    .send()
                    .await
                    .unwrap();
                let status = answer.status();
                let body: Value = answer.json().await.unwrap();
                match status.as_u16() {
                    200 => {
                        *versions[i].lock().unwrap() = body["item"]["version"].as_i64().unwrap();
                        true
                    }
                    409 => {
                        let current = body["error"]["details"][0]["current_version"].as_i64();
                        *versions[i].lock().unwrap() = current.unwrap_or(version);
                        false
                    }
                    other => panic!("a write answered {other}: {body}"),
                }
            }
        })
        .await
    };
    report("PUT a tenant layer (validated)", writes);

    let reads = {
        let (client, base) = (client.clone(), base.clone());
        load(move |_, _| {
            let (client, base) = (client.clone(), base.clone());
            async move {
                let answer = client
                    .get(format!("{base}/tenants/acme-berlin"))
                    .send()
                    .await
                    .unwrap();
                let ok = answer.status() == 200;
                answer.bytes().await.unwrap();
                ok
            }
        })
        .await
    };
    report("GET a tenant", reads);
    store.close().await;
}
