//! The write path, pinned on tiers and run against SQLite and PostgreSQL: versions, conflicts,
//! duplicates, field errors, history and its hash chain, all-or-nothing change sets.

use strata_domain::names::TierName;
use strata_domain::rules::EntityState;
use strata_domain::tier::Tier;
use strata_store::access::Actor;
use strata_store::changes::Operation;
use strata_store::test_support::on_each_backend;
use strata_store::{Store, StoreError};

fn tier(name: &str, display_name: &str) -> Tier {
    Tier {
        name: TierName::parse(name).unwrap(),
        display_name: display_name.to_owned(),
        is_live: name == "LIVE",
        state: EntityState::Active,
    }
}

async fn create(store: &Store, t: Tier) -> i64 {
    let mut change = store
        .begin(&Actor::operator("alice"), "set up the tiers")
        .await
        .unwrap();
    change.create(t).await.unwrap();
    change.commit().await.unwrap()
}

#[tokio::test]
async fn creating_a_tier_commits_revision_one_with_its_change_record() {
    on_each_backend(async |_, _, store| {
        let revision = create(store, tier("LIVE", "Live")).await;
        assert_eq!(revision, 1);
        let stored = store.as_operator().get::<Tier>("LIVE").await.unwrap();
        assert_eq!((stored.version, stored.revision), (1, 1));
        assert!(stored.item.is_live);
        assert_eq!(store.domain().await.unwrap().revision, 1);

        let history = store.as_operator().history("tier", "LIVE").await.unwrap();
        assert_eq!(history.len(), 1);
        let record = &history[0];
        assert_eq!(
            (record.operation, record.entity_version, record.revision),
            (Operation::Create, 1, 1)
        );
        assert_eq!(
            (record.actor.as_str(), record.reason.as_str()),
            ("alice", "set up the tiers")
        );
        assert_eq!(record.before, None);
        assert_eq!(record.after.as_ref().unwrap()["display_name"], "Live");
    })
    .await;
}

#[tokio::test]
async fn a_duplicate_name_is_refused_and_nothing_is_written() {
    on_each_backend(async |_, _, store| {
        create(store, tier("LIVE", "Live")).await;
        let mut change = store.begin(&Actor::operator("bob"), "again").await.unwrap();
        let err = change.create(tier("LIVE", "Live again")).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Duplicate { kind: "tier", ref key } if key == "LIVE"),
            "{err}"
        );
        drop(change);
        assert_eq!(store.domain().await.unwrap().revision, 1);
        assert_eq!(
            store
                .as_operator()
                .get::<Tier>("LIVE")
                .await
                .unwrap()
                .item
                .display_name,
            "Live"
        );
    })
    .await;
}

