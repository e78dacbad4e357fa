//! Measures an import, as `strata import DIR` makes it, and prints the figures (not a test):
//! the large domain (`test_support::large_domain_state`: 10 deployables, one product, TENANTS
//! tenants on LIVE, a layer of its own for one tenant in ten) is written as an export
//! directory, then imported into an empty store on SQLite and on PostgreSQL, each in a process
//! of its own so its peak resident memory is the import's alone.
//!
//! Run: `scripts/services.sh` (for PostgreSQL), then
//! `cargo run --release -p strata-store --features test-support --example import_benchmark
//! [-- TENANTS]`.

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use strata_domain::kind::Kind;
use strata_store::access::Actor;
use strata_store::exchange::render_table;
use strata_store::test_support::{
    BACKENDS, TestDatabase, benchmark_machine, benchmark_tenants, large_domain_state,
    process_memory,
};
use strata_store::{Backend, Store};

/// The child's part: imports `dir` into an empty store of `backend`, prints the figures.
async fn import(backend: Backend, dir: &Path) {
    let db = TestDatabase::new(backend).await;
    let store: Store = db.store().await;
    let start = Instant::now();
    let revision = store
        .import(&Actor::operator("benchmark"), "import benchmark", dir)
        .await
        .unwrap();
    let took = start.elapsed();
    println!(
        "{backend:?}: import as revision {revision}: {:.1} s, peak RSS {:.0} MB",
        took.as_secs_f64(),
        process_memory("self", "VmHWM") as f64 / 1048576.0
    );
    store.close().await;
    db.drop_database().await;
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--import") {
        let backend = match args[2].as_str() {
            "sqlite" => Backend::Sqlite,
            _ => Backend::Postgres,
        };
        import(backend, Path::new(&args[3])).await;
        return;
    }
    let tenants = benchmark_tenants();
    println!("strata-store import benchmark: {}", benchmark_machine());
    let dir = tempfile::tempdir().unwrap();
    let state = large_domain_state(tenants);
    let mut bytes = 0;
    for kind in Kind::ALL {
        let rows = state.get(kind.name()).cloned().unwrap_or_default();
        let text = render_table(&rows);
        bytes += text.len();
        std::fs::write(dir.path().join(format!("{}.json", kind.table())), text).unwrap();
    }
    drop(state);
    println!(
        "export of {tenants} tenants: {:.1} MB in {}",
        bytes as f64 / 1e6,
        dir.path().display()
    );
    for backend in BACKENDS {
        let name = match backend {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        };
        let status = Command::new(std::env::current_exe().unwrap())
            .args(["--import", name])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(status.success(), "the {name} import failed");
    }
}
