//! For a long, seeded sequence of random change sets over every kind of entity (tenants moving
//! through their life cycle, layers that sometimes break the schema, products gaining and
//! losing deployables, deletes, rollbacks, stale versions), on both databases:
//! - every committed state keeps every resolved config valid (no invalid state commits);
//! - `state_at(r)` equals what the tables held right after revision r, and so does the state
//!   of an earlier revision with only the changes since applied;
//! - restoring any revision r makes the state equal `state_at(r)`, as one new revision;
//! - the hash chain verifies;
//! - compiling each revision from the one before (only the tenants it touched) gives what
//!   compiling it whole gives, also across restores that jump back.

use crate::common;

use std::collections::BTreeMap;

use common::*;
use serde_json::{Value, json};
use strata_domain::compile::{Compiled, changed_entities};
use strata_domain::layer::{ConfigLayer, Layer};
use strata_domain::names::TenantAlias;
use strata_domain::product::Product;
use strata_domain::snapshot::Documents;
use strata_domain::tenant::{Tenant, TenantState};
use strata_store::access::Actor;
use strata_store::history::State;
use strata_store::test_support::on_each_backend;
use strata_store::{Store, StoreError};

struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % sides as u64) as usize
    }
}

const TENANTS: [&str; 5] = ["acme-eu", "acme-us", "acme-jp", "acme-br", "acme-za"];
const TIERS: [&str; 2] = ["LIVE", "DEV"];

fn scope(dice: &mut Dice) -> Layer {
    match dice.roll(3) {
        0 => tier_scope(TIERS[dice.roll(2)]),
        1 => product_scope(["acme-shop", "acme-blog"][dice.roll(2)]),
        _ => tenant_scope(TENANTS[dice.roll(TENANTS.len())]),
    }
}

/// One random write; refusals are part of the game.
async fn random_write(
    store: &Store,
    change: &mut strata_store::changes::ChangeSet,
    dice: &mut Dice,
) -> Result<(), StoreError> {
    match dice.roll(6) {
        // A layer: set (sometimes breaking the schema), delete or roll back.
        0 | 1 => {
            let deployable = ["web-api", "worker"][dice.roll(2)];
            let scope = scope(dice);
            let key = ConfigLayer::key_of(
                &strata_domain::names::DeployableName::parse(deployable).unwrap(),
                &scope,
            );
            let current = store.as_operator().get::<ConfigLayer>(&key).await.ok();
            let config = if deployable == "web-api" {
                json!({"rate_limit": dice.roll(40) as i64 - 2, "database": {"port": 5000 + dice.roll(3) * 40000}})
            } else {
                json!({"threads": dice.roll(20) as i64 - 2})
            };
            let layer = layer(deployable, scope, config);
            match (current, dice.roll(5)) {
                (None, _) => change.create(layer).await.map(drop),
                (Some(c), 0) => change.delete::<ConfigLayer>(&key, c.version).await,
                (Some(c), 1) if c.version > 1 => change
                    .rollback::<ConfigLayer>(
                        &key,
                        1 + dice.roll(c.version as usize) as i64,
                        Some(c.version),
                    )
                    .await
                    .map(drop),
                (Some(c), _) => change.update(c.version, layer).await.map(drop),
            }
        }
        // A tenant: create, move, step through the life cycle, protect, delete.
        2 | 3 => {
            let name = TENANTS[dice.roll(TENANTS.len())];
            let Ok(current) = store.as_operator().get::<Tenant>(name).await else {
                let mut t = tenant(
                    name,
                    ["acme-shop", "acme-blog"][dice.roll(2)],
                    TIERS[dice.roll(2)],
                );
                t.state = TenantState::Initializing;
                return change.create(t).await.map(drop);
            };
            let mut t = current.item.clone();
            let stale = i64::from(dice.roll(8) == 0);
            match dice.roll(6) {
                0 => t.state = TenantState::ALL[dice.roll(5)],
                1 => t.termination_protection = !t.termination_protection,
                2 => t.tier = tenant(name, "acme-shop", TIERS[dice.roll(2)]).tier,
                3 => {
                    t.product =
                        tenant(name, ["acme-shop", "acme-blog"][dice.roll(2)], "LIVE").product
                }
                4 => t.alias = Some(TenantAlias::parse(["alpha", "beta"][dice.roll(2)]).unwrap()),
                _ => return change.delete::<Tenant>(name, current.version - stale).await,
            }
            change.update(current.version - stale, t).await.map(drop)
        }
        // A product gains or loses worker.
        4 => {
            let name = ["acme-shop", "acme-blog"][dice.roll(2)];
            let current = store.as_operator().get::<Product>(name).await?;
            let made_of: &[&str] = if dice.roll(2) == 0 {
                &["web-api"]
            } else {
                &["web-api", "worker"]
            };
            change
                .update(current.version, product(name, "acme", made_of))
                .await
                .map(drop)
        }
        // The web-api schema tightens or loosens its rate limit, and its default database
        // host moves (what every tenant without its own host then resolves to).
        _ => {
            let current = store
                .as_operator()
                .get::<strata_domain::deployable::Deployable>("web-api")
                .await?;
            let mut d = web_api();
            d.config_schema["properties"]["rate_limit"]["maximum"] = json!(10 + dice.roll(40));
            d.default_config["database"]["host"] =
                json!(["localhost", "db.internal"][dice.roll(2)]);
            d.default_config["rate_limit"] = json!(dice.roll(10));
            change.update(current.version, d).await.map(drop)
        }
    }
}

