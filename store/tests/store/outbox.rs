//! The outbox: each commit leaves a pending publication; one publisher claims the newest;
//! failures wait for their retry; a published revision supersedes older ones still waiting.
//! On SQLite and PostgreSQL.

use crate::common;

use std::time::Duration;

use common::*;
use strata_store::outbox::{PublicationState, PublishFigures};
use strata_store::test_support::on_each_backend;

#[tokio::test]
async fn the_newest_revision_is_claimed_once_and_supersedes_older_ones_when_published() {
    on_each_backend(async |_, _, store| {
        commit(store, async |c| c.create(tier("LIVE")).await)
            .await
            .unwrap();
        commit(store, async |c| c.create(tier("DEV")).await)
            .await
            .unwrap();
        let all = store.as_operator().publications(10).await.unwrap();
        assert_eq!(
            all.iter()
                .map(|p| (p.revision, p.state))
                .collect::<Vec<_>>(),
            vec![
                (2, PublicationState::Pending),
                (1, PublicationState::Pending)
            ]
        );
        assert_eq!(all[0].actor, "bob");

        // Many publishers at once: exactly one gets revision 2.
        let claims = futures_claims(store, 8).await;
        assert_eq!(claims.iter().flatten().count(), 1, "{claims:?}");
        let claim = claims.into_iter().flatten().next().unwrap();
        assert_eq!((claim.revision, claim.attempt), (2, 1));

        let holder = store
            .as_operator()
            .publication(2)
            .await
            .unwrap()
            .unwrap()
            .claimed_by
            .unwrap();
        assert!(
            !store
                .fail_publication(2, "publisher-x", "not mine", Duration::ZERO)
                .await
                .unwrap(),
            "only the holder's failure counts"
        );
        assert!(
            store
                .fail_publication(2, &holder, "origin unreachable", Duration::from_secs(60))
                .await
                .unwrap()
        );
        let failed = store.as_operator().publication(2).await.unwrap().unwrap();
        assert_eq!(failed.state, PublicationState::Failed);
        assert_eq!(failed.last_error.as_deref(), Some("origin unreachable"));
        assert!(
            store
                .claim_publication("p", Duration::from_secs(30))
                .await
                .unwrap()
                .is_none(),
            "not before its retry time"
        );
        store
            .retry_failed_now(&strata_store::access::Actor::operator("root"))
            .await
            .unwrap();
        let claim = store
            .claim_publication("p", Duration::from_secs(30))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((claim.revision, claim.attempt), (2, 2));
        let figures = PublishFigures {
            documents: 7,
            documents_uploaded: 2,
            bytes_uploaded: 300,
            checksum: "abc".into(),
            ..Default::default()
        };
        store.finish_publication(2, &figures).await.unwrap();
        let all = store.as_operator().publications(10).await.unwrap();
        assert_eq!(all[0].state, PublicationState::Published);
        assert_eq!(all[0].figures.as_ref(), Some(&figures));
        assert_eq!(all[1].state, PublicationState::Superseded);
        assert!(
            store
                .claim_publication("p", Duration::from_secs(30))
                .await
                .unwrap()
                .is_none()
        );

        // A publisher that died holding a claim loses it when its lease runs out.
        commit(store, async |c| c.create(tier("QAX")).await)
            .await
            .unwrap();
        let held = store
            .claim_publication("dead", Duration::ZERO)
            .await
            .unwrap()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        let taken = store
            .claim_publication("alive", Duration::from_secs(30))
            .await
            .unwrap()
            .unwrap();
        assert_eq!((held.revision, taken.revision, taken.attempt), (3, 3, 2));
        // The one whose lease ran out fails late: the revision stays with the one that took it.
        assert!(
            !store
                .fail_publication(3, "dead", "a late failure", Duration::ZERO)
                .await
                .unwrap()
        );
        let publication = store.as_operator().publication(3).await.unwrap().unwrap();
        assert_eq!(publication.state, PublicationState::Publishing);
        assert_eq!(publication.claimed_by.as_deref(), Some("alive"));
        assert_eq!(publication.last_error, None);
    })
    .await;
}

async fn futures_claims(
    store: &strata_store::Store,
    n: usize,
) -> Vec<Option<strata_store::outbox::Claim>> {
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        let store = store.clone();
        set.spawn(async move {
            store
                .claim_publication(&format!("publisher-{i}"), Duration::from_secs(30))
                .await
                .unwrap()
        });
    }
    set.join_all().await
}

