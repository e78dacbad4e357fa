//! A deployable's config schema: a JSON Schema (draft 2020-12) document, checked when it is
//! accepted, that says which configs are valid. It runs in the browser as on the server, so
//! a form shows the same errors the store would give.

use serde_json::Value;

pub use crate::schema_walk::follow_refs;
use crate::schema_walk::{for_each_subschema, marks_secret};

use crate::rules::FieldError;

/// How many violations a report lists at most; the count says how many there were.
pub const MAX_REPORTED: usize = 20;

/// A schema that compiled: valid against the 2020-12 meta-schema, with every `$ref`
/// resolvable inside the document (nothing is fetched from files or the network).
#[derive(Debug)]
pub struct ConfigSchema {
    document: Value,
    validator: jsonschema::Validator,
}

/// The rules a config breaks: the first [`MAX_REPORTED`] and how many in all.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Violations {
    pub first: Vec<FieldError>,
    pub total: usize,
}

impl Violations {
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }
}

/// The most properties a config schema may describe, counted at every depth: its form is one
/// input per property, and a page of thousands of inputs takes seconds to draw.
pub const MAX_SCHEMA_PROPERTIES: usize = 2_000;
/// The largest config schema accepted, as compact JSON.
pub const MAX_SCHEMA_BYTES: usize = 512 * 1024;
/// The deepest a config schema may nest (twice a config's depth: each level of a config is a
/// `properties` map and a subschema).
pub const MAX_SCHEMA_DEPTH: usize = 2 * crate::rules::MAX_CONFIG_DEPTH;

/// Refuses a schema too large to edit and walk quickly; `field` is where it was submitted.
/// (A schema may still refer to itself: walks follow a `$ref` once per path.)
pub fn check_size(field: &str, document: &Value) -> Result<(), FieldError> {
    crate::rules::nesting(field, document, MAX_SCHEMA_DEPTH)?;
    let bytes = document.to_string().len();
    if bytes > MAX_SCHEMA_BYTES {
        return Err(FieldError::new(
            field,
            format!("at most {MAX_SCHEMA_BYTES} bytes of JSON; this schema has {bytes}"),
        ));
    }
    let mut properties = 0;
    let mut pending = vec![document];
    while let Some(schema) = pending.pop() {
        match schema {
            Value::Object(keywords) => {
                if let Some(Value::Object(named)) = keywords.get("properties") {
                    properties += named.len();
                }
                pending.extend(keywords.values());
            }
            Value::Array(items) => pending.extend(items),
            _ => {}
        }
    }
    if properties > MAX_SCHEMA_PROPERTIES {
        return Err(FieldError::new(
            field,
            format!(
                "describes at most {MAX_SCHEMA_PROPERTIES} properties in all; this schema describes {properties}: split the deployable, or describe a large map with additionalProperties"
            ),
        ));
    }
    Ok(())
}

impl ConfigSchema {
    /// Accepts `document` as a config schema. `field` is where the document sits in what was
    /// submitted, so an error can point there.
    pub fn parse(field: &str, document: Value) -> Result<ConfigSchema, FieldError> {
        if !document.is_object() {
            return Err(FieldError::new(
                field,
                "a config schema is a JSON object (JSON Schema, draft 2020-12)",
            ));
        }
        if let Some(dialect) = document.get("$schema").and_then(Value::as_str)
            && dialect != "https://json-schema.org/draft/2020-12/schema"
        {
            return Err(FieldError::new(
                format!("{field}/$schema"),
                format!(
                    "{dialect:?} is not supported; use https://json-schema.org/draft/2020-12/schema"
                ),
            ));
        }
        let validator = jsonschema::draft202012::new(&document).map_err(|e| {
            let at = e.instance_path().as_str();
            FieldError::new(
                format!("{field}{at}"),
                format!("not a valid JSON Schema: {e}"),
            )
        })?;
        Ok(ConfigSchema {
            document,
            validator,
        })
    }

    pub fn document(&self) -> &Value {
        &self.document
    }