#[tokio::test]
async fn a_bad_field_is_named_with_its_rule() {
    on_each_backend(async |_, _, store| {
        let mut change = store
            .begin(&Actor::operator("alice"), "typo")
            .await
            .unwrap();
        let err = change.create(tier("DEV", "   ")).await.unwrap_err();
        let StoreError::Invalid { field, rule } = err else {
            panic!("expected a field error")
        };
        assert_eq!(
            (field.as_str(), rule.as_str()),
            ("/display_name", "must not be empty")
        );
        change.abandon().await.unwrap();
        let err = store
            .begin(&Actor::operator("alice"), " ")
            .await
            .err()
            .unwrap();
        assert!(
            matches!(err, StoreError::Invalid { ref field, .. } if field == "/reason"),
            "{err}"
        );
        // A reason is any text, lines and tabs included; a control character that would steer
        // the terminal that shows it (an escape sequence) is refused.
        let fine = store
            .begin(&Actor::operator("alice"), "für Berlin\n\tand 東京 🚀")
            .await
            .unwrap();
        fine.abandon().await.unwrap();
        let err = store
            .begin(&Actor::operator("alice"), "hi \u{1b}]52;c;ZXZpbA==\u{7}")
            .await
            .err()
            .unwrap();
        assert!(
            matches!(&err, StoreError::Invalid { field, rule } if field == "/reason" && rule.contains("control")),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_write_naming_an_old_version_gets_a_conflict_with_the_current_author() {
    on_each_backend(async |_, _, store| {
        create(store, tier("STAGING", "Staging")).await;
        let mut change = store
            .begin(&Actor::operator("bob"), "rename")
            .await
            .unwrap();
        let updated = change
            .update(1, tier("STAGING", "Pre-production"))
            .await
            .unwrap();
        assert_eq!(updated.version, 2);
        change.commit().await.unwrap();

        let mut stale = store
            .begin(&Actor::operator("carol"), "my rename")
            .await
            .unwrap();
        let err = stale.update(1, tier("STAGING", "Stage")).await.unwrap_err();
        let StoreError::Conflict {
            expected, current, ..
        } = &err
        else {
            panic!("expected a conflict, got {err}")
        };
        assert_eq!(
            (*expected, current.version, current.actor.as_str()),
            (1, 2, "bob")
        );
        assert!(
            err.to_string().contains("current version is 2 by bob"),
            "{err}"
        );
        drop(stale);
        assert_eq!(
            store
                .as_operator()
                .get::<Tier>("STAGING")
                .await
                .unwrap()
                .item
                .display_name,
            "Pre-production"
        );
    })
    .await;
}

#[tokio::test]
async fn writing_what_is_stored_records_nothing_and_keeps_the_revision() {
    on_each_backend(async |_, _, store| {
        create(store, tier("DEV", "Dev")).await;
        let mut change = store
            .begin(&Actor::operator("alice"), "no-op")
            .await
            .unwrap();
        assert_eq!(
            change.update(1, tier("DEV", "Dev")).await.unwrap().version,
            1
        );
        assert_eq!(change.commit().await.unwrap(), 1);
        assert_eq!(store.domain().await.unwrap().revision, 1);
        assert_eq!(
            store
                .as_operator()
                .history("tier", "DEV")
                .await
                .unwrap()
                .len(),
            1
        );
    })
    .await;
}

#[tokio::test]
async fn a_change_set_that_is_not_committed_leaves_no_trace() {
    on_each_backend(async |_, _, store| {
        let mut change = store
            .begin(&Actor::operator("alice"), "abandoned")
            .await
            .unwrap();
        change.create(tier("DEV", "Dev")).await.unwrap();
        change.create(tier("LIVE", "Live")).await.unwrap();
        drop(change);
        assert!(store.as_operator().list::<Tier>().await.unwrap().is_empty());
        assert_eq!(store.domain().await.unwrap().revision, 0);
        assert_eq!(store.verify_chain().await.unwrap().records, 0);
    })
    .await;
}

#[tokio::test]
async fn a_tier_deleted_and_created_again_keeps_one_history() {
    on_each_backend(async |_, _, store| {
        create(store, tier("QA1", "QA")).await;
        let mut change = store
            .begin(&Actor::operator("alice"), "retire QA")
            .await
            .unwrap();
        let err = change.delete::<Tier>("QA1", 7).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
        change.delete::<Tier>("QA1", 1).await.unwrap();
        change.commit().await.unwrap();
        assert!(matches!(
            store.as_operator().get::<Tier>("QA1").await,
            Err(StoreError::NotFound { .. })
        ));

        create(store, tier("QA1", "QA again")).await;
        let versions: Vec<(i64, Operation)> = store
            .as_operator()
            .history("tier", "QA1")
            .await
            .unwrap()
            .iter()
            .map(|r| (r.entity_version, r.operation))
            .collect();
        assert_eq!(
            versions,
            [
                (1, Operation::Create),
                (2, Operation::Delete),
                (3, Operation::Create)
            ]
        );
        assert_eq!(
            store
                .as_operator()
                .get::<Tier>("QA1")
                .await
                .unwrap()
                .version,
            3
        );

        let mut change = store
            .begin(&Actor::operator("alice"), "gone")
            .await
            .unwrap();
        let err = change.delete::<Tier>("NOPE", 1).await.unwrap_err();
        assert!(
            matches!(err, StoreError::NotFound { kind: "tier", .. }),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn thirty_two_writers_on_one_version_one_wins_the_rest_conflict() {
    on_each_backend(async |_, _, store| {
        create(store, tier("LIVE", "Live")).await;
        let writers = (0..32).map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut change = store
                    .begin(&Actor::operator(format!("writer{i}")), "race")
                    .await?;
                change
                    .update(1, tier("LIVE", &format!("Live by {i}")))
                    .await?;
                change.commit().await
            })
        });
        let mut wins = Vec::new();
        let mut conflicts = 0;
        for (i, writer) in writers.enumerate() {
            match writer.await.unwrap() {
                Ok(revision) => wins.push((i, revision)),
                Err(StoreError::Conflict { current, .. }) => {
                    assert_eq!(current.version, 2);
                    conflicts += 1;
                }
                Err(other) => panic!("writer {i}: {other}"),
            }
        }
        assert_eq!(wins.len(), 1, "exactly one writer wins: {wins:?}");
        assert_eq!(conflicts, 31);
        let (winner, revision) = wins[0];
        let stored = store.as_operator().get::<Tier>("LIVE").await.unwrap();
        assert_eq!((stored.version, stored.revision), (2, revision));
        assert_eq!(stored.item.display_name, format!("Live by {winner}"));
        assert_eq!(
            store.domain().await.unwrap().revision,
            2,
            "losers leave no revision behind"
        );
        let chain = store.verify_chain().await.unwrap();
        assert_eq!((chain.records, chain.first_broken_seq), (2, None));
    })
    .await;
}

#[tokio::test]
async fn the_hash_chain_finds_a_record_edited_behind_the_stores_back() {
    on_each_backend(async |_, db, store| {
        create(store, tier("DEV", "Dev")).await;
        create(store, tier("LIVE", "Live")).await;
        assert_eq!(store.verify_chain().await.unwrap().first_broken_seq, None);
        db.execute_raw("UPDATE changes SET reason = 'nothing to see' WHERE seq = 1")
            .await;
        let chain = store.verify_chain().await.unwrap();
        assert_eq!((chain.records, chain.first_broken_seq), (2, Some(1)));
    })
    .await;
}

/// The History page's check hashes only what was added since the last check, yet still finds
/// a rewrite of what it verified before (hashes recomputed after an edit) and a broken new
/// record.
#[tokio::test]
async fn the_chain_check_goes_on_from_the_last_record_it_verified() {
    on_each_backend(async |_, db, store| {
        let check = async || {
            let chain = store.verify_chain_since_checkpoint().await.unwrap();
            (chain.records, chain.first_broken_seq)
        };
        assert_eq!(check().await, (0, None));
        create(store, tier("DEV", "Dev")).await;
        create(store, tier("LIVE", "Live")).await;
        assert_eq!(check().await, (2, None));
        // Record 1 edited with its hash left alone: only the full check reads it again.
        db.execute_raw("UPDATE changes SET reason = 'nothing to see' WHERE seq = 1")
            .await;
        assert_eq!(
            check().await,
            (2, None),
            "verified records are not hashed again"
        );
        assert_eq!(
            store.verify_chain().await.unwrap().first_broken_seq,
            Some(1)
        );
        db.execute_raw("UPDATE changes SET reason = 'set up the tiers' WHERE seq = 1")
            .await;
        create(store, tier("STAGING", "Staging")).await;
        assert_eq!(check().await, (3, None));
        // A new record edited behind the store's back: found.
        create(store, tier("QA1", "QA")).await;
        db.execute_raw("UPDATE changes SET reason = 'hidden' WHERE seq = 4")
            .await;
        assert_eq!(check().await, (4, Some(4)));
        // The remembered record's hash rewritten: the whole chain is checked again.
        db.execute_raw("UPDATE changes SET reason = 'set up the tiers' WHERE seq = 4")
            .await;
        db.execute_raw("UPDATE changes SET hash = 'rewritten' WHERE seq = 3")
            .await;
        assert_eq!(check().await.1, Some(3));
        // History cut short behind the store's back: what is left verifies on its own, but the
        // record the last check verified is gone, and the check says so.
        db.execute_raw("DELETE FROM changes WHERE seq >= 3").await;
        assert_eq!(store.verify_chain().await.unwrap().first_broken_seq, None);
        assert_eq!(check().await, (2, Some(3)));
    })
    .await;
}

#[tokio::test]
async fn rollback_writes_a_new_version_equal_to_the_old_one() {
    on_each_backend(async |_, _, store| {
        create(store, tier("STAGING", "Staging")).await;
        let mut change = store
            .begin(&Actor::operator("bob"), "rename")
            .await
            .unwrap();
        change
            .update(1, tier("STAGING", "Pre-production"))
            .await
            .unwrap();
        change.commit().await.unwrap();

        let mut change = store
            .begin(&Actor::operator("carol"), "the rename confused people")
            .await
            .unwrap();
        let err = change
            .rollback::<Tier>("STAGING", 1, Some(1))
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict { ref current, .. } if current.version == 2),
            "{err}"
        );
        let restored = change
            .rollback::<Tier>("STAGING", 1, Some(2))
            .await
            .unwrap();
        assert_eq!(
            (restored.version, restored.item.display_name.as_str()),
            (3, "Staging")
        );
        change.commit().await.unwrap();

        let history = store
            .as_operator()
            .history("tier", "STAGING")
            .await
            .unwrap();
        let ops: Vec<_> = history
            .iter()
            .map(|r| (r.entity_version, r.operation))
            .collect();
        assert_eq!(
            ops,
            [
                (1, Operation::Create),
                (2, Operation::Update),
                (3, Operation::Rollback)
            ]
        );
        assert_eq!(
            history[2].after, history[0].after,
            "version 3 equals version 1"
        );
        assert_eq!(history[2].reason, "the rename confused people");
    })
    .await;
}

#[tokio::test]
async fn rollback_brings_back_a_deleted_entity_and_refuses_a_deletion_or_a_missing_version() {
    on_each_backend(async |_, _, store| {
        create(store, tier("QA1", "QA")).await;
        let mut change = store.begin(&Actor::operator("alice"), "retire").await.unwrap();
        change.delete::<Tier>("QA1", 1).await.unwrap();
        change.commit().await.unwrap();

        let mut change = store.begin(&Actor::operator("alice"), "we still need QA").await.unwrap();
        for (to, rule) in [(2, "is its deletion"), (9, "has no version 9")] {
            let err = change.rollback::<Tier>("QA1", to, None).await.unwrap_err();
            assert!(
                matches!(err, StoreError::Invalid { ref field, rule: ref r } if field == "/version" && r.contains(rule)),
                "{err}"
            );
        }
        let err = change
            .rollback::<Tier>("QA1", 1, Some(1))
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict { ref current, .. } if current.version == 2),
            "{err}"
        );
        let back = change.rollback::<Tier>("QA1", 1, None).await.unwrap();
        assert_eq!(back.version, 3);
        change.commit().await.unwrap();
        assert_eq!(
            store.as_operator().get::<Tier>("QA1").await.unwrap().item.display_name,
            "QA"
        );
        assert_eq!(store.verify_chain().await.unwrap().first_broken_seq, None);
    })
    .await;
}

