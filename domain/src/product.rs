//! A product: what an organization offers, made of deployables. Its tenants run it on tiers.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::names::{DeployableName, OrganizationName, ProductName};
use crate::rules::{EntityState, FieldError, display_name};

#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Product {
    /// Begins with the organization's short name and a dash.
    pub name: ProductName,
    pub organization: OrganizationName,
    pub display_name: String,
    /// The deployables the product is made of; each tenant of the product gets a resolved
    /// config for each of them.
    pub deployables: BTreeSet<DeployableName>,
    pub state: EntityState,
}

impl Product {
    pub fn check(&self) -> Result<(), FieldError> {
        display_name("/display_name", &self.display_name)
    }
}
