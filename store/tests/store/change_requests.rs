//! Approval policies and change requests: a covered write is refused whichever store call
//! makes it; a request is proposed, reviewed by those allowed to, approved against its
//! content's hash (an edit voids approvals), rebased over what changed meanwhile, and applied
//! once, atomically. On SQLite and PostgreSQL.

use crate::common;

use common::*;
use serde_json::{Value, json};
use strata_domain::access::Role;
use strata_domain::approval_policy::ApprovalPolicy;
use strata_domain::change_request::{ProposedWrite, RequestState, Verdict};
use strata_domain::kind::Kind;
use strata_domain::layer::ConfigLayer;
use strata_domain::names::{PolicyName, TierName};
use strata_domain::rules::EntityState;
use strata_store::access::Actor;
use strata_store::review::requests::{ChangeRequest, RequestEntry, RequestFilter};
use strata_store::test_support::on_each_backend;
use strata_store::{Store, StoreError};

fn live_review() -> ApprovalPolicy {
    ApprovalPolicy {
        name: PolicyName::parse("live-review").unwrap(),
        display_name: "LIVE needs a publisher's review".into(),
        tier: TierName::parse("LIVE").unwrap(),
        product: None,
        deployable: None,
        approvals: 1,
        approver_role: Role::Publisher,
        schema_needs_domain_admin: false,
        state: EntityState::Active,
    }
}

/// The seeded domain with LIVE under review, and its people: an editor who proposes, a
/// publisher and a second publisher who review, a viewer, and a publisher of another
/// organization.
struct People {
    editor: Actor,
    publisher: Actor,
    second: Actor,
    viewer: Actor,
    stranger: Actor,
}

async fn reviewed_domain(store: &Store) -> People {
    reviewed_domain_with(store, async |_| Ok(())).await
}

/// The same, with `before` written before LIVE is put under review.
async fn reviewed_domain_with(
    store: &Store,
    before: impl AsyncFnOnce(&mut strata_store::changes::ChangeSet) -> Result<(), StoreError>,
) -> People {
    seed(store).await;
    let root = Actor::operator("root");
    let mut change = store.begin(&root, "another organization").await.unwrap();
    change
        .create(organization("globex", "globex"))
        .await
        .unwrap();
    change
        .create(product("globex-app", "globex", &["web-api"]))
        .await
        .unwrap();
    change
        .create(tenant("globex-one", "globex-app", "LIVE"))
        .await
        .unwrap();
    change.commit().await.unwrap();
    commit(store, before).await.unwrap();
    commit(store, async |change| change.create(live_review()).await)
        .await
        .unwrap();
    People {
        editor: person(store, "erin", Some(Role::Editor)).await,
        publisher: person(store, "paul", Some(Role::Publisher)).await,
        second: person(store, "pia", Some(Role::Publisher)).await,
        viewer: person(store, "vic", Some(Role::Viewer)).await,
        stranger: {
            person(store, "gina", None).await;
            store
                .set_role(&root, "gina", "globex", Some(Role::Publisher))
                .await
                .unwrap();
            Actor::Person(store.signed_in_person("gina").await.unwrap().unwrap())
        },
    }
}

/// Approving a request as it stands, without a word: what most reviews here are.
trait Approve {
    async fn approve(
        &self,
        actor: &Actor,
        request: &ChangeRequest,
    ) -> Result<RequestEntry, StoreError>;
}

impl Approve for Store {
    async fn approve(
        &self,
        actor: &Actor,
        request: &ChangeRequest,
    ) -> Result<RequestEntry, StoreError> {
        self.review_request(
            actor,
            request.id,
            Verdict::Approve,
            &request.content_hash,
            "",
            None,
            None,
        )
        .await
    }
}

fn tenant_layer(tenant: &str, config: Value) -> ProposedWrite {
    let layer = layer("web-api", tenant_scope(tenant), config);
    ProposedWrite {
        kind: Kind::ConfigLayer,
        key: layer.key(),
        base_version: None,
        image: Some(serde_json::to_value(&layer).unwrap()),
    }
}

