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
    use strata_store::Backend;
    use strata_store::test_support::TestDatabase;

    let db = TestDatabase::new(Backend::Sqlite).await;
    let store = db.store().await;
    store.load_demo("ada").await.unwrap();
    let mut conn = db.connect_raw().await;
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
    a_new_alias_is_found(&store).await;
    store.close().await;
}

/// After a migration made a search index again: an alias given now to the first tenant is
/// found by a search for part of it, in other capitals, and only that tenant.
async fn a_new_alias_is_found(store: &strata_store::Store) {
    use strata_domain::names::TenantAlias;

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
    for search in ["walrus", "Walrus"] {
        let found = store
            .as_actor(&operator)
            .list_page::<Tenant>(&query(search, None, false, 0, 10))
            .await
            .unwrap();
        assert_eq!(found.total, 1, "{search}");
        let names: Vec<&str> = found.items.iter().map(|v| v.item.name.as_str()).collect();
        assert_eq!(names, [first.item.name.as_str()], "{search}");
    }
}

/// A PostgreSQL database as an earlier Strata left it: the search index over an expression,
/// no searched column. The next migration makes the column and its index, and searches find
/// the rows written before and after.
#[tokio::test]
async fn a_postgres_search_index_over_an_expression_becomes_a_stored_column() {
    use sqlx::Connection;
    use strata_store::Backend;
    use strata_store::test_support::TestDatabase;

    let db = TestDatabase::new(Backend::Postgres).await;
    let store = db.store().await;
    store.load_demo("ada").await.unwrap();
    let mut conn = db.connect_raw().await;
    let name: String = sqlx::query_scalar(
        "SELECT CAST(column_name AS TEXT) FROM information_schema.columns \
         WHERE table_name = 'tenants' AND column_name LIKE 'tenants_search_%'",
    )
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let expression: String = sqlx::query_scalar(
        "SELECT CAST(generation_expression AS TEXT) FROM information_schema.columns \
         WHERE table_name = 'tenants' AND column_name = $1",
    )
    .bind(&name)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    sqlx::raw_sql(&format!(
        "ALTER TABLE tenants DROP COLUMN {name}; \
         CREATE INDEX {name} ON tenants USING gin (({expression}) gin_trgm_ops)"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let columns: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.columns WHERE column_name = $1",
    )
    .bind(&name)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    let index: String = sqlx::query_scalar("SELECT indexdef FROM pg_indexes WHERE indexname = $1")
        .bind(&name)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    assert_eq!(columns, 1);
    assert!(
        index.contains(&format!("gin ({name} gin_trgm_ops)")),
        "{index}"
    );

    let operator = Actor::operator("ada");
    let all = common::all_tenants(&store).await;
    let berlin = store
        .as_actor(&operator)
        .list_page::<Tenant>(&query("BERLIN", None, false, 0, 200))
        .await
        .unwrap();
    assert_eq!(berlin.total as usize, found_by(&all, "berlin").len());
    assert!(berlin.total > 0);
    a_new_alias_is_found(&store).await;
    store.close().await;
    db.drop_database().await;
}

/// A window nearer the end of a list is read from the end, in the opposite order, then put
/// back: every window, whatever the sort (a column with ties, one with NULLs), direction,
/// search or reader, holds exactly the rows of the whole list at those places.
#[tokio::test]
async fn every_window_of_a_list_holds_the_rows_of_the_whole_list_at_its_place() {
    use strata_domain::access::Role;

    on_each_backend(async |backend, _, store| {
        store.load_demo("ada").await.unwrap();
        let operator = Actor::operator("ada");
        let person = common::person(store, "vera", Some(Role::Viewer)).await;
        for actor in [&operator, &person] {
            for search in ["", "acme"] {
                for sort in [None, Some("state"), Some("alias"), Some("tier")] {
                    for descending in [false, true] {
                        let whole = store
                            .as_actor(actor)
                            .list_page::<Tenant>(&query(search, sort, descending, 0, 200))
                            .await
                            .unwrap();
                        let names: Vec<String> =
                            whole.items.iter().map(|v| v.item.name.to_string()).collect();
                        assert_eq!(whole.total, names.len() as i64);
                        assert!(names.len() > 7, "{backend:?}: {search:?}");
                        for offset in 0..=whole.total + 1 {
                            let page = store
                                .as_actor(actor)
                                .list_page::<Tenant>(&query(search, sort, descending, offset, 7))
                                .await
                                .unwrap();
                            let got: Vec<String> =
                                page.items.iter().map(|v| v.item.name.to_string()).collect();
                            let want: Vec<String> =
                                names.iter().skip(offset as usize).take(7).cloned().collect();
                            assert_eq!(
                                got, want,
                                "{backend:?}: {search:?} by {sort:?} desc {descending}, from {offset}"
                            );
                            assert_eq!(page.total, whole.total);
                        }
                    }
                }
            }
        }
    })
    .await;
}

/// History's pages, read from whichever end is nearer (or, for every record, from the record
/// whose number starts the window), hold exactly the records of the whole trail at their
/// place; a filter by key finds an entity's records from its first to its deletion.
#[tokio::test]
async fn every_window_of_the_audit_trail_holds_the_records_at_its_place() {
    use strata_domain::access::Role;
    use strata_domain::audit::AuditFilter;

    on_each_backend(async |backend, _, store| {
        store.load_demo("ada").await.unwrap();
        common::commit(store, async |c| c.create(common::tier("GONE1")).await)
            .await
            .unwrap();
        common::commit(store, async |c| c.delete::<Tier>("GONE1", 1).await)
            .await
            .unwrap();
        let operator = Actor::operator("ada");
        let person = common::person(store, "vera", Some(Role::Viewer)).await;
        let filters = [
            AuditFilter::default(),
            AuditFilter {
                kind: Some("tenant".into()),
                ..Default::default()
            },
            AuditFilter {
                key: Some("ACME".into()),
                ..Default::default()
            },
        ];
        for actor in [&operator, &person] {
            for filter in &filters {
                let whole = store
                    .as_actor(actor)
                    .audit_trail(filter, 0, 200)
                    .await
                    .unwrap();
                let seqs: Vec<i64> = whole.items.iter().map(|r| r.seq).collect();
                assert_eq!(whole.total, seqs.len() as i64, "{backend:?}: {filter:?}");
                assert!(seqs.len() > 7, "{backend:?}: {filter:?}");
                assert!(seqs.windows(2).all(|w| w[0] > w[1]), "newest first");
                for offset in 0..=whole.total + 1 {
                    let page = store
                        .as_actor(actor)
                        .audit_trail(filter, offset, 7)
                        .await
                        .unwrap();
                    let got: Vec<i64> = page.items.iter().map(|r| r.seq).collect();
                    let want: Vec<i64> =
                        seqs.iter().skip(offset as usize).take(7).copied().collect();
                    assert_eq!(got, want, "{backend:?}: {filter:?} from {offset}");
                    assert_eq!(page.total, whole.total);
                }
            }
        }
        // The key is matched anywhere in it, ignoring case, among entities gone too.
        let gone = store
            .as_actor(&operator)
            .audit_trail(
                &AuditFilter {
                    key: Some("one1".into()),
                    ..Default::default()
                },
                0,
                200,
            )
            .await
            .unwrap();
        let records: Vec<(&str, i64)> = gone
            .items
            .iter()
            .map(|r| (r.entity_key.as_str(), r.entity_version))
            .collect();
        assert_eq!(records, [("GONE1", 2), ("GONE1", 1)], "{backend:?}");
    })
    .await;
}
