//! Lists a page at a time on both databases: search over key and text columns, sorting with
//! the key breaking ties, windows and totals, and a bad sort column named.

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
        let all: Vec<Tenant> = store
            .as_operator()
            .list::<Tenant>()
            .await
            .unwrap()
            .into_iter()
            .map(|v| v.item)
            .collect();

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
