//! A local copy of an origin, like a clone: `strata init ORIGIN DIR` writes the current
//! revision's tables into DIR (the export format, so `strata import DIR` reads it too) with
//! the manifest and origin under `DIR/.strata/`; `strata pull DIR` brings it up to date,
//! refusing to overwrite local edits unless forced; `strata diff DIR` compares the two.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;
use strata_domain::snapshot::{Manifest, sha256_hex};

use crate::origin::{Fetched, OriginError, OriginSetting, fetch_current as fetch};

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error(transparent)]
    Origin(#[from] OriginError),
    #[error("{path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Refused(String),
}

fn file(path: &Path, source: std::io::Error) -> CopyError {
    CopyError::File {
        path: path.display().to_string(),
        source,
    }
}

fn meta(dir: &Path) -> PathBuf {
    dir.join(".strata")
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), CopyError> {
    let partial = path.with_extension("partial");
    std::fs::write(&partial, bytes).map_err(|e| file(&partial, e))?;
    std::fs::rename(&partial, path).map_err(|e| file(path, e))
}

fn read_manifest(dir: &Path) -> Result<(Manifest, String), CopyError> {
    let path = meta(dir).join("manifest.json");
    let bytes = std::fs::read(&path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            CopyError::Refused(format!(
                "{} is not a local copy of an origin (no .strata/manifest.json); make one with strata init ORIGIN DIR",
                dir.display()
            ))
        } else {
            file(&path, e)
        }
    })?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| CopyError::Refused(format!("{}: {e}", path.display())))?;
    let origin_path = meta(dir).join("origin");
    let origin = std::fs::read_to_string(&origin_path).map_err(|e| file(&origin_path, e))?;
    Ok((manifest, origin.trim().to_owned()))
}

/// The tables whose local file no longer has the bytes the copy wrote: their SHA-256 in
/// `.strata/tables.json`, or, in a copy made before it was written (origins of format 1, one
/// document per table), the manifest's.
fn edited(dir: &Path, manifest: &Manifest) -> Vec<String> {
    let written: Option<BTreeMap<String, String>> = std::fs::read(meta(dir).join("tables.json"))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let changed = |name: &String, bytes: &[u8]| match &written {
        Some(written) => written.get(name) != Some(&sha256_hex(bytes)),
        None => manifest.check_document(name, bytes).is_err(),
    };
    let names: Vec<String> = match &written {
        Some(written) => written.keys().cloned().collect(),
        None => manifest.documents.keys().cloned().collect(),
    };
    names
        .into_iter()
        .filter(|name| std::fs::read(dir.join(name)).map_or(true, |bytes| changed(name, &bytes)))
        .collect()
}

/// Writes each table whole into `dir`, and what it wrote under `.strata/`.
fn store(
    dir: &Path,
    origin: &str,
    fetched: &Fetched,
    tables: &BTreeMap<String, Vec<u8>>,
) -> Result<(), CopyError> {
    std::fs::create_dir_all(meta(dir)).map_err(|e| file(&meta(dir), e))?;
    for (name, bytes) in tables {
        write(&dir.join(name), bytes)?;
    }
    let written: BTreeMap<&String, String> = tables
        .iter()
        .map(|(name, bytes)| (name, sha256_hex(bytes)))
        .collect();
    let written = serde_json::to_vec_pretty(&written).expect("hashes serialize");
    write(&meta(dir).join("tables.json"), &written)?;
    write(&meta(dir).join("origin"), format!("{origin}\n").as_bytes())?;
    write(&meta(dir).join("manifest.json"), &fetched.manifest_bytes)
}

/// The current revision of the origin `origin_url` names, every hash checked.
async fn fetch_from(setting: &OriginSetting, origin_url: &str) -> Result<Fetched, CopyError> {
    fetch(&setting.open().await)
        .await?
        .ok_or_else(|| CopyError::Refused(format!("{origin_url} has no published revision yet")))
}

