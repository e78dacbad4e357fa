//! The data commands of the `strata` binary: demo, export and import. Each goes through the
//! store's write path and prints what it did, one fact per line.

use std::path::Path;
use std::sync::Arc;

use strata_store::Store;
use strata_store::access::Actor;

use crate::cache::CacheSetting;
use crate::cli::CliError;
use crate::cli::args::CacheAction;
use crate::cli::output;
use crate::config::Settings;
use crate::origin::fetch_current;
use crate::publisher::{Outcome, Publisher};
use crate::redis_cache::RedisCache;
use crate::served::compile_fetched;

pub async fn demo(store: &Store, actor: &str) -> Result<(), CliError> {
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

/// Publishes the newest revision if it waits (also one whose retry is not due yet), then
/// reports; fails when the publication fails.
pub async fn publish(store: &Store, settings: &Settings) -> Result<(), CliError> {
    let bar = output::spinner(format!("publishing to {}", settings.origin.location()));
    let steps = bar.clone();
    let mut publisher = Publisher::new(
        store.clone(),
        settings.origin.open().await,
        format!("strata publish (pid {})", std::process::id()),
        Default::default(),
    )
    .with_progress(Arc::new(move |line: &str| output::step(&steps, line)));
    // With a Redis cache configured, the publication is complete once Redis has it too.
    if let CacheSetting::Redis { client, location } = &settings.cache {
        publisher = publisher.with_redis(RedisCache::new(client.clone(), location.clone()));
    }
    // Asked by a person: a failed publication is tried now rather than at its backoff's time.
    store
        .retry_failed_now(&Actor::operator(format!(
            "strata publish (pid {})",
            std::process::id()
        )))
        .await?;
    let newest = store
        .as_operator()
        .publications(1)
        .await?
        .into_iter()
        .next();
    let outcome = publisher.publish_next().await;
    bar.finish_and_clear();
    match outcome? {
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
        }) => Err(CliError::Failed(format!(
            "revision {revision} was not published: {error} (a running server retries in {retry_in:?})"
        ))),
        None => {
            match newest {
                Some(p) => println!(
                    "nothing to publish: revision {} is {}",
                    p.revision,
                    p.state.as_str()
                ),
                None => println!("nothing to publish: no revision was committed yet"),
            }
            Ok(())
        }
    }
}

/// Compiles the origin's current revision into Redis; with `Watch`, again whenever HEAD moves.
pub async fn cache(settings: &Settings, action: CacheAction) -> Result<(), CliError> {
    let CacheSetting::Redis { client, location } = &settings.cache else {
        return Err(CliError::input(
            "STRATA_REDIS_URL",
            "the cache commands write to Redis: give --redis-url or STRATA_REDIS_URL",
        ));
    };
    let redis = RedisCache::new(client.clone(), location.clone());
    let origin = settings.origin.open().await;
    let (tier, interval) = match &action {
        CacheAction::Rebuild { tier } => (tier.clone(), None),
        CacheAction::Watch {
            tier,
            interval_seconds,
        } => (
            tier.clone(),
            Some(std::time::Duration::from_secs(*interval_seconds)),
        ),
    };
    let mut compiled_tag = None;
    // Compiling from the previous revision recompiles only what changed; a tier given keeps
    // every revision to it.
    let mut previous = strata_domain::compile::Compiled::empty();
    if let Some(tier) = &tier {
        previous.retain_tier(tier);
    }
    let mut previous = std::sync::Arc::new(previous);
    loop {
        let tag = origin
            .head()
            .await
            .map_err(|e| CliError::Failed(e.to_string()))?
            .map(|(_, tag)| tag);
        if tag.is_some() && tag != compiled_tag {
            let started = std::time::Instant::now();
            let fetched = fetch_current(&origin)
                .await
                .map_err(|e| CliError::Failed(e.to_string()))?
                .ok_or_else(|| CliError::Failed("the origin's HEAD went away".into()))?;
            let compiled = compile_fetched(&fetched, &previous)
                .map_err(|e| CliError::Failed(e.to_string()))?;
            let written = redis
                .compile(
                    &fetched.manifest.domain,
                    &compiled,
                    (previous.revision > 0).then_some(&*previous),
                )
                .await
                .map_err(CliError::Failed)?;
            println!(
                "compiled revision {} of domain {} from {} into {location}: {written} configs in {} ms",
                compiled.revision,
                fetched.manifest.domain,
                settings.origin.location(),
                started.elapsed().as_millis()
            );
            compiled_tag = tag;
            previous = std::sync::Arc::new(compiled);
        } else if tag.is_none() && interval.is_none() {
            return Err(CliError::Failed(format!(
                "{} has no published revision yet",
                settings.origin.location()
            )));
        }
        match interval {
            None => return Ok(()),
            Some(interval) => tokio::time::sleep(interval).await,
        }
    }
}
