//! The domain's own settings: its name, display name and origin URL (where published
//! snapshots live). One per domain, versioned and audited like any entity.

use serde::{Deserialize, Serialize};

use crate::names::DomainName;
use crate::rules::{FieldError, display_name};

/// How history names the domain's settings (as kind, and as key): beside the entities'
/// [`crate::kind::Kind`]s, the one other thing history keeps.
pub const DOMAIN_KIND: &str = "domain";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DomainSettings {
    pub name: DomainName,
    pub display_name: String,
    /// Empty, `file://DIR` or `s3://BUCKET/PREFIX`.
    pub origin_url: String,
}

impl DomainSettings {
    pub fn check(&self) -> Result<(), FieldError> {
        display_name("/display_name", &self.display_name)?;
        let url = &self.origin_url;
        let scheme_ok = url.is_empty()
            || ["file://", "s3://"]
                .iter()
                .any(|s| url.starts_with(s) && url.len() > s.len());
        if !scheme_ok || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(FieldError::new(
                "/origin_url",
                "empty, file://DIR or s3://BUCKET/PREFIX, without spaces",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_is_empty_a_directory_or_an_s3_prefix() {
        let mut settings = DomainSettings {
            name: DomainName::parse("acme-games").unwrap(),
            display_name: "Acme Games".into(),
            origin_url: String::new(),
        };
        for ok in ["", "file://./data/origin", "s3://bucket/strata"] {
            settings.origin_url = ok.into();
            assert!(settings.check().is_ok(), "{ok}");
        }
        for bad in ["http://x", "s3://", "file:// x", "bucket"] {
            settings.origin_url = bad.into();
            assert_eq!(settings.check().unwrap_err().field, "/origin_url", "{bad}");
        }
    }
}
