//! The snapshot format: how a published revision lies in an origin.
//!
//! - `documents/<sha256>.json`: a table's entities in up to 256 shards, each in the export
//!   format (an object from key to entity, pretty printed, keys sorted), named by the SHA-256
//!   of its bytes, so a shard that did not change is not uploaded again. Never rewritten. An
//!   entity lies in the shard its key's SHA-256 begins with; the manifest names the shard
//!   `<table>/<first byte in hex>.json` (`tenants/3f.json`), and lists only shards with an
//!   entity. Format 1 (still read) kept each table whole, as `<table>.json`.
//! - `manifests/<revision>.json`: the revision, its parent, when and by whom, and the hash and
//!   size of each document, with a checksum over them. Never rewritten.
//! - `HEAD`: which manifest is current. The only object that changes, always with a
//!   conditional write, and always last, so readers see a whole revision or the previous one.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::compile::{Table, Tables};
use crate::kind::Kind;

/// The version of this layout, written in every manifest.
pub const FORMAT: u32 = 2;
/// The layouts this version reads.
pub const READABLE_FORMATS: [u32; 2] = [1, 2];
pub const HEAD_PATH: &str = "HEAD";

/// The bytes of a document: an object from key to entity, pretty printed, keys sorted at
/// every level, ending in a newline. The same rows always give the same bytes.
pub fn render_document<'a>(rows: impl IntoIterator<Item = (&'a String, &'a Value)>) -> Vec<u8> {
    // serde_json's maps are sorted by key, so this is canonical for the same rows.
    let rows: BTreeMap<&String, &Value> = rows.into_iter().collect();
    let mut text = serde_json::to_vec_pretty(&rows).expect("JSON values serialize");
    text.push(b'\n');
    text
}

/// Which of its table's shards holds the entity of `key`: the first byte of the key's SHA-256.
pub fn shard_of(key: &str) -> u8 {
    Sha256::digest(key.as_bytes())[0]
}

/// The manifest's name for shard `shard` of `table` (`tenants/3f.json`).
pub fn shard_name(table: &str, shard: u8) -> String {
    format!("{table}/{shard:02x}.json")
}

/// The table a manifest's document belongs to: `tenants` for a shard `tenants/3f.json` and for
/// a whole table `tenants.json` (format 1).
pub fn table_of(name: &str) -> Option<&str> {
    name.split_once('/')
        .map(|(table, _)| table)
        .or_else(|| name.strip_suffix(".json"))
}

/// A revision's tables read back from its documents (document name → bytes, every hash
/// checked by the caller), whole or in shards: kind → table, every kind named (a kind with no
/// entity has no shard).
pub fn tables_of_documents(documents: &BTreeMap<String, Vec<u8>>) -> Result<Tables, String> {
    let mut tables: Tables = Kind::ALL
        .into_iter()
        .map(|kind| (kind.name().to_owned(), Table::new()))
        .collect();
    for (name, bytes) in documents {
        let Some(kind) =
            table_of(name).and_then(|t| Kind::ALL.into_iter().find(|k| k.table() == t))
        else {
            continue;
        };
        let rows: Table = serde_json::from_slice(bytes).map_err(|e| format!("{name}: {e}"))?;
        if let Some(table) = tables.get_mut(kind.name()) {
            table.extend(rows);
        }
    }
    Ok(tables)
}

/// A revision's documents as a publisher keeps them from one revision to the next: the
/// manifest's entry for each shard and the keys each shard holds, so the next revision renders
/// only the shards its changes touch.
#[derive(Clone, Default)]
pub struct Documents {
    /// Document name → its hash and size: the manifest's `documents`.
    pub refs: BTreeMap<String, DocumentRef>,
    /// Kind name → shard → the keys in it.
    keys: BTreeMap<String, BTreeMap<u8, imbl::OrdSet<String>>>,
}

/// A document's bytes, named by their SHA-256: what to upload.
pub type Content = (String, Vec<u8>);

impl Documents {
    /// Every document of `tables`, and each one's bytes.
    pub fn of(tables: &Tables) -> (Documents, Vec<Content>) {
        let mut documents = Documents::default();
        let mut touched = Vec::new();
        for kind in Kind::ALL {
            let Some(rows) = tables.get(kind.name()) else {
                continue;
            };
            let shards = documents.keys.entry(kind.name().to_owned()).or_default();
            for key in rows.keys() {
                let shard = shard_of(key);
                shards.entry(shard).or_default().insert(key.clone());
            }
            touched.extend(shards.keys().map(|shard| (kind, *shard)));
        }
        let contents = documents.render(tables, touched);
        (documents, contents)
    }

    /// The documents of the revision whose `tables` differ from this one's by the entities
    /// `changed`, (kind, key): only their shards are rendered again.
    pub fn next(&self, tables: &Tables, changed: &[(String, String)]) -> (Documents, Vec<Content>) {
        let mut documents = self.clone();
        let mut touched = Vec::new();
        for (kind_name, key) in changed {
            let Some(kind) = Kind::from_name(kind_name) else {
                continue;
            };
            let shard = shard_of(key);
            let keys = documents
                .keys
                .entry(kind_name.clone())
                .or_default()
                .entry(shard)
                .or_default();
            if tables
                .get(kind_name)
                .is_some_and(|rows| rows.contains_key(key))
            {
                keys.insert(key.clone());
            } else {
                keys.remove(key);
            }
            touched.push((kind, shard));
        }
        touched.sort();
        touched.dedup();
        let contents = documents.render(tables, touched);
        (documents, contents)
    }

    /// Renders the shards `touched` from `tables`: an empty shard leaves the manifest.
    fn render(&mut self, tables: &Tables, touched: Vec<(Kind, u8)>) -> Vec<Content> {
        let empty = Table::new();
        let mut contents = Vec::new();
        for (kind, shard) in touched {
            let name = shard_name(kind.table(), shard);
            let shards = self.keys.entry(kind.name().to_owned()).or_default();
            let keys = shards.get(&shard).cloned().unwrap_or_default();
            if keys.is_empty() {
                shards.remove(&shard);
                self.refs.remove(&name);
                continue;
            }
            let rows = tables.get(kind.name()).unwrap_or(&empty);
            let bytes = render_document(keys.iter().filter_map(|key| rows.get_key_value(key)));
            let sha256 = sha256_hex(&bytes);
            self.refs.insert(
                name,
                DocumentRef {
                    sha256: sha256.clone(),
                    size: bytes.len() as u64,
                },
            );
            contents.push((sha256, bytes));
        }
        contents
    }
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
    /// The checksum a manifest of layout `format` carries.
    pub fn checksum_of(
        format: u32,
        revision: i64,
        documents: &BTreeMap<String, DocumentRef>,
    ) -> String {
        let mut text = format!("strata snapshot {format} revision {revision}\n");
        for (name, doc) in documents {
            text.push_str(&format!("{name} {} {}\n", doc.sha256, doc.size));
        }
        sha256_hex(text.as_bytes())
    }

    /// The manifest's own checksum agrees with its documents.
    pub fn is_consistent(&self) -> bool {
        READABLE_FORMATS.contains(&self.format)
            && self.checksum == Manifest::checksum_of(self.format, self.revision, &self.documents)
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
            [("LIVE".to_owned(), json!({"z": 1, "a": {"y": 2, "b": 3}}))]
                .into_iter()
                .collect();
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
            checksum: Manifest::checksum_of(FORMAT, 7, &documents),
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
