//! Change requests through every interface, on the demo domain, whose approval policy puts
//! LIVE under review:
//!
//! - no bypass: each write path — the console's save, layer save, delete, rollback and
//!   restore; the API's PUT, DELETE, POST, rollback and restore; the command line's `set` and
//!   `KIND edit`; import — refuses a write to LIVE's configs, naming the policy, and writes
//!   nothing. The paths are listed: a write route, server function or command not in a list
//!   fails the test, so a new one cannot appear unjudged;
//! - the same request through the API and the command line: proposed, reviewed, applied,
//!   published and served.

use crate::common;

use std::collections::BTreeSet;
use std::process::Output;
use std::time::{Duration, Instant};

use common::{READER_TOKEN, TESTER_PASSWORD, TestApp, sign_in_as, strata, test_server};
use serde_json::{Value, json};
use strata_domain::access::Role;
use strata_domain::kind::Kind;
use strata_domain::layer::ConfigLayer;
use strata_domain::token::TokenScope;
use strata_store::Store;
use strata_store::access::{Actor, NewToken, NewUser};

/// The API's routes that write, as the OpenAPI document lists them, each with what the test
/// does about it: "covered" (tried below, refused for LIVE) or why it writes no entity.
const API_WRITES: &[(&str, &str)] = &[
    ("post /api/v1/{kind}", "covered: creates an entity"),
    ("put /api/v1/{kind}/{key}", "covered: updates an entity"),
    ("delete /api/v1/{kind}/{key}", "covered: deletes an entity"),
    (
        "post /api/v1/{kind}/{key}/rollback",
        "covered: rolls an entity back",
    ),
    (
        "post /api/v1/{kind}/{key}/impact",
        "a preview: applies nothing",
    ),
    (
        "put /api/v1/layers/{deployable}/default",
        "covered: the default layer is the deployable's",
    ),
    (
        "put /api/v1/layers/{deployable}/{kind}/{name}",
        "covered: writes a layer",
    ),
    (
        "post /api/v1/revisions/{revision}/restore",
        "covered: a restore",
    ),
    ("post /api/v1/publish", "publishes what is committed"),
    ("post /api/v1/tokens", "tokens are no entities"),
    ("delete /api/v1/tokens/{name}", "tokens are no entities"),
    ("post /api/v1/change-requests", "proposes: applies nothing"),
    (
        "put /api/v1/change-requests/{id}",
        "edits a proposal: applies nothing",
    ),
    (
        "post /api/v1/change-requests/{id}/reviews",
        "a review: applies nothing",
    ),
    (
        "post /api/v1/change-requests/{id}/rebase",
        "rebases a proposal: applies nothing",
    ),
    (
        "post /api/v1/change-requests/{id}/withdraw",
        "takes a proposal back",
    ),
    (
        "post /api/v1/change-requests/{id}/apply",
        "covered: applies only what is approved",
    ),
];

/// The console's server functions that write, and the rest.
const CONSOLE_WRITES: &[&str] = &[
    "save",
    "layer-save",
    "delete",
    "rollback",
    "restore",
    // Applies only what is approved (and rebases and withdraws, which apply nothing).
    "change-request-act",
];
const CONSOLE_OTHERS: &[&str] = &[
    // Reads and previews.
    "list",
    "revision-diff",
    "restore-preview",
    "layers",
    "layer",
    "layer-check",
    "layer-preview",
    "secret-reveal",
    "check",
    "rollback-preview",
    "entity",
    "compare",
    "form-options",
    "audit",
    "audit-events",
    "tokens",
    "publications",
    "overview",
    "activity",
    "setup-status",
    "members",
    "users",
    "tenant-configs",
    "change-requests",
    "change-request",
    "change-request-impact",
    "entity-review-needed",
    // Proposing, reviewing and editing a request apply nothing.
    "layer-propose",
    "entity-propose",
    "rollback-propose",
    "delete-propose",
    "change-request-review",
    "change-request-edit",
    // People, tokens and publishing: no entity.
    "token-create",
    "token-revoke",
    "publish-now",
    "member-role",
    "user-add",
    "user-access",
];

/// The command line's commands that write entities, and the rest.
const CLI_WRITES: &[&str] = &[
    "set",
    "tier",
    "organization",
    "product",
    "tenant",
    "rollback",
    "import",
    "deployable",
    "demo",
];
const CLI_OTHERS: &[&str] = &[
    "serve",
    "migrate",
    "healthcheck",
    "publish",
    "init",
    "pull",
    "diff",
    "cache",
    "export",
    "user",
    "list",
    "view",
    "history",
    "get",
    "env",
    "secret-key",
    "token",
    "request",
    "help",
];

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

