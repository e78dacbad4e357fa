//! What review costs at scale, on SQLite and PostgreSQL (not a test; prints figures): a domain
//! of 10,000 tenants × 10 deployables on LIVE, side by side without an approval policy and with
//! one covering LIVE (1 publisher's approval):
//!
//! - a small write (one LIVE tenant's layer) and a tier-wide write (LIVE's layer of a
//!   deployable, reaching every tenant): committed directly without the policy; with it,
//!   refused directly, asked whether it needs review (what an entity form asks when Save is
//!   pressed), proposed, approved and applied;
//! - a write no policy covers (STAGING's layer, reaching no tenant): committed, and asked
//!   whether it needs review, with and without the policy in force: the cost the gate adds to
//!   everything else.
//!
//! Run: `scripts/services.sh` (for PostgreSQL), then
//! `cargo run --release -p strata-store --example review_gate_benchmark [-- TENANTS]`.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use strata_domain::access::Role;
use strata_domain::change_request::{ProposedWrite, Verdict};
use strata_domain::kind::Kind;
use strata_domain::layer::{ConfigLayer, Layer};
use strata_domain::names::{DeployableName, TenantName, TierName};
use strata_store::access::{Actor, NewUser};
use strata_store::test_support::{
    BACKENDS, TestDatabase, benchmark_machine, benchmark_tenants, seed_large_domain,
};
use strata_store::{Backend, Store, StoreError};

/// Rounds of each small step.
const ROUNDS: usize = 30;
/// Rounds of each tier-wide step (each reaches every tenant).
const WIDE_ROUNDS: usize = 3;

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// p50 and max of the samples.
fn spread(samples: &mut [Duration]) -> String {
    samples.sort();
    format!(
        "p50 {}, max {}",
        ms(samples[(samples.len() - 1) / 2]),
        ms(*samples.last().unwrap())
    )
}

fn service() -> DeployableName {
    DeployableName::parse("service-0").unwrap()
}

fn tier(name: &str) -> Layer {
    Layer::Tier(TierName::parse(name).unwrap())
}

fn tenant(i: usize) -> Layer {
    Layer::Tenant(TenantName::parse(format!("big-t{i:05}")).unwrap())
}

fn config(round: usize) -> Value {
    json!({"timeouts": {"connect": round % 50 + 1}})
}

async fn version(store: &Store, scope: &Layer) -> i64 {
    store
        .as_operator()
        .layer(&service(), scope)
        .await
        .unwrap()
        .version
}

fn write(scope: &Layer, config: Value, version: i64) -> ProposedWrite {
    let layer = ConfigLayer {
        deployable: service(),
        scope: scope.clone(),
        config,
    };
    ProposedWrite {
        kind: Kind::ConfigLayer,
        key: ConfigLayer::key_of(&layer.deployable, &layer.scope),
        base_version: (version > 0).then_some(version),
        image: Some(serde_json::to_value(&layer).unwrap()),
    }
}

/// A person of the domain's organization with `role` (a domain admin without), as a session
/// gives them.
async fn person(store: &Store, name: &str, role: Option<Role>) -> Actor {
    let root = Actor::operator("root");
    store
        .add_user(
            &root,
            NewUser {
                name,
                display_name: name,
                password: "correct horse battery",
                domain_admin: role.is_none(),
            },
        )
        .await
        .unwrap();
    if role.is_some() {
        store.set_role(&root, name, "big", role).await.unwrap();
    }
    Actor::Person(store.signed_in_person(name).await.unwrap().unwrap())
}

/// Times `rounds` questions whether a write of `scope`'s layer by `actor` needs review (what an
/// entity form asks when Save is pressed): `needed` says what the answer must be.
async fn asked(
    store: &Store,
    actor: &Actor,
    scope: &Layer,
    rounds: usize,
    needed: bool,
) -> Vec<Duration> {
    let mut samples = Vec::new();
    for round in 0..rounds {
        let expected = version(store, scope).await;
        // A key the direct writes never set: the write always changes something.
        let write = write(scope, json!({"timeouts": {"asked": round + 1}}), expected);
        let start = Instant::now();
        let needs = store
            .review_needed(actor, std::slice::from_ref(&write))
            .await
            .unwrap();
        samples.push(start.elapsed());
        assert_eq!(needs.is_empty(), !needed);
    }
    samples
}

/// Times `rounds` direct writes of `scope`'s layer by `actor`.
async fn direct(store: &Store, actor: &Actor, scope: &Layer, rounds: usize) -> Vec<Duration> {
    let mut samples = Vec::new();
    for round in 0..rounds {
        let expected = version(store, scope).await;
        let start = Instant::now();
        store
            .write_layer(actor, "direct", &service(), scope, config(round), expected)
            .await
            .unwrap();
        samples.push(start.elapsed());
    }
    samples
}

