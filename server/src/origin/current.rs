//! Reading an origin's current revision back: HEAD, its manifest and every document, each
//! hash checked. What a server loads at start, and what `strata init` and `pull` copy.

use std::collections::BTreeMap;

use futures_util::StreamExt;

use strata_domain::kind::Kind;
use strata_domain::snapshot::{
    Head, Manifest, document_path, render_document, sha256_hex, tables_of_documents,
};

use super::{Origin, OriginError};

/// The origin's current revision: its manifest and every document, each hash checked.
pub struct Fetched {
    pub manifest: Manifest,
    pub manifest_bytes: Vec<u8>,
    /// The manifest's name (`tenants/3f.json`) → bytes.
    pub documents: BTreeMap<String, Vec<u8>>,
}

impl Fetched {
    /// Each table whole, in the export format: file name (`tenants.json`) → bytes, every kind
    /// named. What a local copy holds, whatever the layout the origin stores it in.
    pub fn table_files(&self) -> Result<BTreeMap<String, Vec<u8>>, OriginError> {
        let tables = tables_of_documents(&self.documents).map_err(OriginError::Unreadable)?;
        Ok(Kind::ALL
            .into_iter()
            .map(|kind| {
                let rows = &tables[kind.name()];
                (format!("{}.json", kind.table()), render_document(rows))
            })
            .collect())
    }
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
    let checking = &manifest;
    let wanted: Vec<(String, String)> = (manifest.documents.iter())
        .map(|(name, doc)| (name.clone(), document_path(&doc.sha256)))
        .collect();
    let mut reads = futures_util::stream::iter(wanted)
        .map(|(name, path)| async move {
            let bytes = origin
                .get(&path)
                .await?
                .ok_or_else(|| unreadable(&name, "missing".into()))?;
            checking
                .check_document(&name, &bytes)
                .map_err(|e| unreadable(&name, e))?;
            Ok::<_, OriginError>((name, bytes))
        })
        .buffer_unordered(super::DOCUMENTS_AT_ONCE);
    let mut documents = BTreeMap::new();
    while let Some(read) = reads.next().await {
        let (name, bytes) = read?;
        documents.insert(name, bytes);
    }
    drop(reads);
    Ok(Some(Fetched {
        manifest,
        manifest_bytes,
        documents,
    }))
}
