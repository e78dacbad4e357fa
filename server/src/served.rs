//! The revision this process serves to services: compiled in memory, replaced whole when a
//! newer one is published, so a reader sees one revision or the next, never a mix. Filled at
//! start from the origin alone, then by the publisher after each publication.

use std::sync::{Arc, RwLock};

use strata_domain::compile::Compiled;
use tokio::sync::watch;

use crate::origin::{Fetched, Origin, OriginError, fetch_current};

#[derive(Clone)]
pub struct Served {
    current: Arc<RwLock<Option<Arc<Compiled>>>>,
    revisions: watch::Sender<i64>,
}

impl Default for Served {
    fn default() -> Served {
        Served {
            current: Arc::default(),
            revisions: watch::Sender::new(0),
        }
    }
}

impl Served {
    pub fn current(&self) -> Option<Arc<Compiled>> {
        self.current.read().expect("not poisoned").clone()
    }

    /// Serves `compiled` from now on, unless a newer revision is served already.
    pub fn install(&self, compiled: Arc<Compiled>) {
        let revision = compiled.revision;
        {
            let mut current = self.current.write().expect("not poisoned");
            if current.as_ref().is_some_and(|c| c.revision >= revision) {
                return;
            }
            *current = Some(compiled);
        }
        self.revisions.send_replace(revision);
    }

    /// The served revision, told on every change.
    pub fn revisions(&self) -> watch::Receiver<i64> {
        self.revisions.subscribe()
    }
}

/// Compiles the revision the origin's HEAD names, from the origin alone, checking every hash.
/// `None` when nothing was published yet.
pub async fn load_from_origin(origin: &Origin) -> Result<Option<Compiled>, OriginError> {
    match fetch_current(origin).await? {
        Some(fetched) => compile_fetched(&fetched, &Compiled::empty()).map(Some),
        None => Ok(None),
    }
}

/// Compiles a revision read from an origin, from `previous` (only what changed since).
pub fn compile_fetched(fetched: &Fetched, previous: &Compiled) -> Result<Compiled, OriginError> {
    let tables = strata_domain::snapshot::tables_of_documents(&fetched.documents)
        .map_err(OriginError::Unreadable)?;
    previous
        .next(fetched.manifest.revision, Arc::new(tables))
        .map_err(OriginError::Unreadable)
}
