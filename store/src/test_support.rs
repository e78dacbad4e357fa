//! Fresh databases for tests, so every test starts from an empty, migrated store on SQLite or
//! on PostgreSQL. PostgreSQL is found through `STRATA_TEST_POSTGRES_URL` (default: the local
//! server as user postgres); the test command starts one when none is running.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::AnyConnection;
use sqlx::Connection;

use std::collections::BTreeSet;

use serde_json::json;
use strata_domain::deployable::Deployable;
use strata_domain::layer::{ConfigLayer, Layer};
use strata_domain::names::{DeployableName, OrganizationName, ProductName, TenantName, TierName};
use strata_domain::organization::Organization;
use strata_domain::product::Product;
use strata_domain::rules::EntityState;
use strata_domain::tenant::{Tenant, TenantState};
use strata_domain::tier::Tier;

use crate::access::Actor;
use crate::entity::Entity;
use crate::{Backend, DatabaseUrl, Store};

/// The PostgreSQL server tests create their databases on.
pub fn postgres_admin_url() -> String {
    std::env::var("STRATA_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// A database that exists for one test. SQLite files vanish with the value; PostgreSQL
/// databases are dropped by [`TestDatabase::drop_database`], and left for inspection when a
/// test fails before reaching it.
pub struct TestDatabase {
    pub url: DatabaseUrl,
    _dir: Option<tempfile::TempDir>,
    postgres_name: Option<String>,
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary folder");
                let url =
                    DatabaseUrl::parse(&format!("sqlite://{}/strata.db", dir.path().display()))
                        .expect("a valid SQLite URL");
                TestDatabase {
                    url,
                    _dir: Some(dir),
                    postgres_name: None,
                }
            }
            Backend::Postgres => {
                static COUNTER: AtomicU32 = AtomicU32::new(0);
                let name = format!(
                    "strata_test_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::Relaxed)
                );
                let admin = postgres_admin_url();
                let mut conn = connect_admin(&admin).await;
                sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("drop a leftover test database");
                sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .expect("create a test database");
                let base = admin
                    .rsplit_once('/')
                    .map_or(admin.as_str(), |(base, _)| base);
                let url =
                    DatabaseUrl::parse(&format!("{base}/{name}")).expect("a valid PostgreSQL URL");
                TestDatabase {
                    url,
                    _dir: None,
                    postgres_name: Some(name),
                }
            }
        }
    }

    /// Connects and migrates.
    pub async fn store(&self) -> Store {
        let store = Store::connect(&self.url)
            .await
            .expect("connect to the test database");
        store.migrate().await.expect("migrate the test database");
        store
    }

    /// A connection of its own, behind the store's back: to look at or change what the store
    /// made, as a tamperer, a broken tool or an earlier version would.
    pub async fn connect_raw(&self) -> AnyConnection {
        sqlx::any::install_default_drivers();
        AnyConnection::connect(self.url.as_sqlx())
            .await
            .expect("connect")
    }

    /// Runs SQL behind the store's back, as a tamperer or a broken tool would.
    pub async fn execute_raw(&self, sql: &str) {
        let mut conn = self.connect_raw().await;
        sqlx::raw_sql(sql)
            .execute(&mut conn)
            .await
            .expect("raw SQL runs");
        conn.close().await.expect("close");
    }

    /// A PostgreSQL database goes down for its clients (its connections cut, new ones refused)
    /// or comes back, while the server and every other database keep running: an outage of
    /// this one database.
    pub async fn set_reachable(&self, reachable: bool) {
        let name = self
            .postgres_name
            .as_ref()
            .expect("only a PostgreSQL test database can be made unreachable");
        let mut conn = connect_admin(&postgres_admin_url()).await;
        sqlx::raw_sql(&format!(
            "ALTER DATABASE {name} ALLOW_CONNECTIONS {reachable}"
        ))
        .execute(&mut conn)
        .await
        .expect("allow or refuse connections");
        if !reachable {
            sqlx::raw_sql(&format!(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"
            ))
            .execute(&mut conn)
            .await
            .expect("cut the connections");
        }
    }

    pub async fn drop_database(self) {
        if let Some(name) = &self.postgres_name {
            let mut conn = connect_admin(&postgres_admin_url()).await;
            sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .expect("drop the test database");
        }
    }
}

async fn connect_admin(url: &str) -> AnyConnection {
    sqlx::any::install_default_drivers();
    AnyConnection::connect(url).await.unwrap_or_else(|e| {
        panic!(
            "cannot reach PostgreSQL for tests at {url} ({e}); start one or set STRATA_TEST_POSTGRES_URL \
             (scripts/test starts one for you)"
        )
    })
}

/// Both backends, for tests that must hold on each.
pub const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// Runs `test` on a fresh, migrated store on each backend in turn, then closes the store and
/// drops the database.
pub async fn on_each_backend(test: impl AsyncFn(Backend, &TestDatabase, &Store)) {
    for backend in BACKENDS {
        let db = TestDatabase::new(backend).await;
        let store = db.store().await;
        test(backend, &db, &store).await;
        store.close().await;
        db.drop_database().await;
    }
}

