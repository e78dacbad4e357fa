//! Re-applying one's edits on top of someone else's: a three-way merge of JSON documents.
//!
//! `base` is the version a person loaded, `theirs` the version stored since, `mine` what the
//! person's form holds. Only what the person changed from `base` is applied to `theirs`; what
//! both changed, differently, is a [`MergeConflict`] for the person to resolve, never decided
//! silently. Objects merge member by member (by JSON pointer); anything else (a string, a
//! number, an array) is one value.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::resolve::{escape, unescape};

/// A place both sides changed, differently: its JSON pointer and the value on each side
/// (`None` where the member is absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeConflict {
    pub pointer: String,
    pub base: Option<Value>,
    pub theirs: Option<Value>,
    pub mine: Option<Value>,
    /// Whether a side holds a value the schema marks secret: shown masked, never as typed.
    #[serde(default)]
    pub secret: bool,
}

/// The result of a three-way merge: `theirs` with every change of `mine` that does not
/// conflict, and the conflicts, where `merged` holds `theirs` until each is resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Merge {
    pub merged: Value,
    pub conflicts: Vec<MergeConflict>,
}

impl Merge {
    /// Whether every change of `mine` could be applied.
    pub fn is_clean(&self) -> bool {
        self.conflicts.is_empty()
    }

    /// Marks the conflicts that touch a secret: a place `schema` marks secret in the config
    /// found at `inside` (`/config` for a layer) of any of `documents`, or one inside it, or
    /// one holding it.
    pub fn mark_secrets(&mut self, schema: &Value, inside: &str, documents: &[&Value]) {
        let secrets: Vec<String> = documents
            .iter()
            .filter_map(|d| d.pointer(inside))
            .flat_map(|config| crate::secret::secret_pointers(schema, config))
            .collect();
        for conflict in &mut self.conflicts {
            let Some(at) = conflict.pointer.strip_prefix(inside) else {
                continue;
            };
            conflict.secret = secrets.iter().any(|s| {
                s == at || s.starts_with(&format!("{at}/")) || at.starts_with(&format!("{s}/"))
            });
        }
    }

    /// The merged document once each conflict is resolved: `keep_mine(i)` says, for the
    /// `i`th conflict, whether the person's value wins over the stored one.
    pub fn resolved(&self, keep_mine: impl Fn(usize) -> bool) -> Value {
        let mut document = self.merged.clone();
        for (i, conflict) in self.conflicts.iter().enumerate() {
            let chosen = if keep_mine(i) {
                &conflict.mine
            } else {
                &conflict.theirs
            };
            put(&mut document, &conflict.pointer, chosen.clone());
        }
        document
    }
}

/// Merges what changed from `base` to `mine` into `theirs`.
pub fn three_way(base: &Value, theirs: &Value, mine: &Value) -> Merge {
    let mut conflicts = Vec::new();
    let merged =
        member(Some(base), Some(theirs), Some(mine), "", &mut conflicts).unwrap_or(Value::Null);
    Merge { merged, conflicts }
}

fn member(
    base: Option<&Value>,
    theirs: Option<&Value>,
    mine: Option<&Value>,
    at: &str,
    conflicts: &mut Vec<MergeConflict>,
) -> Option<Value> {
    if mine == base || theirs == mine {
        return theirs.cloned();
    }
    if theirs == base {
        return mine.cloned();
    }
    // Both changed it: two objects (or an object both sides added) merge member by member.
    let empty = Map::new();
    if let (Some(Value::Object(t)), Some(Value::Object(m))) = (theirs, mine) {
        let b = match base {
            Some(Value::Object(b)) => Some(b),
            None => Some(&empty),
            Some(_) => None,
        };
        if let Some(b) = b {
            let mut keys: Vec<&String> = b.keys().chain(t.keys()).chain(m.keys()).collect();
            keys.sort();
            keys.dedup();
            let mut out = Map::new();
            for key in keys {
                let path = format!("{at}/{}", escape(key));
                if let Some(value) = member(b.get(key), t.get(key), m.get(key), &path, conflicts) {
                    out.insert(key.clone(), value);
                }
            }
            return Some(Value::Object(out));
        }
    }
    conflicts.push(MergeConflict {
        pointer: at.to_owned(),
        base: base.cloned(),
        theirs: theirs.cloned(),
        mine: mine.cloned(),
        secret: false,
    });
    theirs.cloned()
}

