//! Starting the real server for tests: a free port, the given database and origin,
//! the site root, and a cache. Answers the server's base URL.

// Each test crate uses its own part of this module.
#![allow(dead_code)]

pub mod redis_server;
pub mod seaweed;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use strata_domain::snapshot::{Head, Manifest};
use strata_domain::tier::Tier;
use strata_server::cache::CacheSetting;
use strata_server::config::Settings;
use strata_server::origin::{Origin, OriginSetting};
use strata_server::publisher::{Outcome, Publisher};
use strata_server::startup::Application;
use strata_store::Store;
use strata_store::access::Actor;
use strata_store::access::credentials::token_hash;
use strata_store::outbox::PublishFigures;
use strata_store::test_support::TestDatabase;

/// A server on a throwaway SQLite database, with a directory origin and a site root of its
/// own (in `dir`): what every test that needs one starts, through [`spawn_app`].
pub struct TestApp {
    pub address: String,
    pub db: TestDatabase,
    pub dir: tempfile::TempDir,
    /// A client signed in as [`TESTER`], a domain admin, once asked for.
    client: tokio::sync::OnceCell<reqwest::Client>,
}

/// Starts a [`TestApp`] with an empty domain and `cache`.
pub async fn spawn_app(cache: CacheSetting) -> TestApp {
    let db = TestDatabase::new(strata_store::Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let address = start_server(&db, &dir.path().join("origin"), dir.path(), cache).await;
    TestApp {
        address,
        db,
        dir,
        client: Default::default(),
    }
}

/// Starts a [`TestApp`] with an empty domain and the cache in process.
pub async fn test_server() -> TestApp {
    spawn_app(CacheSetting::InProcess).await
}

impl TestApp {
    /// `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A client signed in as [`TESTER`], a domain admin (the same one every time).
    pub async fn client(&self) -> &reqwest::Client {
        self.client
            .get_or_init(|| signed_in(&self.address, &self.db))
            .await
    }

    /// Loads the demo domain and waits until the server serves its first revision.
    pub async fn with_demo(self) -> TestApp {
        let store = self.db.store().await.with_secret_key(Some(test_key()));
        let revision = store.load_demo("demo").await.unwrap();
        store.close().await;
        until_revision(
            &format!("{}/api/v1/config/LIVE/acme-berlin/web-api", self.address),
            revision,
            Duration::from_secs(15),
        )
        .await;
        self
    }

    /// The demo domain with LIVE under review, as `strata demo` loads it; waits until the
    /// server serves it.
    pub async fn with_reviewed_demo(self) -> TestApp {
        let server = self.with_demo().await;
        let store = server.db.store().await;
        let revision = store.load_demo_policies("demo").await.unwrap();
        store.close().await;
        until_revision(
            &format!("{}/api/v1/config/LIVE/acme-berlin/web-api", server.address),
            revision,
            Duration::from_secs(15),
        )
        .await;
        server
    }
}

pub async fn start_server(
    db: &TestDatabase,
    origin: &Path,
    site_root: &Path,
    cache: CacheSetting,
) -> String {
    start_server_on(
        db,
        OriginSetting::Directory(origin.to_path_buf()),
        site_root,
        cache,
    )
    .await
}

/// The same with any origin (an S3 one, say). The database holds [`READER_TOKEN`].
pub async fn start_server_on(
    db: &TestDatabase,
    origin: OriginSetting,
    site_root: &Path,
    cache: CacheSetting,
) -> String {
    let address = start(settings_for(db, origin, site_root, cache)).await;
    add_reader_token(db).await;
    address
}

/// A test server's settings, for a test to change before [`start`].
pub fn settings_for(
    db: &TestDatabase,
    origin: OriginSetting,
    site_root: &Path,
    cache: CacheSetting,
) -> Settings {
    Settings {
        origin,
        cache,
        secret_key: Some(test_key()),
        ..Settings::local(db.url.clone(), site_root)
    }
}

/// The key test servers seal secret values with.
pub const SECRET_KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

pub fn test_key() -> strata_store::sealing::SecretKey {
    strata_store::sealing::SecretKey::parse(SECRET_KEY).unwrap()
}

/// Starts a server with `settings`; answers its base URL.
pub async fn start(settings: Settings) -> String {
    let app = Application::build(settings)
        .await
        .expect("the server starts");
    let address = format!("http://{}", app.addr());
    tokio::spawn(app.run_until_stopped());
    address
}

/// The person tests sign in as: a domain admin, added by [`signed_in`].
pub const TESTER: &str = "tester";
pub const TESTER_PASSWORD: &str = "a long test password";

/// A client signed in to the console at `address` as [`TESTER`] (added to `db` unless there).
pub async fn signed_in(address: &str, db: &TestDatabase) -> reqwest::Client {
    let store = db.store().await;
    if store.user(TESTER).await.unwrap().is_none() {
        let tester = strata_store::access::NewUser {
            name: TESTER,
            display_name: "Tess Ter",
            password: TESTER_PASSWORD,
            domain_admin: true,
        };
        store
            .add_user(&Actor::operator("test"), tester)
            .await
            .unwrap();
    }
    store.close().await;
    sign_in_as(address, TESTER, TESTER_PASSWORD)
        .await
        .expect("the tester signs in")
}

/// A client that keeps cookies and sends `address` as its Origin, as the console's pages do.
pub fn browser(address: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, address.parse().unwrap());
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Signs in through the sign-in form; on refusal, the page it sends back to.
pub async fn sign_in_as(
    address: &str,
    name: &str,
    password: &str,
) -> Result<reqwest::Client, String> {
    let client = browser(address);
    let response = client
        .post(format!("{address}/auth/sign-in"))
        .form(&[("name", name), ("password", password), ("next", "/")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        303,
        "the sign-in form answers with a redirect"
    );
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    match location.as_str() {
        "/" => Ok(client),
        _ => Err(location),
    }
}

/// The origin's HEAD and the manifest it names.
pub async fn head_of(origin: &Origin) -> (Head, Manifest) {
    let (bytes, _) = origin.head().await.unwrap().expect("a HEAD");
    let head: Head = serde_json::from_slice(&bytes).unwrap();
    let manifest: Manifest =
        serde_json::from_slice(&origin.get(&head.manifest).await.unwrap().unwrap()).unwrap();
    (head, manifest)
}

pub fn published(outcome: Option<Outcome>) -> PublishFigures {
    match outcome {
        Some(Outcome::Published { figures, .. }) => figures,
        other => panic!("expected a publication, got {other:?}"),
    }
}

/// Renames product `key` to `display` through the console's save server function, from the
/// version the store holds now: `request` is the POST to `/api/save` with the caller's session
/// or token.
pub async fn save_product_renamed(
    store: &Store,
    request: reqwest::RequestBuilder,
    key: &str,
    display: &str,
    reason: &str,
) -> reqwest::Response {
    let product = store
        .as_operator()
        .get::<strata_domain::product::Product>(key)
        .await
        .unwrap();
    let mut renamed = serde_json::to_value(&product.item).unwrap();
    renamed["display_name"] = display.into();
    request
        .form(&[
            ("kind", "product".to_owned()),
            ("creating", "false".to_owned()),
            ("version", product.version.to_string()),
            ("document", renamed.to_string()),
            ("reason", reason.to_owned()),
        ])
        .send()
        .await
        .unwrap()
}

pub async fn rename_tier(store: &Store, name: &str, display: &str) {
    let mut tier = store.as_operator().get::<Tier>(name).await.unwrap();
    tier.item.display_name = display.into();
    let mut change = store
        .begin(&Actor::operator("judy"), "rename a tier")
        .await
        .unwrap();
    change.update(tier.version, tier.item).await.unwrap();
    change.commit().await.unwrap();
}

/// Ports below Linux's ephemeral range (32768 and up), so that no outgoing connection takes
/// one while the server is stopped and it can start again on the same ones. Each test
/// process starts at its own place in 20000–31999 and checks each port is free.
fn free_ports(count: usize) -> Vec<u16> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let base = 20_000 + (std::process::id() % 600) * 20;
    let mut ports = Vec::new();
    while ports.len() < count {
        let port = 20_000 + (base - 20_000 + NEXT.fetch_add(1, Ordering::Relaxed)) % 12_000;
        if std::net::TcpListener::bind(("127.0.0.1", port as u16)).is_ok() {
            ports.push(port as u16);
        }
    }
    ports
}

/// Asks `check` every 100 ms until it answers something, and answers that; fails the test
/// naming `what` when `within` passes first.
pub async fn until<T>(
    what: &str,
    within: Duration,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(Instant::now() < deadline, "waited {within:?} for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The secret of the read token [`add_reader_token`] puts in a test database.
pub const READER_TOKEN: &str = "strata_test-reader-of-every-tier";

/// Puts a read token for every tier the tests use straight into the database, the way a
/// replica's database would hold it: a server on an otherwise empty database (serving what
/// its origin holds) needs one too, and the store only makes tokens for tiers it knows.
/// Idempotent; the database must be migrated (a server started on it).
pub async fn add_reader_token(db: &TestDatabase) {
    let scope = r#"{"kind":"read","tiers":["LIVE","STAGING","TEST","DEV"]}"#;
    db.execute_raw(&format!(
        "INSERT INTO api_tokens (name, token_hash, scope, organization, created_by, \
         created_at_ms, expires_at_ms, uses) VALUES ('test-reader', '{}', '{scope}', '', \
         'test', 0, 9000000000000, 0) ON CONFLICT DO NOTHING",
        token_hash(READER_TOKEN)
    ))
    .await;
}

/// Waits until the config URL answers with ETag `"revision"`, and answers that response.
pub async fn until_revision(url: &str, revision: i64, within: Duration) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let what = format!("{url} to serve revision {revision}");
    until(&what, within, async || {
        let response = client
            .get(url)
            .bearer_auth(READER_TOKEN)
            .send()
            .await
            .unwrap();
        let etag = response.headers().get("etag").and_then(|v| v.to_str().ok());
        (etag == Some(&format!("\"{revision}\""))).then_some(response)
    })
    .await
}

/// Starts `count` publishers on one store at once and answers what each did: exactly one
/// of them should have published.
pub async fn race_publishers(store: &Store, origin: &Origin, count: usize) -> Vec<Option<Outcome>> {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..count {
        let publisher = Publisher::new(
            store.clone(),
            origin.clone(),
            format!("p{i}"),
            Default::default(),
        );
        set.spawn(async move { publisher.publish_next().await.unwrap() });
    }
    set.join_all().await
}

/// The values of `names` once `program` (sh, bash) has loaded `dir/env` as a shell loads an
/// env file: `set -a; . ./env`.
pub fn loaded_by_shell(program: &str, dir: &Path, names: &[String]) -> Vec<String> {
    let script: String = names
        .iter()
        .map(|name| format!("printf '%s\\0' \"${name}\"; "))
        .collect();
    let out = std::process::Command::new(program)
        .arg("-c")
        .arg(format!("set -a; . ./env; {script}"))
        .current_dir(dir)
        .env_clear()
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    text.split('\0')
        .take(names.len())
        .map(str::to_owned)
        .collect()
}

/// Runs the `strata` binary with `args` in a directory of its own, with none of Strata's
/// settings from this process's environment but `env`, and without colour.
pub fn strata(args: &[&str], env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_strata"));
    command
        .args(args)
        .current_dir(dir.path())
        .env_remove("STRATA_DATABASE_URL")
        .env_remove("STRATA_ORIGIN")
        .env_remove("STRATA_REDIS_URL")
        .env_remove("STRATA_ADDR")
        .env_remove("STRATA_SECRET_KEY")
        .env_remove("STRATA_SERVER")
        .env_remove("STRATA_TOKEN")
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap()
}
