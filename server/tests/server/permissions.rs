//! The permission matrix: every server function of the console and every route of the API,
//! called by each kind of principal, against what one table says each may do. The table is
//! the whole rule set in one place; a server function registered without a row fails the
//! test, so a new one cannot slip in unjudged.
//!
//! Outcomes: allowed (2xx with something in it); denied — 401 for the anonymous, 403 for a
//! lack of rights, or "does not exist" for what the principal may not even see (null, or an
//! error saying so). Anything else (a 500 for another reason) fails.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::{READER_TOKEN, TESTER_PASSWORD, TestApp, browser, sign_in_as, signed_in, test_server};
use strata_domain::access::Role;
use strata_domain::change_request::{ProposedWrite, Verdict};
use strata_domain::kind::Kind;
use strata_domain::layer::ConfigLayer;
use strata_domain::product::Product;
use strata_domain::token::TokenScope;
use strata_store::Store;
use strata_store::access::{Actor, NewToken, NewUser};

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Anonymous,
    /// Viewer, editor, publisher and admin of acme (organization A).
    Viewer,
    Editor,
    Publisher,
    AdminA,
    /// Admin of globex (organization B).
    AdminB,
    DomainAdmin,
    /// A token that reads configs on every tier.
    ReadToken,
    /// A token acting as editor in acme.
    ActingToken,
}

use Who::*;

const EVERYONE: [Who; 9] = [
    Anonymous,
    Viewer,
    Editor,
    Publisher,
    AdminA,
    AdminB,
    DomainAdmin,
    ReadToken,
    ActingToken,
];

/// Every person signed in, and the acting token (which the console takes as a member).
const MEMBERS: &[Who] = &[
    Viewer,
    Editor,
    Publisher,
    AdminA,
    AdminB,
    DomainAdmin,
    ActingToken,
];
const ACME_READERS: &[Who] = &[Viewer, Editor, Publisher, AdminA, DomainAdmin, ActingToken];
const ACME_EDITORS: &[Who] = &[Editor, Publisher, AdminA, DomainAdmin, ActingToken];
const ACME_PUBLISHERS: &[Who] = &[Publisher, AdminA, DomainAdmin];
const ACME_ADMINS: &[Who] = &[AdminA, DomainAdmin];
const PUBLISHERS_ANYWHERE: &[Who] = &[Publisher, AdminA, AdminB, DomainAdmin];
const DOMAIN_ADMINS: &[Who] = &[DomainAdmin];
const READERS_OF_CONFIGS: &[Who] = &[ReadToken];
/// The sign-in side of the console: anyone but a read token, which is not for the console.
const PUBLIC: &[Who] = &[
    Anonymous,
    Viewer,
    Editor,
    Publisher,
    AdminA,
    AdminB,
    DomainAdmin,
    ActingToken,
];

/// One call and who may make it.
struct Row {
    /// A server function's endpoint (POST /api/{endpoint}, a form), or an API path (GET).
    call: Call,
    allowed: &'static [Who],
    /// Why, in the words of the rule.
    rule: &'static str,
}

enum Call {
    ServerFn(&'static str, Vec<(&'static str, String)>),
    Get(String),
}

fn server_fn(endpoint: &'static str, args: &[(&'static str, &str)]) -> Call {
    Call::ServerFn(
        endpoint,
        args.iter().map(|(k, v)| (*k, (*v).to_owned())).collect(),
    )
}

