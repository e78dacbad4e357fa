//! `strata publish`: on the local database, publishes the newest revision itself; with
//! `--server URL`, asks the server's publisher to publish it now, then follows it (a spinner
//! on a terminal) until it is published, fails or a newer revision supersedes it — the
//! figures, or the error, at the end.

use std::time::{Duration, Instant};

use axum::http::Method;

use std::sync::Arc;

use strata_store::Store;
use strata_store::access::Actor;

use super::client::{Call, Client};
use super::output;
use crate::cache::CacheSetting;
use crate::cli::CliError;
use crate::config::Settings;
use crate::publisher::{Outcome, Publisher};
use crate::redis_cache::RedisCache;

pub async fn publish_remote(client: &Client, wait: Duration) -> Result<(), CliError> {
    let asked = client
        .send(Call::write(Method::POST, "/api/v1/publish", "publish"))
        .await?
        .body;
    let Some(mut revision) = asked["publication"]["revision"].as_i64() else {
        println!("{}", output::cell(&asked["message"]));
        return Ok(());
    };
    let bar = output::spinner(format!("publishing revision {revision}"));
    let started = Instant::now();
    let mut publication = asked["publication"].clone();
    let mut said = String::new();
    loop {
        match publication["state"].as_str().unwrap_or_default() {
            "published" => {
                bar.finish_and_clear();
                let f = &publication["figures"];
                output::done(format!(
                    "published revision {revision}: {} documents ({} new, {} bytes uploaded); build {} ms, upload {} ms, switch {} ms; checksum {}",
                    f["documents"],
                    f["documents_uploaded"],
                    f["bytes_uploaded"],
                    f["build_ms"],
                    f["upload_ms"],
                    f["switch_ms"],
                    output::cell(&f["checksum"])
                ));
                return Ok(());
            }
            "failed" => {
                bar.finish_and_clear();
                return Err(CliError::Failed(format!(
                    "revision {revision} was not published: {} (the server retries it)",
                    output::cell(&publication["last_error"])
                )));
            }
            "superseded" => {
                // A newer revision was committed meanwhile: follow that one.
                let newest = client.get("/api/v1/publications?limit=1").await?.body;
                revision = newest["items"][0]["revision"].as_i64().unwrap_or(revision);
                output::step(&bar, &format!("superseded: following revision {revision}"));
            }
            state if state != said => {
                output::step(&bar, &format!("revision {revision} is {state}"));
                said = state.to_owned();
            }
            _ => {}
        }
        if started.elapsed() > wait {
            bar.finish_and_clear();
            return Err(CliError::Failed(format!(
                "revision {revision} is still {} after {} s; `strata publish` again, or look at the console's publications page",
                output::cell(&publication["state"]),
                wait.as_secs()
            )));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        publication = client
            .get(format!("/api/v1/publications/{revision}"))
            .await?
            .body;
    }
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