#[tokio::test]
async fn the_domain_settings_are_versioned_checked_and_kept_out_of_the_state() {
    use strata_domain::names::DomainName;
    use strata_domain::settings::DomainSettings;
    on_each_backend(async |_, _, store| {
        let start = store.domain_settings().await.unwrap();
        assert_eq!((start.version, start.item.name.as_str()), (0, "strata"));
        let settings = DomainSettings {
            name: DomainName::parse("acme-games").unwrap(),
            display_name: "Acme Games".into(),
            origin_url: "s3://configs/acme".into(),
        };
        let mut change = store.begin(&Actor::operator("alice"), "name the domain").await.unwrap();
        let written = change.update_domain(0, settings.clone()).await.unwrap();
        assert_eq!((written.version, written.revision), (1, 1));
        change.commit().await.unwrap();
        assert_eq!(store.domain().await.unwrap().display_name, "Acme Games");
        assert_eq!(store.domain_settings().await.unwrap().version, 1);

        let mut change = store.begin(&Actor::operator("bob"), "stale").await.unwrap();
        let err = change.update_domain(0, settings.clone()).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict { ref current, .. } if current.version == 1 && current.actor == "alice"),
            "{err}"
        );
        let mut bad = settings.clone();
        bad.origin_url = "ftp://x".into();
        let err = change.update_domain(1, bad).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid { ref field, .. } if field == "/origin_url"), "{err}");
        drop(change);

        let history = store.as_operator().history("domain", "domain").await.unwrap();
        assert_eq!(history[0].before.as_ref().unwrap()["name"], "strata");
        assert!(!store.as_operator().state_at(1).await.unwrap().contains_key("domain"));
        assert_eq!(store.verify_chain().await.unwrap().first_broken_seq, None);
    })
    .await;
}