async fn person(store: &Store, name: &str, organization: &str, role: Role) {
    let root = Actor::operator("root");
    store
        .add_user(
            &root,
            NewUser {
                name,
                display_name: name,
                password: TESTER_PASSWORD,
                domain_admin: false,
            },
        )
        .await
        .unwrap();
    store
        .set_role(&root, name, organization, Some(role))
        .await
        .unwrap();
}

/// The demo with acme's editor and publisher (signed in), and a token acting as acme's editor.
struct Demo {
    server: TestApp,
    editor: reqwest::Client,
    publisher: reqwest::Client,
    token: String,
}

async fn demo() -> Demo {
    let server = test_server().await.with_reviewed_demo().await;
    let store = server.db.store().await;
    person(&store, "eda", "acme", Role::Editor).await;
    person(&store, "pia", "acme", Role::Publisher).await;
    let (_, token) = store
        .create_token(
            &Actor::operator("root"),
            NewToken {
                name: "acme-bot",
                scope: TokenScope::Act {
                    organization: "acme".into(),
                    role: Role::Editor,
                },
                days: 7,
            },
        )
        .await
        .unwrap();
    store.close().await;
    let editor = sign_in_as(&server.address, "eda", TESTER_PASSWORD)
        .await
        .unwrap();
    let publisher = sign_in_as(&server.address, "pia", TESTER_PASSWORD)
        .await
        .unwrap();
    Demo {
        server,
        editor,
        publisher,
        token,
    }
}

/// The revision and the LIVE layers as stored now: what a refused write must leave alone.
async fn stored(server: &TestApp) -> (i64, Vec<ConfigLayer>) {
    let store = server.db.store().await;
    let revision = store.domain().await.unwrap().revision;
    let layers = store
        .as_operator()
        .list::<ConfigLayer>()
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.item)
        .collect();
    store.close().await;
    (revision, layers)
}

