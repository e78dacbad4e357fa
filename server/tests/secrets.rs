//! Secret values over HTTP, against the demo domain (whose web-api database passwords are
//! secret): the read API answers them sealed except to a token with the `secrets` scope; a
//! viewer's pages and the console's answers never hold them; revealing one is for publishers;
//! a refused save does not quote one; and nothing the server logs holds one.

#[path = "server/common/mod.rs"]
mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{READER_TOKEN, TESTER, settings_for, sign_in_as, signed_in, start, test_server};
use serde_json::{Value, json};
use strata_domain::access::Role;
use strata_domain::secret::is_sealed;
use strata_domain::token::TokenScope;
use strata_server::cache::CacheSetting;
use strata_server::config::Settings;
use strata_server::observe::logs::{LogFormat, subscriber};
use strata_server::origin::OriginSetting;
use strata_store::access::{Actor, NewToken, NewUser};
use tracing_subscriber::EnvFilter;

/// The demo's plain secrets, and one this test types.
const SECRETS: [&str; 3] = [
    "live-database-password",
    "acme-berlin-db-password",
    "typed-in-the-console",
];

/// Everything the server logs, at every level, kept for the test to read.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn get(client: &reqwest::Client, url: &str, token: Option<&str>) -> (u16, String) {
    let mut request = client.get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn call(
    client: &reqwest::Client,
    address: &str,
    endpoint: &str,
    args: &[(&str, &str)],
) -> (u16, String) {
    let response = client
        .post(format!("{address}/api/{endpoint}"))
        .form(args)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

fn assert_holds_none(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} holds {secret:?}: {text}");
    }
}

