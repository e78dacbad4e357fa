//! Getting in, over HTTP against the real server: deny by default, the first admin through a
//! setup link, sign-in with a new session id, sign-out, sessions shared by servers of one
//! database (a restart, a replica), expiry on inactivity, cross-origin posts refused, and
//! guessing rate-limited and audited. On SQLite.

use crate::common;

use std::time::Duration;

use common::{
    TESTER, TESTER_PASSWORD, TestApp, browser, settings_for, sign_in_as, signed_in, start,
    test_server,
};
use reqwest::StatusCode;
use strata_server::cache::CacheSetting;
use strata_server::origin::OriginSetting;
use strata_store::access::Actor;
use strata_store::audit::AuditAction;

impl TestApp {
    /// Another server on the same database and origin: a restarted process, or a replica.
    async fn another(&self, idle: Option<Duration>) -> String {
        let mut settings = settings_for(
            &self.db,
            OriginSetting::Directory(self.dir.path().join("origin")),
            self.dir.path(),
            CacheSetting::InProcess,
        );
        if let Some(idle) = idle {
            settings.session_idle = idle;
        }
        start(settings).await
    }

    async fn actions(&self) -> Vec<(AuditAction, String)> {
        let store = self.db.store().await;
        let events = store.audit_events(None, 100).await.unwrap();
        store.close().await;
        events
            .into_iter()
            .rev()
            .map(|e| (e.action, e.actor))
            .collect()
    }
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

/// The value of the session cookie a response sets.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("strata_session="))
        .map(|rest| rest.split(';').next().unwrap().to_owned())
}