/// The table. `{who}` in an argument becomes the caller's name, for calls that create
/// something named.
fn table(fixture: &Fixture) -> Vec<Row> {
    let product = fixture.product.as_str();
    let product_version = fixture.product_version.to_string();
    let layer = fixture.layer.as_str();
    let revision = fixture.revision.to_string();
    let request = fixture.request.to_string();
    let layer_version = fixture.layer_version.to_string();
    let mut proposed: serde_json::Value = serde_json::from_str(layer).unwrap();
    proposed["log_level"] = serde_json::json!("warn");
    let proposed_layer = proposed.to_string();
    vec![
        Row {
            call: server_fn("setup-status", &[("token", "no-such-link")]),
            allowed: PUBLIC,
            rule: "the setup page asks before anyone signs in",
        },
        Row {
            call: server_fn("overview", &[]),
            allowed: MEMBERS,
            rule: "the header: anyone signed in",
        },
        Row {
            call: server_fn("activity", &[]),
            allowed: MEMBERS,
            rule: "home: anyone signed in, filtered",
        },
        Row {
            call: server_fn("list", &[("kind", "tenant"), ("query[offset]", "0")]),
            allowed: MEMBERS,
            rule: "lists: filtered to what one may read",
        },
        Row {
            call: server_fn("form-options", &[("kind", "tenant")]),
            allowed: MEMBERS,
            rule: "pickers: filtered like lists",
        },
        Row {
            call: server_fn("entity", &[("kind", "tenant"), ("key", "acme-berlin")]),
            allowed: ACME_READERS,
            rule: "an acme tenant: acme's members",
        },
        Row {
            call: server_fn(
                "compare",
                &[
                    ("kind", "tenant"),
                    ("key", "acme-berlin"),
                    ("from", "1"),
                    ("to", "1"),
                ],
            ),
            allowed: ACME_READERS,
            rule: "its versions: acme's members",
        },
        Row {
            call: server_fn("tenant-configs", &[("tenant", "acme-berlin")]),
            allowed: ACME_READERS,
            rule: "its resolved configs: acme's members",
        },
        Row {
            call: server_fn(
                "rollback-preview",
                &[
                    ("kind", "product"),
                    ("key", "acme-shop"),
                    ("to_version", "1"),
                ],
            ),
            allowed: ACME_READERS,
            rule: "a roll back preview shows versions one may read",
        },
        Row {
            call: server_fn("layers", &[]),
            allowed: MEMBERS,
            rule: "the configs page: filtered",
        },
        Row {
            call: server_fn(
                "layer",
                &[
                    ("deployable", "web-api"),
                    ("kind", "tenant"),
                    ("name", "acme-berlin"),
                ],
            ),
            allowed: ACME_READERS,
            rule: "an acme tenant's layer: acme's members",
        },
        // Before the save below, which replaces this layer.
        Row {
            call: server_fn(
                "secret-reveal",
                &[
                    ("deployable", "web-api"),
                    ("kind", "tenant"),
                    ("name", "acme-berlin"),
                    ("pointer", "/database/password"),
                ],
            ),
            allowed: ACME_PUBLISHERS,
            rule: "revealing a secret of an acme layer: acme's publishers and admins",
        },
        Row {
            call: server_fn(
                "layer-check",
                &[("deployable", "web-api"), ("config", layer)],
            ),
            allowed: MEMBERS,
            rule: "checking a layer against a shared deployable's schema: whoever reads it",
        },
        Row {
            call: server_fn(
                "check",
                &[
                    ("kind", "deployable"),
                    (
                        "document",
                        r#"{"name": "matrix", "display_name": "M", "config_schema": {"type": "object"}, "default_config": {}}"#,
                    ),
                ],
            ),
            allowed: DOMAIN_ADMINS,
            rule: "checking a deployable form: whoever may make deployables",
        },
        Row {
            call: server_fn(
                "layer-preview",
                &[
                    ("deployable", "web-api"),
                    ("kind", "tenant"),
                    ("name", "acme-berlin"),
                    ("version", "1"),
                    ("config", layer),
                ],
            ),
            allowed: ACME_EDITORS,
            rule: "previewing a change needs the right to make it",
        },
        Row {
            call: server_fn(
                "layer-save",
                &[
                    ("deployable", "web-api"),
                    ("kind", "tenant"),
                    ("name", "acme-berlin"),
                    ("version", "1"),
                    ("config", layer),
                    ("reason", "matrix"),
                ],
            ),
            allowed: ACME_EDITORS,
            rule: "an acme layer: acme's editors",
        },
        Row {
            call: server_fn(
                "save",
                &[
                    ("kind", "product"),
                    ("creating", "false"),
                    ("version", "1"),
                    ("document", product),
                    ("reason", "matrix"),
                ],
            ),
            allowed: ACME_EDITORS,
            rule: "an acme product: acme's editors (a stale version is a conflict, still an answer)",
        },
        Row {
            call: server_fn(
                "delete",
                &[
                    ("kind", "product"),
                    ("key", "acme-shop"),
                    ("version", "1"),
                    ("reason", "matrix"),
                ],
            ),
            allowed: ACME_EDITORS,
            rule: "deleting an acme product: acme's editors (refused while tenants use it)",
        },
        Row {
            call: server_fn(
                "rollback",
                &[
                    ("kind", "product"),
                    ("key", "acme-shop"),
                    ("to_version", "1"),
                    ("expected", "0"),
                    ("reason", "matrix"),
                ],
            ),
            allowed: ACME_PUBLISHERS,
            rule: "rolling back: acme's publishers",
        },
        Row {
            call: server_fn(
                "save",
                &[
                    ("kind", "tier"),
                    ("creating", "true"),
                    ("version", "0"),
                    (
                        "document",
                        r#"{"name":"QATEST","display_name":"QA","is_live":false,"state":"active"}"#,
                    ),
                    ("reason", "matrix"),
                ],
            ),
            allowed: DOMAIN_ADMINS,
            rule: "tiers are shared: domain admins",
        },
        Row {
            call: server_fn(
                "audit",
                &[("filter[key]", "acme"), ("offset", "0"), ("limit", "10")],
            ),
            allowed: MEMBERS,
            rule: "history: filtered to one's organizations",
        },
        Row {
            call: server_fn("audit-events", &[("limit", "10")]),
            allowed: MEMBERS,
            rule: "audit events: filtered",
        },
        Row {
            call: server_fn("publications", &[]),
            allowed: MEMBERS,
            rule: "publications: anyone signed in",
        },
        Row {
            call: server_fn("revision-diff", &[("from", "1"), ("to", &revision)]),
            allowed: MEMBERS,
            rule: "a revision diff: filtered to what one may read",
        },
        Row {
            call: server_fn("restore-preview", &[("revision", "1")]),
            allowed: MEMBERS,
            rule: "a restore preview: filtered like a revision diff",
        },
        Row {
            call: server_fn("restore", &[("revision", &revision), ("reason", "matrix")]),
            allowed: DOMAIN_ADMINS,
            rule: "restoring the domain: domain admins, even a restore that changes nothing",
        },
        Row {
            call: server_fn("publish-now", &[]),
            allowed: PUBLISHERS_ANYWHERE,
            rule: "publishing: a publisher somewhere",
        },
        Row {
            call: server_fn("members", &[("organization", "acme")]),
            allowed: ACME_READERS,
            rule: "acme's members: acme's members",
        },
        Row {
            call: server_fn(
                "member-role",
                &[
                    ("organization", "acme"),
                    ("user", "mia"),
                    ("role", "viewer"),
                ],
            ),
            allowed: ACME_ADMINS,
            rule: "giving roles in acme: acme's admins",
        },
        Row {
            call: server_fn("users", &[]),
            allowed: DOMAIN_ADMINS,
            rule: "everyone: domain admins",
        },
        Row {
            call: server_fn(
                "user-add",
                &[
                    ("name", "p-{who}"),
                    ("display_name", "P"),
                    ("password", "a long enough password"),
                ],
            ),
            allowed: DOMAIN_ADMINS,
            rule: "adding people: domain admins",
        },
        Row {
            call: server_fn("user-access", &[("name", "mia"), ("access", "enable")]),
            allowed: DOMAIN_ADMINS,
            rule: "letting people sign in: domain admins",
        },
        Row {
            call: server_fn("tokens", &[]),
            allowed: MEMBERS,
            rule: "the tokens one may manage (none for most)",
        },
        Row {
            call: server_fn(
                "token-create",
                &[
                    ("name", "t-{who}"),
                    ("kind", "act"),
                    ("organization", "acme"),
                    ("role", "viewer"),
                    ("days", "7"),
                ],
            ),
            allowed: ACME_ADMINS,
            rule: "an acme token: acme's admins",
        },
        Row {
            call: server_fn(
                "token-create",
                &[
                    ("name", "r-{who}"),
                    ("kind", "read"),
                    ("tiers", "LIVE"),
                    ("days", "7"),
                ],
            ),
            allowed: DOMAIN_ADMINS,
            rule: "a read token spans organizations: domain admins",
        },
        Row {
            call: server_fn("token-revoke", &[("name", "acme-spare")]),
            allowed: ACME_ADMINS,
            rule: "revoking an acme token: acme's admins",
        },
        Row {
            call: Call::Get("/api/v1/config/LIVE/acme-berlin/web-api".into()),
            allowed: READERS_OF_CONFIGS,
            rule: "configs: read tokens only",
        },
        Row {
            call: Call::Get("/api/v1/watch?after=0".into()),
            allowed: READERS_OF_CONFIGS,
            rule: "revisions: read tokens only",
        },
        Row {
            call: Call::Get("/api/v1/tenants?limit=5".into()),
            allowed: MEMBERS,
            rule: "the entity API lists what one may read: anyone signed in or acting",
        },
        Row {
            call: Call::Get("/api/v1/tenants/acme-berlin".into()),
            allowed: ACME_READERS,
            rule: "an acme tenant over the entity API: acme's members",
        },
        Row {
            call: server_fn("change-requests", &[("filter", "all")]),
            allowed: MEMBERS,
            rule: "change requests: those one may see",
        },
        Row {
            call: server_fn("change-request", &[("id", &request)]),
            allowed: ACME_READERS,
            rule: "a request writing acme's layer: acme's members",
        },
        Row {
            call: server_fn("change-request-impact", &[("id", &request)]),
            allowed: ACME_READERS,
            rule: "its impact: acme's members",
        },
        Row {
            call: server_fn(
                "change-request-review",
                &[
                    ("id", &request),
                    ("verdict", "comment"),
                    ("content_hash", ""),
                    ("comment", "{who} was here"),
                ],
            ),
            allowed: ACME_READERS,
            rule: "a comment: anyone who sees the request",
        },
        Row {
            call: server_fn(
                "change-request-edit",
                &[
                    ("id", &request),
                    ("content_hash", "stale"),
                    ("title", "t"),
                    ("description", ""),
                    ("edited[0]", "{}"),
                ],
            ),
            allowed: &[Editor],
            rule: "editing a request: its author",
        },
        Row {
            call: server_fn(
                "change-request-act",
                &[
                    ("id", &request),
                    ("action", "rebase"),
                    ("content_hash", "stale"),
                ],
            ),
            allowed: &[Editor],
            rule: "rebasing a request: its author",
        },
        Row {
            call: server_fn(
                "layer-propose",
                &[
                    ("deployable", "web-api"),
                    ("kind", "tenant"),
                    ("name", "acme-berlin"),
                    ("version", &layer_version),
                    ("config", &proposed_layer),
                    ("title", "{who} proposes"),
                    ("description", ""),
                ],
            ),
            allowed: ACME_EDITORS,
            rule: "proposing a change to acme's layer: acme's editors",
        },
        Row {
            call: server_fn(
                "entity-propose",
                &[
                    ("kind", "product"),
                    ("creating", "false"),
                    ("version", "1"),
                    ("document", product),
                    ("title", "{who} renames it"),
                    ("description", ""),
                ],
            ),
            allowed: ACME_EDITORS,
            rule: "proposing a change to acme's product: acme's editors",
        },
        Row {
            call: server_fn(
                "rollback-propose",
                &[
                    ("kind", "product"),
                    ("key", "acme-shop"),
                    ("to_version", "1"),
                    ("expected", "0"),
                    ("title", "{who} rolls it back"),
                    ("description", ""),
                ],
            ),
            allowed: ACME_PUBLISHERS,
            rule: "proposing a roll back of acme's product: acme's publishers",
        },
        Row {
            call: server_fn(
                "delete-propose",
                &[
                    ("kind", "product"),
                    ("key", "acme-shop"),
                    ("version", "1"),
                    ("title", "{who} deletes it"),
                    ("description", ""),
                ],
            ),
            allowed: ACME_EDITORS,
            rule: "proposing to delete acme's product: acme's editors (refused while tenants use it, still an answer)",
        },
        Row {
            call: server_fn(
                "entity-review-needed",
                &[
                    ("kind", "product"),
                    ("creating", "false"),
                    ("version", &product_version),
                    ("document", product),
                ],
            ),
            allowed: ACME_EDITORS,
            rule: "whether a change to acme's product needs review: acme's editors",
        },
        Row {
            call: Call::Get("/api/v1/change-requests".into()),
            allowed: MEMBERS,
            rule: "change requests: those one may see (none of acme's for globex)",
        },
        Row {
            call: Call::Get(format!("/api/v1/change-requests/{}", fixture.request)),
            allowed: ACME_READERS,
            rule: "a request writing acme's layer: acme's members",
        },
        Row {
            call: Call::Get(format!(
                "/api/v1/change-requests/{}/impact",
                fixture.request
            )),
            allowed: ACME_READERS,
            rule: "its impact: acme's members",
        },
        Row {
            call: Call::Get("/api/v1/config-layers/web-api%2Ftier%2FLIVE".into()),
            allowed: MEMBERS,
            rule: "a tier layer is shared: anyone signed in or acting reads it",
        },
    ]
}

