//! Spans exported by OTLP: the `strata` binary serving with `STRATA_OTLP_ENDPOINT` set sends
//! its spans, as OTLP/HTTP JSON, to a minimal OTLP receiver this test starts on loopback (no
//! OpenTelemetry collector binary can be installed from a registry here): the requests with
//! their ids, routes, actors and statuses, and the publication of the revision the demo
//! committed, all sent by the time the server has stopped on TERM.

use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use serde_json::Value;

/// What the receiver was sent: each request's body.
type Received = Arc<Mutex<Vec<Value>>>;

async fn receiver() -> (SocketAddr, Received) {
    let received = Received::default();
    let kept = received.clone();
    let app = Router::new().route(
        "/v1/traces",
        post(move |body: axum::body::Bytes| {
            let kept = kept.clone();
            async move {
                let body: Value = serde_json::from_slice(&body).expect("OTLP JSON");
                kept.lock().unwrap().push(body);
                ([("content-type", "application/json")], "{}")
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, received)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An OTLP attribute's value as JSON (`{"stringValue": …}` → the string, `intValue` → the number).
fn value(attribute: &Value) -> Value {
    let v = &attribute["value"];
    if let Some(s) = v["stringValue"].as_str() {
        return Value::from(s);
    }
    if let Some(i) = v["intValue"].as_str().and_then(|i| i.parse::<i64>().ok()) {
        return Value::from(i);
    }
    v["intValue"].clone()
}

/// Every span sent, as (name, attributes by key).
fn spans(received: &Received) -> Vec<(String, serde_json::Map<String, Value>)> {
    let mut out = Vec::new();
    for body in received.lock().unwrap().iter() {
        for resource in body["resourceSpans"].as_array().unwrap() {
            let service = resource["resource"]["attributes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|a| a["key"] == "service.name")
                .map(value);
            assert_eq!(service, Some(Value::from("strata")));
            for scope in resource["scopeSpans"].as_array().unwrap() {
                for span in scope["spans"].as_array().unwrap() {
                    let attributes = span["attributes"]
                        .as_array()
                        .map(|all| {
                            all.iter()
                                .map(|a| (a["key"].as_str().unwrap().to_owned(), value(a)))
                                .collect()
                        })
                        .unwrap_or_default();
                    out.push((span["name"].as_str().unwrap().to_owned(), attributes));
                }
            }
        }
    }
    out
}

#[tokio::test]
async fn the_server_sends_its_spans_to_an_otlp_collector_when_one_is_named() {
    let (collector, received) = receiver().await;
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let env = [
        (
            "STRATA_DATABASE_URL",
            format!("sqlite://{}/strata.db", dir.path().display()),
        ),
        (
            "STRATA_ORIGIN",
            format!("file://{}/origin", dir.path().display()),
        ),
        ("STRATA_ADDR", format!("127.0.0.1:{port}")),
        ("LEPTOS_SITE_ROOT", dir.path().display().to_string()),
        ("STRATA_OTLP_ENDPOINT", format!("http://{collector}")),
        ("STRATA_READS_TRACED_EVERY", "1".to_owned()),
        ("RUST_LOG", "info".to_owned()),
    ];
    let strata = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_strata"));
        command
            .args(args)
            .env_remove("STRATA_SERVER")
            .env_remove("STRATA_TOKEN")
            .env_remove("STRATA_REDIS_URL")
            .env_remove("STRATA_SECRET_KEY")
            .env_remove("STRATA_METRICS_ADDR")
            .envs(env.iter().map(|(k, v)| (k, v.as_str())));
        command
    };
    let ok = |output: std::process::Output| {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    ok(
        strata(&["demo", "--without-review", "--actor", "otlp-test"])
            .output()
            .unwrap(),
    );
    let created = ok(strata(&["token", "create", "svc", "--tier", "LIVE"])
        .output()
        .unwrap());
    let token = created
        .split_whitespace()
        .find(|word| word.starts_with("strata_"))
        .unwrap()
        .to_owned();
    let mut server = strata(&["serve"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let config = format!("{base}/api/v1/config/LIVE/acme-berlin/web-api");
    let mut served = false;
    for _ in 0..150 {
        let read = client
            .get(&config)
            .bearer_auth(&token)
            .header("x-request-id", "otlp-read")
            .send()
            .await;
        if read.is_ok_and(|r| r.status() == 200) {
            served = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served, "the server never served revision 1");
    let health = client
        .get(format!("{base}/healthz"))
        .header("x-request-id", "otlp-health")
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    // A service following revisions: its stream never ends by itself.
    let watching = client
        .get(format!("{base}/api/v1/watch"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(watching.status(), 200);
    // TERM: the server lets the watcher go, stops, and what it buffered goes out first.
    unsafe { libc::kill(server.id() as i32, libc::SIGTERM) };
    let stopped = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::task::spawn_blocking(move || server.wait()),
    )
    .await
    .expect("the server stops within 20 s of TERM, a watcher connected")
    .unwrap()
    .unwrap();
    assert!(stopped.success(), "{stopped:?}");
    assert!(
        watching.text().await.is_ok(),
        "the watcher's stream ends cleanly"
    );

    let spans = spans(&received);
    // The answered one: reads before the first publication are answered 503.
    let request = |id: &str| {
        spans
            .iter()
            .find(|(name, a)| {
                name == "request"
                    && a.get("id") == Some(&Value::from(id))
                    && a.get("status") == Some(&Value::from(200))
            })
            .unwrap_or_else(|| panic!("no request span with id {id} answered 200: {spans:?}"))
    };
    let (_, health) = request("otlp-health");
    assert_eq!(health["route"], "/healthz");
    assert_eq!(health["method"], "GET");
    assert_eq!(health["status"], 200);
    let (_, read) = request("otlp-read");
    assert_eq!(read["route"], "/api/v1/config/{tier}/{tenant}/{deployable}");
    assert_eq!(read["actor"], "token:svc");
    assert_eq!(read["revision"], 1);
    assert!(
        spans
            .iter()
            .any(|(name, a)| name == "publication" && a.get("revision") == Some(&Value::from(1))),
        "no span of revision 1's publication: {spans:?}"
    );
    assert!(
        !format!("{:?}", received.lock().unwrap()).contains(&token),
        "a span holds the token"
    );
}