/// Asserts an API or console answer refused for the LIVE policy.
fn assert_refused_for_review(what: &str, status: u16, body: &str) {
    // The API and the command line say how to propose; the console's forms answer
    // `NeedsReview`, and offer to propose.
    assert!(
        body.contains("live-review") && (body.contains("propose") || body.contains("NeedsReview")),
        "{what}: {status} {body}"
    );
    assert!(status == 403 || status == 200, "{what}: {status} {body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_path_refuses_a_write_under_review_and_the_paths_are_listed() {
    let demo = demo().await;
    let server = &demo.server;
    let before = stored(server).await;

    // Every write route of the API is judged in API_WRITES.
    let document: Value = reqwest::get(server.url("/api/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut routes = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        // The document lists each kind's routes: one rule for every kind here.
        let path = Kind::ALL
            .iter()
            .find_map(|kind| {
                let prefix = format!("/api/v1/{}", kind.path());
                path.strip_prefix(&prefix)
                    .filter(|rest| rest.is_empty() || rest.starts_with('/'))
                    .map(|rest| format!("/api/v1/{{kind}}{rest}"))
            })
            .unwrap_or_else(|| path.clone());
        for method in item.as_object().unwrap().keys() {
            if method != "get" {
                routes.insert(format!("{method} {path}"));
            }
        }
    }
    let judged: BTreeSet<String> = API_WRITES.iter().map(|(r, _)| (*r).to_owned()).collect();
    assert_eq!(
        routes, judged,
        "a write route of the API is not judged here, or is gone"
    );
    // Every server function of the console.
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/api/").to_owned())
        .collect();
    let listed: BTreeSet<String> = CONSOLE_WRITES
        .iter()
        .chain(CONSOLE_OTHERS)
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(
        registered, listed,
        "a server function is not judged here, or is gone"
    );
    // Every command of the command line.
    let help = text(&strata(&["--help"], &[]));
    let commands: BTreeSet<String> = help
        .split("Commands:")
        .nth(1)
        .unwrap()
        .split("Options:")
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .collect();
    let listed: BTreeSet<String> = CLI_WRITES
        .iter()
        .chain(CLI_OTHERS)
        .map(|s| (*s).to_owned())
        .collect();
    assert_eq!(commands, listed, "a command is not judged here, or is gone");

    let store = server.db.store().await;
    let berlin = store
        .as_operator()
        .get::<ConfigLayer>("web-api/tenant/acme-berlin")
        .await
        .unwrap();
    let tier_layer = store
        .as_operator()
        .get::<ConfigLayer>("web-api/tier/LIVE")
        .await
        .unwrap();
    store.close().await;
    let admin = server.client().await;

    // The console: save (an entity form), layer save, delete, rollback, restore.
    let console = |endpoint: &str, args: Vec<(&'static str, String)>| {
        let client = admin.clone();
        let url = server.url(&format!("/api/{endpoint}"));
        async move {
            let response = client.post(url).form(&args).send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let mut edited = berlin.item.clone();
    edited.config["log_level"] = json!("debug");
    let (status, body) = console(
        "save",
        vec![
            ("kind", "config_layer".to_owned()),
            ("creating", "false".to_owned()),
            ("version", berlin.version.to_string()),
            ("document", serde_json::to_string(&edited).unwrap()),
            ("reason", "more logs".to_owned()),
        ],
    )
    .await;
    assert_refused_for_review("console save", status, &body);
    let (status, body) = console(
        "layer-save",
        vec![
            ("deployable", "web-api".to_owned()),
            ("kind", "tenant".to_owned()),
            ("name", "acme-berlin".to_owned()),
            ("version", berlin.version.to_string()),
            ("config", edited.config.to_string()),
            ("reason", "more logs".to_owned()),
        ],
    )
    .await;
    assert_refused_for_review("console layer save", status, &body);
    let (status, body) = console(
        "delete",
        vec![
            ("kind", "config_layer".to_owned()),
            ("key", "web-api/tier/LIVE".to_owned()),
            ("version", tier_layer.version.to_string()),
            ("reason", "tidy up".to_owned()),
        ],
    )
    .await;
    assert_refused_for_review("console delete", status, &body);

    // The API, as a domain admin: update, delete, create, layer write.
    let reason = ("Strata-Reason", "a test");
    let response = admin
        .put(server.url("/api/v1/config-layers/web-api%2Ftenant%2Facme-berlin"))
        .header(reason.0, reason.1)
        .header("if-match", format!("\"{}\"", berlin.version))
        .json(&edited)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    assert_refused_for_review("API PUT", status, &body);
    assert!(body.contains("approval_required"), "{body}");
    let response = admin
        .delete(server.url(&format!(
            "/api/v1/config-layers/web-api%2Ftier%2FLIVE?version={}",
            tier_layer.version
        )))
        .header(reason.0, reason.1)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_refused_for_review("API DELETE", status, &response.text().await.unwrap());
    let response = admin
        .post(server.url("/api/v1/tenants"))
        .header(reason.0, reason.1)
        .json(
            &json!({"name": "acme-new", "product": "acme-shop", "tier": "LIVE", "alias": null,
                      "termination_protection": false, "state": "active"}),
        )
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_refused_for_review("API POST", status, &response.text().await.unwrap());
    let response = admin
        .put(server.url("/api/v1/layers/web-api/tier/LIVE"))
        .header(reason.0, reason.1)
        .header("if-match", format!("\"{}\"", tier_layer.version))
        .json(&json!({"config": {"log_level": "debug"}}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_refused_for_review("API layer PUT", status, &response.text().await.unwrap());

    // The command line, against the server with an acting token and on the database itself.
    let url = server.address.clone();
    let remote = [
        ("STRATA_SERVER", url.as_str()),
        ("STRATA_TOKEN", demo.token.as_str()),
    ];
    let set = strata(
        &[
            "set",
            "web-api/tenant/acme-berlin",
            "log_level=debug",
            "--reason",
            "more logs",
        ],
        &remote,
    );
    assert!(!set.status.success());
    assert!(
        text(&set).contains("live-review") && text(&set).contains("--propose"),
        "{}",
        text(&set)
    );
    let edit = strata(
        &[
            "tenant",
            "edit",
            "acme-berlin",
            "tier=STAGING",
            "--reason",
            "move",
        ],
        &remote,
    );
    assert!(!edit.status.success());
    assert!(text(&edit).contains("live-review"), "{}", text(&edit));
    let database = server.db.url.as_sqlx().to_owned();
    let local = [
        ("STRATA_DATABASE_URL", database.as_str()),
        ("STRATA_SECRET_KEY", common::SECRET_KEY),
    ];
    let exported = tempfile::tempdir().unwrap();
    let export = strata(&["export", exported.path().to_str().unwrap()], &local);
    assert!(export.status.success(), "{}", text(&export));
    let layers_file = exported.path().join("config_layers.json");
    let layers = std::fs::read_to_string(&layers_file).unwrap();
    std::fs::write(
        &layers_file,
        layers.replace("db.live.internal", "db.moved.internal"),
    )
    .unwrap();
    let import = strata(
        &[
            "import",
            exported.path().to_str().unwrap(),
            "--reason",
            "move the database",
        ],
        &local,
    );
    assert!(!import.status.success());
    assert!(text(&import).contains("live-review"), "{}", text(&import));

    assert_eq!(
        stored(server).await,
        before,
        "a refused write wrote something"
    );

    // A change under review goes through a request; then rollback and restore of LIVE are
    // refused too (they would change LIVE back).
    let proposed: Value = demo
        .editor
        .post(server.url("/api/v1/change-requests"))
        .json(&json!({"title": "More logs for Berlin", "writes": [{
            "kind": "config_layer", "key": "web-api/tenant/acme-berlin",
            "base_version": berlin.version,
            "image": serde_json::to_value(&edited).unwrap(),
        }]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = proposed["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("{proposed}"));
    let approved = demo
        .publisher
        .post(server.url(&format!("/api/v1/change-requests/{id}/reviews")))
        .json(&json!({"verdict": "approve", "content_hash": proposed["content_hash"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 201, "{}", approved.text().await.unwrap());
    let applied: Value = demo
        .editor
        .post(server.url(&format!("/api/v1/change-requests/{id}/apply")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let revision = applied["revision"]
        .as_i64()
        .unwrap_or_else(|| panic!("{applied}"));
    let (status, body) = console(
        "rollback",
        vec![
            ("kind", "config_layer".to_owned()),
            ("key", "web-api/tenant/acme-berlin".to_owned()),
            ("to_version", berlin.version.to_string()),
            ("expected", (berlin.version + 1).to_string()),
            ("reason", "back".to_owned()),
        ],
    )
    .await;
    assert_refused_for_review("console rollback", status, &body);
    let response = admin
        .post(server.url("/api/v1/config-layers/web-api%2Ftenant%2Facme-berlin/rollback"))
        .header(reason.0, reason.1)
        .header("if-match", format!("\"{}\"", berlin.version + 1))
        .json(&json!({"to_version": berlin.version}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_refused_for_review("API rollback", status, &response.text().await.unwrap());
    let rollback = strata(
        &[
            "rollback",
            "config-layers/web-api/tenant/acme-berlin",
            &berlin.version.to_string(),
            "--reason",
            "back",
        ],
        &local,
    );
    assert!(!rollback.status.success());
    assert!(
        text(&rollback).contains("live-review"),
        "{}",
        text(&rollback)
    );
    let (status, body) = console(
        "restore",
        vec![
            ("revision", (revision - 1).to_string()),
            ("reason", "back".to_owned()),
        ],
    )
    .await;
    assert_refused_for_review("console restore", status, &body);
    let response = admin
        .post(server.url(&format!("/api/v1/revisions/{}/restore", revision - 1)))
        .header(reason.0, reason.1)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    assert_refused_for_review("API restore", status, &response.text().await.unwrap());
    let after = stored(server).await;
    assert_eq!(after.0, revision, "a refused write made a revision");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_made_on_the_command_line_is_reviewed_applied_and_served() {
    let demo = demo().await;
    let server = &demo.server;
    let remote = [
        ("STRATA_SERVER", server.address.as_str()),
        ("STRATA_TOKEN", demo.token.as_str()),
    ];
    let started = Instant::now();
    let proposed = strata(
        &[
            "set",
            "web-api/tenant/acme-berlin",
            "log_level=warn",
            "--reason",
            "quieter Berlin",
            "--propose",
        ],
        &remote,
    );
    assert!(proposed.status.success(), "{}", text(&proposed));
    assert!(
        text(&proposed).contains("proposed change request #1"),
        "{}",
        text(&proposed)
    );
    assert!(
        text(&proposed).contains("1 approval from a publisher"),
        "{}",
        text(&proposed)
    );
    let show = strata(&["request", "show", "1"], &remote);
    assert!(
        text(&show).contains("approved: nobody yet"),
        "{}",
        text(&show)
    );
    let review: Value = demo
        .publisher
        .get(server.url("/api/v1/change-requests/1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(review["may"]["review"], true, "{review}");
    // The token was made by the operator, no person: it may not approve, even another's.
    let hash = review["request"]["content_hash"]
        .as_str()
        .unwrap()
        .to_owned();
    let by_token = strata(
        &["request", "approve", "1", "--content", &hash[..12]],
        &remote,
    );
    assert!(!by_token.status.success(), "{}", text(&by_token));
    let approved = demo
        .publisher
        .post(server.url("/api/v1/change-requests/1/reviews"))
        .json(&json!({"verdict": "approve", "content_hash": hash, "comment": "fine"}))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), 201);
    let applied = strata(&["request", "apply", "1", "--json"], &remote);
    assert!(applied.status.success(), "{}", text(&applied));
    let applied: Value = serde_json::from_slice(&applied.stdout).unwrap();
    let revision = applied["revision"].as_i64().unwrap();
    let served = common::until_revision(
        &server.url("/api/v1/config/LIVE/acme-berlin/web-api"),
        revision,
        Duration::from_secs(15),
    )
    .await;
    let config: Value = served.json().await.unwrap();
    assert_eq!(config["log_level"], "warn");
    println!(
        "proposed → approved → applied → served on the command line and API: {:?}",
        started.elapsed()
    );
    let _ = READER_TOKEN;
    let list = strata(&["request", "list", "--state", "applied"], &remote);
    assert!(text(&list).contains("quieter Berlin"), "{}", text(&list));
}
