//! Lists a page at a time on both databases: search over key and text columns, sorting with
//! the key breaking ties, windows and totals, and a bad sort column named.

use crate::common;

use strata_domain::listing::ListQuery;
use strata_domain::tenant::Tenant;
use strata_domain::tier::Tier;
use strata_store::StoreError;
use strata_store::access::Actor;
use strata_store::test_support::on_each_backend;

fn query(search: &str, sort: Option<&str>, descending: bool, offset: i64, limit: i64) -> ListQuery {
    ListQuery {
        search: search.into(),
        sort: sort.map(str::to_owned),
        descending,
        offset,
        limit,
    }
}

#[tokio::test]
async fn lists_search_sort_and_page_in_the_database() {
    on_each_backend(async |backend, _, store| {
        store.load_demo("ada").await.unwrap();
        let operator = Actor::operator("ada");
        let all = common::all_tenants(store).await;

        // Pages of 15 in key order add up to the whole list.
        let mut seen = Vec::new();
        for offset in [0, 15, 30] {
            let page = store
                .as_actor(&operator)
                .list_page::<Tenant>(&query("", None, false, offset, 15))
                .await
                .unwrap();
            assert_eq!(page.total, all.len() as i64, "{backend:?}");
            seen.extend(page.items.into_iter().map(|v| v.item));
        }
        assert_eq!(seen, all, "{backend:?}");

        // Search is case-insensitive over the key and text columns (here the tier).
        let live = store
            .as_actor(&operator)
            .list_page::<Tenant>(&query("live", None, false, 0, 200))
            .await
            .unwrap();
        let expected: Vec<&Tenant> = all
            .iter()
            .filter(|t| t.tier.as_str() == "LIVE" || t.name.as_str().contains("live"))
            .collect();
        assert_eq!(live.total, expected.len() as i64, "{backend:?}");
        assert!(live.total > 0 && live.total < all.len() as i64);

        // Sorted by tier, descending; the key, descending too, breaks ties.
        let sorted = store
            .as_actor(&operator)
            .list_page::<Tenant>(&query("", Some("tier"), true, 0, 200))
            .await
            .unwrap();
        let keys: Vec<(String, String)> = sorted
            .items
            .iter()
            .map(|v| (v.item.tier.to_string(), v.item.name.to_string()))
            .collect();
        let mut want = keys.clone();
        want.sort_by(|a, b| b.cmp(a));
        assert_eq!(keys, want, "{backend:?}");

        // Wildcards in a search are literal.
        assert_eq!(
            store
                .as_actor(&operator)
                .list_page::<Tenant>(&query("%", None, false, 0, 10))
                .await
                .unwrap()
                .total,
            0
        );
        assert_eq!(
            store
                .as_actor(&operator)
                .list_page::<Tier>(&query("_", None, false, 0, 10))
                .await
                .unwrap()
                .total,
            0
        );

        match store
            .as_actor(&operator)
            .list_page::<Tier>(&query("", Some("version; DROP TABLE tiers"), false, 0, 10))
            .await
        {
            Err(StoreError::Invalid { field, rule }) => {
                assert_eq!(field, "/sort");
                assert!(
                    rule.starts_with("must be one of name, display_name"),
                    "{rule}"
                );
            }
            other => panic!("{backend:?}: {other:?}"),
        }
    })
    .await;
}

