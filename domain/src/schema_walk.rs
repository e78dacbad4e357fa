//! Walking a JSON Schema, as the checker, the secret rules and the console's form all do:
//! following local `$ref`s, visiting every subschema, and the keywords that mark a value secret.

use serde_json::Value;

/// Whether a schema marks the value it describes secret.
pub fn marks_secret(schema: &Value) -> bool {
    ["writeOnly", "x-secret"]
        .iter()
        .any(|keyword| schema.get(*keyword) == Some(&Value::Bool(true)))
}

/// Calls `visit` on `schema` and then on every subschema below it (not on `properties` maps
/// themselves, where "required" may be a property's name).
pub(crate) fn for_each_subschema(schema: &mut Value, visit: &mut impl FnMut(&mut Value)) {
    visit(schema);
    let Value::Object(keywords) = schema else {
        return;
    };
    for (keyword, value) in keywords.iter_mut() {
        match keyword.as_str() {
            "properties" | "patternProperties" | "$defs" | "definitions" | "dependentSchemas" => {
                if let Value::Object(schemas) = value {
                    for schema in schemas.values_mut() {
                        for_each_subschema(schema, visit);
                    }
                }
            }
            "allOf" | "anyOf" | "oneOf" | "prefixItems" => {
                if let Value::Array(schemas) = value {
                    for schema in schemas.iter_mut() {
                        for_each_subschema(schema, visit);
                    }
                }
            }
            "additionalProperties"
            | "items"
            | "not"
            | "if"
            | "then"
            | "else"
            | "contains"
            | "propertyNames"
            | "unevaluatedProperties"
            | "unevaluatedItems" => for_each_subschema(value, visit),
            _ => {}
        }
    }
}

/// What `schema` stands for inside the schema document `root`: its local `$ref`s (`#/…`)
/// followed, a few levels at most.
pub fn follow_refs<'a>(root: &'a Value, mut schema: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) if reference.starts_with('#') => match root.pointer(&reference[1..]) {
                Some(target) => schema = target,
                None => break,
            },
            _ => break,
        }
    }
    schema
}
