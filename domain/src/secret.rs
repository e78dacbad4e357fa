//! Secret values: where a deployable's schema marks a value secret (`"writeOnly": true` or
//! `"x-secret": true`), how a sealed value is written in a config, and how it is shown to
//! people. Sealing itself (the key, the cipher) is the store's; this is what the browser and
//! the server share.
//!
//! A secret is sealed whole, whatever its type, for one place: the layer it is written in
//! (`"sealed:v2:<layer>:<base64 of nonce ‖ ciphertext>"`, the layer as `tier/LIVE`) stands where
//! the value stood, in layers, history, snapshots and compiled configs. Values sealed before
//! layers were bound (`"sealed:v1:<base64>"`) still open, but only where they already stand.

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::resolve::escape;
use crate::schema::Violations;
use crate::schema_walk::follow_refs;

/// What every sealed value starts with; the version after it names the cipher and the layout.
pub const SEALED_PREFIX: &str = "sealed:";
/// Sealed for a deployable and a JSON pointer (any layer): written before layers were bound.
pub const SEALED_V1: &str = "sealed:v1:";
/// Sealed for a deployable, a layer and a JSON pointer; the layer is named after the prefix.
pub const SEALED_V2: &str = "sealed:v2:";

/// A sealed value read apart: the layer it was sealed for (none for a v1 value, which names
/// none) and the base64 of nonce and ciphertext.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SealedForm<'a> {
    pub layer: Option<&'a str>,
    pub payload: &'a str,
}

/// `text` as a sealed value, if it is one.
pub fn sealed_form(text: &str) -> Option<SealedForm<'_>> {
    if let Some(payload) = text.strip_prefix(SEALED_V1) {
        return Some(SealedForm {
            layer: None,
            payload,
        });
    }
    let (layer, payload) = text.strip_prefix(SEALED_V2)?.split_once(':')?;
    Some(SealedForm {
        layer: Some(layer),
        payload,
    })
}

fn is_sealed_text(text: &str) -> bool {
    sealed_form(text).is_some()
}

/// How a sealed value is shown: never its ciphertext, but enough to tell two apart.
pub const MASK: &str = "••••••";

/// Whether `value` is a sealed secret.
pub fn is_sealed(value: &Value) -> bool {
    value.as_str().is_some_and(is_sealed_text)
}

pub use crate::schema_walk::marks_secret;

/// Whether the schema marks any value secret anywhere.
pub fn has_secrets(schema: &Value) -> bool {
    match schema {
        Value::Object(keywords) => marks_secret(schema) || keywords.values().any(has_secrets),
        Value::Array(items) => items.iter().any(has_secrets),
        _ => false,
    }
}

/// The JSON pointers of the values in `document` (a config or one layer of it) that `schema`
/// (the deployable's whole schema) marks secret, in document order. A secret's own members
/// are not listed: the value is secret whole. `null`s (a layer's removals) are no values.
pub fn secret_pointers(schema: &Value, document: &Value) -> Vec<String> {
    let mut found = Vec::new();
    walk(schema, vec![schema], document, String::new(), &mut found);
    found
}

/// The pointers and values of every sealed value in `document`, in document order.
pub fn sealed_values(document: &Value) -> Vec<(String, &str)> {
    let mut found = Vec::new();
    collect_sealed(document, String::new(), &mut found);
    found
}

