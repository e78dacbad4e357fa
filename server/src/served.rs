//! The revision this process serves to services: compiled in memory, replaced whole when a
//! newer one is published, so a reader sees one revision or the next, never a mix. Filled at
//! start from the origin alone, then by the publisher after each publication.

use std::sync::{Arc, RwLock};

use strata_domain::compile::Compiled;
use tokio::sync::watch;

use crate::origin::{Fetched, Origin, OriginError, fetch_current};

/// Cheap to clone (one shared part): the read path's state holds it, cloned per request.
#[derive(Clone)]
pub struct Served {
    inner: Arc<Inner>,
}

struct Inner {
    current: RwLock<Option<Arc<Compiled>>>,
    revisions: watch::Sender<i64>,
    /// Set when the server stops: those following revisions are let go.
    stopping: watch::Sender<bool>,
}

impl Default for Served {
    fn default() -> Served {
        Served {
            inner: Arc::new(Inner {
                current: RwLock::default(),
                revisions: watch::Sender::new(0),
                stopping: watch::Sender::new(false),
            }),
        }
    }
}

impl Served {
    pub fn current(&self) -> Option<Arc<Compiled>> {
        self.inner.current.read().expect("not poisoned").clone()
    }

    /// Serves `compiled` from now on, unless this revision or a newer one is served already.
    /// Answers whether it did.
    pub fn install(&self, compiled: Arc<Compiled>) -> bool {
        let revision = compiled.revision;
        {
            let mut current = self.inner.current.write().expect("not poisoned");
            if current.as_ref().is_some_and(|c| c.revision >= revision) {
                return false;
            }
            *current = Some(compiled);
        }
        self.inner.revisions.send_replace(revision);
        true
    }

    /// The served revision, told on every change.
    pub fn revisions(&self) -> watch::Receiver<i64> {
        self.inner.revisions.subscribe()
    }

    /// Lets go of everyone following revisions: the server is stopping, and waits for open
    /// answers to end.
    pub fn stop(&self) {
        self.inner.stopping.send_replace(true);
    }

    /// Ends when [`Served::stop`] is called.
    pub fn stopped(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut stopping = self.inner.stopping.subscribe();
        async move {
            let _ = stopping.wait_for(|stopping| *stopping).await;
        }
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