/// What a call came back with.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Allowed,
    Unauthorized,
    Forbidden,
    /// "Does not exist" for this principal.
    Hidden,
    Failed(u16, String),
}

fn classify(status: u16, body: &str) -> Seen {
    match status {
        401 => Seen::Unauthorized,
        403 => Seen::Forbidden,
        200..=299 if body.trim() == "null" || body.contains("does not exist") => Seen::Hidden,
        200..=299 => Seen::Allowed,
        _ if body.contains("does not exist") => Seen::Hidden,
        _ => Seen::Failed(status, body.chars().take(200).collect()),
    }
}

/// Whether `seen` is what the table expects of `who`.
fn as_expected(who: Who, allowed: bool, is_api: bool, seen: &Seen) -> bool {
    match (allowed, who, seen) {
        (true, _, seen) => *seen == Seen::Allowed,
        (false, Anonymous, seen) => *seen == Seen::Unauthorized,
        // Signed-in people have no token: the API does not know them.
        (false, _, Seen::Unauthorized) => is_api && who != ReadToken && who != ActingToken,
        (false, _, seen) => matches!(seen, Seen::Forbidden | Seen::Hidden),
    }
}

struct Fixture {
    address: String,
    clients: BTreeMap<Who, reqwest::Client>,
    /// An acme product as JSON, for saves.
    product: String,
    /// The version it is stored at.
    product_version: i64,
    /// An acme tenant's web-api layer as JSON.
    layer: String,
    revision: i64,
    /// An open change request writing acme's layer.
    request: i64,
    /// The version of that layer.
    layer_version: i64,
    _server: TestApp,
}

