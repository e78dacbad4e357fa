//! `strata get` and `strata env`: the config a tenant runs a deployable with, resolved from the
//! database, as JSON or as `KEY=value` lines for a process environment — secrets sealed, as a
//! read token without the `secrets` scope gets them, unless `--secrets` (which needs the key).

use strata_domain::compile::to_env;
use strata_domain::names::{DeployableName, TenantName, TierName};
use strata_store::Store;

use crate::startup::StartupError;

/// How the config is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Printed {
    Json,
    Env,
}

pub async fn print(
    store: &Store,
    (tier, tenant, deployable): (&str, &str, &str),
    secrets: bool,
    printed: Printed,
) -> Result<(), StartupError> {
    let named = |what: &'static str, e: strata_domain::names::NameError| {
        StartupError::setting(what, e.to_string())
    };
    let tier = TierName::parse(tier).map_err(|e| named("TIER", e))?;
    let tenant = TenantName::parse(tenant).map_err(|e| named("TENANT", e))?;
    let deployable = DeployableName::parse(deployable).map_err(|e| named("DEPLOYABLE", e))?;
    let resolved = store.resolve(&tier, &tenant, &deployable).await?;
    let mut config = resolved.resolved.config;
    if secrets {
        config = store
            .sealer()
            .open_document(deployable.as_str(), &config)
            .map_err(|u| {
                StartupError::setting("--secrets", format!("{}: {}", u.pointer, u.reason))
            })?
            .0
            .into_owned();
    }
    match printed {
        Printed::Json => println!(
            "{}",
            serde_json::to_string_pretty(&config).expect("JSON serializes")
        ),
        Printed::Env => print!("{}", to_env(&config)),
    }
    Ok(())
}
