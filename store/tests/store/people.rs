//! People: adding users with checked fields, roles per organization, the one-time setup link,
//! and sign-in with its rate limits and audit trail. On SQLite and PostgreSQL.

use crate::common;

use common::*;
use serde_json::json;
use strata_domain::access::Role;
use strata_domain::listing::ListQuery;
use strata_domain::tenant::Tenant;
use strata_domain::token::TokenScope;
use strata_store::StoreError;
use strata_store::access::{
    Actor, NewToken, NewUser, SignInLimits, SignInRefusal, TOKEN_PREFIX, TokenUses,
};
use strata_store::audit::AuditAction;
use strata_store::test_support::on_each_backend;

#[tokio::test]
async fn users_are_checked_field_by_field_and_unique() {
    on_each_backend(async |_, _, store| {
        let (field, _) = field_of(
            store
                .add_user(&Actor::operator("root"), new_user("Alice", PASSWORD))
                .await
                .unwrap_err(),
        );
        assert_eq!(field, "/name");
        let (field, rule) = field_of(
            store
                .add_user(&Actor::operator("root"), new_user("alice", "short"))
                .await
                .unwrap_err(),
        );
        assert_eq!(
            (field.as_str(), rule.as_str()),
            ("/password", "at least 12 characters")
        );
        let blank = NewUser {
            display_name: " ",
            ..new_user("alice", PASSWORD)
        };
        assert_eq!(
            field_of(
                store
                    .add_user(&Actor::operator("root"), blank)
                    .await
                    .unwrap_err()
            )
            .0,
            "/display_name"
        );
        assert!(!store.has_users().await.unwrap());

        let alice = store
            .add_user(&Actor::operator("root"), new_user("alice", PASSWORD))
            .await
            .unwrap();
        assert_eq!((alice.name.as_str(), alice.domain_admin), ("alice", false));
        let again = store
            .add_user(&Actor::operator("root"), new_user("alice", PASSWORD))
            .await
            .unwrap_err();
        assert!(
            matches!(again, StoreError::Duplicate { kind: "user", .. }),
            "{again}"
        );
        assert!(store.has_users().await.unwrap());
        let events = store.audit_events(None, 10).await.unwrap();
        assert_eq!(events[0].action, AuditAction::UserAdded);
        assert_eq!(events[0].actor, "root");
        assert!(!events[0].detail.to_string().contains(PASSWORD));
    })
    .await;
}

#[tokio::test]
async fn roles_are_granted_per_existing_organization_and_withdrawn() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        store
            .add_user(&Actor::operator("root"), new_user("vera", PASSWORD))
            .await
            .unwrap();
        store
            .set_role(&Actor::operator("root"), "vera", "acme", Some(Role::Editor))
            .await
            .unwrap();
        let person = store.signed_in_person("vera").await.unwrap().unwrap();
        assert_eq!(person.grants.role_in("acme"), Some(Role::Editor));
        assert!(!person.grants.domain_admin);

        store
            .set_role(
                &Actor::operator("root"),
                "vera",
                "acme",
                Some(Role::Publisher),
            )
            .await
            .unwrap();
        let members = store
            .members(&Actor::operator("root"), "acme")
            .await
            .unwrap();
        assert_eq!(members.len(), 1);
        assert_eq!(
            (members[0].role, members[0].granted_by.as_str()),
            (Role::Publisher, "root")
        );

        let missing = store
            .set_role(
                &Actor::operator("root"),
                "vera",
                "globex",
                Some(Role::Viewer),
            )
            .await;
        assert!(matches!(
            missing,
            Err(StoreError::NotFound {
                kind: "organization",
                ..
            })
        ));
        let nobody = store
            .set_role(
                &Actor::operator("root"),
                "nobody",
                "acme",
                Some(Role::Viewer),
            )
            .await;
        assert!(matches!(
            nobody,
            Err(StoreError::NotFound { kind: "user", .. })
        ));

        store
            .set_role(&Actor::operator("root"), "vera", "acme", None)
            .await
            .unwrap();
        assert!(
            store
                .members(&Actor::operator("root"), "acme")
                .await
                .unwrap()
                .is_empty()
        );
        let events = store.audit_events(None, 1).await.unwrap();
        assert_eq!(events[0].action, AuditAction::MemberChanged);

        store
            .set_disabled(&Actor::operator("root"), "vera", true)
            .await
            .unwrap();
        assert_eq!(store.signed_in_person("vera").await.unwrap(), None);
    })
    .await;
}

#[tokio::test]
async fn a_setup_link_creates_the_first_admin_once() {
    on_each_backend(async |_, _, store| {
        let token = store.create_setup_link(60_000).await.unwrap().unwrap();
        let expired = store.create_setup_link(-1).await.unwrap().unwrap();
        assert!(store.setup_link_is_valid(&token).await.unwrap());
        assert!(!store.setup_link_is_valid(&expired).await.unwrap());
        assert!(!store.setup_link_is_valid("0123").await.unwrap());

        let refused = store
            .set_up_first_admin(&expired, new_user("ada", PASSWORD))
            .await;
        assert_eq!(field_of(refused.unwrap_err()).0, "/token");
        assert!(!store.has_users().await.unwrap(), "nothing written");
        // A bad field leaves the link unspent.
        let bad = store
            .set_up_first_admin(&token, new_user("ada", "short"))
            .await;
        assert_eq!(field_of(bad.unwrap_err()).0, "/password");

        let ada = store
            .set_up_first_admin(&token, new_user("ada", PASSWORD))
            .await
            .unwrap();
        assert!(ada.domain_admin, "the first user is a domain admin");
        let again = store
            .set_up_first_admin(&token, new_user("bob", PASSWORD))
            .await;
        assert_eq!(field_of(again.unwrap_err()).0, "/token");
        assert!(store.user("bob").await.unwrap().is_none());
        assert_eq!(
            store.create_setup_link(60_000).await.unwrap(),
            None,
            "no link once someone exists"
        );
        let events = store.audit_events(None, 1).await.unwrap();
        assert_eq!(
            (events[0].action, events[0].actor.as_str()),
            (AuditAction::Setup, "ada")
        );
    })
    .await;
}