/// Every resolved config of every served tenant, valid, and what `compiled` serves for it.
async fn assert_all_valid(store: &Store, compiled: &Compiled, context: &str) {
    for (tenant, r) in every_resolved(store).await {
        let d = &r.target.deployable;
        assert!(
            r.violations.is_empty(),
            "{context}: {} {d}: {:?}",
            tenant.name,
            r.violations
        );
        if tenant.state.is_served() {
            let served = compiled
                .get(tenant.tier.as_str(), tenant.name.as_str(), d.as_str())
                .unwrap();
            assert_eq!(
                serde_json::from_slice::<Value>(&served).unwrap(),
                r.resolved.config,
                "{context}: {} {d} as compiled and as resolved",
                tenant.name
            );
        }
    }
}

/// Every config (tier, tenant, deployable, bytes) and alias, sorted.
type Serving = (
    Vec<(String, String, String, Vec<u8>)>,
    Vec<(String, String)>,
);

/// What a compiled revision serves.
fn served(compiled: &Compiled) -> Serving {
    let mut configs: Vec<_> = compiled
        .configs()
        .map(|(t, n, d, b)| (t.to_owned(), n.to_owned(), d.to_owned(), b.to_vec()))
        .collect();
    configs.sort();
    let mut aliases: Vec<_> = compiled
        .aliases()
        .map(|(a, t)| (a.to_owned(), t.to_owned()))
        .collect();
    aliases.sort();
    (configs, aliases)
}

/// Compiles `state` from `previous` and whole, checks both serve the same, and answers the
/// incremental one with whether it left some tenant as it was.
fn compile_alike(
    previous: &Compiled,
    revision: i64,
    state: &State,
    context: &str,
) -> (Compiled, bool) {
    let state = std::sync::Arc::new(state.clone());
    let whole = Compiled::build(revision, state.clone()).unwrap();
    let next = previous.next(revision, state).unwrap();
    assert_eq!(
        served(&next),
        served(&whole),
        "{context}: incremental and whole compilations differ"
    );
    let partial = next.recompiled_tenants < whole.recompiled_tenants;
    (next, partial)
}