#[tokio::test]
async fn what_a_failure_said_is_for_domain_admins() {
    use strata_domain::access::Role;
    use strata_store::access::Actor;
    use strata_store::audit::{AuditAction, NewAuditEvent};
    on_each_backend(async |_, _, store| {
        seed(store).await;
        let claim = store
            .claim_publication("publisher-on-10.0.0.7", Duration::from_secs(30))
            .await
            .unwrap()
            .unwrap();
        let error =
            "the origin is unavailable: s3://private-bucket/domains/x at http://10.0.0.9:8333";
        store
            .record_event(NewAuditEvent {
                action: AuditAction::Publish,
                actor: "publisher-on-10.0.0.7",
                triggered_by: "alice",
                revision: claim.revision,
                outcome: Err(error.into()),
            })
            .await
            .unwrap();
        assert!(
            store
                .fail_publication(
                    claim.revision,
                    "publisher-on-10.0.0.7",
                    error,
                    Duration::ZERO
                )
                .await
                .unwrap()
        );

        let viewer = person(store, "vic", Some(Role::Viewer)).await;
        let reader = store.as_actor(&viewer);
        let seen = serde_json::to_string(&(
            reader.publications(10).await.unwrap(),
            reader.publication(claim.revision).await.unwrap(),
            store.audit_events_for(&viewer, 10).await.unwrap(),
        ))
        .unwrap();
        for private in ["private-bucket", "10.0.0.", "alice"] {
            assert!(!seen.contains(private), "{private} in {seen}");
        }
        assert!(seen.contains("domain admins see what went wrong"), "{seen}");
        // The operator (as a domain admin) sees it all.
        let root = Actor::operator("root");
        let all = serde_json::to_string(&(
            store.as_actor(&root).publications(10).await.unwrap(),
            store.audit_events_for(&root, 10).await.unwrap(),
        ))
        .unwrap();
        assert!(
            all.contains("private-bucket") && all.contains("10.0.0.7"),
            "{all}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_reader_of_one_organization_learns_no_figure_of_the_whole_domain() {
    use strata_domain::access::Role;
    use strata_store::access::Actor;
    use strata_store::audit::{AuditAction, NewAuditEvent};
    use strata_store::history::ChainReport;
    on_each_backend(async |_, _, store| {
        seed(store).await;
        let claim = store
            .claim_publication("p", Duration::from_secs(30))
            .await
            .unwrap()
            .unwrap();
        // Figures no test domain reaches, so finding them anywhere means they were shown.
        let figures = PublishFigures {
            documents: 9_876_543_210,
            documents_uploaded: 9_876_543_211,
            bytes_uploaded: 9_876_543_212,
            build_ms: 9_876_543_213,
            checksum: "abc".into(),
            ..Default::default()
        };
        store
            .finish_publication(claim.revision, &figures)
            .await
            .unwrap();
        for (action, detail) in [
            (
                AuditAction::Publish,
                serde_json::json!({"origin": "dir", "attempt": 1, "figures": figures}),
            ),
            (
                AuditAction::Compile,
                serde_json::json!({"cache": "in-process", "configs": 9_876_543_214_i64, "tenants_compiled": 9_876_543_215_i64, "ms": 3}),
            ),
            (
                AuditAction::Compile,
                serde_json::json!({"cache": "redis", "configs": 9_876_543_214_i64, "written": 9_876_543_216_i64, "gone": 9_876_543_217_i64, "whole": true, "ms": 4}),
            ),
        ] {
            store
                .record_event(NewAuditEvent {
                    action,
                    actor: "p",
                    triggered_by: "alice",
                    revision: claim.revision,
                    outcome: Ok(detail),
                })
                .await
                .unwrap();
        }
        let records = store.verify_chain().await.unwrap().records;
        assert!(records > 1);

        let viewer = person(store, "vic", Some(Role::Viewer)).await;
        let reader = store.as_actor(&viewer);
        let chain = reader.chain().await.unwrap();
        assert_eq!(chain, ChainReport::Verifies { records: None });
        let seen = serde_json::to_string(&(
            reader.publications(10).await.unwrap(),
            reader.publication(claim.revision).await.unwrap(),
            store.audit_events_for(&viewer, 10).await.unwrap(),
        ))
        .unwrap();
        for figure in 9_876_543_210_i64..=9_876_543_217 {
            assert!(!seen.contains(&figure.to_string()), "{figure} in {seen}");
        }
        // What is left: the attempt.
        assert!(seen.contains(r#""attempt":1"#), "{seen}");
        assert!(!seen.contains(r#""ms""#), "{seen}");

        let root = Actor::operator("root");
        assert_eq!(
            store.as_actor(&root).chain().await.unwrap(),
            ChainReport::Verifies {
                records: Some(records)
            }
        );
        let all = serde_json::to_string(&(
            store.as_actor(&root).publications(10).await.unwrap(),
            store.audit_events_for(&root, 10).await.unwrap(),
        ))
        .unwrap();
        for figure in 9_876_543_210_i64..=9_876_543_217 {
            assert!(all.contains(&figure.to_string()), "{figure} in {all}");
        }
    })
    .await;
}