#[tokio::test]
async fn sign_in_checks_the_password_limits_failures_and_audits_every_attempt() {
    on_each_backend(async |_, _, store| {
        store
            .add_user(&Actor::operator("root"), new_user("alice", PASSWORD))
            .await
            .unwrap();
        let limits = SignInLimits {
            window_ms: 60_000,
            per_account: 3,
            per_address: 5,
        };
        let person = store
            .sign_in(" Alice ", PASSWORD, "10.0.0.1", &limits)
            .await
            .unwrap();
        assert_eq!(person.unwrap().name, "alice");
        for _ in 0..3 {
            let wrong = store
                .sign_in("alice", "guess guess guess", "10.0.0.1", &limits)
                .await;
            assert_eq!(wrong.unwrap(), Err(SignInRefusal::WrongCredentials));
        }
        // The fourth try is refused before the password is looked at: the right one too.
        let refused = store
            .sign_in("alice", PASSWORD, "10.0.0.2", &limits)
            .await
            .unwrap();
        let Err(SignInRefusal::TooManyAttempts {
            whom,
            retry_after_ms,
        }) = refused
        else {
            panic!("expected a refusal, got {refused:?}");
        };
        assert_eq!(whom, "for this account");
        assert!(
            retry_after_ms > 0 && retry_after_ms <= 60_000,
            "{retry_after_ms}"
        );
        // Unknown accounts fail the same way, and count against the address.
        let unknown = store
            .sign_in("mallory", PASSWORD, "10.0.0.1", &limits)
            .await
            .unwrap();
        assert_eq!(unknown, Err(SignInRefusal::WrongCredentials));
        let unknown = store
            .sign_in("trent", PASSWORD, "10.0.0.1", &limits)
            .await
            .unwrap();
        assert_eq!(unknown, Err(SignInRefusal::WrongCredentials));
        let from_address = store
            .sign_in("oscar", PASSWORD, "10.0.0.1", &limits)
            .await
            .unwrap();
        assert!(matches!(
            from_address,
            Err(SignInRefusal::TooManyAttempts {
                whom: "from this address",
                ..
            })
        ));

        let events = store.audit_events(None, 20).await.unwrap();
        let actions: Vec<(AuditAction, &str)> = events
            .iter()
            .rev()
            .filter(|e| e.action != AuditAction::UserAdded)
            .map(|e| (e.action, e.actor.as_str()))
            .collect();
        assert_eq!(
            actions,
            [
                (AuditAction::SignIn, "alice"),
                (AuditAction::SignInFailed, "alice"),
                (AuditAction::SignInFailed, "alice"),
                (AuditAction::SignInFailed, "alice"),
                (AuditAction::SignInRefused, "alice"),
                (AuditAction::SignInFailed, "mallory"),
                (AuditAction::SignInFailed, "trent"),
                (AuditAction::SignInRefused, "oscar"),
            ]
        );
        assert_eq!(events[0].triggered_by, "10.0.0.1");
        assert!(
            events
                .iter()
                .all(|e| !e.detail.to_string().contains(PASSWORD))
        );

        // A disabled account cannot sign in, even with its password.
        store
            .add_user(&Actor::operator("root"), new_user("bob", PASSWORD))
            .await
            .unwrap();
        store
            .set_disabled(&Actor::operator("root"), "bob", true)
            .await
            .unwrap();
        let disabled = store
            .sign_in("bob", PASSWORD, "10.0.0.9", &limits)
            .await
            .unwrap();
        assert_eq!(disabled, Err(SignInRefusal::WrongCredentials));
    })
    .await;
}

