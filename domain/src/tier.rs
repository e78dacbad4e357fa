//! A tier: an operating environment such as LOCAL, DEV, STAGING or LIVE.

use serde::{Deserialize, Serialize};

use crate::names::TierName;
use crate::rules::{FieldError, display_name};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TierState {
    Active,
    Disabled,
}

impl TierState {
    pub fn as_str(self) -> &'static str {
        match self {
            TierState::Active => "active",
            TierState::Disabled => "disabled",
        }
    }

    pub fn parse(text: &str) -> Option<TierState> {
        match text {
            "active" => Some(TierState::Active),
            "disabled" => Some(TierState::Disabled),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub name: TierName,
    pub display_name: String,
    pub is_live: bool,
    pub state: TierState,
}

impl Tier {
    /// The rules beyond the name's own (which its type already holds).
    pub fn check(&self) -> Result<(), FieldError> {
        display_name("/display_name", &self.display_name)
    }
}
