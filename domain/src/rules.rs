//! Rules shared by several entities, each reporting the field it checked as a JSON pointer.

use serde::{Deserialize, Serialize};

/// A broken rule: where (a JSON pointer into the submitted entity) and which rule.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{field}: {rule}")]
pub struct FieldError {
    pub field: String,
    pub rule: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, rule: impl Into<String>) -> FieldError {
        FieldError {
            field: field.into(),
            rule: rule.into(),
        }
    }
}

/// A display name: some visible text, at most 80 characters, on one line.
pub fn display_name(field: &str, value: &str) -> Result<(), FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if value.chars().count() > 80 {
        return Err(FieldError::new(field, "at most 80 characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "one line of text, without control characters",
        ));
    }
    Ok(())
}

/// Text written over lines (a change's reason, a request's description, a comment), shown in
/// terminals and pages: line breaks and tabs are text, other control characters would steer a
/// terminal.
pub fn lines_of_text(field: &str, text: &str) -> Result<(), FieldError> {
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(FieldError::new(
            field,
            "text without control characters (line breaks and tabs are fine)",
        ));
    }
    Ok(())
}

/// The deepest a config (a default config, a layer) may nest objects and arrays. Every walk over
/// a document is then bounded, whatever it does.
pub const MAX_CONFIG_DEPTH: usize = 32;

/// Refuses `value` when its objects and arrays nest more than `max` levels deep.
pub fn nesting(field: &str, value: &serde_json::Value, max: usize) -> Result<(), FieldError> {
    // Iterative, so the check itself cannot overflow the stack on what it refuses.
    let mut pending = vec![(value, 0usize)];
    while let Some((value, depth)) = pending.pop() {
        let children: Box<dyn Iterator<Item = &serde_json::Value>> = match value {
            serde_json::Value::Object(members) => Box::new(members.values()),
            serde_json::Value::Array(items) => Box::new(items.iter()),
            _ => continue,
        };
        if depth >= max {
            return Err(FieldError::new(
                field,
                format!("nests objects and arrays at most {max} levels deep"),
            ));
        }
        pending.extend(children.map(|child| (child, depth + 1)));
    }
    Ok(())
}

/// Whether a tier or an organization is in use. Serialized and stored as "active"/"disabled".
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityState {
    Active,
    Disabled,
}

impl EntityState {
    pub fn as_str(self) -> &'static str {
        match self {
            EntityState::Active => "active",
            EntityState::Disabled => "disabled",
        }
    }

    pub fn parse(text: &str) -> Option<EntityState> {
        match text {
            "active" => Some(EntityState::Active),
            "disabled" => Some(EntityState::Disabled),
            _ => None,
        }
    }
}

/// An entity with the version and revision of its last change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Versioned<T> {
    pub item: T,
    /// Counts this entity's changes; a write names the version it edited.
    pub version: i64,
    /// The domain revision that wrote this version.
    pub revision: i64,
}

impl<T> Versioned<T> {
    /// The same version of something made from the item (a part of it, say).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Versioned<U> {
        Versioned {
            item: f(self.item),
            version: self.version,
            revision: self.revision,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_one_visible_line_of_at_most_80_characters() {
        assert!(display_name("/d", "Live").is_ok());
        assert_eq!(
            display_name("/d", "  ").unwrap_err().rule,
            "must not be empty"
        );
        assert_eq!(display_name("/d", &"x".repeat(81)).unwrap_err().field, "/d");
        assert!(display_name("/d", "a\nb").is_err());
    }

    #[test]
    fn documents_nest_a_bounded_number_of_levels() {
        use serde_json::json;
        let mut deep = json!("leaf");
        for _ in 0..3 {
            deep = json!({ "a": [deep] });
        }
        // Three objects each holding an array: six levels of containers.
        assert!(nesting("/config", &deep, 6).is_ok());
        let err = nesting("/config", &deep, 5).unwrap_err();
        assert_eq!(err.field, "/config");
        assert!(err.rule.contains("at most 5 levels"), "{err}");
        assert!(nesting("/config", &json!("text"), 0).is_ok());
    }
}