/// A large domain for benchmarks: 2 tiers, 10 deployables with a realistic schema, one product
/// of all 10, `tenants` tenants on LIVE, and a layer of its own for one tenant in ten. One
/// change set.
fn large_domain_schema() -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "database": {"type": "object", "properties": {
                "host": {"type": "string"}, "port": {"type": "integer", "maximum": 65535},
                "pool_size": {"type": "integer", "minimum": 1}
            }, "required": ["host", "port"]},
            "timeouts": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}},
            "features": {"type": "array", "items": {"type": "string"}},
            "log_level": {"enum": ["error", "warn", "info", "debug"]}
        },
        "required": ["database", "log_level"]
    })
}

/// For the benchmark programs: how many tenants to seed, from the first argument (10,000
/// unless given).
pub fn benchmark_tenants() -> usize {
    std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000)
}

/// For the benchmark programs' first line: the cores and whether this is a release build.
pub fn benchmark_machine() -> String {
    format!(
        "{} cores, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        if cfg!(debug_assertions) {
            "debug build (use --release)"
        } else {
            "release build"
        }
    )
}

/// For the benchmark programs: a memory figure of a process (`self`, or its pid) in bytes,
/// from Linux's `/proc/PROCESS/status` (`VmRSS` now, `VmHWM` at most so far); 0 when unknown.
pub fn process_memory(process: &str, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{process}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<u64>()
                .ok()
        })
        .map_or(0, |kb| kb * 1024)
}

/// The large domain as an import would hold it: kind → key → image.
pub fn large_domain_state(tenants: usize) -> crate::history::State {
    fn add<E: Entity>(state: &mut crate::history::State, entity: E) {
        state
            .entry(E::KIND.to_owned())
            .or_default()
            .insert(entity.key(), crate::entity::image(&entity));
    }
    let mut state = crate::history::State::new();
    for tier in ["LIVE", "STAGING"] {
        let tier_entity = Tier {
            name: TierName::parse(tier).unwrap(),
            display_name: tier.into(),
            is_live: tier == "LIVE",
            state: EntityState::Active,
        };
        add(&mut state, tier_entity);
    }
    let organization = Organization {
        name: OrganizationName::parse("big").unwrap(),
        short_name: OrganizationName::parse("big").unwrap(),
        display_name: "Big".into(),
        state: EntityState::Active,
    };
    add(&mut state, organization);
    let mut names = BTreeSet::new();
    for d in 0..10 {
        let name = DeployableName::parse(format!("service-{d}")).unwrap();
        let deployable = Deployable {
            name: name.clone(),
            display_name: format!("Service {d}"),
            config_schema: large_domain_schema(),
            default_config: json!({"database": {"host": "localhost", "port": 5432, "pool_size": 5}, "timeouts": {"connect": 5, "read": 30}, "features": [], "log_level": "info"}),
        };
        add(&mut state, deployable);
        names.insert(name);
    }
    let product = Product {
        name: ProductName::parse("big-app").unwrap(),
        organization: OrganizationName::parse("big").unwrap(),
        display_name: "Big app".into(),
        deployables: names,
        state: EntityState::Active,
    };
    add(&mut state, product);
    for t in 0..tenants {
        let name = TenantName::parse(format!("big-t{t:05}")).unwrap();
        let tenant = Tenant {
            name: name.clone(),
            product: ProductName::parse("big-app").unwrap(),
            tier: TierName::parse("LIVE").unwrap(),
            alias: None,
            termination_protection: false,
            state: TenantState::Active,
        };
        add(&mut state, tenant);
        if t % 10 == 0 {
            let layer = ConfigLayer {
                deployable: DeployableName::parse("service-0").unwrap(),
                scope: Layer::Tenant(name),
                config: json!({"database": {"pool_size": 20}, "timeouts": {"read": 60}}),
            };
            add(&mut state, layer);
        }
    }
    state
}

/// Seeds [`large_domain_state`] into an empty store, imported in one change set: its
/// revision.
pub async fn seed_large_domain(store: &Store, tenants: usize) -> i64 {
    store
        .import_state(
            &Actor::operator("benchmark"),
            "a large domain",
            &large_domain_state(tenants),
        )
        .await
        .unwrap()
}

/// Sets `scope`'s layer of `deployable` to `config` as the operator, over whatever version it
/// is at, through the store's one layer write: the revision it committed.
pub async fn set_layer(
    store: &Store,
    deployable: &DeployableName,
    scope: &Layer,
    config: serde_json::Value,
    reason: &str,
) -> i64 {
    let actor = Actor::operator("test");
    let version = store
        .as_actor(&actor)
        .layer(deployable, scope)
        .await
        .unwrap()
        .version;
    store
        .write_layer(&actor, reason, deployable, scope, config, version)
        .await
        .unwrap()
        .revision
}
