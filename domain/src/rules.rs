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
}
