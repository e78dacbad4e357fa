//! The operator's data commands on the local database: demo (the domain, then its approval
//! policy), export and import. Each goes
//! through the store's write path and prints what it did, one fact per line.

use std::path::Path;

use strata_store::Store;
use strata_store::access::Actor;

use crate::cli::CliError;
use crate::cli::output;

pub async fn demo(store: &Store, actor: &str, reviewed: bool) -> Result<(), CliError> {
    let revision = store.load_demo(actor).await?;
    let state = store.as_operator().current_state().await?;
    let counts: Vec<String> = state
        .iter()
        .map(|(kind, rows)| format!("{} {kind}(s)", rows.len()))
        .collect();
    println!(
        "loaded the demo domain as revision {revision}: {}",
        counts.join(", ")
    );
    if !reviewed {
        return Ok(());
    }
    let revision = store.load_demo_policies(actor).await?;
    println!(
        "put LIVE under review as revision {revision}: a change to LIVE's configs needs a \
         publisher's approval (approval policy live-review)"
    );
    Ok(())
}

pub async fn export(store: &Store, dir: &Path) -> Result<(), CliError> {
    let revision = store.domain().await?.revision;
    let bar = output::spinner(format!(
        "exporting revision {revision} to {}",
        dir.display()
    ));
    let files = store.export(dir).await;
    bar.finish_and_clear();
    for (file, rows) in files? {
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
) -> Result<(), CliError> {
    let before = store.domain().await?.revision;
    let bar = output::spinner(format!("importing {}", dir.display()));
    let imported = async {
        Ok::<_, CliError>(if drift {
            let (revision, report) = store
                .import_drift(&Actor::operator(actor), reason, dir)
                .await?;
            for (kind, rows) in &report.mapped {
                println!("imported {rows} {kind}(s)");
            }
            for line in &report.not_mapped {
                println!("not mapped: {line}");
            }
            revision
        } else {
            store.import(&Actor::operator(actor), reason, dir).await?
        })
    }
    .await;
    bar.finish_and_clear();
    let revision = imported?;
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
