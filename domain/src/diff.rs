//! Differences between two JSON documents as an RFC 6902 patch: `add`, `remove` and `replace`
//! operations with JSON pointer paths. Objects are compared key by key; an array that changed
//! is replaced whole, which keeps patches readable for configs.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::resolve::{escape, unescape};

/// One operation of an RFC 6902 patch.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum PatchOp {
    Add { path: String, value: Value },
    Remove { path: String },
    Replace { path: String, value: Value },
}

impl PatchOp {
    pub fn path(&self) -> &str {
        match self {
            PatchOp::Add { path, .. }
            | PatchOp::Remove { path }
            | PatchOp::Replace { path, .. } => path,
        }
    }
}

/// The patch that turns `before` into `after`; empty when they are equal. Keys are visited in
/// order, so the same two documents always give the same patch.
pub fn diff(before: &Value, after: &Value) -> Vec<PatchOp> {
    let mut ops = Vec::new();
    walk(before, after, "", &mut ops);
    ops
}

fn walk(before: &Value, after: &Value, at: &str, ops: &mut Vec<PatchOp>) {
    match (before, after) {
        (Value::Object(old), Value::Object(new)) => {
            let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                let path = format!("{at}/{}", escape(key));
                match (old.get(key), new.get(key)) {
                    (Some(o), Some(n)) => walk(o, n, &path, ops),
                    (Some(_), None) => ops.push(PatchOp::Remove { path }),
                    (None, Some(n)) => ops.push(PatchOp::Add {
                        path,
                        value: n.clone(),
                    }),
                    (None, None) => {}
                }
            }
        }
        (o, n) if o == n => {}
        (_, n) => ops.push(PatchOp::Replace {
            path: at.to_owned(),
            value: n.clone(),
        }),
    }
}

/// One line of a side-by-side comparison: a leaf's JSON pointer and its compact JSON on
/// each side (`None` where the side has no such leaf).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SideBySide {
    pub path: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

impl SideBySide {
    pub fn changed(&self) -> bool {
        self.before != self.after
    }
}

/// Every leaf of either document (a scalar, an array or an empty object), in pointer order,
/// with its value on both sides: the rows of a side-by-side diff that can show changes only
/// or the whole documents. A sealed secret shows as its mask.
pub fn side_by_side(before: &Value, after: &Value) -> Vec<SideBySide> {
    let mut old = std::collections::BTreeMap::new();
    let mut new = std::collections::BTreeMap::new();
    leaves(before, "", &mut old);
    leaves(after, "", &mut new);
    let mut paths: Vec<&String> = old.keys().chain(new.keys()).collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .map(|path| SideBySide {
            path: path.clone(),
            before: old.get(path).cloned(),
            after: new.get(path).cloned(),
        })
        .collect()
}

fn leaves(value: &Value, at: &str, out: &mut std::collections::BTreeMap<String, String>) {
    match value {
        Value::Object(members) if !members.is_empty() => {
            for (key, member) in members {
                leaves(member, &format!("{at}/{}", escape(key)), out);
            }
        }
        // A missing document (a version that is a deletion) has no leaves at all.
        Value::Null if at.is_empty() => {}
        // A secret shows as its mask: changed or not, never what it holds.
        Value::String(sealed) if crate::secret::sealed_form(sealed).is_some() => {
            out.insert(at.to_owned(), crate::secret::mask_of(sealed));
        }
        leaf => {
            out.insert(at.to_owned(), leaf.to_string());
        }
    }
}

/// Applies a patch made by [`diff`] (or any patch of these operations on object members and
/// the root). Errors name the operation's path.
pub fn apply(document: &Value, patch: &[PatchOp]) -> Result<Value, String> {
    let mut document = document.clone();
    for op in patch {
        let path = op.path();
        if path.is_empty() {
            match op {
                PatchOp::Add { value, .. } | PatchOp::Replace { value, .. } => {
                    document = value.clone()
                }
                PatchOp::Remove { .. } => return Err("cannot remove the whole document".into()),
            }
            continue;
        }
        let (parent, last) = path
            .rsplit_once('/')
            .ok_or(format!("{path}: not a pointer"))?;
        let key = unescape(last);
        let target = document
            .pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .ok_or(format!("{path}: no object at {parent:?}"))?;
        match op {
            PatchOp::Add { value, .. } => {
                target.insert(key, value.clone());
            }
            PatchOp::Replace { value, .. } => {
                let slot = target
                    .get_mut(&key)
                    .ok_or(format!("{path}: nothing to replace"))?;
                *slot = value.clone();
            }
            PatchOp::Remove { .. } => {
                target
                    .remove(&key)
                    .ok_or(format!("{path}: nothing to remove"))?;
            }
        }
    }
    Ok(document)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_patch_names_each_changed_path() {
        let before = json!({"db": {"host": "a", "port": 1}, "tags": [1, 2], "old": true});
        let after = json!({"db": {"host": "b", "port": 1, "tls": {}}, "tags": [1], "a/b": 0});
        let patch = diff(&before, &after);
        assert_eq!(
            serde_json::to_value(&patch).unwrap(),
            json!([
                {"op": "add", "path": "/a~1b", "value": 0},
                {"op": "replace", "path": "/db/host", "value": "b"},
                {"op": "add", "path": "/db/tls", "value": {}},
                {"op": "remove", "path": "/old"},
                {"op": "replace", "path": "/tags", "value": [1]},
            ])
        );
        assert_eq!(apply(&before, &patch).unwrap(), after);
        assert!(diff(&after, &after).is_empty());
    }

    #[test]
    fn side_by_side_lists_every_leaf_of_both_documents_and_marks_changes() {
        let before = json!({"db": {"host": "a", "port": 1}, "tags": [1], "gone": true, "e": {}});
        let after = json!({"db": {"host": "b", "port": 1}, "tags": [1], "new": "x", "e": {}});
        let rows = side_by_side(&before, &after);
        let seen: Vec<(&str, Option<&str>, Option<&str>, bool)> = rows
            .iter()
            .map(|r| {
                (
                    r.path.as_str(),
                    r.before.as_deref(),
                    r.after.as_deref(),
                    r.changed(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("/db/host", Some("\"a\""), Some("\"b\""), true),
                ("/db/port", Some("1"), Some("1"), false),
                ("/e", Some("{}"), Some("{}"), false),
                ("/gone", Some("true"), None, true),
                ("/new", None, Some("\"x\""), true),
                ("/tags", Some("[1]"), Some("[1]"), false),
            ]
        );
        // A deletion (null) against a document: every leaf is on one side only.
        assert!(
            side_by_side(&Value::Null, &after)
                .iter()
                .all(|r| r.before.is_none())
        );
        assert!(side_by_side(&before, &before).iter().all(|r| !r.changed()));
    }

    #[test]
    fn applying_the_diff_of_two_documents_gives_the_second() {
        let documents = [
            json!(null),
            json!({}),
            json!({"a": 1}),
            json!({"a": {"b": [1, {"c": 2}]}, "d": "x"}),
            json!({"a": {"b": null}, "~": {"/": 3}}),
            json!([1, 2]),
            json!("text"),
        ];
        for before in &documents {
            for after in &documents {
                let patch = diff(before, after);
                assert_eq!(
                    &apply(before, &patch).unwrap(),
                    after,
                    "{before} -> {after}"
                );
            }
        }
    }
}
