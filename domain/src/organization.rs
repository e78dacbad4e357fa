//! An organization: owns products; its short name prefixes its tenants' names.

use serde::{Deserialize, Serialize};

use crate::names::OrganizationName;
use crate::rules::{FieldError, display_name};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OrganizationState {
    Active,
    Disabled,
}

impl OrganizationState {
    pub fn as_str(self) -> &'static str {
        match self {
            OrganizationState::Active => "active",
            OrganizationState::Disabled => "disabled",
        }
    }

    pub fn parse(text: &str) -> Option<OrganizationState> {
        match text {
            "active" => Some(OrganizationState::Active),
            "disabled" => Some(OrganizationState::Disabled),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organization {
    pub name: OrganizationName,
    /// Unique across organizations; follows the organization-name rule.
    pub short_name: OrganizationName,
    pub display_name: String,
    pub state: OrganizationState,
}

impl Organization {
    pub fn check(&self) -> Result<(), FieldError> {
        display_name("/display_name", &self.display_name)
    }
}
