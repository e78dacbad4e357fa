//! A tenant: one instance of a product on one tier, with the life cycle
//! `initializing → active → disabled | uninitializing → deleted`.

use serde::{Deserialize, Serialize};

use crate::names::{ProductName, TenantAlias, TenantName, TierName};
use crate::rules::FieldError;

#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TenantState {
    Initializing,
    Active,
    Disabled,
    Uninitializing,
    Deleted,
}

impl TenantState {
    pub const ALL: [TenantState; 5] = [
        TenantState::Initializing,
        TenantState::Active,
        TenantState::Disabled,
        TenantState::Uninitializing,
        TenantState::Deleted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TenantState::Initializing => "initializing",
            TenantState::Active => "active",
            TenantState::Disabled => "disabled",
            TenantState::Uninitializing => "uninitializing",
            TenantState::Deleted => "deleted",
        }
    }

    pub fn parse(text: &str) -> Option<TenantState> {
        TenantState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// The states a tenant in this state may move to. A disabled tenant may be enabled again
    /// or taken down; a tenant is taken down only from active or disabled, and a deleted one
    /// stays deleted.
    pub fn next(self) -> &'static [TenantState] {
        use TenantState::*;
        match self {
            Initializing => &[Active],
            Active => &[Disabled, Uninitializing],
            Disabled => &[Active, Uninitializing],
            Uninitializing => &[Deleted],
            Deleted => &[],
        }
    }

    pub fn may_become(self, next: TenantState) -> bool {
        self == next || self.next().contains(&next)
    }

    /// Whether a tenant's configs are still served: every state but deleted.
    pub fn is_served(self) -> bool {
        self != TenantState::Deleted
    }
}

#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Begins with the organization's short name and a dash; unique across tiers.
    pub name: TenantName,
    pub product: ProductName,
    pub tier: TierName,
    /// Unique among tenants when set.
    pub alias: Option<TenantAlias>,
    /// While on, the tenant cannot be deleted.
    pub termination_protection: bool,
    pub state: TenantState,
}

impl Tenant {
    /// A state change must follow the life cycle.
    pub fn check_transition(from: TenantState, to: TenantState) -> Result<(), FieldError> {
        if from.may_become(to) {
            return Ok(());
        }
        let allowed = match from.next() {
            [] => "none: a deleted tenant stays deleted".to_owned(),
            next => next
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" or "),
        };
        Err(FieldError::new(
            "/state",
            format!(
                "a tenant cannot go from {} to {}; from {} it may become {allowed}",
                from.as_str(),
                to.as_str(),
                from.as_str()
            ),
        ))
    }

    /// Deleting the row needs termination protection off and the tenant disabled or deleted.
    pub fn check_deletable(&self) -> Result<(), FieldError> {
        if self.termination_protection {
            return Err(FieldError::new(
                "/termination_protection",
                "turn termination protection off before deleting the tenant",
            ));
        }
        if !matches!(self.state, TenantState::Disabled | TenantState::Deleted) {
            return Err(FieldError::new(
                "/state",
                format!(
                    "only a disabled or deleted tenant can be deleted; this one is {}",
                    self.state.as_str()
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TenantState::*;

    #[test]
    fn only_the_life_cycle_s_transitions_are_accepted() {
        let legal = [
            (Initializing, Active),
            (Active, Disabled),
            (Active, Uninitializing),
            (Disabled, Active),
            (Disabled, Uninitializing),
            (Uninitializing, Deleted),
        ];
        for from in TenantState::ALL {
            for to in TenantState::ALL {
                let expected = from == to || legal.contains(&(from, to));
                let got = Tenant::check_transition(from, to);
                assert_eq!(got.is_ok(), expected, "{from:?} -> {to:?}");
                if let Err(e) = got {
                    assert_eq!(e.field, "/state");
                }
            }
        }
        let err = Tenant::check_transition(Initializing, Deleted).unwrap_err();
        assert_eq!(
            err.rule,
            "a tenant cannot go from initializing to deleted; from initializing it may become active"
        );
    }

    #[test]
    fn a_tenant_is_deletable_when_unprotected_and_disabled_or_deleted() {
        let mut tenant = Tenant {
            name: TenantName::parse("acme-eu").unwrap(),
            product: ProductName::parse("acme-shop").unwrap(),
            tier: TierName::parse("LIVE").unwrap(),
            alias: None,
            termination_protection: true,
            state: Disabled,
        };
        assert_eq!(
            tenant.check_deletable().unwrap_err().field,
            "/termination_protection"
        );
        tenant.termination_protection = false;
        assert!(tenant.check_deletable().is_ok());
        tenant.state = Active;
        assert_eq!(tenant.check_deletable().unwrap_err().field, "/state");
        tenant.state = Deleted;
        assert!(tenant.check_deletable().is_ok());
    }
}