/// Starts `attempts` sign-ins of alice at once, each with the password `password_of(i)`.
async fn sign_ins_at_once(
    store: &strata_store::Store,
    attempts: usize,
    password_of: impl Fn(usize) -> &'static str,
    limits: SignInLimits,
) -> Vec<Result<strata_domain::access::Person, SignInRefusal>> {
    let tasks: Vec<_> = (0..attempts)
        .map(|i| {
            let (store, password) = (store.clone(), password_of(i));
            tokio::spawn(async move {
                store
                    .sign_in("alice", password, &format!("10.1.0.{i}"), &limits)
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    outcomes
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_sign_ins_check_no_more_passwords_than_the_limit_allows() {
    on_each_backend(async |_, _, store| {
        store
            .add_user(&Actor::operator("root"), new_user("alice", PASSWORD))
            .await
            .unwrap();
        let limits = SignInLimits::default();
        let outcomes = sign_ins_at_once(store, 40, |_| "guess guess guess", limits).await;
        let checked = outcomes
            .iter()
            .filter(|o| **o == Err(SignInRefusal::WrongCredentials))
            .count();
        let refused = outcomes
            .iter()
            .filter(|o| matches!(o, Err(SignInRefusal::TooManyAttempts { .. })))
            .count();
        assert_eq!((checked, refused), (5, 35), "{outcomes:?}");
        let audited = store.audit_events(None, 100).await.unwrap();
        let failed = audited
            .iter()
            .filter(|e| e.action == AuditAction::SignInFailed)
            .count();
        assert_eq!(
            failed, 5,
            "the audit log tells how many passwords were checked"
        );
        // The right password after the burst is refused too: its account is locked.
        let right = store
            .sign_in("alice", PASSWORD, "10.2.0.1", &limits)
            .await
            .unwrap();
        assert!(
            matches!(right, Err(SignInRefusal::TooManyAttempts { .. })),
            "{right:?}"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_right_password_inside_a_burst_of_wrong_ones_signs_in_only_within_the_limit() {
    on_each_backend(async |_, _, store| {
        store
            .add_user(&Actor::operator("root"), new_user("alice", PASSWORD))
            .await
            .unwrap();
        // 29 wrong and the right one, all at once: at most five passwords are looked at, and
        // the right one signs in only if it was among them.
        let outcomes = sign_ins_at_once(
            store,
            30,
            |i| {
                if i == 17 {
                    PASSWORD
                } else {
                    "guess guess guess"
                }
            },
            SignInLimits::default(),
        )
        .await;
        let checked = outcomes
            .iter()
            .filter(|o| !matches!(o, Err(SignInRefusal::TooManyAttempts { .. })))
            .count();
        // A success starts the account's count again (its owner signed in), so when the right
        // one was checked — within the first five — up to five more wrong ones may follow it.
        let signed_in = outcomes.iter().any(Result::is_ok);
        let most = if signed_in { 4 + 1 + 5 } else { 5 };
        assert!(checked <= most, "{checked} passwords checked: {outcomes:?}");
        let audited = store.audit_events(None, 100).await.unwrap();
        let looked_at = audited
            .iter()
            .filter(|e| matches!(e.action, AuditAction::SignInFailed | AuditAction::SignIn))
            .count();
        assert_eq!(looked_at, checked);
    })
    .await;
}

#[tokio::test]
async fn a_flood_of_refused_sign_ins_writes_one_audit_entry_a_minute() {
    on_each_backend(async |_, _, store| {
        let limits = SignInLimits {
            window_ms: 60_000,
            per_account: 2,
            per_address: 3,
        };
        for i in 0..200 {
            // Names rotate, the address does not: the address limit refuses the rest.
            let name = format!("guess{i}");
            store
                .sign_in(&name, "guess guess guess", "10.3.0.1", &limits)
                .await
                .unwrap()
                .unwrap_err();
        }
        // A name that can be no one's (a NUL, a novel) is refused like any other, stored nowhere.
        for typed in ["nul\u{0}name", &"x".repeat(10_000), "tab\tname"] {
            let outcome = store
                .sign_in(typed, "guess guess guess", "10.3.0.2", &limits)
                .await
                .unwrap();
            assert!(outcome.is_err());
        }
        let audited = store.audit_events(None, 1000).await.unwrap();
        let from_flood: Vec<_> = audited
            .iter()
            .filter(|e| e.triggered_by == "10.3.0.1")
            .collect();
        let failed = from_flood
            .iter()
            .filter(|e| e.action == AuditAction::SignInFailed)
            .count();
        let refused = from_flood
            .iter()
            .filter(|e| e.action == AuditAction::SignInRefused)
            .count();
        assert_eq!((failed, refused), (3, 1), "{from_flood:?}");
        let text = serde_json::to_string(&audited).unwrap();
        assert!(
            !text.contains('\u{0}') && !text.contains("xxxxxxxxxx"),
            "{text}"
        );
    })
    .await;
}

fn forbidden(result: Result<i64, StoreError>) -> String {
    match result {
        Err(StoreError::Forbidden(why)) => why,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn the_write_path_lets_each_person_change_only_what_their_role_allows() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        let write = async |actor: &Actor, what: &str| -> Result<i64, StoreError> {
            let mut change = store.begin(actor, what).await?;
            match what {
                "protect a tenant" => {
                    let current = store.as_operator().get::<Tenant>("acme-eu").await?;
                    let mut tenant = current.item.clone();
                    tenant.termination_protection = !tenant.termination_protection;
                    change.update(current.version, tenant).await?;
                }
                "layer the product" => {
                    let layer = layer(
                        "web-api",
                        product_scope("acme-shop"),
                        json!({"rate_limit": 7}),
                    );
                    change.create(layer).await?;
                }
                "layer a tier" => {
                    change
                        .create(layer(
                            "web-api",
                            tier_scope("DEV"),
                            json!({"rate_limit": 9}),
                        ))
                        .await?;
                }
                "add a tier" => {
                    change.create(tier("TEST")).await?;
                }
                "roll the tenant back" => {
                    let version = store.as_operator().get::<Tenant>("acme-eu").await?.version;
                    change
                        .rollback::<Tenant>("acme-eu", 1, Some(version))
                        .await?;
                }
                other => panic!("{other}"),
            }
            change.commit().await
        };
        let viewer = person(store, "olga", Some(Role::Viewer)).await;
        let editor = person(store, "vera", Some(Role::Editor)).await;
        let publisher = person(store, "paul", Some(Role::Publisher)).await;
        let outsider = person(store, "otto", None).await;
        let admin = Actor::Person(
            store
                .add_user(
                    &Actor::operator("root"),
                    NewUser {
                        domain_admin: true,
                        ..new_user("ada", PASSWORD)
                    },
                )
                .await
                .unwrap()
                .person(),
        );
        let revision = store.domain().await.unwrap().revision;

        let why = forbidden(write(&viewer, "protect a tenant").await);
        assert_eq!(
            why,
            "olga may not change tenant \"acme-eu\": it belongs to organization \"acme\", \
             where this needs the editor role"
        );
        // Someone who may not even read it is told it does not exist, as when reading.
        assert!(matches!(
            write(&outsider, "protect a tenant").await,
            Err(StoreError::NotFound { kind: "tenant", .. })
        ));
        let why = forbidden(write(&editor, "add a tier").await);
        assert_eq!(
            why,
            "vera may not change tier \"TEST\": only a domain admin may"
        );
        forbidden(write(&editor, "layer a tier").await);
        assert_eq!(
            store.domain().await.unwrap().revision,
            revision,
            "nothing was written"
        );

        write(&editor, "protect a tenant").await.unwrap();
        write(&editor, "layer the product").await.unwrap();
        let why = forbidden(write(&editor, "roll the tenant back").await);
        assert!(why.contains("needs the publisher role"), "{why}");
        write(&publisher, "roll the tenant back").await.unwrap();
        write(&admin, "add a tier").await.unwrap();
        write(&admin, "layer a tier").await.unwrap();
        let history = store
            .as_operator()
            .history("tenant", "acme-eu")
            .await
            .unwrap();
        let authors: Vec<&str> = history.iter().map(|r| r.actor.as_str()).collect();
        assert_eq!(authors, ["alice", "vera", "paul"]);

        // An impact preview is a write that is not kept: the same rules.
        let tier_layer = layer("web-api", tier_scope("LIVE"), json!({"rate_limit": 1}));
        let refused = store
            .as_actor(&editor)
            .preview(tier_layer.clone(), None)
            .await;
        assert!(matches!(refused, Err(StoreError::Forbidden(_))));
        store
            .as_actor(&admin)
            .preview(tier_layer, None)
            .await
            .unwrap();
        // A restore is the domain admin's.
        let refused = store.restore(&publisher, "back", revision).await;
        assert!(
            matches!(refused, Err(StoreError::Forbidden(_))),
            "{refused:?}"
        );
    })
    .await;
}

/// The small domain and a second organization, globex, with a product and a tenant; layers
/// shared (LIVE), acme's (its product, acme-eu) and globex's (glx-one).
async fn seed_two_organizations(store: &strata_store::Store) {
    seed(store).await;
    let mut change = store
        .begin(&Actor::operator("root"), "a second organization")
        .await
        .unwrap();
    change.create(organization("globex", "glx")).await.unwrap();
    change
        .create(product("glx-shop", "globex", &["web-api"]))
        .await
        .unwrap();
    change
        .create(tenant("glx-one", "glx-shop", "LIVE"))
        .await
        .unwrap();
    for (scope, rate_limit) in [
        (tier_scope("LIVE"), 5),
        (product_scope("acme-shop"), 6),
        (tenant_scope("glx-one"), 7),
        (tenant_scope("acme-eu"), 8),
    ] {
        let config = json!({ "rate_limit": rate_limit });
        change
            .create(layer("web-api", scope, config))
            .await
            .unwrap();
    }
    change.commit().await.unwrap();
}

#[tokio::test]
async fn lists_show_a_person_their_organizations_rows_and_the_shared_ones_only() {
    on_each_backend(async |_, _, store| {
        seed_two_organizations(store).await;
        let viewer = person(store, "olga", Some(Role::Viewer)).await;
        let nobody = person(store, "otto", None).await;
        let admin = Actor::Person(
            store
                .add_user(
                    &Actor::operator("root"),
                    NewUser {
                        domain_admin: true,
                        ..new_user("ada", PASSWORD)
                    },
                )
                .await
                .unwrap()
                .person(),
        );
        async fn keys<E: strata_store::entity::Entity>(
            store: &strata_store::Store,
            actor: &Actor,
        ) -> (Vec<String>, i64) {
            let page = store
                .as_actor(actor)
                .list_page::<E>(&ListQuery::default())
                .await
                .unwrap();
            (
                page.items.iter().map(|v| v.item.key()).collect(),
                page.total,
            )
        }
        use strata_domain::layer::ConfigLayer;
        use strata_domain::organization::Organization;
        use strata_domain::product::Product;
        use strata_domain::tier::Tier;

        assert_eq!(
            keys::<Tenant>(store, &viewer).await,
            (vec!["acme-eu".into(), "acme-us".into()], 2)
        );
        assert_eq!(
            keys::<Product>(store, &viewer).await,
            (vec!["acme-shop".into()], 1)
        );
        assert_eq!(
            keys::<Organization>(store, &viewer).await,
            (vec!["acme".into()], 1)
        );
        assert_eq!(keys::<Tier>(store, &viewer).await.1, 2, "tiers are shared");
        assert_eq!(
            keys::<ConfigLayer>(store, &viewer).await.0,
            [
                "web-api/product/acme-shop",
                "web-api/tenant/acme-eu",
                "web-api/tier/LIVE"
            ]
        );
        // Searching does not reach past what may be seen either.
        let search = ListQuery {
            search: "glx".into(),
            ..ListQuery::default()
        };
        assert_eq!(
            store
                .as_actor(&viewer)
                .list_page::<Tenant>(&search)
                .await
                .unwrap()
                .total,
            0
        );
        assert_eq!(
            store
                .as_actor(&admin)
                .list_page::<Tenant>(&search)
                .await
                .unwrap()
                .total,
            1
        );

        for (kind, total) in [
            ("tenants", keys::<Tenant>(store, &nobody).await.1),
            ("tiers", keys::<Tier>(store, &nobody).await.1),
            ("layers", keys::<ConfigLayer>(store, &nobody).await.1),
        ] {
            assert_eq!(total, 0, "someone without a role sees no {kind}");
        }
        assert_eq!(keys::<Tenant>(store, &admin).await.1, 3);
        assert_eq!(keys::<ConfigLayer>(store, &admin).await.1, 4);
    })
    .await;
}

#[tokio::test]
async fn history_shows_a_person_the_changes_of_their_organizations_and_the_shared_ones() {
    use strata_domain::audit::AuditFilter;
    on_each_backend(async |_, _, store| {
        seed_two_organizations(store).await;
        let viewer = person(store, "olga", Some(Role::Viewer)).await;
        let nobody = person(store, "otto", None).await;
        let all = store
            .as_actor(&Actor::operator("root"))
            .audit_trail(&AuditFilter::default(), 0, 200)
            .await
            .unwrap();
        let seen = store
            .as_actor(&viewer)
            .audit_trail(&AuditFilter::default(), 0, 200)
            .await
            .unwrap();
        let keys: Vec<&str> = seen.items.iter().map(|r| r.entity_key.as_str()).collect();
        assert_eq!(seen.total as usize, keys.len());
        for key in [
            "acme",
            "acme-shop",
            "acme-eu",
            "acme-us",
            "LIVE",
            "DEV",
            "web-api",
            "web-api/tier/LIVE",
        ] {
            assert!(keys.contains(&key), "{key} in {keys:?}");
        }
        for key in ["globex", "glx-shop", "glx-one", "web-api/tenant/glx-one"] {
            assert!(!keys.contains(&key), "{key} leaks: {keys:?}");
        }
        assert_eq!(all.total, seen.total + 4);
        // Filters and windows apply within what may be seen.
        let by_kind = AuditFilter {
            kind: Some("tenant".into()),
            ..AuditFilter::default()
        };
        assert_eq!(
            store
                .as_actor(&viewer)
                .audit_trail(&by_kind, 0, 200)
                .await
                .unwrap()
                .total,
            2
        );
        let window = store
            .as_actor(&viewer)
            .audit_trail(&AuditFilter::default(), 1, 2)
            .await
            .unwrap();
        assert_eq!(window.items, seen.items[1..3]);
        assert_eq!(
            store
                .as_actor(&nobody)
                .audit_trail(&AuditFilter::default(), 0, 200)
                .await
                .unwrap()
                .total,
            0
        );
    })
    .await;
}

#[tokio::test]
async fn records_written_before_they_carried_an_organization_get_one_at_the_next_migration() {
    use strata_domain::audit::AuditFilter;
    on_each_backend(async |_, db, store| {
        seed(store).await;
        let viewer = person(store, "olga", Some(Role::Viewer)).await;
        let seen = store
            .as_actor(&viewer)
            .audit_trail(&AuditFilter::default(), 0, 200)
            .await
            .unwrap();
        db.execute_raw("UPDATE changes SET organization = NULL")
            .await;
        let before = store
            .as_actor(&viewer)
            .audit_trail(&AuditFilter::default(), 0, 200)
            .await
            .unwrap();
        assert_eq!(
            before.total, 0,
            "unknown owners are shown to no one but admins"
        );
        store.migrate().await.unwrap();
        let after = store
            .as_actor(&viewer)
            .audit_trail(&AuditFilter::default(), 0, 200)
            .await
            .unwrap();
        assert_eq!(after, seen);
        assert_eq!(
            store.verify_chain().await.unwrap().first_broken_seq,
            None,
            "the hash chain holds"
        );
    })
    .await;
}

#[tokio::test]
async fn a_whole_revision_shows_a_person_what_their_lists_show() {
    on_each_backend(async |_, _, store| {
        seed_two_organizations(store).await;
        let viewer = person(store, "olga", Some(Role::Viewer)).await;
        let nobody = person(store, "otto", None).await;
        let revision = store.domain().await.unwrap().revision;
        let state = store.as_actor(&viewer).state_at(revision).await.unwrap();
        async fn listed<E: strata_store::entity::Entity>(
            store: &strata_store::Store,
            actor: &Actor,
        ) -> Vec<String> {
            let page = store
                .as_actor(actor)
                .list_page::<E>(&ListQuery::default())
                .await
                .unwrap();
            page.items.iter().map(|v| v.item.key()).collect()
        }
        let in_state = |kind: &str| -> Vec<String> {
            state
                .get(kind)
                .map(|e| e.keys().cloned().collect())
                .unwrap_or_default()
        };
        use strata_domain::layer::ConfigLayer;
        use strata_domain::organization::Organization;
        use strata_domain::product::Product;
        use strata_domain::tier::Tier;
        assert_eq!(in_state("tenant"), listed::<Tenant>(store, &viewer).await);
        assert_eq!(in_state("product"), listed::<Product>(store, &viewer).await);
        assert_eq!(
            in_state("organization"),
            listed::<Organization>(store, &viewer).await
        );
        assert_eq!(
            in_state("config layer"),
            listed::<ConfigLayer>(store, &viewer).await
        );
        assert_eq!(in_state("tier"), listed::<Tier>(store, &viewer).await);
        assert!(!in_state("tenant").contains(&"glx-one".to_owned()));
        let nothing = store.as_actor(&nobody).state_at(revision).await.unwrap();
        assert!(nothing.values().all(|entities| entities.is_empty()));
        let all = store
            .as_actor(&Actor::operator("root"))
            .state_at(revision)
            .await
            .unwrap();
        assert_eq!(all, store.as_operator().state_at(revision).await.unwrap());
    })
    .await;
}

#[tokio::test]
async fn a_deleted_tenant_stays_its_organizations_after_its_product_is_gone_too() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        let mut change = store
            .begin(&Actor::operator("root"), "wind down acme-shop")
            .await
            .unwrap();
        change.create(organization("globex", "glx")).await.unwrap();
        for name in ["acme-eu", "acme-us"] {
            let current = store.as_operator().get::<Tenant>(name).await.unwrap();
            let mut disabled = current.item.clone();
            disabled.state = strata_domain::tenant::TenantState::Disabled;
            change.update(current.version, disabled).await.unwrap();
            change
                .delete::<Tenant>(name, current.version + 1)
                .await
                .unwrap();
        }
        let product = store
            .as_operator()
            .get::<strata_domain::product::Product>("acme-shop")
            .await
            .unwrap();
        change
            .delete::<strata_domain::product::Product>("acme-shop", product.version)
            .await
            .unwrap();
        change.commit().await.unwrap();

        let acme_viewer = person(store, "olga", Some(Role::Viewer)).await;
        store
            .add_user(&Actor::operator("root"), new_user("gina", PASSWORD))
            .await
            .unwrap();
        store
            .set_role(
                &Actor::operator("root"),
                "gina",
                "globex",
                Some(Role::Viewer),
            )
            .await
            .unwrap();
        let globex_viewer = Actor::Person(store.signed_in_person("gina").await.unwrap().unwrap());
        // Its product's organization is read from history: still acme's, never everyone's.
        store
            .as_actor(&acme_viewer)
            .rights("tenant", "acme-eu")
            .await
            .unwrap();
        store
            .as_actor(&acme_viewer)
            .rights("product", "acme-shop")
            .await
            .unwrap();
        for (kind, key) in [("tenant", "acme-eu"), ("product", "acme-shop")] {
            let refused = store.as_actor(&globex_viewer).rights(kind, key).await;
            assert!(
                matches!(refused, Err(StoreError::NotFound { .. })),
                "{kind} {key}: {refused:?}"
            );
        }
    })
    .await;
}

fn read_scope(tiers: &[&str]) -> TokenScope {
    TokenScope::Read {
        tiers: tiers.iter().map(|t| t.to_string()).collect(),
        tenants: vec![],
        deployables: vec![],
        secrets: false,
    }
}

fn acting_in(organization: &str, role: Role) -> TokenScope {
    TokenScope::Act {
        organization: organization.into(),
        role,
    }
}

fn new_token(name: &str, scope: TokenScope) -> NewToken<'_> {
    NewToken {
        name,
        scope,
        days: 30,
    }
}

#[tokio::test]
async fn a_token_is_shown_once_checked_field_by_field_counted_and_revoked() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        let root = Actor::operator("root");
        for (token, field) in [
            (new_token("Bad Name", read_scope(&["LIVE"])), "/name"),
            (new_token("reader", read_scope(&[])), "/scope/tiers"),
            (
                new_token("reader", read_scope(&["LIVE", "NOPE"])),
                "/scope/tiers/1",
            ),
            (
                NewToken {
                    days: 0,
                    ..new_token("reader", read_scope(&["LIVE"]))
                },
                "/days",
            ),
            (
                new_token("reader", acting_in("nobody", Role::Editor)),
                "/scope/organization",
            ),
        ] {
            let (got, rule) = field_of(store.create_token(&root, token).await.unwrap_err());
            assert_eq!(got, field, "{rule}");
        }
        assert!(
            store.tokens(&root).await.unwrap().is_empty(),
            "nothing written"
        );

        let (token, secret) = store
            .create_token(&root, new_token("reader", read_scope(&["LIVE"])))
            .await
            .unwrap();
        assert!(
            secret.starts_with(TOKEN_PREFIX) && secret.len() > 60,
            "{secret}"
        );
        assert_eq!(token.created_by, "root");
        assert_eq!(token.uses, 0);
        assert!(token.is_live(token.created_at_ms));
        assert_eq!(token.expires_at_ms - token.created_at_ms, 30 * 86_400_000);
        let duplicate = store
            .create_token(&root, new_token("reader", read_scope(&["LIVE"])))
            .await;
        assert!(matches!(duplicate, Err(StoreError::Duplicate { .. })));

        let presented = store.presented_token(&secret).await.unwrap().unwrap();
        assert_eq!(presented.name, "reader");
        assert_eq!(presented.scope, read_scope(&["LIVE"]));
        assert!(!presented.revoked);
        let wrong = format!("{}0", &secret[..secret.len() - 1]);
        let wrong = if wrong == secret {
            format!("{TOKEN_PREFIX}x")
        } else {
            wrong
        };
        assert_eq!(store.presented_token(&wrong).await.unwrap(), None);

        let uses = |count, last_at_ms| TokenUses { count, last_at_ms };
        store
            .count_token_uses(&[("reader".into(), uses(3, 1_000))])
            .await
            .unwrap();
        store
            .count_token_uses(&[("reader".into(), uses(2, 500))])
            .await
            .unwrap();
        let listed = store.tokens(&root).await.unwrap();
        assert_eq!(
            (listed[0].uses, listed[0].last_used_at_ms),
            (5, Some(1_000))
        );

        let revoked = store.revoke_token(&root, "reader").await.unwrap();
        assert_eq!(revoked.revoked_by.as_deref(), Some("root"));
        assert!(!revoked.is_live(revoked.created_at_ms));
        assert!(
            store
                .presented_token(&secret)
                .await
                .unwrap()
                .unwrap()
                .revoked
        );
        let events = store.audit_events(None, 2).await.unwrap();
        assert_eq!(
            (events[0].action, events[1].action),
            (AuditAction::TokenRevoked, AuditAction::TokenCreated)
        );
        assert!(
            !events[1].detail.to_string().contains(&secret),
            "the secret is never recorded"
        );
    })
    .await;
}

#[tokio::test]
async fn tokens_are_managed_by_whoever_may_give_what_they_do() {
    on_each_backend(async |_, _, store| {
        seed_two_organizations(store).await;
        let root = Actor::operator("root");
        let admin = person(store, "ada", Some(Role::Admin)).await;
        let editor = person(store, "eve", Some(Role::Editor)).await;
        let forbidden = |result: Result<_, StoreError>| match result {
            Err(StoreError::Forbidden(why)) => why,
            other => panic!("expected a refusal, got {other:?}"),
        };
        let why = forbidden(
            store
                .create_token(&admin, new_token("reader", read_scope(&["LIVE"])))
                .await,
        );
        assert!(why.contains("only a domain admin"), "{why}");
        forbidden(
            store
                .create_token(&editor, new_token("bot", acting_in("acme", Role::Editor)))
                .await,
        );
        forbidden(
            store
                .create_token(&admin, new_token("bot", acting_in("globex", Role::Viewer)))
                .await,
        );
        store
            .create_token(
                &admin,
                new_token("acme-bot", acting_in("acme", Role::Editor)),
            )
            .await
            .unwrap();
        store
            .create_token(
                &root,
                new_token("glx-bot", acting_in("globex", Role::Admin)),
            )
            .await
            .unwrap();
        store
            .create_token(&root, new_token("reader", read_scope(&["LIVE"])))
            .await
            .unwrap();

        let names = |tokens: Vec<strata_store::access::ApiToken>| {
            tokens.into_iter().map(|t| t.name).collect::<Vec<_>>()
        };
        assert_eq!(names(store.tokens(&admin).await.unwrap()), ["acme-bot"]);
        assert!(store.tokens(&editor).await.unwrap().is_empty());
        assert_eq!(
            names(store.tokens(&root).await.unwrap()),
            ["acme-bot", "glx-bot", "reader"]
        );
        for other in ["glx-bot", "reader"] {
            assert!(matches!(
                store.revoke_token(&admin, other).await,
                Err(StoreError::NotFound { .. })
            ));
        }
        store.revoke_token(&admin, "acme-bot").await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn people_are_managed_by_domain_admins_and_members_by_their_organizations_admins() {
    on_each_backend(async |_, _, store| {
        seed_two_organizations(store).await;
        let admin = person(store, "ada", Some(Role::Admin)).await;
        let viewer = person(store, "val", Some(Role::Viewer)).await;
        let refused = |result: Result<(), StoreError>| {
            assert!(
                matches!(result, Err(StoreError::Forbidden(_))),
                "{result:?}"
            );
        };
        refused(
            store
                .add_user(&admin, new_user("mallory", PASSWORD))
                .await
                .map(|_| ()),
        );
        refused(store.users(&admin).await.map(|_| ()));
        refused(store.set_disabled(&admin, "val", true).await);
        refused(
            store
                .set_password(&admin, "val", "another long password")
                .await,
        );
        store
            .set_password(&viewer, "val", "my own new password")
            .await
            .unwrap();
        refused(
            store
                .set_role(&viewer, "val", "acme", Some(Role::Admin))
                .await,
        );
        store
            .set_role(&admin, "val", "acme", Some(Role::Editor))
            .await
            .unwrap();
        let members = store.members(&viewer, "acme").await.unwrap();
        assert_eq!(
            members
                .iter()
                .map(|m| (m.user.as_str(), m.role))
                .collect::<Vec<_>>(),
            [("ada", Role::Admin), ("val", Role::Editor)]
        );
        // Another organization does not exist for them.
        for result in [
            store
                .set_role(&admin, "val", "globex", Some(Role::Viewer))
                .await,
            store.members(&admin, "globex").await.map(|_| ()),
        ] {
            assert!(
                matches!(result, Err(StoreError::NotFound { .. })),
                "{result:?}"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn only_an_organizations_admins_change_the_organization_itself() {
    use strata_domain::organization::Organization;
    on_each_backend(async |_, _, store| {
        seed(store).await;
        let editor = person(store, "eddie", Some(Role::Editor)).await;
        let admin = person(store, "ada", Some(Role::Admin)).await;
        let acme = store
            .as_operator()
            .get::<Organization>("acme")
            .await
            .unwrap();
        let mut renamed = acme.item.clone();
        renamed.display_name = "Acme, renamed by an editor".into();
        let mut change = store.begin(&editor, "rename us").await.unwrap();
        let err = change
            .update(acme.version, renamed.clone())
            .await
            .unwrap_err();
        let StoreError::Forbidden(why) = err else {
            panic!("expected a refusal, got {err}");
        };
        assert!(why.contains("admin"), "{why}");
        change.abandon().await.unwrap();
        let rights = store
            .as_actor(&editor)
            .rights("organization", "acme")
            .await
            .unwrap();
        assert!(
            !rights.edit,
            "the console offers an editor no edit of the organization"
        );

        let mut change = store.begin(&admin, "rename us").await.unwrap();
        let renamed = change.update(acme.version, renamed).await.unwrap();
        change.commit().await.unwrap();
        assert!(
            store
                .as_actor(&admin)
                .rights("organization", "acme")
                .await
                .unwrap()
                .edit
        );

        // Rolling the organization back changes it too: a publisher may roll back products,
        // tenants and layers, not the organization.
        let publisher = person(store, "pia", Some(Role::Publisher)).await;
        let mut change = store.begin(&publisher, "undo the rename").await.unwrap();
        let err = change
            .rollback::<Organization>("acme", acme.version, Some(renamed.version))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Forbidden(why) if why.contains("admin")),
            "{err}"
        );
        change.abandon().await.unwrap();
        let mut change = store.begin(&admin, "undo the rename").await.unwrap();
        change
            .rollback::<Organization>("acme", acme.version, Some(renamed.version))
            .await
            .unwrap();
        change.commit().await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_refusal_never_names_an_organization_the_actor_cannot_see() {
    on_each_backend(async |_, _, store| {
        seed_two_organizations(store).await;
        let editor = person(store, "eddie", Some(Role::Editor)).await;
        // A tenant under globex's product, and one under a product nobody has: the same answer.
        let mut answers = Vec::new();
        for product in ["glx-shop", "glx-nothing"] {
            let mut change = store.begin(&editor, "a tenant").await.unwrap();
            let err = change
                .create(tenant("glx-two", product, "LIVE"))
                .await
                .unwrap_err();
            change.abandon().await.unwrap();
            let (field, rule) = field_of(err);
            assert_eq!(field, "/product");
            assert_eq!(rule, format!("product {product:?} does not exist"));
            answers.push(rule.replace(product, "P"));
        }
        assert_eq!(answers[0], answers[1]);
        // A layer for globex's tenant: as if the tenant did not exist.
        let mut change = store.begin(&editor, "a layer").await.unwrap();
        let err = change
            .create(layer(
                "web-api",
                tenant_scope("glx-one"),
                json!({"rate_limit": 1}),
            ))
            .await
            .unwrap_err();
        change.abandon().await.unwrap();
        assert!(!err.to_string().contains("globex"), "{err}");
        assert!(err.to_string().contains("does not exist"), "{err}");
        // An alias taken by globex's tenant: refused without naming it.
        let mut change = store
            .begin(&Actor::operator("root"), "an alias")
            .await
            .unwrap();
        let mut glx = store.as_operator().get::<Tenant>("glx-one").await.unwrap();
        glx.item.alias = Some(strata_domain::names::TenantAlias::parse("shared-alias").unwrap());
        change.update(glx.version, glx.item).await.unwrap();
        change.commit().await.unwrap();
        let eu = store.as_operator().get::<Tenant>("acme-eu").await.unwrap();
        let mut mine = eu.item.clone();
        mine.alias = Some(strata_domain::names::TenantAlias::parse("shared-alias").unwrap());
        let mut change = store.begin(&editor, "an alias").await.unwrap();
        let (field, rule) = field_of(change.update(eu.version, mine).await.unwrap_err());
        assert_eq!(field, "/alias");
        assert!(rule.contains("a tenant of another organization"), "{rule}");
        assert!(!rule.contains("glx-one"), "{rule}");
        change.abandon().await.unwrap();
        // Moving one's tenant under globex's product, or under none: the product does not exist.
        for product in ["glx-shop", "glx-nothing"] {
            let mut moved = eu.item.clone();
            moved.product = strata_domain::names::ProductName::parse(product).unwrap();
            let mut change = store.begin(&editor, "move it").await.unwrap();
            let err = change.update(eu.version, moved).await.unwrap_err();
            change.abandon().await.unwrap();
            let (field, rule) = field_of(err);
            assert_eq!(field, "/product");
            assert_eq!(rule, format!("product {product:?} does not exist"));
        }
    })
    .await;
}

/// Tokens and people made at the same moment all land, however their transactions interleave:
/// on SQLite a transaction that reads before it writes cannot take the write lock once another
/// write committed after its read ("database is locked" at once, whatever the busy timeout), so
/// each of these writes first.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn tokens_and_people_made_at_once_all_land() {
    on_each_backend(async |backend, _, store| {
        store.load_demo("root").await.unwrap();
        let root = Actor::operator("root");
        let names: Vec<String> = (0..24).map(|i| format!("reader-{i}")).collect();
        let tokens: Vec<_> = names
            .iter()
            .map(|name| {
                let (store, root, name) = (store.clone(), root.clone(), name.clone());
                tokio::spawn(async move {
                    store
                        .create_token(&root, new_token(&name, read_scope(&["LIVE"])))
                        .await
                        .map(drop)
                })
            })
            .collect();
        let people: Vec<_> = (0..6)
            .map(|i| {
                let (store, root) = (store.clone(), root.clone());
                tokio::spawn(async move {
                    let name = format!("person-{i}");
                    let user = NewUser {
                        name: &name,
                        display_name: "Someone",
                        password: "a long enough password",
                        domain_admin: false,
                    };
                    store.add_user(&root, user).await.map(drop)
                })
            })
            .collect();
        for made in tokens.into_iter().chain(people) {
            made.await
                .unwrap()
                .unwrap_or_else(|e| panic!("{backend:?}: {e}"));
        }
        assert_eq!(store.tokens(&root).await.unwrap().len(), 24, "{backend:?}");
        let duplicate = store
            .create_token(&root, new_token("reader-0", read_scope(&["LIVE"])))
            .await;
        assert!(matches!(duplicate, Err(StoreError::Duplicate { .. })));
    })
    .await;
}

/// Rolling back what one may not read tells nothing of it: not whether it exists, not how many
/// versions it has — the same "does not exist" as for what never did, through every interface
/// (the API's and the console's roll backs are this write).
#[tokio::test]
async fn a_roll_back_of_what_one_may_not_read_says_nothing_of_its_versions() {
    on_each_backend(async |backend, _, store| {
        seed_two_organizations(store).await;
        let publisher = person(store, "pete", Some(Role::Publisher)).await;
        for (key, to_version) in [("glx-one", 1), ("glx-one", 99), ("glx-nowhere", 1)] {
            let mut change = store.begin(&publisher, "roll back").await.unwrap();
            let refused = change
                .rollback::<Tenant>(key, to_version, Some(1))
                .await
                .unwrap_err();
            change.abandon().await.unwrap();
            assert!(
                matches!(&refused, StoreError::NotFound { .. }),
                "{backend:?} {key} v{to_version}: {refused}"
            );
            assert_eq!(
                refused.to_string(),
                format!("tenant {key:?} does not exist"),
                "{backend:?}"
            );
        }
        // Of one's own, a version that is not there is said so.
        let mut change = store.begin(&publisher, "roll back").await.unwrap();
        let own = change
            .rollback::<Tenant>("acme-eu", 99, Some(1))
            .await
            .unwrap_err();
        change.abandon().await.unwrap();
        assert!(own.to_string().contains("has no version 99"), "{own}");
    })
    .await;
}
