//! A deployable's presence on a tier: whether it runs there, why not, and which release.

use serde::{Deserialize, Serialize};

use crate::names::{DeployableName, TierName};
use crate::rules::{FieldError, display_name};

#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TierDeployable {
    pub tier: TierName,
    pub deployable: DeployableName,
    pub active: bool,
    /// Why the deployable does not run on the tier; required exactly when it is inactive.
    pub inactive_reason: Option<String>,
    /// The release the tier runs, such as "1.42.0" or a commit; unset when not pinned.
    pub release: Option<String>,
}

impl TierDeployable {
    /// The key that names the pair in history and errors: `TIER/deployable`.
    pub fn key_of(tier: &TierName, deployable: &DeployableName) -> String {
        format!("{tier}/{deployable}")
    }

    pub fn key(&self) -> String {
        TierDeployable::key_of(&self.tier, &self.deployable)
    }

    pub fn check(&self) -> Result<(), FieldError> {
        match (&self.inactive_reason, self.active) {
            (Some(reason), false) => display_name("/inactive_reason", reason)?,
            (None, false) => {
                return Err(FieldError::new(
                    "/inactive_reason",
                    "an inactive deployable needs a reason",
                ));
            }
            (Some(_), true) => {
                return Err(FieldError::new(
                    "/inactive_reason",
                    "only an inactive deployable has a reason",
                ));
            }
            (None, true) => {}
        }
        if let Some(release) = &self.release {
            display_name("/release", release)?;
            if release.contains(char::is_whitespace) {
                return Err(FieldError::new("/release", "one word, without spaces"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(active: bool, reason: Option<&str>) -> TierDeployable {
        TierDeployable {
            tier: TierName::parse("LIVE").unwrap(),
            deployable: DeployableName::parse("web-api").unwrap(),
            active,
            inactive_reason: reason.map(str::to_owned),
            release: Some("1.4.2".to_owned()),
        }
    }

    #[test]
    fn a_reason_is_given_exactly_when_the_deployable_is_inactive() {
        assert!(pair(true, None).check().is_ok());
        assert!(pair(false, Some("retired")).check().is_ok());
        assert_eq!(
            pair(false, None).check().unwrap_err().field,
            "/inactive_reason"
        );
        assert_eq!(
            pair(true, Some("why")).check().unwrap_err().field,
            "/inactive_reason"
        );
        assert_eq!(pair(true, None).key(), "LIVE/web-api");
    }
}
