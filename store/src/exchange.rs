//! Export and import: the whole domain as a directory of JSON files, one per table
//! (`tiers.json`, `tenants.json`, …). Each file is an object from key to entity, pretty
//! printed with keys sorted at every level, so the same state always gives the same bytes and
//! a diff of two exports reads like a review.

use std::path::Path;

use crate::access::Actor;
use crate::history::State;
use strata_domain::kind::Kind;

use crate::{Store, StoreError};

/// The text of one table's file: the snapshot document format.
pub fn render_table(rows: &strata_domain::compile::Table) -> String {
    String::from_utf8(strata_domain::snapshot::render_document(rows)).expect("JSON is UTF-8")
}

fn file_error(path: &Path, source: std::io::Error) -> StoreError {
    StoreError::File {
        path: path.display().to_string(),
        source,
    }
}

/// What an export wrote: file name and number of rows, in kind order.
pub type ExportSummary = Vec<(String, usize)>;

impl Store {
    /// Writes the current state into `dir` (created if missing), one file per table. Files
    /// are written whole, then renamed into place, so a reader never sees half a file.
    pub async fn export(&self, dir: &Path) -> Result<ExportSummary, StoreError> {
        let state = self.current_state().await?;
        std::fs::create_dir_all(dir).map_err(|e| file_error(dir, e))?;
        let mut summary = Vec::new();
        for kind in Kind::ALL {
            let (table, kind) = (kind.table(), kind.name());
            let rows = state.get(kind).cloned().unwrap_or_default();
            let path = dir.join(format!("{table}.json"));
            let partial = dir.join(format!(".{table}.json.partial"));
            std::fs::write(&partial, render_table(&rows)).map_err(|e| file_error(&partial, e))?;
            std::fs::rename(&partial, &path).map_err(|e| file_error(&path, e))?;
            summary.push((format!("{table}.json"), rows.len()));
        }
        Ok(summary)
    }

    /// Reads a directory written by [`Store::export`] and makes each table it holds equal to
    /// its file, in one change set through the write path: every rule applies, and either all
    /// of it is applied or none. Tables without a file stay as they are.
    pub async fn import(&self, actor: &Actor, reason: &str, dir: &Path) -> Result<i64, StoreError> {
        let state = read_export(dir)?;
        if state.is_empty() {
            return Err(StoreError::invalid(
                "/",
                format!(
                    "{} holds none of the table files ({})",
                    dir.display(),
                    Kind::ALL
                        .iter()
                        .map(|k| format!("{}.json", k.table()))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        self.import_state(actor, reason, &state).await
    }
}

/// The tables of an export directory, by kind. Unknown `.json` files are refused rather than
/// skipped, so a misnamed file is not silently left out.
pub fn read_export(dir: &Path) -> Result<State, StoreError> {
    let entries = std::fs::read_dir(dir).map_err(|e| file_error(dir, e))?;
    let mut state = State::new();
    for entry in entries {
        let entry = entry.map_err(|e| file_error(dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(table) = name.strip_suffix(".json") else {
            continue;
        };
        if name.starts_with('.') {
            continue;
        }
        let Some(kind) = Kind::ALL.into_iter().find(|k| k.table() == table) else {
            return Err(StoreError::invalid(
                format!("/{name}"),
                "not a table of a Strata export",
            ));
        };
        let text = crate::files::read_text(dir, &name)?;
        let rows: strata_domain::compile::Table = serde_json::from_str(&text).map_err(|e| {
            StoreError::invalid(
                format!("/{name}"),
                format!("an object from key to {}: {e}", kind.name()),
            )
        })?;
        state.insert(kind.name().to_owned(), rows);
    }
    Ok(state)
}
