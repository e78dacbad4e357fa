//! The outbox: each commit leaves a pending publication; one publisher claims the newest;
//! failures wait for their retry; a published revision supersedes older ones still waiting.
//! On SQLite and PostgreSQL.

mod common;

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
        let all = store.publications(10).await.unwrap();
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

        store
            .fail_publication(2, "origin unreachable", Duration::from_secs(60))
            .await
            .unwrap();
        let failed = store.publication(2).await.unwrap().unwrap();
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
            .fail_publication(2, "again", Duration::ZERO)
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
        let all = store.publications(10).await.unwrap();
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
