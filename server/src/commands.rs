//! The data commands of the `strata` binary: demo, export and import. Each goes through the
//! store's write path and prints what it did, one fact per line.

use std::path::Path;

use strata_store::Store;

use crate::config::Settings;
use crate::publisher::{Outcome, Publisher};
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

/// Publishes the newest revision if it waits (also one whose retry is not due yet), then
/// reports; fails when the publication fails.
pub async fn publish(store: &Store, settings: &Settings) -> Result<(), StartupError> {
    let publisher = Publisher::new(
        store.clone(),
        settings.origin.open(),
        format!("strata publish (pid {})", std::process::id()),
        Default::default(),
    );
    let newest = store.publications(1).await?.into_iter().next();
    if let Some(p) = &newest
        && p.state == strata_store::outbox::PublicationState::Failed
    {
        // Asked by a person: try now rather than at the backoff's time.
        store
            .fail_publication(
                p.revision,
                p.last_error.as_deref().unwrap_or(""),
                Default::default(),
            )
            .await?;
    }
    match publisher.publish_next().await? {
        Some(Outcome::Published { revision, figures }) => {
            println!(
                "published revision {revision} to {}: {} documents ({} new, {} bytes uploaded); build {} ms, upload {} ms, switch {} ms; checksum {}",
                settings.origin.location(),
                figures.documents,
                figures.documents_uploaded,
                figures.bytes_uploaded,
                figures.build_ms,
                figures.upload_ms,
                figures.switch_ms,
                figures.checksum
            );
            Ok(())
        }
        Some(Outcome::Failed {
            revision,
            error,
            retry_in,
        }) => Err(StartupError::Publish(format!(
            "revision {revision} was not published: {error} (a running server retries in {retry_in:?})"
        ))),
        None => {
            match newest {
                Some(p) => println!(
                    "nothing to publish: revision {} is {:?}",
                    p.revision, p.state
                ),
                None => println!("nothing to publish: no revision was committed yet"),
            }
            Ok(())
        }
    }
}
