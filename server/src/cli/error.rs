//! What a `strata` command can fail with, and its exit code.

use strata_store::StoreError;

use crate::config::SettingError;
use crate::startup::StartupError;

/// Why a command failed. Each message names what to fix; the exit code says what kind of
/// failure it was.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A setting, argument or input the command cannot use: what, and why.
    #[error("{what}: {why}")]
    Input { what: String, why: String },
    #[error("{0}")]
    Setting(#[from] SettingError),
    #[error("{0}")]
    Startup(#[from] StartupError),
    #[error("{0}")]
    Store(#[from] StoreError),
    /// The origin, a local copy or a publication failed.
    #[error("{0}")]
    Failed(String),
    /// The API refused (over HTTP, or in process on a local database).
    #[error("{message}{}", refusal_details(details))]
    Refused {
        status: u16,
        code: String,
        message: String,
        details: Vec<serde_json::Value>,
    },
}

/// A refusal's details, a line each: the broken configs, the fields and their rules, …
fn refusal_details(details: &[serde_json::Value]) -> String {
    let text = |v: &serde_json::Value, k: &str| v[k].as_str().unwrap_or_default().to_owned();
    details
        .iter()
        .filter_map(|d| {
            if d.get("tenant").is_some() {
                Some(format!(
                    "\n  {} {} {}: {}: {}",
                    text(d, "tier"),
                    text(d, "tenant"),
                    text(d, "deployable"),
                    text(d, "field"),
                    text(d, "rule")
                ))
            } else if let Some(current) = d.get("current_version") {
                Some(format!(
                    "\n  now at version {current}, changed by {} at {}",
                    text(d, "changed_by"),
                    text(d, "changed_at")
                ))
            } else if d.get("used_by").is_some() {
                Some(format!("\n  used by {}", d["used_by"]))
            } else {
                None
            }
        })
        .collect()
}

impl CliError {
    /// The command's exit code: 3 when the domain changed under the caller or the write
    /// collides with what is there (HTTP 409), else 1. (Usage errors exit 2, from clap.)
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Refused { status: 409, .. }
            | CliError::Store(
                StoreError::Conflict { .. }
                | StoreError::Duplicate { .. }
                | StoreError::InUse { .. },
            ) => 3,
            _ => 1,
        }
    }

    /// An argument or input the command cannot use.
    pub fn input(what: impl Into<String>, why: impl Into<String>) -> CliError {
        CliError::Input {
            what: what.into(),
            why: why.into(),
        }
    }
}
