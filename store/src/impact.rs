//! What writes do to resolved configs, as plain data: which configs a write can change
//! ([`Touch`]), one resolved config ([`Target`], [`ResolvedConfig`]), the rules they break
//! ([`ConfigViolations`]), and a write's impact preview ([`Impact`]). Computed in
//! `resolution.rs`; named by errors, change sets and answers, which need nothing else of it.

use std::fmt;

use serde::Serialize;
use strata_domain::diff::PatchOp;
use strata_domain::layer::Layer;
use strata_domain::names::{DeployableName, ProductName, TenantName, TierName};
use strata_domain::resolve::Resolved;
use strata_domain::rules::FieldError;
use strata_domain::schema::{MAX_REPORTED, Violations};

/// What a write can change among resolved configs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Touch {
    /// Its schema or default config: every tenant whose product has it.
    Deployable(DeployableName),
    /// One layer: the tenants in its scope whose product has the deployable.
    Layer(DeployableName, Layer),
    /// Its deployables: each of them for each of its tenants.
    Product(ProductName),
    /// Its product or tier: each deployable of its product.
    Tenant(TenantName),
}

/// One resolved config: a tenant (on its tier, of its product) and one of its deployables.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema)]
pub struct Target {
    pub tier: TierName,
    pub tenant: TenantName,
    pub deployable: DeployableName,
    pub product: ProductName,
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "tier {}, tenant {}, deployable {}",
            self.tier, self.tenant, self.deployable
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResolvedConfig {
    pub target: Target,
    pub resolved: Resolved,
    /// What the resolved config breaks of its deployable's schema; empty when valid.
    pub violations: Violations,
}

/// A rule one resolved config breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ConfigViolation {
    pub target: Target,
    /// A JSON pointer into the resolved config.
    pub field: String,
    pub rule: String,
}

/// The rules resolved configs break: the first [`MAX_REPORTED`] and how many in all.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, schemars::JsonSchema)]
pub struct ConfigViolations {
    pub first: Vec<ConfigViolation>,
    pub total: usize,
}

impl ConfigViolations {
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Adds what `target`'s config breaks.
    pub(crate) fn add(&mut self, target: &Target, violations: &Violations) {
        for FieldError { field, rule } in &violations.first {
            if self.first.len() < MAX_REPORTED {
                self.first.push(ConfigViolation {
                    target: target.clone(),
                    field: field.clone(),
                    rule: rule.clone(),
                });
            }
        }
        self.total += violations.total;
    }

    /// Adds a report of configs after these.
    pub(crate) fn join(&mut self, later: ConfigViolations) {
        let room = MAX_REPORTED.saturating_sub(self.first.len());
        self.first.extend(later.first.into_iter().take(room));
        self.total += later.total;
    }
}

impl fmt::Display for ConfigViolations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the change would break {} rule(s) of resolved configs: ",
            self.total
        )?;
        for (i, v) in self.first.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}: {}", v.target, v.field, v.rule)?;
        }
        if self.total > self.first.len() {
            write!(f, " (and {} more)", self.total - self.first.len())?;
        }
        Ok(())
    }
}

/// What a proposed write would do to resolved configs.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Impact {
    /// The configs that would change, each with the patch from before to after.
    pub changed: Vec<ConfigChange>,
    /// Affected configs that would stay as they are.
    pub unchanged: usize,
    /// What the changed configs would break; the write would be refused unless empty.
    pub violations: ConfigViolations,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ConfigChange {
    pub target: Target,
    /// RFC 6902 from the current resolved config to the proposed one. A config that appears
    /// is a patch from `null`; one that goes away, a patch to `null`.
    pub patch: Vec<PatchOp>,
}
