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
    /// "build 3 ms · upload 2 ms · HEAD 0 ms" once published.
    pub timings: Option<String>,
    /// The manifest's checksum over its documents, once published.
    pub checksum: Option<String>,
    /// From commit to published (origin and cache), once published.
    pub propagation_ms: Option<i64>,
}

impl PublicationRow {
    /// Whether the publisher still has work on it (so the page keeps looking).
    pub fn in_progress(&self) -> bool {
        matches!(self.state.as_str(), "pending" | "publishing" | "failed")
    }
}

#[server(endpoint = "publications")]
pub async fn get_publications() -> Result<Vec<PublicationRow>, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    let publications = console
        .store
        .as_actor(&console.actor()?)
        .publications(50)
        .await
        .map_err(crate::ssr::store_failure)?;
    Ok(publications.into_iter().map(row_of).collect())
}

/// Asks the publisher to publish the newest revision now: a failed publication is retried
/// without waiting for its backoff. Answers what it asked for, in words.
#[server(endpoint = "publish-now")]
pub async fn publish_now() -> Result<String, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    let newest = console
        .store
        .publish_now(&console.actor()?)
        .await
        .map_err(crate::ssr::store_failure)?;
    Ok(match newest {
        None => "No revision was committed yet: nothing to publish.".to_owned(),
        Some(p) => sentence(&p.standing(strata_store::now_ms())),
    })
}

/// A message as a sentence: capitalised, with a full stop.
#[cfg(feature = "ssr")]
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => format!("{}{}.", first.to_uppercase(), chars.as_str()),
        None => String::new(),
    }
}

/// A publication as the console shows it.
#[cfg(feature = "ssr")]
pub(crate) fn row_of(p: strata_store::outbox::Publication) -> PublicationRow {
    use strata_domain::time::format_rfc3339_millis;

    PublicationRow {
        revision: p.revision,
        state: p.state.as_str().to_owned(),
        actor: p.actor,
        committed_at: format_rfc3339_millis(p.committed_ms),
        attempts: p.attempts,
        last_error: p.last_error,
        published_at: p.published_ms.map(format_rfc3339_millis),
        wrote: p.figures.as_ref().map(|f| {
            format!(
                "{} documents, {} new ({} bytes uploaded)",
                f.documents, f.documents_uploaded, f.bytes_uploaded
            )
        }),
        timings: p.figures.as_ref().map(|f| {
            format!(
                "build {} ms · upload {} ms · HEAD {} ms",
                f.build_ms, f.upload_ms, f.switch_ms
            )
        }),
        checksum: p.figures.map(|f| f.checksum),
        propagation_ms: p.published_ms.map(|at| at - p.committed_ms),
    }
}