/// The chain check reads history a part of 2,000 records at a time: over several parts it
/// counts every record once, carries each record's hash into the next part, and finds an edit
/// in any part, at a part's edge too.
#[tokio::test]
async fn the_chain_check_reads_history_in_parts_and_misses_no_record_between_them() {
    on_each_backend(async |backend, db, store| {
        strata_store::test_support::seed_large_domain(store, 4_500).await;
        let records: i64 = 14 + 4_500 + 450;
        let whole = store.verify_chain().await.unwrap();
        assert_eq!(
            (whole.records, whole.first_broken_seq),
            (records, None),
            "{backend:?}"
        );
        for seq in [2_000, 2_001, 4_000, records] {
            db.execute_raw(&format!(
                "UPDATE changes SET reason = 'hidden' WHERE seq = {seq}"
            ))
            .await;
            let check = store.verify_chain().await.unwrap();
            assert_eq!(
                (check.records, check.first_broken_seq),
                (records, Some(seq)),
                "{backend:?}: record {seq}"
            );
            db.execute_raw(&format!(
                "UPDATE changes SET reason = 'a large domain' WHERE seq = {seq}"
            ))
            .await;
        }
        assert_eq!(store.verify_chain().await.unwrap().first_broken_seq, None);
    })
    .await;
}
