//! `strata publish --server URL`: asks the server's publisher to publish the newest revision
//! now, then follows it (a spinner on a terminal) until it is published, fails or a newer
//! revision supersedes it — the figures, or the error, at the end.

use std::time::{Duration, Instant};

use axum::http::Method;

use super::client::{Call, Client};
use super::output;
use crate::cli::CliError;

pub async fn publish(client: &Client, wait: Duration) -> Result<(), CliError> {
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
