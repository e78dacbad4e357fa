//! An approval policy: which changes need whose approval before they apply. A policy covers a
//! tier — or one product or one deployable on it — and asks, of every change that changes a
//! config it covers, a number of approvals from people holding a role in the organization
//! that owns what the change writes (a domain admin counts everywhere), never the author's.

use serde::{Deserialize, Serialize};

use crate::access::Role;
use crate::names::{DeployableName, PolicyName, ProductName, TierName};
use crate::rules::{EntityState, FieldError, display_name};

/// The most approvals a policy may ask for.
pub const MAX_APPROVALS: u8 = 5;

#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalPolicy {
    pub name: PolicyName,
    pub display_name: String,
    /// The tier whose configs it covers.
    pub tier: TierName,
    /// Only this product's configs on the tier, when set.
    pub product: Option<ProductName>,
    /// Only this deployable's configs on the tier, when set.
    pub deployable: Option<DeployableName>,
    /// How many people must approve, the author never among them.
    pub approvals: u8,
    /// The least role an approver holds in the organization that owns what the change writes
    /// (what the domain shares is a domain admin's); a domain admin counts everywhere.
    pub approver_role: Role,
    /// A change to the schema of a deployable this policy covers also needs a domain admin's
    /// approval.
    pub schema_needs_domain_admin: bool,
    /// A disabled policy asks for nothing.
    pub state: EntityState,
}

/// One config a change would change, as a policy matches it.
pub struct Covered<'a> {
    pub tier: &'a TierName,
    pub product: Option<&'a ProductName>,
    pub deployable: &'a DeployableName,
}

impl ApprovalPolicy {
    pub fn check(&self) -> Result<(), FieldError> {
        display_name("/display_name", &self.display_name)?;
        if self.approvals == 0 || self.approvals > MAX_APPROVALS {
            return Err(FieldError::new(
                "/approvals",
                format!("from 1 to {MAX_APPROVALS} approvals"),
            ));
        }
        if self.approver_role == Role::Viewer {
            return Err(FieldError::new(
                "/approver_role",
                "one of editor, publisher, admin: a viewer may comment, not approve",
            ));
        }
        if self.product.is_some() && self.deployable.is_some() {
            return Err(FieldError::new(
                "/deployable",
                "a policy covers a product or a deployable on its tier, not both",
            ));
        }
        Ok(())
    }

    /// Whether this policy asks for approvals of a change to `config`. A config of no product
    /// (a tier deployable's presence) is covered by a policy of its tier and deployable, or of
    /// its whole tier.
    pub fn covers(&self, config: &Covered<'_>) -> bool {
        self.state == EntityState::Active
            && &self.tier == config.tier
            && self
                .deployable
                .as_ref()
                .is_none_or(|d| d == config.deployable)
            && self
                .product
                .as_ref()
                .is_none_or(|p| config.product.is_some_and(|c| c == p))
    }

    /// What it asks, in words: "1 approval from a publisher of the owning organization or a
    /// domain admin".
    pub fn asks(&self) -> String {
        self.asks_of(self.schema_needs_domain_admin)
    }

    /// What it asks of a change, in words: a domain admin's approval too where the change
    /// touches a schema the policy asks that of.
    pub fn asks_of(&self, schema_change: bool) -> String {
        let who = match self.approver_role {
            Role::Admin => "an admin".to_owned(),
            role => format!("a{} {role}", if role == Role::Editor { "n" } else { "" }),
        };
        let approvals = match self.approvals {
            1 => "1 approval".to_owned(),
            n => format!("{n} approvals"),
        };
        let schema = if schema_change && self.schema_needs_domain_admin {
            "; a schema change also a domain admin's"
        } else {
            ""
        };
        format!("{approvals} from {who} of the owning organization or a domain admin{schema}")
    }

    /// What it covers, in words: "tier LIVE", "deployable web-api on tier LIVE".
    pub fn covering(&self) -> String {
        match (&self.product, &self.deployable) {
            (Some(p), _) => format!("product {p} on tier {}", self.tier),
            (_, Some(d)) => format!("deployable {d} on tier {}", self.tier),
            _ => format!("tier {}", self.tier),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ApprovalPolicy {
        ApprovalPolicy {
            name: PolicyName::parse("live-review").unwrap(),
            display_name: "LIVE needs a review".into(),
            tier: TierName::parse("LIVE").unwrap(),
            product: None,
            deployable: None,
            approvals: 1,
            approver_role: Role::Publisher,
            schema_needs_domain_admin: false,
            state: EntityState::Active,
        }
    }

    #[test]
    fn a_policy_covers_its_tier_and_narrows_to_a_product_or_deployable() {
        let live = TierName::parse("LIVE").unwrap();
        let staging = TierName::parse("STAGING").unwrap();
        let web = DeployableName::parse("web-api").unwrap();
        let worker = DeployableName::parse("worker").unwrap();
        let shop = ProductName::parse("acme-shop").unwrap();
        let at = |tier, product, deployable| Covered {
            tier,
            product,
            deployable,
        };
        let mut p = policy();
        assert!(p.covers(&at(&live, Some(&shop), &web)));
        assert!(p.covers(&at(&live, None, &web)));
        assert!(!p.covers(&at(&staging, Some(&shop), &web)));
        p.deployable = Some(web.clone());
        assert!(p.covers(&at(&live, Some(&shop), &web)));
        assert!(!p.covers(&at(&live, Some(&shop), &worker)));
        p.deployable = None;
        p.product = Some(shop.clone());
        assert!(p.covers(&at(&live, Some(&shop), &web)));
        assert!(!p.covers(&at(&live, None, &web)));
        p.state = EntityState::Disabled;
        assert!(!p.covers(&at(&live, Some(&shop), &web)));
    }

    #[test]
    fn a_policy_asks_for_one_to_five_approvals_by_more_than_a_viewer() {
        assert!(policy().check().is_ok());
        let mut p = policy();
        p.approvals = 0;
        assert_eq!(p.check().unwrap_err().field, "/approvals");
        p.approvals = 6;
        assert_eq!(p.check().unwrap_err().field, "/approvals");
        let mut p = policy();
        p.approver_role = Role::Viewer;
        assert_eq!(p.check().unwrap_err().field, "/approver_role");
        assert_eq!(
            policy().asks(),
            "1 approval from a publisher of the owning organization or a domain admin"
        );
    }
}
