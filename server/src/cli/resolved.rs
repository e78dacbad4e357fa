//! `strata get` and `strata env`: the config a tenant runs a deployable with, resolved, as
//! JSON or as `KEY=value` lines for a process environment. Secrets stay sealed, as a read
//! token without the `secrets` scope gets them, unless `--secrets`: on a local database that
//! opens them with STRATA_SECRET_KEY; against a server it reads the config from the read path
//! (`/api/v1/config/…`), which opens them for a read token with the `secrets` scope. Against a
//! server, a token that acts in an organization reads the committed config (`/api/v1/resolve`),
//! a read token the published one (the read path, secrets sealed unless `--secrets`).

use strata_domain::compile::{EnvStyle, to_env};
use strata_store::sealing::{Sealer, SecretKey};

use super::client::{Client, segment};
use crate::cli::CliError;
use crate::cli::args::ConfigTarget;

/// How the config is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Printed {
    Json,
    Env(EnvStyle),
}

pub async fn print(
    client: &Client,
    target: &ConfigTarget,
    secrets: bool,
    key: Option<&SecretKey>,
    printed: Printed,
) -> Result<(), CliError> {
    let parts = format!(
        "{}/{}/{}",
        segment(&target.tier),
        segment(&target.tenant),
        segment(&target.deployable)
    );
    let config = match (client, secrets) {
        (Client::Remote { .. }, true) => client.get(format!("/api/v1/config/{parts}")).await?.body,
        (Client::Local { .. }, true) => {
            let config =
                client.get(format!("/api/v1/resolve/{parts}")).await?.body["config"].take();
            Sealer::new(key.cloned())
                .open_document(&target.deployable, &config)
                .map_err(|u| CliError::input("--secrets", format!("{}: {}", u.pointer, u.reason)))?
                .0
                .into_owned()
        }
        (Client::Remote { .. }, false) => {
            match client.get(format!("/api/v1/resolve/{parts}")).await {
                Ok(mut answer) => answer.body["config"].take(),
                // A read token: the read path, secrets kept sealed.
                Err(CliError::Refused { status: 403, .. }) => {
                    let answer = client
                        .get(format!("/api/v1/config/{parts}?sealed=true"))
                        .await?;
                    eprintln!(
                        "a read token: the config of the published revision{}, secrets sealed",
                        answer.etag.map(|r| format!(" ({r})")).unwrap_or_default()
                    );
                    answer.body
                }
                Err(e) => return Err(e),
            }
        }
        (Client::Local { .. }, false) => {
            client.get(format!("/api/v1/resolve/{parts}")).await?.body["config"].take()
        }
    };
    match printed {
        Printed::Json => super::output::json(&config),
        Printed::Env(style) => print!(
            "{}",
            to_env(&config, style).map_err(|e| CliError::input("--style", e.to_string()))?
        ),
    }
    Ok(())
}