/// A client that sends only the given session cookie.
fn with_cookie(address: &str, cookie: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::ORIGIN, address.parse().unwrap());
    headers.insert(
        reqwest::header::COOKIE,
        format!("strata_session={cookie}").parse().unwrap(),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn status_of(client: &reqwest::Client, url: String) -> (StatusCode, String) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status();
    let to = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, to)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_but_the_sign_in_pages_answers_anyone_not_signed_in() {
    let server = test_server().await;
    let anyone = browser(&server.address);
    for path in [
        "/",
        "/tenants",
        "/configs/web-api/default",
        "/history",
        "/no-such-page",
    ] {
        let (status, to) = status_of(&anyone, format!("{}{path}", server.address)).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{path}");
        let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
        assert_eq!(to, format!("/sign-in?next={next}"), "{path}");
    }
    for endpoint in ["overview", "save", "list"] {
        let refused = anyone
            .post(format!("{}/api/{endpoint}", server.address))
            .form(&[("kind", "tier")])
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{endpoint}");
        assert!(refused.text().await.unwrap().contains("sign in first"));
    }
    let page = anyone
        .get(format!(
            "{}/sign-in?failed=credentials&name=ann",
            server.address
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("action=\"/auth/sign-in\""), "{html}");
    assert!(html.contains("Wrong user name or password."), "{html}");
    assert!(
        !html.contains("data-testid=\"domain-name\""),
        "no console frame before sign-in"
    );
    let (health, _) = status_of(&anyone, format!("{}/healthz", server.address)).await;
    assert_eq!(health, 200);
    // The built scripts and styles are served to anyone (the sign-in page needs them).
    std::fs::create_dir_all(server.dir.path().join("pkg")).unwrap();
    std::fs::write(server.dir.path().join("pkg/strata.css"), "body {}").unwrap();
    let (style, _) = status_of(&anyone, format!("{}/pkg/strata.css", server.address)).await;
    assert_eq!(style, 200);
    let signed = signed_in(&server.address, &server.db).await;
    let (style, _) = status_of(&signed, format!("{}/pkg/strata.css", server.address)).await;
    assert_eq!(style, 200, "and to people signed in");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_setup_link_creates_the_first_admin_and_signs_them_in_once() {
    let server = test_server().await;
    let store = server.db.store().await;
    let token = store.create_setup_link(60_000).await.unwrap().unwrap();
    let setup = format!("{}/setup?token={token}", server.address);
    let anyone = browser(&server.address);
    let page = anyone
        .get(&setup)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Create the first admin"), "{page}");
    let used = |password_again: &'static str| {
        [
            ("token", token.clone()),
            ("name", "ada".to_owned()),
            ("display_name", "Ada Admin".to_owned()),
            ("password", "correct horse battery".to_owned()),
            ("password_again", password_again.to_owned()),
        ]
    };
    let mistyped = anyone
        .post(format!("{}/auth/setup", server.address))
        .form(&used("correct horse batterie"))
        .send()
        .await
        .unwrap();
    assert!(location(&mistyped).contains("field=%2Fpassword_again"));
    let again = anyone.get(format!("{}{}", server.address, location(&mistyped)));
    let html = again.send().await.unwrap().text().await.unwrap();
    assert!(html.contains("must be the same password again"), "{html}");
    assert!(
        html.contains("value=\"Ada Admin\""),
        "what was typed stays: {html}"
    );

    let created = anyone
        .post(format!("{}/auth/setup", server.address))
        .form(&used("correct horse battery"))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&created), "/");
    let home = anyone
        .get(format!("{}/", server.address))
        .send()
        .await
        .unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.text().await.unwrap().contains("Ada Admin"));
    assert!(store.user("ada").await.unwrap().unwrap().domain_admin);

    let spent = browser(&server.address)
        .post(format!("{}/auth/setup", server.address))
        .form(&[
            ("token", token.clone()),
            ("name", "eve".to_owned()),
            ("display_name", "Eve".to_owned()),
            ("password", "correct horse battery".to_owned()),
            ("password_again", "correct horse battery".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        location(&spent).contains("field=%2Ftoken"),
        "{}",
        location(&spent)
    );
    assert!(store.user("eve").await.unwrap().is_none());
    let gone = anyone
        .get(&setup)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(gone.contains("data-testid=\"setup-expired\""), "{gone}");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_in_gives_a_new_session_id_and_signing_out_ends_the_session() {
    let server = test_server().await;
    signed_in(&server.address, &server.db).await;
    let client = browser(&server.address);
    let sign_in = async || {
        client
            .post(format!("{}/auth/sign-in", server.address))
            .form(&[
                ("name", TESTER),
                ("password", TESTER_PASSWORD),
                ("next", "/tenants"),
            ])
            .send()
            .await
            .unwrap()
    };
    let first = sign_in().await;
    assert_eq!(
        location(&first),
        "/tenants",
        "back where the person wanted to go"
    );
    let first_id = session_cookie(&first).expect("a session cookie");
    let set_cookie = first.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=3600"] {
        assert!(set_cookie.contains(attribute), "{attribute}: {set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain HTTP: {set_cookie}");
    // Signing in again (the id known before is the one a fixation attack would plant) gives
    // a new id, and the old one no longer signs anyone in.
    let second = sign_in().await;
    let second_id = session_cookie(&second).expect("a new session cookie");
    assert_ne!(first_id, second_id);
    let (old, to) = status_of(
        &with_cookie(&server.address, &first_id),
        format!("{}/", server.address),
    )
    .await;
    assert_eq!(
        (old, to.as_str()),
        (StatusCode::SEE_OTHER, "/sign-in?next=%2F")
    );
    let (current, _) = status_of(&client, format!("{}/", server.address)).await;
    assert_eq!(current, 200);

    let out = client
        .post(format!("{}/auth/sign-out", server.address))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&out), "/sign-in?signed-out=1");
    let (after, _) = status_of(
        &with_cookie(&server.address, &second_id),
        format!("{}/", server.address),
    )
    .await;
    assert_eq!(
        after,
        StatusCode::SEE_OTHER,
        "the session ended with sign-out"
    );
    let actions = server.actions().await;
    let tail: Vec<_> = actions.iter().rev().take(3).rev().cloned().collect();
    assert_eq!(
        tail,
        [
            (AuditAction::SignIn, TESTER.to_owned()),
            (AuditAction::SignIn, TESTER.to_owned()),
            (AuditAction::SignOut, TESTER.to_owned()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_holds_on_another_server_of_the_same_database() {
    let server = test_server().await;
    let client = signed_in(&server.address, &server.db).await;
    let response = client
        .post(format!("{}/auth/sign-in", server.address))
        .form(&[("name", TESTER), ("password", TESTER_PASSWORD)])
        .send()
        .await
        .unwrap();
    let id = session_cookie(&response).unwrap();
    // A restarted server, or a replica behind the same load balancer.
    let other = server.another(None).await;
    let (status, _) = status_of(&with_cookie(&other, &id), format!("{other}/tenants")).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_ends_after_the_idle_time_without_requests() {
    let server = test_server().await;
    signed_in(&server.address, &server.db).await;
    let short = server.another(Some(Duration::from_secs(2))).await;
    let client = sign_in_as(&short, TESTER, TESTER_PASSWORD).await.unwrap();
    // Used within the idle time, it stays.
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(1000)).await;
        let (status, _) = status_of(&client, format!("{short}/")).await;
        assert_eq!(status, 200);
    }
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let (status, to) = status_of(&client, format!("{short}/")).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/sign-in?next=%2F")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_from_another_origin_is_refused_even_with_the_session() {
    let server = test_server().await;
    let client = signed_in(&server.address, &server.db).await;
    let overview = format!("{}/api/overview", server.address);
    let own = client.post(&overview).send().await.unwrap();
    assert_eq!(own.status(), 200);
    let forged = client
        .post(&overview)
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(forged.text().await.unwrap().contains("http://evil.example"));
    // Signing someone in from another site is refused too (login CSRF).
    let planted = browser("http://evil.example")
        .post(format!("{}/auth/sign-in", server.address))
        .form(&[("name", TESTER), ("password", TESTER_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(planted.status(), StatusCode::FORBIDDEN);
    // With the session but without saying which page sent it: refused.
    let unnamed = client
        .post(&overview)
        .header("origin", "null")
        .send()
        .await
        .unwrap();
    assert_eq!(unnamed.status(), StatusCode::FORBIDDEN, "no Origin at all");
    // Without any credentials, the first thing to say is to sign in.
    let nameless = reqwest::Client::new().post(&overview).send().await.unwrap();
    assert_eq!(nameless.status(), StatusCode::UNAUTHORIZED);
    let api = reqwest::Client::new()
        .post(format!("{}/api/v1/tiers", server.address))
        .json(&serde_json::json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guessing_a_password_is_cut_off_and_every_attempt_is_audited() {
    let server = test_server().await;
    signed_in(&server.address, &server.db).await;
    for _ in 0..5 {
        let refused = sign_in_as(&server.address, TESTER, "not the password at all").await;
        assert_eq!(
            refused.err().as_deref(),
            Some("/sign-in?failed=credentials&name=tester&next=%2F")
        );
    }
    // The right password no longer helps until the window has passed.
    let limited = sign_in_as(&server.address, TESTER, TESTER_PASSWORD).await;
    let to = limited.err().unwrap();
    assert!(to.starts_with("/sign-in?failed=limited-15&"), "{to}");
    let html = browser(&server.address)
        .get(format!("{}{to}", server.address))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Too many failed sign-ins lately. Try again in 15 minute(s)."));
    let actions = server.actions().await;
    let failed = actions
        .iter()
        .filter(|(action, _)| *action == AuditAction::SignInFailed)
        .count();
    assert_eq!(failed, 5);
    assert_eq!(
        actions.last().unwrap(),
        &(AuditAction::SignInRefused, TESTER.to_owned())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_person_is_signed_out_at_their_next_request() {
    let server = test_server().await;
    let client = signed_in(&server.address, &server.db).await;
    let (status, _) = status_of(&client, format!("{}/tiers", server.address)).await;
    assert_eq!(status, 200);
    let store = server.db.store().await;
    store
        .set_disabled(&Actor::operator("root"), TESTER, true)
        .await
        .unwrap();
    store.close().await;
    let (status, to) = status_of(&client, format!("{}/tiers", server.address)).await;
    assert_eq!(
        (status, to.as_str()),
        (StatusCode::SEE_OTHER, "/sign-in?next=%2Ftiers")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_viewer_of_one_organization_sees_nothing_of_another() {
    let server = test_server().await;
    let store = server.db.store().await;
    store.load_demo("demo").await.unwrap();
    let viewer = strata_store::access::NewUser {
        name: "val",
        display_name: "Val",
        password: TESTER_PASSWORD,
        domain_admin: false,
    };
    store
        .add_user(&Actor::operator("test"), viewer)
        .await
        .unwrap();
    store
        .set_role(
            &Actor::operator("test"),
            "val",
            "globex",
            Some(strata_domain::access::Role::Viewer),
        )
        .await
        .unwrap();
    store.close().await;
    let val = sign_in_as(&server.address, "val", TESTER_PASSWORD)
        .await
        .unwrap();
    let page = |path: &'static str| {
        let (val, address) = (val.clone(), server.address.clone());
        async move {
            let response = val.get(format!("{address}{path}")).send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            response.text().await.unwrap()
        }
    };
    let tenants = page("/tenants?per=200").await;
    assert!(tenants.contains("href=\"/tenants/glx-"), "{tenants}");
    assert!(
        !tenants.contains("href=\"/tenants/acme-"),
        "acme's tenants leak: {tenants}"
    );
    let products = page("/products").await;
    assert!(products.contains("href=\"/products/glx-"), "{products}");
    assert!(!products.contains("href=\"/products/acme-"), "{products}");
    let organizations = page("/organizations").await;
    assert!(
        !organizations.contains("href=\"/organizations/acme\""),
        "{organizations}"
    );
    let searched = page("/tenants?q=acme").await;
    assert!(!searched.contains("href=\"/tenants/acme-"), "{searched}");

    // Comparing two revisions shows only what the viewer may read.
    let diff = val
        .post(format!("{}/api/revision-diff", server.address))
        .form(&[("from", "0"), ("to", "1")])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(diff.contains("glx-billing"), "{diff}");
    assert!(!diff.contains("acme-"), "{diff}");

    // The history holds its organization's changes and the shared ones, no others.
    let history = page("/history?kind=tenant").await;
    assert!(history.contains("href=\"/tenants/glx-"), "{history}");
    assert!(!history.contains("href=\"/tenants/acme-"), "{history}");
    let home = page("/").await;
    assert!(
        !home.contains("acme-"),
        "the home page's recent changes: {home}"
    );

    // Its own entities and layers open; another organization's do not exist for this viewer.
    page("/products/glx-billing").await;
    page("/configs/billing/product/glx-billing").await;
    for path in [
        "/tenants/acme-berlin",
        "/products/acme-shop",
        "/organizations/acme",
        "/configs/feature-flags/product/acme-shop",
        "/configs/web-api/tenant/acme-berlin",
    ] {
        let response = val
            .get(format!("{}{path}", server.address))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    for (endpoint, args) in [
        (
            "compare",
            vec![
                ("kind", "tenant"),
                ("key", "acme-berlin"),
                ("from", "1"),
                ("to", "1"),
            ],
        ),
        ("tenant-configs", vec![("tenant", "acme-berlin")]),
        (
            "rollback-preview",
            vec![
                ("kind", "tenant"),
                ("key", "acme-berlin"),
                ("to_version", "1"),
            ],
        ),
    ] {
        let response = val
            .post(format!("{}/api/{endpoint}", server.address))
            .form(&args)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert_ne!(status, 200, "{endpoint}: {text}");
        assert!(text.contains("does not exist"), "{endpoint}: {text}");
        assert!(!text.contains("berlin.acme"), "{endpoint} leaks: {text}");
    }

    // A viewer may read the organization's product, not change it: 403, in words, nothing
    // written.
    let store = server.db.store().await;
    let product = store
        .as_operator()
        .get::<strata_domain::product::Product>("glx-billing")
        .await
        .unwrap();
    let refused = common::save_product_renamed(
        &store,
        val.post(format!("{}/api/save", server.address)),
        "glx-billing",
        "Renamed by a viewer",
        "try",
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let why = refused.text().await.unwrap();
    assert!(
        why.contains("val may not change product \"glx-billing\""),
        "{why}"
    );
    assert!(why.contains("needs the editor role"), "{why}");
    let stored = store
        .as_operator()
        .get::<strata_domain::product::Product>("glx-billing")
        .await
        .unwrap();
    assert_eq!(stored.version, product.version);
    store.close().await;

    // The audit events show what happened to revisions (once the demo is published), not
    // who signed in.
    let events = common::until(
        "the demo's publication event",
        Duration::from_secs(15),
        async || {
            let events = val
                .post(format!("{}/api/audit-events", server.address))
                .form(&[("limit", "200")])
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            events.contains("\"publish\"").then_some(events)
        },
    )
    .await;
    assert!(!events.contains("sign-in"), "{events}");
}

/// Behind a trusted reverse proxy, the address a sign-in is limited and audited by is the
/// client's from `X-Forwarded-For`; without one, that header is whatever a client wrote and
/// counts for nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_are_counted_by_the_clients_address_behind_trusted_proxies_only() {
    let server = test_server().await;
    signed_in(&server.address, &server.db).await;
    let mut settings = settings_for(
        &server.db,
        OriginSetting::Directory(server.dir.path().join("origin")),
        server.dir.path(),
        CacheSetting::InProcess,
    );
    settings.trusted_proxies =
        strata_server::auth::client_address::parse_trusted_proxies("127.0.0.0/8").unwrap();
    let behind_proxy = start(settings).await;
    let wrong_from = |address: String, client: &'static str| async move {
        let response = browser(&address)
            .post(format!("{address}/auth/sign-in"))
            .header("x-forwarded-for", format!("6.6.6.6, {client}"))
            .form(&[("name", TESTER), ("password", "not the password at all")])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    };
    wrong_from(behind_proxy.clone(), "198.51.100.7").await;
    wrong_from(server.address.clone(), "198.51.100.8").await;
    let store = server.db.store().await;
    let events = store.audit_events(None, 2).await.unwrap();
    store.close().await;
    let addresses: Vec<&str> = events.iter().map(|e| e.triggered_by.as_str()).collect();
    assert_eq!(addresses, ["127.0.0.1", "198.51.100.7"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_signing_in_next_leads_only_to_a_page_of_this_console() {
    let server = test_server().await;
    signed_in(&server.address, &server.db).await;
    for (next, to) in [
        ("/tenants?page=2", "/tenants?page=2"),
        ("/\t/evil.example", "/"),
        ("//evil.example", "/"),
        (
            "/tenants\u{7}\r\nSet-Cookie: x=1",
            // Tabs and line breaks are dropped, as a browser drops them; the rest is encoded.
            "/tenants%07Set-Cookie:%20x=1",
        ),
    ] {
        let response = browser(&server.address)
            .post(format!("{}/auth/sign-in", server.address))
            .form(&[
                ("name", TESTER),
                ("password", TESTER_PASSWORD),
                ("next", next),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{next:?}");
        assert_eq!(location(&response), to, "{next:?}");
    }
}