/// The steps of review for `scope`'s layer, `rounds` times: a direct write refused, the
/// question whether it needs review, propose, approve, apply.
async fn reviewed(
    store: &Store,
    editor: &Actor,
    publisher: &Actor,
    scope: &Layer,
    rounds: usize,
) -> [(&'static str, Vec<Duration>); 5] {
    let mut steps: [(&str, Vec<Duration>); 5] = [
        ("direct write refused", Vec::new()),
        ("needs review?", Vec::new()),
        ("propose", Vec::new()),
        ("approve", Vec::new()),
        ("apply", Vec::new()),
    ];
    for round in 0..rounds {
        let expected = version(store, scope).await;
        let config = config(round + 100);

        let start = Instant::now();
        let refused = store
            .write_layer(
                editor,
                "direct",
                &service(),
                scope,
                config.clone(),
                expected,
            )
            .await;
        steps[0].1.push(start.elapsed());
        assert!(matches!(refused, Err(StoreError::ApprovalRequired { .. })));

        let start = Instant::now();
        let needs = store
            .review_needed(editor, &[write(scope, config.clone(), expected)])
            .await
            .unwrap();
        steps[1].1.push(start.elapsed());
        assert!(!needs.is_empty());

        let start = Instant::now();
        let request = store
            .propose_layer(editor, &service(), scope, config, expected, "timeouts", "")
            .await
            .unwrap();
        steps[2].1.push(start.elapsed());

        let start = Instant::now();
        store
            .review_request(
                publisher,
                request.id,
                Verdict::Approve,
                &request.content_hash,
                "",
                None,
                None,
            )
            .await
            .unwrap();
        steps[3].1.push(start.elapsed());

        let start = Instant::now();
        store.apply_request(editor, request.id).await.unwrap();
        steps[4].1.push(start.elapsed());
    }
    steps
}

async fn run(backend: Backend, tenants: usize) {
    let db = TestDatabase::new(backend).await;
    let store = db.store().await;
    seed_large_domain(&store, tenants).await;
    // Who writes a tenant's layer and who approves it; a tier's layer is the domain's, which
    // domain admins write and approve.
    let editor = person(&store, "erin", Some(Role::Editor)).await;
    let publisher = person(&store, "paul", Some(Role::Publisher)).await;
    let admin = person(&store, "ada", None).await;
    let second_admin = person(&store, "dan", None).await;
    // STAGING has no tenant: its layer reaches no config.
    let (small, wide, elsewhere) = (tenant(1), tier("LIVE"), tier("STAGING"));

    println!("{backend:?}, without an approval policy:");
    let mut small_direct = direct(&store, &editor, &small, ROUNDS).await;
    let mut wide_direct = direct(&store, &admin, &wide, WIDE_ROUNDS).await;
    let mut elsewhere_before = direct(&store, &admin, &elsewhere, ROUNDS).await;
    let mut asked_before = asked(&store, &admin, &elsewhere, ROUNDS, false).await;
    let mut asked_small_before = asked(&store, &editor, &small, ROUNDS, false).await;
    println!(
        "  one LIVE tenant's layer, committed: {}",
        spread(&mut small_direct)
    );
    println!(
        "  LIVE's layer ({tenants} configs), committed: {}",
        spread(&mut wide_direct)
    );
    println!(
        "  STAGING's layer (no config), committed: {}",
        spread(&mut elsewhere_before)
    );
    println!(
        "  STAGING's layer, needs review?: {}",
        spread(&mut asked_before)
    );
    println!(
        "  one LIVE tenant's layer, needs review?: {}",
        spread(&mut asked_small_before)
    );

    // The demo's policy: LIVE's configs need a publisher's (or a domain admin's) approval.
    store.load_demo_policies("benchmark").await.unwrap();

    println!("{backend:?}, with live-review in force:");
    let mut elsewhere_after = direct(&store, &admin, &elsewhere, ROUNDS).await;
    let mut asked_after = asked(&store, &admin, &elsewhere, ROUNDS, false).await;
    println!(
        "  STAGING's layer (no config), committed: {}",
        spread(&mut elsewhere_after)
    );
    println!(
        "  STAGING's layer, needs review?: {}",
        spread(&mut asked_after)
    );
    for (what, scope, rounds, proposer, approver) in [
        (
            "one LIVE tenant's layer",
            &small,
            ROUNDS,
            &editor,
            &publisher,
        ),
        ("LIVE's layer", &wide, WIDE_ROUNDS, &admin, &second_admin),
    ] {
        for (step, mut samples) in reviewed(&store, proposer, approver, scope, rounds).await {
            println!("  {what}, {step}: {}", spread(&mut samples));
        }
    }
    store.close().await;
    db.drop_database().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let tenants = benchmark_tenants();
    println!(
        "strata-store review gate benchmark: {}; {tenants} tenants × 10 deployables",
        benchmark_machine()
    );
    for backend in BACKENDS {
        run(backend, tenants).await;
    }
}