async fn person(store: &Store, name: &str, organization: &str, role: Role) {
    let root = Actor::operator("root");
    let user = NewUser {
        name,
        display_name: name,
        password: TESTER_PASSWORD,
        domain_admin: false,
    };
    store.add_user(&root, user).await.unwrap();
    store
        .set_role(&root, name, organization, Some(role))
        .await
        .unwrap();
}

fn bearer(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

async fn fixture() -> Fixture {
    let server = test_server().await.with_demo().await;
    let (address, db) = (server.address.clone(), &server.db);
    let store = db.store().await;
    for (name, organization, role) in [
        // acme's people carry its name, so an answer that names one of them to globex shows.
        ("vic.acme", "acme", Role::Viewer),
        ("eda.acme", "acme", Role::Editor),
        ("pia.acme", "acme", Role::Publisher),
        ("ada.acme", "acme", Role::Admin),
        ("gus", "globex", Role::Admin),
        ("mia", "globex", Role::Viewer),
    ] {
        person(&store, name, organization, role).await;
    }
    let root = Actor::operator("root");
    let acting = |name| NewToken {
        name,
        scope: TokenScope::Act {
            organization: "acme".into(),
            role: Role::Editor,
        },
        days: 7,
    };
    let (_, acting_secret) = store.create_token(&root, acting("acme-bot")).await.unwrap();
    store
        .create_token(&root, acting("acme-spare"))
        .await
        .unwrap();

    let mut clients = BTreeMap::new();
    clients.insert(Anonymous, browser(&address));
    for (who, name) in [
        (Viewer, "vic.acme"),
        (Editor, "eda.acme"),
        (Publisher, "pia.acme"),
        (AdminA, "ada.acme"),
        (AdminB, "gus"),
    ] {
        let client = sign_in_as(&address, name, TESTER_PASSWORD).await.unwrap();
        clients.insert(who, client);
    }
    clients.insert(DomainAdmin, signed_in(&address, db).await);
    clients.insert(ReadToken, bearer(READER_TOKEN));
    clients.insert(ActingToken, bearer(&acting_secret));

    // acme's editor changes acme's layer: history and publications now name them.
    let store = store.with_secret_key(Some(common::test_key()));
    let editor = Actor::Person(store.signed_in_person("eda.acme").await.unwrap().unwrap());
    let berlin = store
        .as_operator()
        .get::<ConfigLayer>("web-api/tenant/acme-berlin")
        .await
        .unwrap();
    let mut edited = berlin.item.clone();
    edited.config["log_level"] = serde_json::json!("debug");
    // LIVE is under review in the demo: proposed, approved by acme's publisher, applied.
    let publisher = Actor::Person(store.signed_in_person("pia.acme").await.unwrap().unwrap());
    let write = |version: i64, layer: &ConfigLayer| ProposedWrite {
        kind: Kind::ConfigLayer,
        key: layer.key(),
        base_version: Some(version),
        image: Some(serde_json::to_value(layer).unwrap()),
    };
    let request = store
        .propose(
            &editor,
            "more logs for acme",
            "",
            vec![write(berlin.version, &edited)],
        )
        .await
        .unwrap();
    store
        .review_request(
            &publisher,
            request.id,
            Verdict::Approve,
            &request.content_hash,
            "",
            None,
            None,
        )
        .await
        .unwrap();
    store.apply_request(&editor, request.id).await.unwrap();
    // A second one stays open: acme's people see it, nobody else.
    edited.config["log_level"] = serde_json::json!("trace");
    let open = store
        .propose(
            &editor,
            "even more logs for acme",
            "",
            vec![write(berlin.version + 1, &edited)],
        )
        .await
        .unwrap();

    let stored_product = store
        .as_operator()
        .get::<Product>("acme-shop")
        .await
        .unwrap();
    let (mut product, product_version) = (stored_product.item, stored_product.version);
    product.display_name = "Acme Shop (renamed)".into();
    let stored = store
        .as_operator()
        .get::<ConfigLayer>("web-api/tenant/acme-berlin")
        .await
        .unwrap();
    let (layer, layer_version) = (stored.item, stored.version);
    let revision = store.domain().await.unwrap().revision;
    store.close().await;
    Fixture {
        address,
        clients,
        product: serde_json::to_string(&product).unwrap(),
        product_version,
        layer: layer.config.to_string(),
        revision,
        request: open.id,
        layer_version,
        _server: server,
    }
}

/// What `who` was answered, classified, and the answer's text.
async fn call(fixture: &Fixture, who: Who, call: &Call) -> (Seen, String) {
    let client = &fixture.clients[&who];
    let name = format!("{who:?}").to_lowercase();
    let request = match call {
        Call::ServerFn(endpoint, args) => {
            let args: Vec<(&str, String)> = args
                .iter()
                .map(|(k, v)| (*k, v.replace("{who}", &name)))
                .collect();
            client
                .post(format!("{}/api/{endpoint}", fixture.address))
                .form(&args)
        }
        Call::Get(path) => client.get(format!("{}{path}", fixture.address)),
    };
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    // The watch route streams for ever: its status says enough.
    let body = match call {
        Call::Get(path) if path.starts_with("/api/v1/watch") => String::new(),
        _ => response.text().await.unwrap(),
    };
    (classify(status, &body), body)
}

/// Whether a call names acme itself (in its path or arguments): then an answer may name it
/// back, as a refusal saying what does not exist.
fn names_acme(call: &Call) -> bool {
    match call {
        Call::ServerFn(_, args) => args.iter().any(|(_, v)| v.to_lowercase().contains("acme")),
        Call::Get(path) => path.to_lowercase().contains("acme"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_answers_each_principal_as_the_table_says() {
    let fixture = fixture().await;
    let rows = table(&fixture);

    // Every server function the console registers has a row, and every row is one of them.
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    let judged: BTreeSet<String> = rows
        .iter()
        .filter_map(|row| match &row.call {
            Call::ServerFn(endpoint, _) => Some(format!("/api/{endpoint}")),
            Call::Get(_) => None,
        })
        .collect();
    let unjudged: Vec<_> = registered.difference(&judged).collect();
    assert!(
        unjudged.is_empty(),
        "server functions without a row in the permission table: {unjudged:?}"
    );
    let gone: Vec<_> = judged.difference(&registered).collect();
    assert!(gone.is_empty(), "rows for no server function: {gone:?}");

    let mut wrong = Vec::new();
    let mut matrix = String::new();
    for row in &rows {
        let (label, is_api) = match &row.call {
            Call::ServerFn(endpoint, _) => (format!("/api/{endpoint}"), false),
            Call::Get(path) => (format!("GET {path}"), true),
        };
        let mut line = format!("{label:48}");
        for who in EVERYONE {
            let (seen, body) = call(&fixture, who, &row.call).await;
            // What an answer contains, not only its status: nothing of acme's reaches
            // globex's admin, whatever they are allowed to call.
            if who == AdminB && !names_acme(&row.call) && body.to_lowercase().contains("acme") {
                let at = body.to_lowercase().find("acme").unwrap_or(0);
                let around: String = body.chars().skip(at.saturating_sub(60)).take(140).collect();
                wrong.push(format!("{label} as {who:?} shows acme's: …{around}…"));
            }
            let allowed = row.allowed.contains(&who);
            line.push_str(match &seen {
                Seen::Allowed => " ok  ",
                Seen::Unauthorized => " 401 ",
                Seen::Forbidden => " 403 ",
                Seen::Hidden => " --  ",
                Seen::Failed(..) => " !!  ",
            });
            if !as_expected(who, allowed, is_api, &seen) {
                wrong.push(format!(
                    "{label} as {who:?}: {} expected, got {seen:?} ({})",
                    if allowed { "allowed" } else { "denied" },
                    row.rule
                ));
            }
        }
        matrix.push_str(&line);
        matrix.push('\n');
    }
    println!(
        "{:48} anon viewr edit  publ  admA  admB  domA  read  act\n{matrix}",
        "call"
    );
    assert!(wrong.is_empty(), "{}\n\n{matrix}", wrong.join("\n"));
}

/// Arguments of every name the console's server functions take, all set to `value`.
fn every_argument(value: &str) -> Vec<(&'static str, String)> {
    [
        "kind",
        "name",
        "key",
        "version",
        "reason",
        "deployable",
        "to_version",
        "config",
        "user",
        "to",
        "role",
        "pointer",
        "password",
        "organization",
        "offset",
        "limit",
        "from",
        "filter",
        "expected",
        "document",
        "display_name",
        "days",
        "creating",
        "revision",
        "tenant",
        "token",
        "access",
        "draft",
        "scope",
        "id",
        "verdict",
        "content_hash",
        "comment",
        "reply_to",
        "title",
        "description",
        "edited",
        "action",
    ]
    .into_iter()
    .map(|name| (name, value.to_owned()))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_server_function_answers_bad_arguments_with_a_4xx_naming_what_is_wrong() {
    let server = test_server().await.with_demo().await;
    let admin = signed_in(&server.address, &server.db).await;
    let huge = "x".repeat(5 * 1024 * 1024);
    let mut numbers = every_argument("-1");
    numbers.retain(|(name, _)| *name != "kind");
    numbers.push(("kind", "tenant".to_owned()));
    let bad_forms: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("no arguments", Vec::new()),
        ("text where numbers go", every_argument("not a number")),
        ("negative numbers", numbers),
        ("control characters", every_argument("\u{7}\u{1b}[31m")),
        ("an unknown kind", vec![("kind", "spaceship".to_owned())]),
    ];
    let mut wrong = Vec::new();
    let mut asked = 0;
    let paths: Vec<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_owned())
        .collect();
    for path in &paths {
        let url = format!("{}{path}", server.address);
        for (what, form) in &bad_forms {
            let response = match admin.post(&url).form(form).send().await {
                Ok(response) => response,
                Err(_) => admin.post(&url).form(form).send().await.unwrap(),
            };
            let status = response.status().as_u16();
            let body = response.text().await.unwrap();
            asked += 1;
            if status >= 500 || (status >= 400 && body.trim().is_empty()) {
                wrong.push(format!("{path} with {what}: {status} {body:.200}"));
            }
        }
        for (what, form, expected) in [
            ("a NUL character", every_argument("a\u{0}b"), 422),
            ("a 5 MiB form", vec![("reason", huge.clone())], 413),
        ] {
            // The server answers 413 before reading the rest and closes the connection: a
            // request sent on it meanwhile is sent again.
            let response = match admin.post(&url).form(&form).send().await {
                Ok(response) => response,
                Err(_) => admin.post(&url).form(&form).send().await.unwrap(),
            };
            let status = response.status().as_u16();
            asked += 1;
            if status != expected {
                let body = response.text().await.unwrap();
                wrong.push(format!(
                    "{path} with {what}: {status} (not {expected}) {body:.200}"
                ));
            }
        }
    }
    println!(
        "{asked} requests with bad arguments to {} server functions",
        paths.len()
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