/// Sets (or, with `None`, removes) the member at `pointer`, making the objects on the way.
fn put(document: &mut Value, pointer: &str, value: Option<Value>) {
    if pointer.is_empty() {
        *document = value.unwrap_or(Value::Null);
        return;
    }
    let mut here = document;
    let mut keys = pointer[1..].split('/').map(unescape).peekable();
    while let Some(key) = keys.next() {
        if !here.is_object() {
            *here = Value::Object(Map::new());
        }
        let members = here.as_object_mut().expect("made an object above");
        if keys.peek().is_none() {
            match value {
                Some(value) => {
                    members.insert(key, value);
                }
                None => {
                    members.remove(&key);
                }
            }
            return;
        }
        here = members
            .entry(key)
            .or_insert_with(|| Value::Object(Map::new()));
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn only_the_fields_i_changed_are_applied_on_top_of_theirs() {
        // They set the alias; I ticked termination protection on the version we both loaded.
        let base = json!({"name": "acme-eu", "alias": null, "protected": false, "tiers": ["LIVE"]});
        let theirs =
            json!({"name": "acme-eu", "alias": "eu", "protected": false, "tiers": ["LIVE"]});
        let mine = json!({"name": "acme-eu", "alias": null, "protected": true, "tiers": ["LIVE"]});
        let merge = three_way(&base, &theirs, &mine);
        assert!(merge.is_clean(), "{:?}", merge.conflicts);
        assert_eq!(
            merge.merged,
            json!({"name": "acme-eu", "alias": "eu", "protected": true, "tiers": ["LIVE"]})
        );
    }

    #[test]
    fn a_field_both_changed_differently_is_a_conflict_and_theirs_stays_until_resolved() {
        let base = json!({"db": {"host": "a", "port": 1}, "keep": 1});
        let theirs = json!({"db": {"host": "b", "port": 1}, "keep": 1});
        let mine = json!({"db": {"host": "c", "port": 2}, "keep": 1});
        let merge = three_way(&base, &theirs, &mine);
        assert_eq!(
            merge.conflicts,
            [MergeConflict {
                pointer: "/db/host".into(),
                base: Some(json!("a")),
                theirs: Some(json!("b")),
                mine: Some(json!("c")),
                secret: false,
            }]
        );
        assert_eq!(
            merge.merged,
            json!({"db": {"host": "b", "port": 2}, "keep": 1})
        );
        assert_eq!(
            merge.resolved(|_| true),
            json!({"db": {"host": "c", "port": 2}, "keep": 1})
        );
        assert_eq!(merge.resolved(|_| false), merge.merged);
    }

    #[test]
    fn the_same_change_on_both_sides_is_no_conflict() {
        let base = json!({"a": 1, "b": [1]});
        let both = json!({"a": 2, "b": [1, 2]});
        let merge = three_way(&base, &both, &both);
        assert!(merge.is_clean());
        assert_eq!(merge.merged, both);
    }

    #[test]
    fn additions_and_removals_merge_by_member() {
        let base = json!({"a": 1, "b": 2, "c": {"x": 1}});
        // They removed b and added d; I removed a, added e and a member inside c.
        let theirs = json!({"a": 1, "c": {"x": 1}, "d": 4});
        let mine = json!({"b": 2, "c": {"x": 1, "y": 2}, "e": 5});
        let merge = three_way(&base, &theirs, &mine);
        assert!(merge.is_clean(), "{:?}", merge.conflicts);
        assert_eq!(merge.merged, json!({"c": {"x": 1, "y": 2}, "d": 4, "e": 5}));
    }

    #[test]
    fn removing_what_the_other_changed_is_a_conflict() {
        let base = json!({"a": {"b": 1}});
        let theirs = json!({"a": {"b": 2}});
        let mine = json!({});
        let merge = three_way(&base, &theirs, &mine);
        assert_eq!(merge.conflicts.len(), 1);
        assert_eq!(merge.conflicts[0].pointer, "/a");
        assert_eq!(merge.conflicts[0].mine, None);
        assert_eq!(merge.resolved(|_| true), json!({}));
        assert_eq!(merge.resolved(|_| false), theirs);
    }

    #[test]
    fn members_both_added_merge_and_arrays_are_one_value() {
        let base = json!({"tags": [1]});
        let theirs = json!({"tags": [1, 2], "new": {"a": 1, "s": "x"}});
        let mine = json!({"tags": [1, 3], "new": {"b": 2, "s": "y"}, "~/": 0});
        let merge = three_way(&base, &theirs, &mine);
        let pointers: Vec<&str> = merge.conflicts.iter().map(|c| c.pointer.as_str()).collect();
        assert_eq!(pointers, ["/new/s", "/tags"]);
        assert_eq!(
            merge.resolved(|i| merge.conflicts[i].pointer == "/tags"),
            json!({"tags": [1, 3], "new": {"a": 1, "b": 2, "s": "x"}, "~/": 0})
        );
    }

    #[test]
    fn a_conflict_over_a_secret_or_what_holds_one_is_marked() {
        let schema = json!({"type": "object", "properties": {"db": {"type": "object", "properties": {
            "password": {"type": "string", "writeOnly": true}, "host": {"type": "string"}}}}});
        let base = json!({"config": {"db": {"password": "a", "host": "h"}}});
        let theirs = json!({"config": {"db": {"password": "b", "host": "i"}}});
        let mine = json!({"config": {"db": {"password": "typed in clear", "host": "j"}}});
        let mut merge = three_way(&base, &theirs, &mine);
        merge.mark_secrets(&schema, "/config", &[&theirs, &mine]);
        let marked: Vec<(&str, bool)> = merge
            .conflicts
            .iter()
            .map(|c| (c.pointer.as_str(), c.secret))
            .collect();
        assert_eq!(
            marked,
            [("/config/db/host", false), ("/config/db/password", true)]
        );
        // Removing the object that holds it: the whole object is a secret's conflict.
        let mut merge = three_way(&base, &theirs, &json!({"config": {}}));
        merge.mark_secrets(&schema, "/config", &[&theirs]);
        assert!(merge.conflicts[0].secret, "{:?}", merge.conflicts);
    }

    #[test]
    fn a_deleted_document_against_my_edits_is_one_conflict() {
        let base = json!({"a": 1});
        let merge = three_way(&base, &Value::Null, &json!({"a": 2}));
        assert_eq!(merge.conflicts.len(), 1);
        assert_eq!(merge.conflicts[0].pointer, "");
        assert_eq!(merge.resolved(|_| true), json!({"a": 2}));
    }
}
