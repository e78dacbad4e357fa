//! API tokens: what a token lets its holder do. Services hold read tokens (the resolved configs
//! of some tiers); automation holds tokens that act as a role in one organization.

use serde::{Deserialize, Serialize};

use crate::access::{Grants, Role};
use crate::names::{DeployableName, OrganizationName, TenantName, TierName};
use crate::rules::FieldError;

/// What a token may do.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum TokenScope {
    /// Read the resolved configs of tenants on these tiers; when `tenants` or `deployables`
    /// are not empty, only of those tenants and deployables.
    Read {
        tiers: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        tenants: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        deployables: Vec<String>,
        /// Secret values are answered opened; without it they are answered sealed.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        secrets: bool,
    },
    /// Act as `role` in `organization`, as a member with that role would.
    Act { organization: String, role: Role },
    /// Act as a domain admin: what a service's CI needs to register its deployable (schema
    /// and defaults are the domain's). Only a domain admin may create one.
    Admin,
}

/// Why a read token may not read a config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutOfScope {
    /// The token acts in an organization; it does not read configs.
    NotARead,
    Tier(String),
    Tenant(String),
    Deployable(String),
}

impl OutOfScope {
    pub fn message(&self) -> String {
        match self {
            OutOfScope::NotARead => {
                "this token acts in an organization; reading configs needs a read token".into()
            }
            OutOfScope::Tier(tier) => format!("this token may not read configs on tier {tier:?}"),
            OutOfScope::Tenant(tenant) => {
                format!("this token may not read the configs of tenant {tenant:?}")
            }
            OutOfScope::Deployable(deployable) => {
                format!("this token may not read the configs of deployable {deployable:?}")
            }
        }
    }
}

impl TokenScope {
    /// Every rule the scope breaks, each naming its field: names that follow their rules, at
    /// least one tier for a read token.
    pub fn check(&self) -> Result<(), FieldError> {
        fn each<T>(
            field: &str,
            names: &[String],
            parse: impl Fn(&str) -> Result<T, crate::names::NameError>,
        ) -> Result<(), FieldError> {
            for (i, name) in names.iter().enumerate() {
                parse(name).map_err(|e| FieldError::new(format!("{field}/{i}"), e.to_string()))?;
            }
            Ok(())
        }
        match self {
            TokenScope::Read {
                tiers,
                tenants,
                deployables,
                ..
            } => {
                if tiers.is_empty() {
                    return Err(FieldError::new("/scope/tiers", "name at least one tier"));
                }
                each("/scope/tiers", tiers, |n| TierName::parse(n))?;
                each("/scope/tenants", tenants, |n| TenantName::parse(n))?;
                each("/scope/deployables", deployables, |n| {
                    DeployableName::parse(n)
                })
            }
            TokenScope::Act { organization, .. } => OrganizationName::parse(organization)
                .map(|_| ())
                .map_err(|e| FieldError::new("/scope/organization", e.to_string())),
            TokenScope::Admin => Ok(()),
        }
    }

    /// Whether this token may read the config of `deployable` for `tenant` (its own name,
    /// not an alias) on `tier`, and if not, why.
    pub fn may_read(&self, tier: &str, tenant: &str, deployable: &str) -> Result<(), OutOfScope> {
        let TokenScope::Read {
            tiers,
            tenants,
            deployables,
            ..
        } = self
        else {
            return Err(OutOfScope::NotARead);
        };
        if !tiers.iter().any(|t| t == tier) {
            return Err(OutOfScope::Tier(tier.to_owned()));
        }
        if !tenants.is_empty() && !tenants.iter().any(|t| t == tenant) {
            return Err(OutOfScope::Tenant(tenant.to_owned()));
        }
        if !deployables.is_empty() && !deployables.iter().any(|d| d == deployable) {
            return Err(OutOfScope::Deployable(deployable.to_owned()));
        }
        Ok(())
    }

    /// The grants of someone acting with this token: a role in one organization, a domain
    /// admin's, or none.
    pub fn grants(&self) -> Grants {
        let mut grants = Grants::default();
        match self {
            TokenScope::Act { organization, role } => {
                grants.roles.insert(organization.clone(), *role);
            }
            TokenScope::Admin => grants.domain_admin = true,
            TokenScope::Read { .. } => {}
        }
        grants
    }

    /// Whether the token acts (in an organization, or as a domain admin) rather than reads.
    pub fn acts(&self) -> bool {
        !matches!(self, TokenScope::Read { .. })
    }

