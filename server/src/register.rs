//! `strata deployable register FILE`: a service's repository keeps its deployable (name,
//! display name, config schema and default config) in one JSON file, and its CI registers it:
//! created when new, updated when changed, nothing when the same — through the store's write
//! path, so a schema that would break existing tenants' configs is refused with the list.

use std::path::Path;

use strata_domain::deployable::Deployable;
use strata_store::access::Actor;
use strata_store::{Store, StoreError};

use crate::startup::StartupError;

fn refused(file: &Path, why: impl std::fmt::Display) -> StartupError {
    StartupError::setting("deployable register", format!("{}: {why}", file.display()))
}

/// Reads the deployable `file` describes; errors name the file and the field.
fn read(file: &Path) -> Result<Deployable, StartupError> {
    let text = std::fs::read_to_string(file).map_err(|e| refused(file, e))?;
    let mut json = serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let at = e.path().to_string();
        match at.as_str() {
            "." | "" => refused(file, e.inner()),
            _ => refused(file, format!("/{}: {}", at.replace('.', "/"), e.inner())),
        }
    })
}

pub async fn register(
    store: &Store,
    actor: &str,
    reason: Option<String>,
    file: &Path,
) -> Result<(), StartupError> {
    let deployable = read(file)?;
    let name = deployable.name.to_string();
    let reason = reason.unwrap_or_else(|| format!("register {name} from {}", file.display()));
    let current = match store.get::<Deployable>(&name).await {
        Ok(current) => Some(current),
        Err(StoreError::NotFound { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let mut change = store.begin(&Actor::operator(actor), &reason).await?;
    let written = match &current {
        Some(current) => change.update(current.version, deployable).await?,
        None => change.create(deployable).await?,
    };
    let revision = match change.commit().await {
        Ok(revision) => revision,
        Err(StoreError::Unresolvable(violations)) => {
            for v in &violations.first {
                eprintln!("  {}: {}: {}", v.target, v.field, v.rule);
            }
            if violations.total > violations.first.len() {
                eprintln!("  … and {} more", violations.total - violations.first.len());
            }
            return Err(refused(
                file,
                format!(
                    "refused: it would break {} rule(s) of existing tenants' configs (listed above); nothing was written",
                    violations.total
                ),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    match current {
        None => println!(
            "created deployable {name} (version {}, revision {revision})",
            written.version
        ),
        Some(current) if current.version == written.version => {
            println!(
                "deployable {name} is already as {} says: nothing changed",
                file.display()
            )
        }
        Some(_) => println!(
            "updated deployable {name} to version {} (revision {revision})",
            written.version
        ),
    }
    Ok(())
}