fn collect_sealed<'a>(value: &'a Value, at: String, found: &mut Vec<(String, &'a str)>) {
    match value {
        Value::String(text) if is_sealed_text(text) => found.push((at, text)),
        Value::Object(members) => {
            for (key, member) in members {
                collect_sealed(member, format!("{at}/{}", escape(key)), found);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_sealed(item, format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// How a sealed value is shown: the mask and a short fingerprint of its ciphertext, so a
/// history or a diff shows whether it changed without showing anything of it.
pub fn mask_of(sealed: &str) -> String {
    let digest = Sha256::digest(sealed.as_bytes());
    format!("{MASK} secret {}", hex::encode(&digest[..3]))
}

/// `document` with every sealed value replaced by its mask: what a page that only shows a
/// config is given.
pub fn masked(document: &Value) -> Value {
    match document {
        Value::String(text) if is_sealed_text(text) => Value::String(mask_of(text)),
        Value::Object(members) => Value::Object(
            members
                .iter()
                .map(|(key, member)| (key.clone(), masked(member)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(masked).collect()),
        other => other.clone(),
    }
}

/// Rewrites the rules in `report` so that none quotes a secret's value: `opened` holds the
/// pointer and plain value of each secret of the config that was checked. A schema's message
/// quotes the offending value (`"abc" is shorter than 12 characters`); it becomes "the secret
/// value is shorter than 12 characters", and a rule that would still show it is replaced.
pub fn hide_secrets_in(report: &mut Violations, opened: &[(String, Value)]) {
    for violation in &mut report.first {
        for (pointer, value) in opened {
            let quoted = value.to_string();
            violation.rule = violation.rule.replace(&quoted, "the secret value");
            let under =
                violation.field == *pointer || violation.field.starts_with(&format!("{pointer}/"));
            let shows = match value {
                Value::String(text) => !text.is_empty() && violation.rule.contains(text.as_str()),
                _ => false,
            };
            if shows || (under && violation.rule.contains(&quoted)) {
                violation.rule = "the secret value breaks the schema's rules for it".to_owned();
            }
        }
    }
}

/// Every schema that applies at one place: the given ones, what they `$ref`, and their
/// `allOf`/`anyOf`/`oneOf`/`then`/`else` branches (any branch that marks a value secret
/// makes it secret: the safe side).
fn applicable<'a>(root: &'a Value, schemas: Vec<&'a Value>) -> Vec<&'a Value> {
    let mut all: Vec<&'a Value> = Vec::new();
    let mut pending = schemas;
    while let Some(schema) = pending.pop() {
        if all.len() > 256 {
            break;
        }
        let schema = follow_refs(root, schema);
        if !schema.is_object() || all.iter().any(|s| std::ptr::eq(*s as *const Value, schema)) {
            continue;
        }
        all.push(schema);
        for keyword in ["allOf", "anyOf", "oneOf"] {
            if let Some(Value::Array(branches)) = schema.get(keyword) {
                pending.extend(branches.iter());
            }
        }
        for keyword in ["then", "else"] {
            if let Some(branch) = schema.get(keyword) {
                pending.push(branch);
            }
        }
    }
    all
}

fn walk<'a>(
    root: &'a Value,
    schemas: Vec<&'a Value>,
    value: &Value,
    at: String,
    found: &mut Vec<String>,
) {
    if value.is_null() {
        return;
    }
    let schemas = applicable(root, schemas);
    if schemas.iter().any(|s| marks_secret(s)) {
        found.push(at);
        return;
    }
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                let mut below = Vec::new();
                for schema in &schemas {
                    let named = schema.get("properties").and_then(|p| p.get(key));
                    let patterned: Vec<&Value> = schema
                        .get("patternProperties")
                        .and_then(Value::as_object)
                        .map(|patterns| {
                            patterns
                                .iter()
                                .filter(|(pattern, _)| matches_pattern(pattern, key))
                                .map(|(_, s)| s)
                                .collect()
                        })
                        .unwrap_or_default();
                    below.extend(named);
                    if named.is_none() && patterned.is_empty() {
                        below.extend(schema.get("additionalProperties"));
                    }
                    below.extend(patterned);
                }
                walk(root, below, member, format!("{at}/{}", escape(key)), found);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let mut below = Vec::new();
                for schema in &schemas {
                    match schema
                        .get("prefixItems")
                        .and_then(Value::as_array)
                        .and_then(|p| p.get(i))
                    {
                        Some(prefix) => below.push(prefix),
                        None => below.extend(schema.get("items")),
                    }
                }
                walk(root, below, item, format!("{at}/{i}"), found);
            }
        }
        _ => {}
    }
}

/// A `patternProperties` pattern against a key. A pattern the regex engine cannot read counts
/// as matching: the safe side, as the schema's own validator refuses such schemas anyway.
fn matches_pattern(pattern: &str, key: &str) -> bool {
    regex::Regex::new(pattern).map_or(true, |re| re.is_match(key))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::rules::FieldError;

    fn schema() -> Value {
        json!({
            "type": "object",
            "$defs": {"secret": {"type": "string", "x-secret": true, "minLength": 12}},
            "properties": {
                "db": {"type": "object", "properties": {
                    "host": {"type": "string"},
                    "password": {"type": "string", "writeOnly": true}
                }},
                "api_key": {"$ref": "#/$defs/secret"},
                "tokens": {"type": "object", "additionalProperties": {"type": "string", "x-secret": true}},
                "env": {"type": "object", "patternProperties": {"_KEY$": {"x-secret": true}}, "additionalProperties": {"type": "string"}},
                "peers": {"type": "array", "items": {"type": "object", "properties": {"secret": {"writeOnly": true}}}},
                "either": {"anyOf": [{"type": "integer"}, {"type": "string", "writeOnly": true}]},
                "credentials": {"type": "object", "x-secret": true, "properties": {"user": {"type": "string"}}}
            }
        })
    }

    #[test]
    fn the_schema_marks_values_secret_through_properties_refs_maps_patterns_items_and_branches() {
        let config = json!({
            "db": {"host": "db.live", "password": "hunter2"},
            "api_key": "k",
            "tokens": {"github": "g", "slack": "s"},
            "env": {"MAIL_KEY": "m", "MAIL_HOST": "h"},
            "peers": [{"secret": 1, "name": "a"}],
            "either": 5,
            "credentials": {"user": "u", "pass": "p"},
            "other": "o"
        });
        let mut found = secret_pointers(&schema(), &config);
        found.sort();
        assert_eq!(
            found,
            vec![
                "/api_key",
                "/credentials",
                "/db/password",
                "/either",
                "/env/MAIL_KEY",
                "/peers/0/secret",
                "/tokens/github",
                "/tokens/slack",
            ]
        );
        assert!(has_secrets(&schema()));
        assert!(!has_secrets(
            &json!({"properties": {"a": {"type": "string"}}})
        ));
        // A layer's removals are no values.
        assert!(secret_pointers(&schema(), &json!({"db": {"password": null}})).is_empty());
    }

    #[test]
    fn masks_hide_the_ciphertext_but_tell_two_values_apart() {
        let one = format!("{SEALED_V2}tier/LIVE:AAAA");
        let two = format!("{SEALED_V1}BBBB");
        let document = json!({"a": one, "b": [two.clone()], "c": "plain"});
        let shown = masked(&document);
        let text = shown.to_string();
        assert!(!text.contains("AAAA") && !text.contains("BBBB"), "{text}");
        assert_eq!(shown["c"], "plain");
        assert_ne!(shown["a"], shown["b"][0]);
        assert_eq!(masked(&json!(one.clone())), json!(mask_of(&one)));
        assert_eq!(
            sealed_values(&document),
            vec![
                ("/a".to_owned(), one.as_str()),
                ("/b/0".to_owned(), two.as_str())
            ]
        );
    }

    #[test]
    fn a_sealed_value_names_the_layer_it_was_sealed_for() {
        assert_eq!(
            sealed_form("sealed:v2:tenant/acme-berlin:QUJD"),
            Some(SealedForm {
                layer: Some("tenant/acme-berlin"),
                payload: "QUJD"
            })
        );
        assert_eq!(
            sealed_form("sealed:v1:QUJD"),
            Some(SealedForm {
                layer: None,
                payload: "QUJD"
            })
        );
        for plain in [
            "sealed: yes",
            "sealed:v2:no-layer",
            "sealed:v3:x:y",
            "hunter2",
        ] {
            assert_eq!(sealed_form(plain), None, "{plain}");
            assert!(!is_sealed(&json!(plain)));
        }
    }

    #[test]
    fn violations_never_quote_a_secret() {
        let mut report = Violations {
            first: vec![
                FieldError::new("/api_key", "\"hunter2\" is shorter than 12 characters"),
                FieldError::new("/db", "{\"password\":\"hunter2\"} is not valid"),
                FieldError::new("/port", "\"x\" is not of type \"integer\""),
            ],
            total: 3,
        };
        hide_secrets_in(
            &mut report,
            &[
                ("/api_key".to_owned(), json!("hunter2")),
                ("/db/password".to_owned(), json!("hunter2")),
            ],
        );
        assert_eq!(
            report.first[0].rule,
            "the secret value is shorter than 12 characters"
        );
        assert!(
            !report.first[1].rule.contains("hunter2"),
            "{:?}",
            report.first[1]
        );
        assert_eq!(report.first[2].rule, "\"x\" is not of type \"integer\"");
    }
}
