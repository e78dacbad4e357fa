//! Organizations on the shared write path, on SQLite and PostgreSQL.

use strata_domain::names::OrganizationName;
use strata_domain::organization::Organization;
use strata_domain::rules::EntityState;
use strata_store::StoreError;
use strata_store::access::Actor;
use strata_store::test_support::on_each_backend;

fn organization(name: &str, short_name: &str) -> Organization {
    Organization {
        name: OrganizationName::parse(name).unwrap(),
        short_name: OrganizationName::parse(short_name).unwrap(),
        display_name: format!("{name} Inc."),
        state: EntityState::Active,
    }
}

#[tokio::test]
async fn a_short_name_belongs_to_one_organization() {
    on_each_backend(async |_, _, store| {
        let mut change = store
            .begin(&Actor::operator("alice"), "onboard acme")
            .await
            .unwrap();
        change.create(organization("acme", "ac")).await.unwrap();
        change.commit().await.unwrap();

        let mut change = store
            .begin(&Actor::operator("bob"), "onboard acorn")
            .await
            .unwrap();
        let err = change
            .create(organization("acorn", "ac"))
            .await
            .unwrap_err();
        let StoreError::Invalid { field, rule } = &err else {
            panic!("expected a field error, got {err}")
        };
        assert_eq!(field, "/short_name");
        assert!(rule.contains("organization \"acme\""), "{rule}");
        change.create(organization("acorn", "acn")).await.unwrap();
        change.commit().await.unwrap();

        // Keeping one's own short name on an update is fine; taking another's is not.
        let mut change = store
            .begin(&Actor::operator("bob"), "rename")
            .await
            .unwrap();
        let mut acme = organization("acme", "ac");
        acme.display_name = "ACME Corporation".into();
        assert_eq!(change.update(1, acme).await.unwrap().version, 2);
        let err = change
            .update(1, organization("acorn", "ac"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Invalid { ref field, .. } if field == "/short_name"),
            "{err}"
        );
        change.commit().await.unwrap();

        let names: Vec<String> = store
            .as_operator()
            .list::<Organization>()
            .await
            .unwrap()
            .into_iter()
            .map(|o| format!("{}:{}:v{}", o.item.name, o.item.short_name, o.version))
            .collect();
        assert_eq!(names, ["acme:ac:v2", "acorn:acn:v1"]);
        assert_eq!(store.verify_chain().await.unwrap().first_broken_seq, None);
    })
    .await;
}
