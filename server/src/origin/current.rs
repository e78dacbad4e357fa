//! Reading an origin's current revision back: HEAD, its manifest and every document, each
//! hash checked. What a server loads at start, and what `strata init` and `pull` copy.

use std::collections::BTreeMap;

use strata_domain::snapshot::{Head, Manifest, document_path, sha256_hex};

use super::{Origin, OriginError};

/// The origin's current revision: its manifest and every document, each hash checked.
pub struct Fetched {
    pub manifest: Manifest,
    pub manifest_bytes: Vec<u8>,
    /// File name → bytes.
    pub documents: BTreeMap<String, Vec<u8>>,
}

/// HEAD as read, with its tag for a conditional write; `None` before the first publication.
pub async fn current_head(origin: &Origin) -> Result<Option<(Head, String)>, OriginError> {
    let Some((bytes, tag)) = origin.head().await? else {
        return Ok(None);
    };
    let head = serde_json::from_slice(&bytes)
        .map_err(|e| OriginError::Unreadable(format!("HEAD: {e}")))?;
    Ok(Some((head, tag)))
}

pub async fn fetch_current(origin: &Origin) -> Result<Option<Fetched>, OriginError> {
    let unreadable = |what: &str, e: String| OriginError::Unreadable(format!("{what}: {e}"));
    let Some((head, _)) = current_head(origin).await? else {
        return Ok(None);
    };
    let manifest_bytes = origin
        .get(&head.manifest)
        .await?
        .ok_or_else(|| unreadable(&head.manifest, "missing".into()))?;
    if sha256_hex(&manifest_bytes) != head.manifest_sha256 {
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
    let mut documents = BTreeMap::new();
    for (name, doc) in &manifest.documents {
        let bytes = origin
            .get(&document_path(&doc.sha256))
            .await?
            .ok_or_else(|| unreadable(name, "missing".into()))?;
        manifest
            .check_document(name, &bytes)
            .map_err(|e| unreadable(name, e))?;
        documents.insert(name.clone(), bytes);
    }
    Ok(Some(Fetched {
        manifest,
        manifest_bytes,
        documents,
    }))
}
