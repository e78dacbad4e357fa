//! The schema on both databases: a new store is migrated to revision 0, and migrating again
//! changes nothing.

use strata_store::test_support::{BACKENDS, TestDatabase};

#[tokio::test]
async fn a_new_store_starts_at_revision_zero_on_both_databases() {
    for backend in BACKENDS {
        let db = TestDatabase::new(backend).await;
        let store = db.store().await;
        let domain = store.domain().await.unwrap();
        assert_eq!(domain.revision, 0, "{backend:?}");
        assert_eq!(domain.name, "strata");
        assert!(!store.server_version().await.unwrap().is_empty());
        store.close().await;
        db.drop_database().await;
    }
}

#[tokio::test]
async fn migrating_twice_is_harmless() {
    for backend in BACKENDS {
        let db = TestDatabase::new(backend).await;
        let store = db.store().await;
        store.migrate().await.unwrap();
        assert_eq!(store.domain().await.unwrap().revision, 0);
        store.close().await;
        db.drop_database().await;
    }
}
