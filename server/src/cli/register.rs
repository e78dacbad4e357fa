//! `strata deployable register FILE`: a service's repository keeps its deployable (name,
//! display name, config schema and default config) in one JSON file, and its CI registers it,
//! on a local database or against a server: created when new, updated when changed, nothing
//! when the same — through the API's validated write path, so a schema that would break
//! existing tenants' configs is refused with the list.

use std::path::Path;

use axum::http::Method;
use strata_domain::deployable::Deployable;

use super::client::{Call, Client, segment};
use super::output;
use crate::cli::CliError;

fn refused(file: &Path, why: impl std::fmt::Display) -> CliError {
    CliError::input("deployable register", format!("{}: {why}", file.display()))
}

/// Reads the deployable `file` describes; errors name the file and the field (as a JSON
/// pointer, as the API names the fields of a body).
fn read(file: &Path) -> Result<Deployable, CliError> {
    let text = std::fs::read_to_string(file).map_err(|e| refused(file, e))?;
    let document = serde_json::from_str(&text).map_err(|e| refused(file, e))?;
    crate::api::read_as(document).map_err(|e| refused(file, e.message))
}

pub async fn register(
    client: &Client,
    reason: Option<String>,
    file: &Path,
    as_json: bool,
) -> Result<(), CliError> {
    let deployable = read(file)?;
    let name = deployable.name.to_string();
    let body = serde_json::to_value(&deployable).expect("a deployable serializes");
    let reason = reason.unwrap_or_else(|| format!("register {name} from {}", file.display()));
    let path = format!("/api/v1/deployables/{}", segment(&name));
    let current = match client.get(&path).await {
        Ok(found) => found.body["item"]["version"].as_i64(),
        Err(CliError::Refused { status: 404, .. }) => None,
        Err(e) => return Err(e),
    };
    let call = match current {
        Some(version) => Call::write(Method::PUT, &path, &reason)
            .body(body)
            .edited(version),
        None => Call::write(Method::POST, "/api/v1/deployables", &reason).body(body),
    };
    let answer = match client.send(call).await {
        Ok(answer) => answer,
        Err(CliError::Refused { code, details, .. }) if code == "breaks_configs" => {
            for d in &details {
                let text = |f: &str| d[f].as_str().unwrap_or_default().to_owned();
                eprintln!(
                    "  tier {}, tenant {}, deployable {}: {}: {}",
                    text("tier"),
                    text("tenant"),
                    text("deployable"),
                    text("field"),
                    text("rule")
                );
            }
            return Err(refused(
                file,
                format!(
                    "refused: it would break {} rule(s) of existing tenants' configs (listed above); nothing was written",
                    details.len()
                ),
            ));
        }
        Err(e) => return Err(e),
    };
    let version = &answer.body["item"]["version"];
    let revision = &answer.body["revision"];
    output::written(as_json, &answer.body, || match current {
        None => format!("created deployable {name} (version {version}, revision {revision})"),
        Some(before) if version.as_i64() == Some(before) => format!(
            "deployable {name} is already as {} says: nothing changed",
            file.display()
        ),
        Some(_) => format!("updated deployable {name} to version {version} (revision {revision})"),
    });
    Ok(())
}
