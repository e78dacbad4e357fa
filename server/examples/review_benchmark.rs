//! Measures a change through review (not a test) and prints the figures: acme's editor
//! proposes a change to a LIVE tenant's web-api layer over the API, acme's publisher approves
//! it, the editor applies it, and a service polls the read path until it serves the new
//! revision. Each step's time, and the whole, p50 / p95 / max over ROUNDS rounds (default 30),
//! against a real server (SQLite, a directory origin, the cache in process) on the demo domain
//! with its approval policy; people signed in through the sign-in form, as the console is.
//!
//! Run: `cargo run --release -p strata-server --example review_benchmark [-- ROUNDS]`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use strata_domain::access::Role;
use strata_domain::token::TokenScope;
use strata_server::config::Settings;
use strata_server::startup::Application;
use strata_store::Backend;
use strata_store::access::{Actor, NewToken, NewUser};
use strata_store::test_support::{TestDatabase, benchmark_machine};

const PASSWORD: &str = "a long benchmark password";

async fn signed_in(address: &str, name: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, address.parse().unwrap());
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let response = client
        .post(format!("{address}/auth/sign-in"))
        .form(&[("name", name), ("password", PASSWORD), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], "/", "{name} signs in");
    client
}

async fn json_of(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert!(status.is_success(), "{status}: {body}");
    body
}

fn line(name: &str, mut took: Vec<Duration>) {
    took.sort();
    let at = |q: f64| took[((took.len() as f64 * q) as usize).min(took.len() - 1)];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<34} p50 {:>7.1} ms   p95 {:>7.1} ms   max {:>7.1} ms",
        ms(at(0.5)),
        ms(at(0.95)),
        ms(*took.last().unwrap())
    );
}

#[tokio::main]
async fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(30);
    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = db.store().await;
    store.load_demo("bench").await.unwrap();
    store.load_demo_policies("bench").await.unwrap();
    let root = Actor::operator("bench");
    for (name, role) in [("eda", Role::Editor), ("pia", Role::Publisher)] {
        let person = NewUser {
            name,
            display_name: name,
            password: PASSWORD,
            domain_admin: false,
        };
        store.add_user(&root, person).await.unwrap();
        store
            .set_role(&root, name, "acme", Some(role))
            .await
            .unwrap();
    }
    let read = NewToken {
        name: "service",
        scope: TokenScope::Read {
            tiers: vec!["LIVE".into()],
            tenants: Vec::new(),
            deployables: Vec::new(),
            secrets: false,
        },
        days: 1,
    };
    let (_, service) = store.create_token(&root, read).await.unwrap();
    store.close().await;
    let dir = tempfile::tempdir().unwrap();
    let app = Application::build(Settings::local(db.url.clone(), dir.path()))
        .await
        .unwrap();
    let address = format!("http://{}", app.addr());
    tokio::spawn(app.run_until_stopped());
    let editor = signed_in(&address, "eda").await;
    let publisher = signed_in(&address, "pia").await;
    let reader = reqwest::Client::new();
    let config = format!("{address}/api/v1/config/LIVE/acme-berlin/web-api");
    let layer = format!("{address}/api/v1/config-layers/web-api%2Ftenant%2Facme-berlin");
    println!(
        "strata review benchmark: {}, the demo domain on SQLite, LIVE under review; {rounds} rounds",
        benchmark_machine()
    );
    let (mut proposed, mut approved, mut applied, mut served, mut whole) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        let found = json_of(editor.get(&layer).send().await.unwrap()).await["item"].clone();
        let version = found["version"].as_i64().unwrap();
        let mut image = found.clone();
        image.as_object_mut().unwrap().remove("version");
        image["config"]["log_level"] = json!(["warn", "error"][round % 2]);
        let started = Instant::now();
        let request = json_of(
            editor
                .post(format!("{address}/api/v1/change-requests"))
                .json(&json!({"title": format!("round {round}"), "writes": [{
                    "kind": "config_layer", "key": "web-api/tenant/acme-berlin",
                    "base_version": version, "image": image,
                }]}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let id = request["id"].as_i64().unwrap();
        let t1 = Instant::now();
        json_of(
            publisher
                .post(format!("{address}/api/v1/change-requests/{id}/reviews"))
                .json(&json!({"verdict": "approve", "content_hash": request["content_hash"]}))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let t2 = Instant::now();
        let done = json_of(
            editor
                .post(format!("{address}/api/v1/change-requests/{id}/apply"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        let revision = done["revision"].as_i64().unwrap();
        let t3 = Instant::now();
        let wanted = format!("\"{revision}\"");
        loop {
            let response = reader
                .get(&config)
                .bearer_auth(&service)
                .send()
                .await
                .unwrap();
            if response.headers().get("etag").and_then(|v| v.to_str().ok()) == Some(&wanted) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let t4 = Instant::now();
        proposed.push(t1 - started);
        approved.push(t2 - t1);
        applied.push(t3 - t2);
        served.push(t4 - t3);
        whole.push(t4 - started);
    }
    line("propose (POST, tried, stored)", proposed);
    line("approve (a publisher's review)", approved);
    line("apply (one change set, judged)", applied);
    line("applied → served (read path)", served);
    line("propose → served, in all", whole);
}