#[tokio::test]
async fn random_change_sets_keep_the_domain_valid_and_its_history_complete() {
    on_each_backend(async |backend, _, store| {
        seed(store).await;
        let mut worker = deployable("worker");
        worker.config_schema =
            json!({"type": "object", "properties": {"threads": {"type": "integer", "minimum": 0}}});
        commit(store, async |c| {
            c.create(worker.clone()).await?;
            c.create(product("acme-blog", "acme", &["web-api"])).await
        })
        .await
        .unwrap();

        let mut dice = Dice(0x5eed_0042);
        let mut seen: BTreeMap<i64, State> = BTreeMap::new();
        seen.insert(
            store.domain().await.unwrap().revision,
            store.as_operator().current_state().await.unwrap(),
        );
        let (mut committed, mut refused) = (0, BTreeMap::<&str, usize>::new());
        let mut compiled = Compiled::empty();
        let mut partial_compilations = 0;
        for step in 0..160 {
            let mut change = store
                .begin(&Actor::operator("rng"), &format!("step {step}"))
                .await
                .unwrap();
            let mut outcome = Ok(());
            for _ in 0..=dice.roll(3) {
                outcome = random_write(store, &mut change, &mut dice).await;
                if outcome.is_err() {
                    break;
                }
            }
            let outcome = match outcome {
                Ok(()) => change.commit().await.map(drop),
                Err(e) => Err(e),
            };
            match outcome {
                Ok(()) => committed += 1,
                Err(e) => {
                    let kind = match e {
                        StoreError::Conflict { .. } => "conflict",
                        StoreError::Invalid { .. } => "invalid",
                        StoreError::Duplicate { .. } => "duplicate",
                        StoreError::NotFound { .. } => "not found",
                        StoreError::InUse { .. } => "in use",
                        StoreError::Unresolvable(_) => "unresolvable",
                        other => panic!("{backend:?} step {step}: {other}"),
                    };
                    *refused.entry(kind).or_default() += 1;
                }
            }
            let revision = store.domain().await.unwrap().revision;
            let state = store.as_operator().current_state().await.unwrap();
            let context = format!("{backend:?} step {step}");
            let partial;
            (compiled, partial) = compile_alike(&compiled, revision, &state, &context);
            partial_compilations += usize::from(partial);
            seen.insert(revision, state);
            assert_all_valid(store, &compiled, &context).await;
        }
        assert!(committed > 40, "{backend:?}: {committed} committed");
        for kind in ["conflict", "invalid", "unresolvable"] {
            assert!(
                refused.get(kind).is_some_and(|n| *n > 0),
                "{backend:?}: no {kind} in {refused:?}"
            );
        }
        for (revision, expected) in &seen {
            assert_eq!(
                &store.as_operator().state_at(*revision).await.unwrap(),
                expected,
                "{backend:?} revision {revision}"
            );
        }
        let revisions: Vec<i64> = seen.keys().copied().collect();
        // Each state also follows from an earlier one and only the changes since (what the
        // publisher does), and compiling from that one with only those changes gives what
        // compiling it whole gives.
        for (i, to) in revisions.iter().enumerate().skip(1) {
            let from = revisions[if i % 3 == 0 { dice.roll(i) } else { i - 1 }];
            let (state, changed) = store
                .as_operator()
                .state_after(seen[&from].clone(), from, *to)
                .await
                .unwrap();
            let context = format!("{backend:?} from {from} to {to}");
            assert_eq!(state, seen[to], "{context}");
            for entity in changed_entities(&seen[&from], &seen[to]) {
                assert!(changed.contains(&entity), "{context}: {entity:?} not named");
            }
            let base = Compiled::build(from, std::sync::Arc::new(seen[&from].clone())).unwrap();
            let next = base
                .next_changed(*to, std::sync::Arc::new(state), &changed)
                .unwrap();
            let whole = Compiled::build(*to, std::sync::Arc::new(seen[to].clone())).unwrap();
            assert_eq!(served(&next), served(&whole), "{context}");
            // Its count of configs, kept as tenants come and go, is what it holds.
            assert_eq!(next.len(), whole.configs().count(), "{context}");
            // The snapshot's shards rendered again for the changes only are those of the
            // whole revision.
            let (documents, _) = Documents::of(&seen[&from]);
            let (next_documents, _) = documents.next(&seen[to], &changed);
            assert_eq!(
                next_documents.refs,
                Documents::of(&seen[to]).0.refs,
                "{context}"
            );
            // What differs from the base, looked for among the tenants the change touched
            // only, is what a comparison of every tenant finds.
            let sorted = |(mut changed, mut gone): (Vec<_>, Vec<_>)| {
                changed.sort();
                gone.sort();
                (changed, gone)
            };
            assert_eq!(
                sorted(next.differences(&base)),
                sorted(whole.differences(&base)),
                "{context}"
            );
        }
        let mut restored = 0;
        for _ in 0..8 {
            let target = revisions[dice.roll(revisions.len())];
            match store.restore(&Actor::operator("rng"), "back", target).await {
                Ok(new) => {
                    restored += 1;
                    assert_eq!(
                        store.as_operator().current_state().await.unwrap(),
                        seen[&target],
                        "{backend:?} restore {target}"
                    );
                    assert_eq!(
                        store.as_operator().state_at(new).await.unwrap(),
                        seen[&target]
                    );
                    let context = format!("{backend:?} restore {target}");
                    (compiled, _) = compile_alike(&compiled, new, &seen[&target], &context);
                    assert_all_valid(store, &compiled, &context).await;
                }
                // A restore that would delete a protected or running tenant is refused.
                Err(StoreError::Invalid { field, .. }) if field.starts_with("/tenant/") => {}
                Err(other) => panic!("{backend:?} restore {target}: {other}"),
            }
        }
        assert!(restored > 0, "{backend:?}: no restore went through");
        assert!(
            partial_compilations > 20,
            "{backend:?}: {partial_compilations} partial compilations"
        );
        assert_eq!(store.verify_chain().await.unwrap().first_broken_seq, None);
        println!("{backend:?}: {committed} committed, refused {refused:?}, {restored} restores");
    })
    .await;
}
