//! A deployable: a service or application, with the schema its configuration must follow and
//! the default configuration every tier, product and tenant starts from.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::names::DeployableName;
use crate::rules::{FieldError, MAX_CONFIG_DEPTH, display_name};
use crate::schema::ConfigSchema;

#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployable {
    pub name: DeployableName,
    pub display_name: String,
    /// JSON Schema, draft 2020-12.
    pub config_schema: Value,
    /// The default layer: a JSON object that follows the schema.
    pub default_config: Value,
}

impl Deployable {
    /// The schema compiles and the default config is an object that follows it (its secret
    /// values, which may be sealed, are checked by the store, which can open them). Reports
    /// the first violation, and how many there were.
    pub fn check(&self) -> Result<ConfigSchema, FieldError> {
        display_name("/display_name", &self.display_name)?;
        crate::schema::check_size("/config_schema", &self.config_schema)?;
        crate::rules::nesting("/default_config", &self.default_config, MAX_CONFIG_DEPTH)?;
        let schema = ConfigSchema::parse("/config_schema", self.config_schema.clone())?;
        if !self.default_config.is_object() {
            return Err(FieldError::new(
                "/default_config",
                "the default config is a JSON object",
            ));
        }
        let report = match crate::secret::has_secrets(&self.config_schema) {
            true => schema
                .without_secret_rules()
                .map_err(|e| FieldError::new("/config_schema", e.rule))?
                .violations("/default_config", &self.default_config),
            false => schema.violations("/default_config", &self.default_config),
        };
        if let Some(first) = report.first.into_iter().next() {
            let more = match report.total {
                1 => String::new(),
                n => format!(" ({} more violations)", n - 1),
            };
            return Err(FieldError::new(
                first.field,
                format!("{}{more}", first.rule),
            ));
        }
        Ok(schema)
    }
}
