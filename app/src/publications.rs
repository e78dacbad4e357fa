//! The publications of committed revisions, as the console shows them: each revision's state
//! on its way to the origin and the cache, its attempts and last error, and what it wrote.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicationRow {
    pub revision: i64,
    /// pending, publishing, published, failed or superseded.
    pub state: String,
    pub actor: String,
    pub committed_at: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub published_at: Option<String>,
    /// "7 documents, 1 new (267 kB)" once published.
    pub wrote: Option<String>,
}

#[server(endpoint = "publications")]
pub async fn get_publications() -> Result<Vec<PublicationRow>, ServerFnError> {
    use strata_domain::time::format_rfc3339_millis;

    use crate::ssr::Console;

    let console = Console::current()?;
    let publications = console
        .store
        .publications(50)
        .await
        .map_err(|e| ServerFnError::new(e.to_string()))?;
    Ok(publications
        .into_iter()
        .map(|p| PublicationRow {
            revision: p.revision,
            state: p.state.as_str().to_owned(),
            actor: p.actor,
            committed_at: format_rfc3339_millis(p.committed_ms),
            attempts: p.attempts,
            last_error: p.last_error,
            published_at: p.published_ms.map(format_rfc3339_millis),
            wrote: p.figures.map(|f| {
                format!(
                    "{} documents, {} new ({} bytes uploaded)",
                    f.documents, f.documents_uploaded, f.bytes_uploaded
                )
            }),
        })
        .collect())
}