fn refused_for_approval(e: StoreError) -> String {
    match e {
        StoreError::ApprovalRequired {
            policy, message, ..
        } => {
            assert_eq!(policy, "live-review");
            message
        }
        other => panic!("expected an approval to be required, got {other}"),
    }
}

#[tokio::test]
async fn a_covered_write_is_refused_by_every_store_call_and_an_uncovered_one_applies() {
    on_each_backend(async |_, _, store| {
        let people = reviewed_domain(store).await;
        let eu = layer("web-api", tenant_scope("acme-eu"), json!({"rate_limit": 5}));
        // A change set, by a person.
        let message = refused_for_approval(
            store
                .write::<ConfigLayer>(&people.editor, "faster", &eu.key(), async |change| {
                    change.create(eu.clone()).await.map(Some)
                })
                .await
                .unwrap_err(),
        );
        assert!(
            message.contains("tier LIVE needs 1 approval from a publisher"),
            "{message}"
        );
        assert!(
            message.contains("deployable web-api on tier LIVE"),
            "{message}"
        );
        // Named without a tenant: whoever sees the refusal may not see every tenant reached.
        assert!(
            !message.contains("acme-eu") && !message.contains("globex"),
            "{message}"
        );
        assert!(
            message.contains("POST /api/v1/change-requests"),
            "{message}"
        );
        // By the operator, holding the database: no way around it either.
        let by_operator = commit(store, async |change| change.create(eu.clone()).await).await;
        refused_for_approval(by_operator.unwrap_err());
        // Moving a tenant off LIVE changes LIVE's configs too.
        let moved = commit(store, async |change| {
            change
                .update(1, tenant("acme-eu", "acme-shop", "DEV"))
                .await
        })
        .await;
        refused_for_approval(moved.unwrap_err());
        // A tier layer of LIVE, and a deployable's presence on LIVE.
        let tier_layer = commit(store, async |change| {
            change
                .create(layer(
                    "web-api",
                    tier_scope("LIVE"),
                    json!({"rate_limit": 7}),
                ))
                .await
        })
        .await;
        refused_for_approval(tier_layer.unwrap_err());
        // Nothing was written.
        let layers = store.as_operator().list::<ConfigLayer>().await.unwrap();
        assert!(layers.is_empty(), "{layers:?}");
        // DEV is not covered: writes apply as before.
        let us = layer("web-api", tenant_scope("acme-us"), json!({"rate_limit": 5}));
        store
            .write::<ConfigLayer>(&people.editor, "faster", &us.key(), async |change| {
                change.create(us.clone()).await.map(Some)
            })
            .await
            .unwrap();
        // The policy guards itself: turning it off is a change to LIVE's review, refused
        // directly — and with a write under it in the same change set, the write is judged by
        // the policy as it stood when the change set began.
        let mut off = live_review();
        off.state = EntityState::Disabled;
        let alone = commit(store, async |change| change.update(1, off.clone()).await).await;
        refused_for_approval(alone.unwrap_err());
        let together = commit(store, async |change| {
            change.update(1, off.clone()).await?;
            change.create(eu.clone()).await
        })
        .await;
        refused_for_approval(together.unwrap_err());
        // Through a request, a domain admin's proposal approved by another: an organization's
        // publisher does not qualify for what the domain shares.
        let (dora, dan) = (
            domain_admin(store, "dora").await,
            domain_admin(store, "dan").await,
        );
        let write = ProposedWrite {
            kind: Kind::ApprovalPolicy,
            key: "live-review".into(),
            base_version: Some(1),
            image: Some(serde_json::to_value(&off).unwrap()),
        };
        let request = store
            .propose(&dora, "Pause reviews", "", vec![write])
            .await
            .unwrap();
        assert_eq!(request.needs.policies.len(), 1, "{:?}", request.needs);
        let publisher = store
            .approve(&people.publisher, &request)
            .await
            .unwrap_err();
        assert!(matches!(publisher, StoreError::Forbidden(_)), "{publisher}");
        store.approve(&dan, &request).await.unwrap();
        store.apply_request(&dora, request.id).await.unwrap();
        // A disabled policy asks for nothing.
        commit(store, async |change| change.create(eu.clone()).await)
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn asking_whether_a_write_needs_review_names_the_policy_and_writes_nothing() {
    on_each_backend(async |_, _, store| {
        let people = reviewed_domain(store).await;
        let revision = store.domain().await.unwrap().revision;
        // A LIVE tenant's layer: what the editor would be refused directly.
        let needs = store
            .review_needed(
                &people.editor,
                &[tenant_layer("acme-eu", json!({"rate_limit": 5}))],
            )
            .await
            .unwrap();
        let summary = needs.summary().expect("LIVE is under review");
        assert!(
            summary.contains("tier LIVE needs 1 approval from a publisher")
                && summary.contains("\"live-review\""),
            "{summary}"
        );
        // Moving a DEV tenant onto LIVE: judged on the draft, not on what is stored.
        let onto_live = ProposedWrite {
            kind: Kind::Tenant,
            key: "acme-us".into(),
            base_version: Some(1),
            image: Some(serde_json::to_value(tenant("acme-us", "acme-shop", "LIVE")).unwrap()),
        };
        let needs = store
            .review_needed(&people.editor, std::slice::from_ref(&onto_live))
            .await
            .unwrap();
        assert!(!needs.is_empty());
        // A LIVE tenant's alias, which services may use for it.
        let mut eu = tenant("acme-eu", "acme-shop", "LIVE");
        eu.alias = Some(strata_domain::names::TenantAlias::parse("acme-europe").unwrap());
        let aliased = ProposedWrite {
            kind: Kind::Tenant,
            key: "acme-eu".into(),
            base_version: Some(1),
            image: Some(serde_json::to_value(&eu).unwrap()),
        };
        let needs = store
            .review_needed(&people.editor, std::slice::from_ref(&aliased))
            .await
            .unwrap();
        assert!(!needs.is_empty());
        // A DEV tenant's layer needs nothing.
        let needs = store
            .review_needed(
                &people.editor,
                &[tenant_layer("acme-us", json!({"rate_limit": 5}))],
            )
            .await
            .unwrap();
        assert!(needs.is_empty(), "{needs:?}");
        assert_eq!(needs.summary(), None);
        // Nothing was written by asking.
        assert_eq!(store.domain().await.unwrap().revision, revision);
        let layers = store.as_operator().list::<ConfigLayer>().await.unwrap();
        assert!(layers.is_empty(), "{layers:?}");
        let us = store
            .as_operator()
            .get::<strata_domain::tenant::Tenant>("acme-us")
            .await
            .unwrap();
        assert_eq!((us.version, us.item.tier.as_str()), (1, "DEV"));
        // Asked as who may not make the write: refused as the write would be, not answered.
        let viewer = store
            .review_needed(
                &people.viewer,
                &[tenant_layer("acme-eu", json!({"rate_limit": 5}))],
            )
            .await;
        assert!(
            matches!(viewer, Err(StoreError::Forbidden(_))),
            "{viewer:?}"
        );
        let stranger = store
            .review_needed(
                &people.stranger,
                &[tenant_layer("acme-eu", json!({"rate_limit": 5}))],
            )
            .await;
        // Another organization's publisher: acme's tenant does not exist for them, and nothing
        // says which policy would cover it.
        match stranger {
            Err(e) => {
                let said = e.to_string();
                assert!(said.contains("does not exist"), "{said}");
                assert!(!said.contains("live-review"), "{said}");
            }
            Ok(needs) => panic!("another organization's publisher was answered {needs:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn a_roll_back_under_review_is_proposed_as_the_write_it_would_make() {
    on_each_backend(async |_, _, store| {
        // acme-eu got an alias before LIVE came under review: version 2.
        let mut aliased = tenant("acme-eu", "acme-shop", "LIVE");
        aliased.alias = Some(strata_domain::names::TenantAlias::parse("acme-europe").unwrap());
        let people = reviewed_domain_with(store, async |change| {
            change.update(1, aliased.clone()).await.map(drop)
        })
        .await;
        let tenants = |reader: &Store| {
            let reader = reader.clone();
            async move {
                reader
                    .as_operator()
                    .get::<strata_domain::tenant::Tenant>("acme-eu")
                    .await
                    .unwrap()
            }
        };
        // Directly, refused; proposed, the request writes version 1 over version 2.
        let direct = store
            .write::<strata_domain::tenant::Tenant>(
                &people.publisher,
                "back",
                "acme-eu",
                async |change| change.rollback("acme-eu", 1, Some(2)).await.map(Some),
            )
            .await;
        refused_for_approval(direct.unwrap_err());
        let request = store
            .propose_rollback::<strata_domain::tenant::Tenant>(
                &people.publisher,
                "acme-eu",
                1,
                Some(2),
                "no alias after all",
                "",
            )
            .await
            .unwrap();
        let write = &request.writes[0];
        assert_eq!(
            (write.kind, write.key.as_str(), write.base_version),
            (Kind::Tenant, "acme-eu", Some(2))
        );
        assert_eq!(write.image.as_ref().unwrap()["alias"], Value::Null);
        assert!(!request.needs.is_empty());
        assert_eq!(tenants(store).await.version, 2);
        // An editor may not roll back, so may not propose one either.
        let by_editor = store
            .propose_rollback::<strata_domain::tenant::Tenant>(
                &people.editor,
                "acme-eu",
                1,
                Some(2),
                "t",
                "",
            )
            .await;
        assert!(
            matches!(by_editor, Err(StoreError::Forbidden(_))),
            "{by_editor:?}"
        );
        // Approved by another publisher and applied: version 3 equals version 1.
        store.approve(&people.second, &request).await.unwrap();
        store
            .apply_request(&people.publisher, request.id)
            .await
            .unwrap();
        let now = tenants(store).await;
        assert_eq!((now.version, now.item.alias), (3, None));
    })
    .await;
}

#[tokio::test]
async fn a_request_is_reviewed_by_who_may_approved_by_content_and_applied_once() {
    on_each_backend(async |_, _, store| {
        let p = reviewed_domain(store).await;
        let write = tenant_layer("acme-eu", json!({"rate_limit": 5}));
        let request = store
            .propose(
                &p.editor,
                "Slow acme-eu down",
                "It floods the DB.",
                vec![write],
            )
            .await
            .unwrap();
        assert_eq!(request.state, RequestState::Open);
        assert_eq!(request.author, "erin");
        assert_eq!(request.needs.policies.len(), 1);
        let id = request.id;
        let hash = request.content_hash.clone();

        // Another organization sees nothing of it: not in lists, not by id.
        let theirs = store.as_actor(&p.stranger);
        assert!(matches!(
            theirs.change_request(id).await.unwrap_err(),
            StoreError::NotFound { .. }
        ));
        assert!(
            theirs
                .change_requests(RequestFilter::All)
                .await
                .unwrap()
                .is_empty()
        );
        let comment = store
            .review_request(&p.stranger, id, Verdict::Comment, &hash, "hi", None, None)
            .await
            .unwrap_err();
        assert!(matches!(comment, StoreError::NotFound { .. }), "{comment}");

        // The author may not approve their own; a viewer comments but does not approve.
        let own = store
            .review_request(&p.editor, id, Verdict::Approve, &hash, "", None, None)
            .await
            .unwrap_err();
        assert!(matches!(own, StoreError::Forbidden(_)), "{own}");
        let viewer = store
            .review_request(&p.viewer, id, Verdict::Approve, &hash, "", None, None)
            .await
            .unwrap_err();
        assert!(matches!(viewer, StoreError::Forbidden(_)), "{viewer}");
        store
            .review_request(
                &p.viewer,
                id,
                Verdict::Comment,
                &hash,
                "Why 5?",
                Some("/config/rate_limit"),
                None,
            )
            .await
            .unwrap();
        // The publisher sees it waiting for them; the author among their own.
        let waiting = store
            .as_actor(&p.publisher)
            .change_requests(RequestFilter::WaitingForMe)
            .await
            .unwrap();
        assert_eq!(waiting.iter().map(|r| r.id).collect::<Vec<_>>(), [id]);
        let mine = store
            .as_actor(&p.editor)
            .change_requests(RequestFilter::Mine)
            .await
            .unwrap();
        assert_eq!(mine.len(), 1);
        assert!(
            store
                .as_actor(&p.viewer)
                .change_requests(RequestFilter::WaitingForMe)
                .await
                .unwrap()
                .is_empty()
        );

        // Not approved: the author may not apply it yet.
        let early = store.apply_request(&p.editor, id).await.unwrap_err();
        assert!(
            matches!(early, StoreError::ApprovalRequired { .. }),
            "{early}"
        );

        // Approved, then edited: the approval names the old content and no longer counts.
        store
            .review_request(&p.publisher, id, Verdict::Approve, &hash, "ok", None, None)
            .await
            .unwrap();
        let review = store.as_actor(&p.editor).request_review(id).await.unwrap();
        assert_eq!(review.approved_by, ["paul"]);
        assert!(review.unmet.is_none() && review.may.apply, "{review:?}");
        let edited = store
            .edit_request(
                &p.editor,
                id,
                &hash,
                "Slow acme-eu down",
                "It floods the DB.",
                vec![tenant_layer("acme-eu", json!({"rate_limit": 6}))],
            )
            .await
            .unwrap();
        assert_ne!(edited.content_hash, hash);
        let review = store.as_actor(&p.editor).request_review(id).await.unwrap();
        assert!(review.approved_by.is_empty(), "{review:?}");
        assert!(review.unmet.is_some() && !review.may.apply);
        // An approval of what the reviewer read before the edit is refused.
        let stale = store
            .review_request(&p.publisher, id, Verdict::Approve, &hash, "", None, None)
            .await
            .unwrap_err();
        assert!(
            matches!(stale, StoreError::Invalid { ref field, .. } if field == "/content_hash"),
            "{stale}"
        );
        store
            .review_request(
                &p.publisher,
                id,
                Verdict::Approve,
                &edited.content_hash,
                "",
                None,
                None,
            )
            .await
            .unwrap();
        store
            .review_request(
                &p.second,
                id,
                Verdict::Approve,
                &edited.content_hash,
                "",
                None,
                None,
            )
            .await
            .unwrap();

        // Two approvers apply at once: one applies it, the other is told it is applied.
        let (a, b) = tokio::join!(
            store.apply_request(&p.publisher, id),
            store.apply_request(&p.second, id)
        );
        let (applied, other) = match (a, b) {
            (Ok(applied), Err(e)) | (Err(e), Ok(applied)) => (applied, e),
            (a, b) => panic!("expected one apply: {a:?} {b:?}"),
        };
        assert!(
            other.to_string().contains("is applied, not open"),
            "{other}"
        );
        let (request, revision) = applied;
        assert_eq!(request.state, RequestState::Applied);
        assert_eq!(request.applied_revision, Some(revision));
        let stored = store
            .as_operator()
            .get::<ConfigLayer>("web-api/tenant/acme-eu")
            .await
            .unwrap();
        assert_eq!(stored.item.config, json!({"rate_limit": 6}));
        assert_eq!(stored.revision, revision);
        let history = store
            .as_operator()
            .history("config layer", "web-api/tenant/acme-eu")
            .await
            .unwrap();
        let reason = &history.last().unwrap().reason;
        assert!(
            reason.starts_with(&format!("change request #{id}: Slow acme-eu down")),
            "{reason}"
        );
        assert!(reason.contains("approved by paul, pia"), "{reason}");
        // The request's history has every step, and the audit log each state change.
        let events: Vec<&str> = store
            .as_actor(&p.viewer)
            .request_history(id)
            .await
            .unwrap()
            .iter()
            .map(|e| e.event.as_str())
            .collect();
        assert_eq!(
            events,
            [
                "proposed",
                "commented",
                "approved",
                "edited",
                "approved",
                "approved",
                "applied"
            ]
        );
        let audited = store.audit_events(None, 50).await.unwrap();
        assert_eq!(
            audited
                .iter()
                .filter(|e| e.action == strata_store::audit::AuditAction::ChangeRequest)
                .count(),
            7
        );
    })
    .await;
}

#[tokio::test]
async fn a_stale_request_is_rebased_with_a_merge_and_applied_whole_or_not_at_all() {
    on_each_backend(async |_, _, store| {
        // Two tenant layers exist already, written before LIVE was put under review.
        let p = reviewed_domain_with(store, async |change| {
            change
                .create(layer(
                    "web-api",
                    tenant_scope("acme-eu"),
                    json!({"rate_limit": 1, "database": {"port": 1}}),
                ))
                .await?;
            change
                .create(layer(
                    "web-api",
                    tenant_scope("acme-us"),
                    json!({"rate_limit": 1}),
                ))
                .await
                .map(drop)
        })
        .await;
        let eu = |config: Value| ProposedWrite {
            base_version: Some(1),
            ..tenant_layer("acme-eu", config)
        };
        let request = store
            .propose(
                &p.editor,
                "Raise the limit",
                "",
                vec![eu(json!({"rate_limit": 9, "database": {"port": 1}}))],
            )
            .await
            .unwrap();
        store.approve(&p.publisher, &request).await.unwrap();
        // Meanwhile another request changes the port of the same layer, and applies.
        let other = store
            .propose(
                &p.second,
                "Port",
                "",
                vec![eu(json!({"rate_limit": 1, "database": {"port": 2}}))],
            )
            .await
            .unwrap();
        store.approve(&p.publisher, &other).await.unwrap();
        store.apply_request(&p.second, other.id).await.unwrap();
        // The first is stale now: shown so, refused to apply, rebased with both changes.
        let review = store
            .as_actor(&p.editor)
            .request_review(request.id)
            .await
            .unwrap();
        assert_eq!(review.stale.len(), 1);
        assert!(!review.may.apply);
        let stale = store
            .apply_request(&p.editor, request.id)
            .await
            .unwrap_err();
        assert!(stale.to_string().contains("rebase"), "{stale}");
        let rebased = store
            .rebase_request(&p.editor, request.id, &request.content_hash)
            .await
            .unwrap();
        assert_eq!(rebased.writes[0].base_version, Some(2));
        assert_eq!(
            rebased.writes[0].image.as_ref().unwrap()["config"],
            json!({"rate_limit": 9, "database": {"port": 2}})
        );
        // The approval was of the content before the rebase.
        assert!(store.apply_request(&p.editor, request.id).await.is_err());
        store
            .review_request(
                &p.publisher,
                request.id,
                Verdict::Approve,
                &rebased.content_hash,
                "",
                None,
                None,
            )
            .await
            .unwrap();
        store.apply_request(&p.editor, request.id).await.unwrap();

        // All or nothing: a request writing two layers, one of which changes meanwhile, applies
        // neither.
        let both = store
            .propose(
                &p.editor,
                "Both",
                "",
                vec![
                    ProposedWrite {
                        base_version: Some(3),
                        ..tenant_layer("acme-eu", json!({"rate_limit": 3}))
                    },
                    ProposedWrite {
                        base_version: Some(1),
                        ..tenant_layer("acme-us", json!({"rate_limit": 3}))
                    },
                ],
            )
            .await
            .unwrap();
        store.approve(&p.publisher, &both).await.unwrap();
        let meanwhile = store
            .propose(
                &p.second,
                "Meanwhile",
                "",
                vec![ProposedWrite {
                    base_version: Some(3),
                    ..tenant_layer("acme-eu", json!({"rate_limit": 4}))
                }],
            )
            .await
            .unwrap();
        store.approve(&p.publisher, &meanwhile).await.unwrap();
        store.apply_request(&p.second, meanwhile.id).await.unwrap();
        store.apply_request(&p.editor, both.id).await.unwrap_err();
        let us = store
            .as_operator()
            .get::<ConfigLayer>("web-api/tenant/acme-us")
            .await
            .unwrap();
        assert_eq!(
            us.item.config,
            json!({"rate_limit": 1}),
            "nothing of the request applied"
        );
        let request = store
            .as_actor(&p.editor)
            .change_request(both.id)
            .await
            .unwrap();
        assert_eq!(request.state, RequestState::Open);
    })
    .await;
}

#[tokio::test]
async fn a_token_reviews_as_the_person_who_made_it_and_a_rejection_is_final() {
    on_each_backend(async |_, _, store| {
        let p = reviewed_domain(store).await;
        let request = store
            .propose(
                &p.editor,
                "A change",
                "",
                vec![tenant_layer("acme-eu", json!({"rate_limit": 2}))],
            )
            .await
            .unwrap();
        // A reviewer who is no person at all: the operator's command line.
        let operator = store
            .review_request(
                &Actor::operator("root"),
                request.id,
                Verdict::Approve,
                &request.content_hash,
                "",
                None,
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(operator, StoreError::Forbidden(_)), "{operator}");
        store
            .review_request(
                &p.publisher,
                request.id,
                Verdict::Reject,
                &request.content_hash,
                "No.",
                None,
                None,
            )
            .await
            .unwrap();
        let after = store.approve(&p.second, &request).await.unwrap_err();
        assert!(after.to_string().contains("rejected, not open"), "{after}");
        assert!(store.apply_request(&p.editor, request.id).await.is_err());
        let _ = p.viewer;
    })
    .await;
}

/// A person who is a domain admin, as the console's session gives them.
async fn domain_admin(store: &Store, name: &str) -> Actor {
    let user = strata_store::access::NewUser {
        domain_admin: true,
        ..new_user(name, PASSWORD)
    };
    store
        .add_user(&Actor::operator("root"), user)
        .await
        .unwrap();
    Actor::Person(store.signed_in_person(name).await.unwrap().unwrap())
}

#[tokio::test]
async fn a_review_through_tokens_counts_as_the_person_at_the_start_and_as_far_as_the_token_goes() {
    on_each_backend(async |_, _, store| {
        let p = reviewed_domain(store).await;
        let alice = person(store, "alice", Some(Role::Admin)).await;
        let acting = |name, role| strata_store::access::NewToken {
            name,
            scope: strata_domain::token::TokenScope::Act {
                organization: "acme".into(),
                role,
            },
            days: 7,
        };
        // alice makes a token, and with it a second token, which proposes.
        store
            .create_token(&alice, acting("first", Role::Admin))
            .await
            .unwrap();
        let first = Actor::Person(strata_domain::access::Person {
            name: "token:first".into(),
            display_name: "token first".into(),
            grants: strata_domain::token::TokenScope::Act {
                organization: "acme".into(),
                role: Role::Admin,
            }
            .grants(),
        });
        store
            .create_token(&first, acting("second", Role::Editor))
            .await
            .unwrap();
        let second = Actor::Person(strata_domain::access::Person {
            name: "token:second".into(),
            display_name: "token second".into(),
            grants: strata_domain::token::TokenScope::Act {
                organization: "acme".into(),
                role: Role::Editor,
            }
            .grants(),
        });
        let request = store
            .propose(
                &second,
                "Through two tokens",
                "",
                vec![tenant_layer("acme-eu", json!({"rate_limit": 2}))],
            )
            .await
            .unwrap();
        assert_eq!(request.author, "alice");
        let own = store.approve(&alice, &request).await.unwrap_err();
        assert!(matches!(own, StoreError::Forbidden(_)), "{own}");

        // On erin's request, alice's approval through a token she made counts as hers, while
        // the token works.
        let request = store
            .propose(
                &p.editor,
                "Erin's",
                "",
                vec![tenant_layer("acme-us", json!({"rate_limit": 2}))],
            )
            .await
            .unwrap();
        store
            .create_token(&alice, acting("alice-bot", Role::Publisher))
            .await
            .unwrap();
        let bot = Actor::Person(strata_domain::access::Person {
            name: "token:alice-bot".into(),
            display_name: "token alice-bot".into(),
            grants: strata_domain::token::TokenScope::Act {
                organization: "acme".into(),
                role: Role::Publisher,
            }
            .grants(),
        });
        store.approve(&bot, &request).await.unwrap();
        let review = store
            .as_actor(&p.editor)
            .request_review(request.id)
            .await
            .unwrap();
        assert_eq!(review.approved_by, ["alice"]);
        store.revoke_token(&alice, "alice-bot").await.unwrap();
        let review = store
            .as_actor(&p.editor)
            .request_review(request.id)
            .await
            .unwrap();
        assert!(
            review.approved_by.is_empty(),
            "a revoked token's approval counts: {review:?}"
        );
        let _ = p.viewer;
    })
    .await;
}

#[tokio::test]
async fn a_request_for_changes_takes_an_approval_back() {
    on_each_backend(async |_, _, store| {
        let p = reviewed_domain(store).await;
        let request = store
            .propose(
                &p.editor,
                "A change",
                "",
                vec![tenant_layer("acme-eu", json!({"rate_limit": 2}))],
            )
            .await
            .unwrap();
        let hash = request.content_hash.clone();
        store
            .review_request(
                &p.publisher,
                request.id,
                Verdict::Approve,
                &hash,
                "",
                None,
                None,
            )
            .await
            .unwrap();
        store
            .review_request(
                &p.publisher,
                request.id,
                Verdict::RequestChanges,
                &hash,
                "Wait: 2 is too low.",
                None,
                None,
            )
            .await
            .unwrap();
        let review = store
            .as_actor(&p.editor)
            .request_review(request.id)
            .await
            .unwrap();
        assert!(review.approved_by.is_empty(), "{review:?}");
        let refused = store
            .apply_request(&p.editor, request.id)
            .await
            .unwrap_err();
        assert!(
            matches!(refused, StoreError::ApprovalRequired { .. }),
            "{refused}"
        );
        // Approving again counts again.
        store
            .review_request(
                &p.publisher,
                request.id,
                Verdict::Approve,
                &hash,
                "",
                None,
                None,
            )
            .await
            .unwrap();
        store.apply_request(&p.editor, request.id).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn a_policy_written_with_what_it_covers_asks_nothing_of_that_change_set() {
    on_each_backend(async |_, _, store| {
        // An import into an empty domain carries its policies and what they cover at once:
        // nothing was under review before it.
        seed(store).await;
        commit(store, async |change| {
            change.create(live_review()).await?;
            change
                .create(layer(
                    "web-api",
                    tenant_scope("acme-eu"),
                    json!({"rate_limit": 2}),
                ))
                .await
        })
        .await
        .unwrap();
        // From then on it is in force.
        let refused = commit(store, async |change| {
            change
                .create(layer(
                    "web-api",
                    tier_scope("LIVE"),
                    json!({"rate_limit": 3}),
                ))
                .await
        })
        .await;
        refused_for_approval(refused.unwrap_err());
    })
    .await;
}

#[tokio::test]
async fn a_restore_and_an_import_carry_approval_policies_and_are_judged_by_them() {
    on_each_backend(async |_, _, store| {
        seed(store).await;
        let before = store.domain().await.unwrap().revision;
        commit(store, async |change| change.create(live_review()).await)
            .await
            .unwrap();
        let exported = store.as_operator().current_state().await.unwrap();
        assert_eq!(exported["approval policy"].len(), 1);
        // Restoring the domain to before the policy would delete it: the policy guards itself.
        let restore = store
            .restore(&Actor::operator("root"), "back", before)
            .await
            .unwrap_err();
        refused_for_approval(restore);
        assert_eq!(
            store
                .as_operator()
                .list::<ApprovalPolicy>()
                .await
                .unwrap()
                .len(),
            1
        );
        // An import into an empty domain carries the policy with what it covers.
        let other =
            strata_store::test_support::TestDatabase::new(strata_store::Backend::Sqlite).await;
        let copy = other.store().await;
        copy.import_state(&Actor::operator("root"), "copy", &exported)
            .await
            .unwrap();
        assert_eq!(
            copy.as_operator()
                .list::<ApprovalPolicy>()
                .await
                .unwrap()
                .len(),
            1
        );
        copy.close().await;
    })
    .await;
}
