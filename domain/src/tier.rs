//! A tier: an operating environment such as LOCAL, DEV, STAGING or LIVE.

use serde::{Deserialize, Serialize};

use crate::names::TierName;
use crate::rules::{EntityState, FieldError, display_name};

#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub name: TierName,
    pub display_name: String,
    pub is_live: bool,
    pub state: EntityState,
}

impl Tier {
    /// The rules beyond the name's own (which its type already holds).
    pub fn check(&self) -> Result<(), FieldError> {
        display_name("/display_name", &self.display_name)
    }
}