#[tokio::test]
async fn secrets_reach_only_tokens_that_open_them_and_never_pages_answers_or_logs() {
    // As the server logs with STRATA_LOG_FORMAT=json, at every level: each line with every
    // span it happened in and their fields.
    let logs = Captured::default();
    let writer = logs.clone();
    tracing::subscriber::set_global_default(subscriber(
        LogFormat::Json,
        EnvFilter::new("trace"),
        move || writer.clone(),
    ))
    .unwrap();

    let server = test_server().await.with_demo().await;
    let address = server.address.clone();
    let config_url = format!("{address}/api/v1/config/LIVE/acme-berlin/web-api");
    let plain = reqwest::Client::new();

    // A read token without the secrets scope gets the password sealed.
    let (status, body) = get(&plain, &config_url, Some(READER_TOKEN)).await;
    assert_eq!(status, 200, "{body}");
    let sealed: Value = serde_json::from_str(&body).unwrap();
    assert!(is_sealed(&sealed["database"]["password"]), "{body}");
    assert_holds_none("a config for a token without secrets", &body);

    // One with it gets it opened, as JSON and as environment variables.
    let store = server.db.store().await;
    let (_, opener) = store
        .create_token(
            &Actor::operator("test"),
            NewToken {
                name: "opener",
                scope: TokenScope::Read {
                    tiers: vec!["LIVE".into()],
                    tenants: vec![],
                    deployables: vec![],
                    secrets: true,
                },
                days: 1,
            },
        )
        .await
        .unwrap();
    let (status, body) = get(&plain, &config_url, Some(&opener)).await;
    assert_eq!(status, 200, "{body}");
    let opened: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(opened["database"]["password"], "acme-berlin-db-password");
    assert_eq!(opened["database"]["host"], sealed["database"]["host"]);
    let (_, env) = get(&plain, &format!("{config_url}?format=env"), Some(&opener)).await;
    assert!(
        env.contains("DATABASE_PASSWORD=acme-berlin-db-password\n"),
        "{env}"
    );

    // A viewer of acme: the pages and answers that show this config hold no secret.
    for (name, role) in [("vic", Role::Viewer), ("pat", Role::Publisher)] {
        store
            .add_user(
                &Actor::operator("test"),
                NewUser {
                    name,
                    display_name: name,
                    password: "a long password here",
                    domain_admin: false,
                },
            )
            .await
            .unwrap();
        store
            .set_role(&Actor::operator("test"), name, "acme", Some(role))
            .await
            .unwrap();
    }
    let viewer = sign_in_as(&address, "vic", "a long password here")
        .await
        .unwrap();
    for page in [
        "/configs/web-api/tenant/acme-berlin",
        "/configs/web-api/tier/LIVE",
        "/tenants/acme-berlin",
        "/deployables/web-api",
        "/history",
    ] {
        let (status, html) = get(&viewer, &format!("{address}{page}"), None).await;
        assert_eq!(status, 200, "{page}");
        assert_holds_none(page, &html);
    }
    let layer_args = [
        ("deployable", "web-api"),
        ("kind", "tenant"),
        ("name", "acme-berlin"),
    ];
    let (status, layer) = call(&viewer, &address, "layer", &layer_args).await;
    assert_eq!(status, 200, "{layer}");
    assert_holds_none("the layer editor's answer", &layer);
    let (status, configs) = call(
        &viewer,
        &address,
        "tenant-configs",
        &[("tenant", "acme-berlin")],
    )
    .await;
    assert_eq!(status, 200, "{configs}");
    assert!(
        configs.contains("•••"),
        "the password shows masked: {configs}"
    );
    assert_holds_none("the resolved configs", &configs);

    // Revealing is for publishers: the viewer is refused, the publisher sees it, audited.
    let reveal = [
        ("deployable", "web-api"),
        ("kind", "tenant"),
        ("name", "acme-berlin"),
        ("pointer", "/database/password"),
    ];
    let (status, refused) = call(&viewer, &address, "secret-reveal", &reveal).await;
    assert_eq!(status, 403, "{refused}");
    let publisher = sign_in_as(&address, "pat", "a long password here")
        .await
        .unwrap();
    let (status, revealed) = call(&publisher, &address, "secret-reveal", &reveal).await;
    assert_eq!(
        (status, revealed.as_str()),
        (200, "\"acme-berlin-db-password\"")
    );

    // A save with a secret that breaks its rule is refused without quoting it; a good one is
    // stored sealed, and the layer answers sealed.
    let admin = signed_in(&address, &server.db).await;
    let current: Value = serde_json::from_str(&layer).unwrap();
    let version = current["version"].as_i64().unwrap().to_string();
    let mut config = current["config"].clone();
    config["database"]["password"] = json!("x7q9");
    let save = |config: String| {
        let version = version.clone();
        let admin = admin.clone();
        let address = address.clone();
        async move {
            call(
                &admin,
                &address,
                "layer-save",
                &[
                    ("deployable", "web-api"),
                    ("kind", "tenant"),
                    ("name", "acme-berlin"),
                    ("version", &version),
                    ("config", &config),
                    ("reason", "rotate the password"),
                ],
            )
            .await
        }
    };
    let (status, answer) = save(config.to_string()).await;
    assert_eq!(status, 200, "{answer}");
    assert!(
        answer.contains("the secret value is shorter than 12 characters"),
        "{answer}"
    );
    assert!(!answer.contains("x7q9"), "{answer}");
    config["database"]["password"] = json!("typed-in-the-console");
    let (status, answer) = save(config.to_string()).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("Saved"), "{answer}");
    let (_, layer) = call(&admin, &address, "layer", &layer_args).await;
    assert_holds_none("the saved layer", &layer);
    let (_, history) = get(&admin, &format!("{address}/history"), None).await;
    assert_holds_none("the history page", &history);
    let stored = store
        .as_operator()
        .history("config layer", "web-api/tenant/acme-berlin")
        .await
        .unwrap();
    assert_holds_none(
        "the layer's history",
        &format!("{:?}", stored.iter().map(|r| &r.after).collect::<Vec<_>>()),
    );
    store.close().await;

    // A session's id, as its cookie carries it, used for a page.
    let raw = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed = raw
        .post(format!("{address}/auth/sign-in"))
        .header("origin", &address)
        .form(&[("name", "pat"), ("password", "a long password here")])
        .send()
        .await
        .unwrap();
    let cookie = signed.headers()["set-cookie"].to_str().unwrap().to_owned();
    let session_id = cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, id)| id.to_owned())
        .unwrap();
    assert!(session_id.len() >= 16, "{cookie}");
    // The same id as tower-sessions' Debug writes it: Id(i128).
    let id_bytes: [u8; 16] = {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&session_id)
            .unwrap()
            .try_into()
            .unwrap()
    };
    let session_number = i128::from_le_bytes(id_bytes).to_string();
    let page = raw
        .get(format!("{address}/history"))
        .header("cookie", format!("strata_session={session_id}"))
        .header("x-request-id", "secrets-test-history")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);

    // A second server on the same database and origin, without the key, tracing no read: a
    // read that would open the secret fails, and its log line names the request and the cause.
    let keyless = start(Settings {
        secret_key: None,
        reads_traced_every: 0,
        ..settings_for(
            &server.db,
            OriginSetting::Directory(server.dir.path().join("origin")),
            server.dir.path(),
            CacheSetting::InProcess,
        )
    })
    .await;
    let failed = plain
        .get(format!("{keyless}/api/v1/config/LIVE/acme-berlin/web-api"))
        .bearer_auth(&opener)
        .header("x-request-id", "secrets-test-unopened")
        .send()
        .await
        .unwrap();
    assert_eq!(failed.status(), 500);
    assert_eq!(failed.headers()["x-request-id"], "secrets-test-unopened");

    let logged = String::from_utf8_lossy(&logs.0.lock().unwrap()).into_owned();
    assert!(
        logged.contains("secret-reveal") || logged.len() > 10_000,
        "the capture saw the server's requests ({} bytes)",
        logged.len()
    );
    assert_holds_none("the server's log", &logged);
    for (what, kept) in [
        ("a read token", READER_TOKEN),
        ("a token that opens secrets", opener.as_str()),
        ("a password", "a long password here"),
        ("a session id", session_id.as_str()),
        ("a session id as a number", session_number.as_str()),
    ] {
        assert!(!logged.contains(kept), "the log holds {what}");
    }
    // Every line is JSON, and a request's lines name it: its id, route, actor and status.
    let lines: Vec<Value> = logged
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let of_the_page: Vec<&Value> = lines
        .iter()
        .filter(|line| {
            line["spans"]
                .as_array()
                .is_some_and(|spans| spans.iter().any(|s| s["id"] == "secrets-test-history"))
        })
        .collect();
    assert!(
        !of_the_page.is_empty(),
        "no line names the page's request id"
    );
    let request = of_the_page
        .iter()
        .flat_map(|line| line["spans"].as_array().unwrap())
        .find(|span| span["name"] == "request" && span["status"] == 200)
        .unwrap_or_else(|| panic!("{of_the_page:?}"));
    assert_eq!(request["route"], "/history");
    assert_eq!(request["actor"], "pat");
    assert_eq!(request["method"], "GET");
    // The read not traced that failed: one line, in a span of the request's shape.
    let unopened = lines
        .iter()
        .find(|line| {
            line["spans"]
                .as_array()
                .is_some_and(|spans| spans.iter().any(|s| s["id"] == "secrets-test-unopened"))
        })
        .expect("the failed read is logged with its id");
    assert_eq!(unopened["level"], "WARN");
    assert!(
        unopened["cause"]
            .as_str()
            .is_some_and(|c| c.contains("/database/password")),
        "{unopened}"
    );
    assert_eq!(unopened["spans"][0]["status"], 500);
    assert_eq!(
        unopened["spans"][0]["route"],
        "/api/v1/config/{tier}/{tenant}/{deployable}"
    );
    // The save committed in a span naming its revision, inside the request that saved.
    assert!(
        lines
            .iter()
            .any(|line| line["spans"].as_array().is_some_and(|spans| {
                spans
                    .iter()
                    .any(|s| s["name"] == "request" && s["actor"] == TESTER)
                    && spans
                        .iter()
                        .any(|s| s["name"] == "commit" && s["revision"].is_i64())
            })),
        "no line of a commit inside the tester's request"
    );
}