#[tokio::test]
async fn the_audit_trail_filters_changes_by_actor_kind_key_and_time() {
    use strata_domain::audit::AuditFilter;
    on_each_backend(async |backend, _, store| {
        store.load_demo("ada").await.unwrap();
        let operator = Actor::operator("ada");
        // Apart in time from the demo's changes, whatever the clock's resolution.
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let before_edit = strata_store::now_ms();
        let mut tier = store.as_operator().get::<Tier>("LIVE").await.unwrap();
        tier.item.display_name = "Production".into();
        let mut change = store
            .begin(&Actor::operator("bob"), "rename")
            .await
            .unwrap();
        change.update(tier.version, tier.item).await.unwrap();
        change.commit().await.unwrap();

        let all = store
            .as_actor(&operator)
            .audit_trail(&AuditFilter::default(), 0, 200)
            .await
            .unwrap();
        assert!(all.total > 50, "{backend:?}: {}", all.total);
        // Every record, counted by the chain check that reads them one by one.
        let records = store.verify_chain().await.unwrap().records;
        assert_eq!(all.total, records, "{backend:?}");
        assert_eq!(all.items[0].actor, "bob", "newest first");
        let page = store
            .as_actor(&operator)
            .audit_trail(&AuditFilter::default(), 10, 5)
            .await
            .unwrap();
        assert_eq!(
            page.items.iter().map(|r| r.seq).collect::<Vec<_>>(),
            all.items[10..15].iter().map(|r| r.seq).collect::<Vec<_>>()
        );

        let operator = &operator;
        let by = |f: AuditFilter| async move {
            store
                .as_actor(operator)
                .audit_trail(&f, 0, 200)
                .await
                .unwrap()
        };
        let bob = by(AuditFilter {
            actor: Some("bob".into()),
            ..Default::default()
        })
        .await;
        assert_eq!((bob.total, bob.items[0].entity_key.as_str()), (1, "LIVE"));
        let tenants = by(AuditFilter {
            kind: Some("tenant".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(tenants.total, 40, "{backend:?}");
        let berlin = by(AuditFilter {
            kind: Some("tenant".into()),
            key: Some("BERLIN".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(berlin.total, 2, "{backend:?}");
        let recent = by(AuditFilter {
            from_ms: Some(before_edit),
            ..Default::default()
        })
        .await;
        assert_eq!(recent.total, 1, "{backend:?}");
        let earlier = by(AuditFilter {
            until_ms: Some(before_edit),
            actor: Some("bob".into()),
            ..Default::default()
        })
        .await;
        assert_eq!(earlier.total, 0, "{backend:?}");
        assert!(
            store
                .as_actor(operator)
                .audit_trail(&AuditFilter::default(), 0, 0)
                .await
                .is_err()
        );
    })
    .await;
}

/// What a search of tenants finds, said plainly: every tenant whose name, product, tier, alias
/// or state holds the search, ignoring case.
fn found_by(tenants: &[Tenant], search: &str) -> Vec<String> {
    let search = search.to_lowercase();
    let mut names: Vec<String> = tenants
        .iter()
        .filter(|t| {
            let state = serde_json::to_value(t.state).unwrap();
            [
                t.name.as_str(),
                t.product.as_str(),
                t.tier.as_str(),
                t.alias.as_ref().map_or("", |a| a.as_str()),
                state.as_str().unwrap(),
            ]
            .iter()
            .any(|column| column.to_lowercase().contains(&search))
        })
        .map(|t| t.name.to_string())
        .collect();
    names.sort();
    names
}

/// Searches go through an index per database (store/src/search_index.rs); whatever the search
/// (one, two or many characters, capitals, a dash, the end of one column and the start of the
/// next), it finds exactly the rows that hold it, also after writes change, add and remove
/// rows, and after the index is made again.
#[tokio::test]
async fn a_search_finds_exactly_the_rows_that_hold_it_through_its_index() {
    use strata_domain::layer::ConfigLayer;
    use strata_domain::names::TenantAlias;

    on_each_backend(async |backend, _, store| {
        store.load_demo("ada").await.unwrap();
        let operator = Actor::operator("ada");
        let check = async |tenants: &[Tenant], search: &str| {
            let page = store
                .as_actor(&operator)
                .list_page::<Tenant>(&query(search, None, false, 0, 200))
                .await
                .unwrap();
            let mut got: Vec<String> = page.items.iter().map(|v| v.item.name.to_string()).collect();
            got.sort();
            assert_eq!(got, found_by(tenants, search), "{backend:?}: {search:?}");
            assert_eq!(page.total, got.len() as i64, "{backend:?}: {search:?}");
        };
        let all = common::all_tenants(store).await;
        let first = all[0].clone();
        let mut searches: Vec<String> = vec![
            "e".into(),
            "LI".into(),
            "live".into(),
            "Active".into(),
            "-".into(),
            first.name.to_string(),
            first.product.to_string(),
            // The end of a tenant's name and the start of its product: in no one column.
            format!(
                "{}{}",
                &first.name.as_str()[first.name.as_str().len() - 2..],
                &first.product.as_str()[..2]
            ),
        ];
        for tenant in all.iter().take(5) {
            let name = tenant.name.as_str();
            searches.extend((0..name.len().saturating_sub(3)).map(|i| name[i..i + 3].to_owned()));
        }
        for search in &searches {
            check(&all, search).await;
        }

        // Writes keep the index: an alias given, then changed; a layer deleted.
        let mut changed = first.clone();
        changed.alias = Some(TenantAlias::parse("zebra-crossing").unwrap());
        let version = store
            .as_operator()
            .get::<Tenant>(first.name.as_str())
            .await
            .unwrap()
            .version;
        let mut change = store.begin(&operator, "an alias").await.unwrap();
        change.update(version, changed.clone()).await.unwrap();
        change.commit().await.unwrap();
        check(&common::all_tenants(store).await, "zebra").await;
        changed.alias = Some(TenantAlias::parse("okapi-crossing").unwrap());
        let mut change = store.begin(&operator, "another alias").await.unwrap();
        change.update(version + 1, changed).await.unwrap();
        change.commit().await.unwrap();
        let now = common::all_tenants(store).await;
        for search in ["zebra", "okapi", "crossing"] {
            check(&now, search).await;
        }
        let layers = store.as_operator().list::<ConfigLayer>().await.unwrap();
        let gone = layers[0].item.clone();
        let key = strata_store::entity::Entity::key(&gone);
        let mut change = store.begin(&operator, "a layer less").await.unwrap();
        change
            .delete::<ConfigLayer>(&key, layers[0].version)
            .await
            .unwrap();
        change.commit().await.unwrap();
        let found = store
            .as_actor(&operator)
            .list_page::<ConfigLayer>(&query(&key, None, false, 0, 10))
            .await
            .unwrap();
        assert!(
            found
                .items
                .iter()
                .all(|v| strata_store::entity::Entity::key(&v.item) != key)
        );

        // Made again (a second migration keeps it): the same answers.
        store.migrate().await.unwrap();
        check(&now, "okapi").await;
        check(&now, "live").await;
    })
    .await;
}

/// A trigger of the SQLite index gone (a later migration that rebuilds a table drops its
/// triggers): the next migration makes the index whole again, and searches see new writes.
#[tokio::test]
async fn a_search_index_missing_a_trigger_is_made_whole_by_the_next_migration() {
    use sqlx::Connection;
    use strata_domain::names::TenantAlias;
    use strata_store::Backend;
    use strata_store::test_support::TestDatabase;

    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = db.store().await;
    store.load_demo("ada").await.unwrap();
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(db.url.as_sqlx())
        .await
        .unwrap();
    let trigger: String = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'tenants_search_%_update'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    sqlx::query(&format!("DROP TRIGGER {trigger}"))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    store.migrate().await.unwrap();
    let operator = Actor::operator("ada");
    let first = store
        .as_operator()
        .list::<Tenant>()
        .await
        .unwrap()
        .remove(0);
    let mut tenant = first.item.clone();
    tenant.alias = Some(TenantAlias::parse("walrus-bay").unwrap());
    let mut change = store.begin(&operator, "an alias").await.unwrap();
    change.update(first.version, tenant).await.unwrap();
    change.commit().await.unwrap();
    let found = store
        .as_actor(&operator)
        .list_page::<Tenant>(&query("walrus", None, false, 0, 10))
        .await
        .unwrap();
    assert_eq!(found.total, 1);
    assert_eq!(found.items[0].item.name, first.item.name);
    store.close().await;
}
