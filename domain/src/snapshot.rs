//! The snapshot format: how a published revision lies in an origin.
//!
//! - `documents/<sha256>.json`: one document per table, in the export format (an object from
//!   key to entity, pretty printed, keys sorted), named by the SHA-256 of its bytes, so a table
//!   that did not change is not uploaded again. Never rewritten.
//! - `manifests/<revision>.json`: the revision, its parent, when and by whom, and the hash and
//!   size of each document, with a checksum over them. Never rewritten.
//! - `HEAD`: which manifest is current. The only object that changes, always with a
//!   conditional write, and always last, so readers see a whole revision or the previous one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The version of this layout, written in every manifest.
pub const FORMAT: u32 = 1;
pub const HEAD_PATH: &str = "HEAD";

/// The bytes of one table's document: an object from key to entity, pretty printed, keys
/// sorted at every level, ending in a newline. The same rows always give the same bytes.
pub fn render_document(rows: &crate::compile::Table) -> Vec<u8> {
    // serde_json's maps are sorted by key, so this is canonical for the same rows.
    let mut text = serde_json::to_vec_pretty(rows).expect("JSON values serialize");
    text.push(b'\n');
    text
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn document_path(sha256: &str) -> String {
    format!("documents/{sha256}.json")
}

pub fn manifest_path(revision: i64) -> String {
    format!("manifests/{revision:012}.json")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRef {
    pub sha256: String,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub domain: String,
    pub revision: i64,
    /// The revision the origin's HEAD named before this one, if any.
    pub parent: Option<i64>,
    /// RFC 3339 with milliseconds.
    pub published_at: String,
    /// Who committed the revision.
    pub actor: String,
    /// File name (`tiers.json`, …) → the document's hash and size.
    pub documents: BTreeMap<String, DocumentRef>,
    /// SHA-256 over the revision and each document's name, hash and size, in name order.
    pub checksum: String,
}

impl Manifest {
    pub fn checksum_of(revision: i64, documents: &BTreeMap<String, DocumentRef>) -> String {
        let mut text = format!("strata snapshot {FORMAT} revision {revision}\n");
        for (name, doc) in documents {
            text.push_str(&format!("{name} {} {}\n", doc.sha256, doc.size));
        }
        sha256_hex(text.as_bytes())
    }

    /// The manifest's own checksum agrees with its documents.
    pub fn is_consistent(&self) -> bool {
        self.format == FORMAT
            && self.checksum == Manifest::checksum_of(self.revision, &self.documents)
    }

    /// Whether `bytes` are the document the manifest names `name`.
    pub fn check_document(&self, name: &str, bytes: &[u8]) -> Result<(), String> {
        let expected = self
            .documents
            .get(name)
            .ok_or_else(|| format!("the manifest of revision {} has no {name}", self.revision))?;
        let actual = sha256_hex(bytes);
        if actual != expected.sha256 || bytes.len() as u64 != expected.size {
            return Err(format!(
                "{name} of revision {} should have SHA-256 {} and {} bytes, but has {actual} and {}",
                self.revision,
                expected.sha256,
                expected.size,
                bytes.len()
            ));
        }
        Ok(())
    }
}

/// What `HEAD` holds: the current revision and its manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Head {
    pub revision: i64,
    pub manifest: String,
    /// SHA-256 of the manifest's bytes.
    pub manifest_sha256: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn documents_are_canonical_and_manifests_check_them() {
        let rows: crate::compile::Table =
            [("LIVE".to_owned(), json!({"z": 1, "a": {"y": 2, "b": 3}}))].into_iter().collect();
        let bytes = render_document(&rows);
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            "{\n  \"LIVE\": {\n    \"a\": {\n      \"b\": 3,\n      \"y\": 2\n    },\n    \"z\": 1\n  }\n}\n"
        );
        let documents: BTreeMap<String, DocumentRef> = [(
            "tiers.json".to_owned(),
            DocumentRef {
                sha256: sha256_hex(&bytes),
                size: bytes.len() as u64,
            },
        )]
        .into();
        let manifest = Manifest {
            format: FORMAT,
            domain: "strata".into(),
            revision: 7,
            parent: Some(6),
            published_at: "2026-11-23T12:00:00.000Z".into(),
            actor: "alice".into(),
            checksum: Manifest::checksum_of(7, &documents),
            documents,
        };
        assert!(manifest.is_consistent());
        assert!(manifest.check_document("tiers.json", &bytes).is_ok());
        let err = manifest.check_document("tiers.json", b"{}\n").unwrap_err();
        assert!(err.contains("should have SHA-256"), "{err}");
        let mut tampered = manifest.clone();
        tampered.revision = 8;
        assert!(!tampered.is_consistent());
        assert_eq!(manifest_path(7), "manifests/000000000007.json");
    }
}
