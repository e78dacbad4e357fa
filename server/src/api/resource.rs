//! The kinds of entity the API serves, by the path segment that names them, and the stored
//! type behind each.

use super::error::ApiError;

/// The kinds of entity the API serves, by the path segment that names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Tier,
    Organization,
    Product,
    Deployable,
    TierDeployable,
    Tenant,
    ConfigLayer,
}

impl Resource {
    pub const ALL: [Resource; 7] = [
        Resource::Tier,
        Resource::Organization,
        Resource::Product,
        Resource::Deployable,
        Resource::TierDeployable,
        Resource::Tenant,
        Resource::ConfigLayer,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Resource::Tier => "tiers",
            Resource::Organization => "organizations",
            Resource::Product => "products",
            Resource::Deployable => "deployables",
            Resource::TierDeployable => "tier-deployables",
            Resource::Tenant => "tenants",
            Resource::ConfigLayer => "config-layers",
        }
    }

    /// The resource whose stored kind is `kind` (`tier`, `config layer`, …).
    pub fn of_kind(kind: &str) -> Resource {
        Resource::ALL
            .into_iter()
            .find(|r| r.stored_kind() == kind)
            .expect("every stored kind is served")
    }

    pub fn parse(segment: &str) -> Result<Resource, ApiError> {
        Resource::ALL
            .into_iter()
            .find(|r| r.path() == segment)
            .ok_or_else(|| {
                ApiError::not_found(format!(
                    "no such kind {segment:?}: one of {}",
                    Resource::ALL.map(Resource::path).join(", ")
                ))
            })
    }
}

/// Evaluates `$body` with `$entity` naming the stored type of the resource `$kind`.
macro_rules! with_resource_type {
    ($kind:expr, $entity:ident => $body:expr) => {
        match $kind {
            $crate::api::Resource::Tier => {
                type $entity = strata_domain::tier::Tier;
                $body
            }
            $crate::api::Resource::Organization => {
                type $entity = strata_domain::organization::Organization;
                $body
            }
            $crate::api::Resource::Product => {
                type $entity = strata_domain::product::Product;
                $body
            }
            $crate::api::Resource::Deployable => {
                type $entity = strata_domain::deployable::Deployable;
                $body
            }
            $crate::api::Resource::TierDeployable => {
                type $entity = strata_domain::tier_deployable::TierDeployable;
                $body
            }
            $crate::api::Resource::Tenant => {
                type $entity = strata_domain::tenant::Tenant;
                $body
            }
            $crate::api::Resource::ConfigLayer => {
                type $entity = strata_domain::layer::ConfigLayer;
                $body
            }
        }
    };
}

impl Resource {
    /// The store's name of the kind: "tier", "config layer", …
    pub fn stored_kind(self) -> &'static str {
        with_resource_type!(self, E => <E as strata_store::entity::Entity>::KIND)
    }
}
