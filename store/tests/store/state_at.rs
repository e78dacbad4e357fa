//! History is complete: for a long, seeded sequence of random writes (create, update, delete,
//! rollback, conflicts) on both databases, the state read back from history at every revision
//! equals the state the tables held right after that revision was committed.

use std::collections::BTreeMap;

use strata_domain::names::{OrganizationName, TierName};
use strata_domain::organization::Organization;
use strata_domain::rules::EntityState;
use strata_domain::tier::Tier;
use strata_store::access::Actor;
use strata_store::history::State;
use strata_store::test_support::on_each_backend;
use strata_store::{Store, StoreError};

/// A small deterministic generator, so a failure replays exactly.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % sides
    }
}

const TIERS: [&str; 4] = ["DEV", "QA1", "STAGING", "LIVE"];
const ORGS: [&str; 3] = ["acme", "globex", "initech"];

/// What the tables hold now, in the shape of [`State`].
async fn live_state(store: &Store) -> State {
    let mut state: State = strata_store::history::empty_state();
    for t in store.as_operator().list::<Tier>().await.unwrap() {
        state.entry("tier".to_owned()).or_default().insert(
            t.item.name.to_string(),
            serde_json::to_value(&t.item).unwrap(),
        );
    }
    for o in store.as_operator().list::<Organization>().await.unwrap() {
        state.entry("organization".to_owned()).or_default().insert(
            o.item.name.to_string(),
            serde_json::to_value(&o.item).unwrap(),
        );
    }
    state
}

/// One random change set of a few writes. It reads versions outside its transaction, so it
/// meets conflicts, duplicates and vanished entities: refusals that must write nothing.
async fn random_write(store: &Store, dice: &mut Dice, step: u64) -> Result<(), StoreError> {
    let mut change = store
        .begin(
            &Actor::operator(format!("user{}", dice.roll(5))),
            &format!("step {step}"),
        )
        .await?;
    for _ in 0..=dice.roll(3) {
        if dice.roll(2) == 0 {
            let name = TIERS[dice.roll(4) as usize];
            let current = store.as_operator().get::<Tier>(name).await.ok();
            let tier = Tier {
                name: TierName::parse(name).unwrap(),
                display_name: format!("{name} #{}", dice.roll(3)),
                is_live: dice.roll(2) == 0,
                state: if dice.roll(4) == 0 {
                    EntityState::Disabled
                } else {
                    EntityState::Active
                },
            };
            // A stale version now and then, to exercise conflicts.
            let seen = current
                .as_ref()
                .map(|c| c.version - i64::from(dice.roll(6) == 0));
            match (seen, dice.roll(6)) {
                (None, _) => change.create(tier).await.map(drop),
                (Some(v), 0) => change.delete::<Tier>(name, v).await,
                (Some(v), 1) if v > 1 => change
                    .rollback::<Tier>(name, 1 + dice.roll(v as u64) as i64, Some(v))
                    .await
                    .map(drop),
                (Some(v), _) => change.update(v, tier).await.map(drop),
            }?;
        } else {
            let i = dice.roll(3) as usize;
            let org = Organization {
                name: OrganizationName::parse(ORGS[i]).unwrap(),
                short_name: OrganizationName::parse(format!("{}{}", &ORGS[i][..2], dice.roll(2)))
                    .unwrap(),
                display_name: format!("{} {}", ORGS[i], dice.roll(3)),
                state: EntityState::Active,
            };
            match store.as_operator().get::<Organization>(ORGS[i]).await {
                Ok(current) => change.update(current.version, org).await.map(drop)?,
                Err(_) => change.create(org).await.map(drop)?,
            }
        }
    }
    change.commit().await.map(drop)
}

#[tokio::test]
async fn state_at_every_revision_equals_what_was_committed_then() {
    on_each_backend(async |backend, _, store| {
        let mut dice = Dice(0x0515_7a7a);
        let mut seen: BTreeMap<i64, State> = BTreeMap::new();
        seen.insert(0, live_state(store).await);
        let mut refused = 0;
        for step in 0..150 {
            match random_write(store, &mut dice, step).await {
                Ok(()) => {}
                Err(
                    StoreError::Conflict { .. }
                    | StoreError::Invalid { .. }
                    | StoreError::Duplicate { .. }
                    | StoreError::NotFound { .. },
                ) => refused += 1,
                Err(other) => panic!("step {step}: {other}"),
            }
            let revision = store.domain().await.unwrap().revision;
            seen.insert(revision, live_state(store).await);
        }
        assert!(
            seen.len() > 60,
            "{backend:?}: enough revisions were committed ({})",
            seen.len()
        );
        assert!(
            refused > 5,
            "{backend:?}: some writes were refused ({refused})"
        );
        for (revision, expected) in &seen {
            assert_eq!(
                &store.as_operator().state_at(*revision).await.unwrap(),
                expected,
                "{backend:?} revision {revision}"
            );
        }
        assert_eq!(store.verify_chain().await.unwrap().first_broken_seq, None);

        // Restoring any revision makes the live state equal it, in one new revision whose
        // state (read back from history) equals it too.
        let revisions: Vec<i64> = seen.keys().copied().collect();
        for _ in 0..6 {
            let target = revisions[dice.roll(revisions.len() as u64) as usize];
            let new = store
                .restore(&Actor::operator("carol"), "back to a known state", target)
                .await
                .unwrap_or_else(|e| panic!("{backend:?}: restore {target}: {e}"));
            assert_eq!(
                live_state(store).await,
                seen[&target],
                "{backend:?} {target}"
            );
            assert_eq!(
                store.as_operator().current_state().await.unwrap(),
                seen[&target]
            );
            assert_eq!(
                store.as_operator().state_at(new).await.unwrap(),
                seen[&target]
            );
        }
        assert_eq!(store.verify_chain().await.unwrap().first_broken_seq, None);
    })
    .await;
}
