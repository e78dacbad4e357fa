//! The revision this process serves to services: compiled in memory, replaced whole when a
//! newer one is published, so a reader sees one revision or the next, never a mix. Filled at
//! start from the origin alone, then by the publisher after each publication.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use strata_domain::compile::{Compiled, Tables};
use strata_domain::snapshot::{Head, Manifest, document_path};
use strata_store::KINDS;
use tokio::sync::watch;

use crate::origin::Origin;
use crate::publisher::PublishError;

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
pub async fn load_from_origin(origin: &Origin) -> Result<Option<Compiled>, PublishError> {
    let Some((bytes, _)) = origin.head().await? else {
        return Ok(None);
    };
    let unreadable = |what: &str, e: String| PublishError::Unreadable(what.to_owned(), e);
    let head: Head =
        serde_json::from_slice(&bytes).map_err(|e| unreadable("HEAD", e.to_string()))?;
    let manifest_bytes = origin
        .get(&head.manifest)
        .await?
        .ok_or_else(|| unreadable(&head.manifest, "missing".into()))?;
    if strata_domain::snapshot::sha256_hex(&manifest_bytes) != head.manifest_sha256 {
        return Err(unreadable(
            &head.manifest,
            "its hash is not the one HEAD names".into(),
        ));
    }
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes)
        .map_err(|e| unreadable(&head.manifest, e.to_string()))?;
    if !manifest.is_consistent() {
        return Err(unreadable(
            &head.manifest,
            "its checksum does not match its documents".into(),
        ));
    }
    let mut tables = Tables::new();
    for (kind, table) in KINDS {
        let name = format!("{table}.json");
        let Some(doc) = manifest.documents.get(&name) else {
            continue;
        };
        let bytes = origin
            .get(&document_path(&doc.sha256))
            .await?
            .ok_or_else(|| unreadable(&name, "missing".into()))?;
        manifest
            .check_document(&name, &bytes)
            .map_err(|e| unreadable(&name, e))?;
        let rows: BTreeMap<String, serde_json::Value> =
            serde_json::from_slice(&bytes).map_err(|e| unreadable(&name, e.to_string()))?;
        tables.insert(kind.to_owned(), rows);
    }
    Compiled::build(manifest.revision, &tables)
        .map(Some)
        .map_err(|e| unreadable(&head.manifest, e))
}