/// Copies the origin's current revision into `dir`, which must be empty or missing.
pub async fn init(
    origin_url: &str,
    s3_endpoint: Option<&str>,
    dir: &Path,
) -> Result<String, CopyError> {
    let setting = OriginSetting::parse(origin_url, s3_endpoint).map_err(CopyError::Refused)?;
    if std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some()) {
        return Err(CopyError::Refused(format!(
            "{} is not empty; init copies into an empty or new directory",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|e| file(dir, e))?;
    let fetched = fetch_from(&setting, origin_url).await?;
    let tables = fetched.table_files()?;
    store(dir, &setting.url(), &fetched, &tables)?;
    Ok(format!(
        "copied revision {} of {} into {}: {} tables, every hash checked",
        fetched.manifest.revision,
        setting.location(),
        dir.display(),
        tables.len()
    ))
}

/// How two versions of a table differ, by key.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct TableDiff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

fn rows(bytes: &[u8]) -> BTreeMap<String, Value> {
    serde_json::from_slice(bytes).unwrap_or_default()
}

fn table_diff(old: &[u8], new: &[u8]) -> TableDiff {
    let (old, new) = (rows(old), rows(new));
    let mut diff = TableDiff::default();
    for (key, value) in &new {
        match old.get(key) {
            None => diff.added.push(key.clone()),
            Some(v) if v != value => diff.changed.push(key.clone()),
            Some(_) => {}
        }
    }
    diff.removed = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    diff
}

fn describe(name: &str, d: &TableDiff) -> Option<String> {
    let mut parts = Vec::new();
    for (what, keys) in [
        ("added", &d.added),
        ("removed", &d.removed),
        ("changed", &d.changed),
    ] {
        if !keys.is_empty() {
            let shown: Vec<&str> = keys.iter().take(5).map(String::as_str).collect();
            let more = if keys.len() > 5 {
                format!(" and {} more", keys.len() - 5)
            } else {
                String::new()
            };
            parts.push(format!(
                "{} {what} ({}{more})",
                keys.len(),
                shown.join(", ")
            ));
        }
    }
    (!parts.is_empty()).then(|| format!("{name}: {}", parts.join("; ")))
}

/// Brings `dir` to the origin's current revision and says what changed. Local edits are
/// refused unless `force`.
pub async fn pull(
    dir: &Path,
    s3_endpoint: Option<&str>,
    force: bool,
) -> Result<Vec<String>, CopyError> {
    let (manifest, origin_url) = read_manifest(dir)?;
    let local_edits = edited(dir, &manifest);
    if !local_edits.is_empty() && !force {
        return Err(CopyError::Refused(format!(
            "{} were edited here since revision {}; pull --force to overwrite them, or import them first",
            local_edits.join(", "),
            manifest.revision
        )));
    }
    let setting = OriginSetting::parse(&origin_url, s3_endpoint).map_err(CopyError::Refused)?;
    let fetched = fetch_from(&setting, &origin_url).await?;
    if fetched.manifest.revision == manifest.revision && local_edits.is_empty() {
        return Ok(vec![format!(
            "up to date at revision {}",
            manifest.revision
        )]);
    }
    let mut lines = vec![format!(
        "revision {} → {}",
        manifest.revision, fetched.manifest.revision
    )];
    let tables = fetched.table_files()?;
    for (name, bytes) in &tables {
        let old = std::fs::read(dir.join(name)).unwrap_or_default();
        if let Some(line) = describe(name, &table_diff(&old, bytes)) {
            lines.push(line);
        }
    }
    store(dir, &origin_url, &fetched, &tables)?;
    Ok(lines)
}

/// How the local copy differs from the origin's current revision, table by table.
pub async fn diff(dir: &Path, s3_endpoint: Option<&str>) -> Result<Vec<String>, CopyError> {
    let (manifest, origin_url) = read_manifest(dir)?;
    let setting = OriginSetting::parse(&origin_url, s3_endpoint).map_err(CopyError::Refused)?;
    let fetched = fetch_from(&setting, &origin_url).await?;
    let mut lines = vec![format!(
        "local copy of revision {}, origin at revision {}",
        manifest.revision, fetched.manifest.revision
    )];
    for (name, bytes) in &fetched.table_files()? {
        let local = std::fs::read(dir.join(name)).unwrap_or_default();
        // Read as "what the origin would do to the local copy".
        if let Some(line) = describe(name, &table_diff(&local, bytes)) {
            lines.push(line);
        }
    }
    if lines.len() == 1 {
        lines.push("no differences".into());
    }
    Ok(lines)
}