    /// Checks `config`; each violation names the JSON pointer of the offending value (prefixed
    /// by `field`, where the config sits in what was submitted) and the rule it breaks.
    pub fn violations(&self, field: &str, config: &Value) -> Violations {
        let mut report = Violations::default();
        for error in self.validator.iter_errors(config) {
            report.total += 1;
            if report.first.len() < MAX_REPORTED {
                report.first.push(FieldError::new(
                    format!("{field}{}", error.instance_path().as_str()),
                    error.to_string(),
                ));
            }
        }
        report
    }
}

impl ConfigSchema {
    /// The schema one layer is checked with as it is edited. A layer sets only some keys and
    /// the layers below it bring the rest, so nothing may be required of it: this is the schema
    /// without `required`, `dependentRequired` and `minProperties`, and without the rules of
    /// secret values (a stored layer holds them sealed). The resolved config is still checked
    /// against the whole schema, secrets opened, when the layer is saved.
    pub fn for_layers(&self) -> Result<ConfigSchema, FieldError> {
        let mut document = self.document.clone();
        without_requirements(&mut document);
        ConfigSchema::parse("", document)
    }

    /// The schema a document holding sealed secrets is checked with: secret values are
    /// anything (only the server, which can open them, checks them against the whole schema).
    pub fn without_secret_rules(&self) -> Result<ConfigSchema, FieldError> {
        let mut document = self.document.clone();
        for_each_subschema(&mut document, &mut without_secret_rule);
        ConfigSchema::parse("", document)
    }

    /// What `layer` breaks of this schema (made by [`ConfigSchema::for_layers`]); a `null` in a
    /// layer removes a key below it and is no value to check.
    pub fn layer_violations(&self, layer: &Value) -> Violations {
        self.violations("", &without_nulls(layer))
    }
}

/// Removes the keywords that require members, at every place a schema can stand, and the
/// rules of secret values.
fn without_requirements(schema: &mut Value) {
    for_each_subschema(schema, &mut |schema| {
        without_secret_rule(schema);
        if let Value::Object(keywords) = schema {
            for keyword in ["required", "dependentRequired", "minProperties"] {
                keywords.remove(keyword);
            }
        }
    });
}

/// A subschema that marks its value secret checks nothing more: the value is sealed.
fn without_secret_rule(schema: &mut Value) {
    if marks_secret(schema) {
        *schema = serde_json::json!({"writeOnly": true});
    }
}

fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(members) => Value::Object(
            members
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn database_schema() -> ConfigSchema {
        ConfigSchema::parse(
            "/config_schema",
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "properties": {
                    "host": {"type": "string", "minLength": 1},
                    "port": {"type": "integer", "minimum": 1, "maximum": 65535},
                    "pool": {"type": "object", "properties": {"size": {"type": "integer", "minimum": 1}}}
                },
                "required": ["host"],
                "additionalProperties": false
            }),
        )
        .unwrap()
    }

    #[test]
    fn a_valid_config_has_no_violations() {
        let report = database_schema().violations(
            "/config",
            &json!({"host": "db", "port": 5432, "pool": {"size": 8}}),
        );
        assert!(report.is_empty(), "{report:?}");
    }

    #[test]
    fn each_violation_names_the_pointer_and_the_rule() {
        let report =
            database_schema().violations("/config", &json!({"port": 70000, "pool": {"size": "8"}}));
        assert_eq!(report.total, 3, "{report:?}");
        let fields: Vec<&str> = report.first.iter().map(|v| v.field.as_str()).collect();
        assert!(fields.contains(&"/config/port"), "{fields:?}");
        assert!(fields.contains(&"/config/pool/size"), "{fields:?}");
        assert!(
            fields.contains(&"/config"),
            "the missing host is reported on the object: {fields:?}"
        );
        let port = report
            .first
            .iter()
            .find(|v| v.field == "/config/port")
            .unwrap();
        assert!(port.rule.contains("65535"), "{}", port.rule);
    }

    #[test]
    fn a_layer_is_checked_for_what_it_sets_not_for_what_it_leaves_to_the_layers_below() {
        let layers = database_schema().for_layers().unwrap();
        assert!(layers.layer_violations(&json!({"port": 8080})).is_empty());
        assert!(layers.layer_violations(&json!({"host": null})).is_empty());
        let report = layers.layer_violations(&json!({"port": "80", "pool": {"size": 0}}));
        let fields: Vec<&str> = report.first.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(report.total, 2, "{report:?}");
        assert!(
            fields.contains(&"/port") && fields.contains(&"/pool/size"),
            "{fields:?}"
        );
        // A property named "required" is a property, not the keyword.
        let named = ConfigSchema::parse(
            "",
            json!({"properties": {"required": {"type": "boolean"}}, "required": ["required"]}),
        )
        .unwrap()
        .for_layers()
        .unwrap();
        assert!(named.layer_violations(&json!({})).is_empty());
        assert_eq!(named.layer_violations(&json!({"required": 1})).total, 1);
    }

    #[test]
    fn reports_list_at_most_twenty_and_count_the_rest() {
        let schema = ConfigSchema::parse(
            "/s",
            json!({"type": "object", "additionalProperties": {"type": "integer"}}),
        )
        .unwrap();
        let config: serde_json::Map<String, Value> =
            (0..25).map(|i| (format!("k{i}"), json!("x"))).collect();
        let report = schema.violations("", &Value::Object(config));
        assert_eq!((report.first.len(), report.total), (MAX_REPORTED, 25));
    }

    #[test]
    fn an_invalid_schema_is_refused_with_where_and_why() {
        let err = ConfigSchema::parse("/config_schema", json!({"type": "objekt"})).unwrap_err();
        assert!(err.field.starts_with("/config_schema"), "{err}");
        assert!(err.rule.contains("not a valid JSON Schema"), "{err}");
        assert!(ConfigSchema::parse("/config_schema", json!([1])).is_err());
        let err = ConfigSchema::parse(
            "/s",
            json!({"$schema": "http://json-schema.org/draft-07/schema#"}),
        )
        .unwrap_err();
        assert_eq!(err.field, "/s/$schema");
    }

    #[test]
    fn a_schema_too_large_or_too_deep_to_edit_is_refused_naming_the_limit() {
        let many: serde_json::Map<String, Value> = (0..=MAX_SCHEMA_PROPERTIES)
            .map(|i| (format!("k{i}"), json!({"type": "string"})))
            .collect();
        let err = check_size("/config_schema", &json!({"properties": many})).unwrap_err();
        assert_eq!(err.field, "/config_schema");
        assert!(err.rule.contains("at most 2000 properties"), "{err}");
        let mut deep = json!({"type": "string"});
        for _ in 0..MAX_SCHEMA_DEPTH {
            deep = json!({"properties": {"x": deep}});
        }
        assert!(
            check_size("/s", &deep)
                .unwrap_err()
                .rule
                .contains("levels deep")
        );
        // Recursion through $ref is no size: such a schema is accepted.
        let recursive = json!({
            "$defs": {"node": {"type": "object", "properties": {"child": {"$ref": "#/$defs/node"}}}},
            "type": "object", "properties": {"root": {"$ref": "#/$defs/node"}}
        });
        assert!(check_size("/s", &recursive).is_ok());
        assert!(ConfigSchema::parse("/s", recursive).is_ok());
    }

    #[test]
    fn references_outside_the_document_are_refused() {
        let err = ConfigSchema::parse("/s", json!({"$ref": "https://example.com/schema.json"}))
            .unwrap_err();
        assert!(err.rule.contains("not a valid JSON Schema"), "{err}");
        let local = ConfigSchema::parse(
            "/s",
            json!({"$defs": {"port": {"type": "integer"}}, "properties": {"port": {"$ref": "#/$defs/port"}}}),
        )
        .unwrap();
        assert_eq!(local.violations("", &json!({"port": "x"})).total, 1);
    }
}
