//! The data commands of the `strata` binary: demo, export and import. Each goes through the
//! store's write path and prints what it did, one fact per line.

use std::path::Path;

use strata_store::Store;

use crate::startup::StartupError;

pub async fn demo(store: &Store, actor: &str) -> Result<(), StartupError> {
    let revision = store.load_demo(actor).await?;
    let state = store.current_state().await?;
    let counts: Vec<String> = state
        .iter()
        .map(|(kind, rows)| format!("{} {kind}(s)", rows.len()))
        .collect();
    println!(
        "loaded the demo domain as revision {revision}: {}",
        counts.join(", ")
    );
    Ok(())
}

pub async fn export(store: &Store, dir: &Path) -> Result<(), StartupError> {
    let revision = store.domain().await?.revision;
    for (file, rows) in store.export(dir).await? {
        println!("{}: {rows} row(s)", dir.join(file).display());
    }
    println!("exported revision {revision} to {}", dir.display());
    Ok(())
}

pub async fn import(
    store: &Store,
    actor: &str,
    reason: &str,
    dir: &Path,
    drift: bool,
) -> Result<(), StartupError> {
    let before = store.domain().await?.revision;
    let revision = if drift {
        let (revision, report) = store.import_drift(actor, reason, dir).await?;
        for (kind, rows) in &report.mapped {
            println!("imported {rows} {kind}(s)");
        }
        for line in &report.not_mapped {
            println!("not mapped: {line}");
        }
        revision
    } else {
        store.import(actor, reason, dir).await?
    };
    if revision == before {
        println!(
            "the domain already held what {} holds: nothing changed",
            dir.display()
        );
    } else {
        println!("imported {} as revision {revision}", dir.display());
    }
    Ok(())
}
