//! An organization: owns products; its short name prefixes its tenants' names.

use serde::{Deserialize, Serialize};

use crate::names::OrganizationName;
use crate::rules::{EntityState, FieldError, display_name};

#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub name: OrganizationName,
    /// Unique across organizations; follows the organization-name rule.
    pub short_name: OrganizationName,
    pub display_name: String,
    pub state: EntityState,
}

impl Organization {
    pub fn check(&self) -> Result<(), FieldError> {
        display_name("/display_name", &self.display_name)
    }
}
