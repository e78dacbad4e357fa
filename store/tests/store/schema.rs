//! The schema on both databases: a new store is migrated to revision 0, and migrating again
//! changes nothing.

use strata_store::test_support::on_each_backend;

#[tokio::test]
async fn a_new_store_starts_at_revision_zero_on_both_databases() {
    on_each_backend(async |backend, _, store| {
        let domain = store.domain().await.unwrap();
        assert_eq!(domain.revision, 0, "{backend:?}");
        assert_eq!(domain.name, "strata");
        assert!(!store.server_version().await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn migrating_twice_is_harmless() {
    on_each_backend(async |_, _, store| {
        store.migrate().await.unwrap();
        assert_eq!(store.domain().await.unwrap().revision, 0);
    })
    .await;
}