    /// Whether configs are answered with their secret values opened.
    pub fn opens_secrets(&self) -> bool {
        matches!(self, TokenScope::Read { secrets: true, .. })
    }

    /// In words, for lists: "reads LIVE, STAGING (tenants acme-berlin)".
    pub fn describe(&self) -> String {
        match self {
            TokenScope::Read {
                tiers,
                tenants,
                deployables,
                secrets,
            } => {
                let mut text = format!("reads configs on {}", tiers.join(", "));
                if !tenants.is_empty() {
                    text.push_str(&format!("; tenants {}", tenants.join(", ")));
                }
                if !deployables.is_empty() {
                    text.push_str(&format!("; deployables {}", deployables.join(", ")));
                }
                if *secrets {
                    text.push_str("; secrets in plain text");
                }
                text
            }
            TokenScope::Act { organization, role } => format!("acts as {role} in {organization}"),
            TokenScope::Admin => "acts as a domain admin".to_owned(),
        }
    }
}

/// A token's life: at most this many days, so a forgotten token does not open a door forever.
pub const MAX_TOKEN_DAYS: i64 = 366;

/// The token's lifetime rule: 1 to [`MAX_TOKEN_DAYS`] days.
pub fn check_token_days(field: &str, days: i64) -> Result<(), FieldError> {
    if !(1..=MAX_TOKEN_DAYS).contains(&days) {
        return Err(FieldError::new(
            field,
            format!("from 1 to {MAX_TOKEN_DAYS} days"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(tiers: &[&str], tenants: &[&str], deployables: &[&str]) -> TokenScope {
        let own = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
        TokenScope::Read {
            tiers: own(tiers),
            tenants: own(tenants),
            deployables: own(deployables),
            secrets: false,
        }
    }

    #[test]
    fn a_read_token_reads_only_its_tiers_tenants_and_deployables() {
        let live = read(&["LIVE"], &[], &[]);
        assert_eq!(live.may_read("LIVE", "acme-berlin", "web-api"), Ok(()));
        assert_eq!(
            live.may_read("DEV", "acme-berlin", "web-api"),
            Err(OutOfScope::Tier("DEV".into()))
        );
        let narrow = read(&["LIVE", "STAGING"], &["acme-berlin"], &["web-api"]);
        assert_eq!(narrow.may_read("STAGING", "acme-berlin", "web-api"), Ok(()));
        assert_eq!(
            narrow.may_read("LIVE", "acme-paris", "web-api"),
            Err(OutOfScope::Tenant("acme-paris".into()))
        );
        assert_eq!(
            narrow.may_read("LIVE", "acme-berlin", "billing"),
            Err(OutOfScope::Deployable("billing".into()))
        );
        let act = TokenScope::Act {
            organization: "acme".into(),
            role: Role::Editor,
        };
        assert_eq!(
            act.may_read("LIVE", "acme-berlin", "web-api"),
            Err(OutOfScope::NotARead)
        );
        assert_eq!(act.grants().role_in("acme"), Some(Role::Editor));
        assert!(live.grants().roles.is_empty());
    }

    #[test]
    fn a_scope_names_the_field_it_breaks() {
        assert_eq!(
            read(&[], &[], &[]).check().unwrap_err().field,
            "/scope/tiers"
        );
        assert_eq!(
            read(&["LIVE", "dev"], &[], &[]).check().unwrap_err().field,
            "/scope/tiers/1"
        );
        assert_eq!(
            read(&["LIVE"], &["Acme"], &[]).check().unwrap_err().field,
            "/scope/tenants/0"
        );
        assert!(
            read(&["LIVE"], &["acme-berlin"], &["web-api"])
                .check()
                .is_ok()
        );
        assert_eq!(check_token_days("/days", 0).unwrap_err().field, "/days");
        assert!(check_token_days("/days", 90).is_ok());
        assert!(check_token_days("/days", MAX_TOKEN_DAYS + 1).is_err());
    }

    #[test]
    fn a_scope_is_stored_as_tagged_json() {
        let scope = read(&["LIVE"], &[], &["web-api"]);
        let json = serde_json::to_value(&scope).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "read", "tiers": ["LIVE"], "deployables": ["web-api"]})
        );
        assert_eq!(serde_json::from_value::<TokenScope>(json).unwrap(), scope);
    }
}
