//! The kinds of entity Strata keeps: the one list of them, every name the interfaces give
//! them (history, the API's paths, tables and snapshot documents, headings), and the rule of
//! whose an entity is — which organization a person must hold a role in to read or change it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::access::{Grants, Role};
use crate::tenant::TenantState;

/// A kind of entity.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Tier,
    Organization,
    Deployable,
    Product,
    TierDeployable,
    Tenant,
    ConfigLayer,
    ApprovalPolicy,
}

/// Whose the entities of a kind are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnedBy {
    /// The whole domain's: every organization shares them; a domain admin changes them.
    Domain,
    /// Their own: an organization is its own.
    Itself,
    /// Whoever owns the entity of kind `of` that the member at the JSON pointer `field` names
    /// (the column of that name, in the table): a product its organization's, a tenant its
    /// product's.
    Member { field: &'static str, of: Kind },
    /// A layer's scope's: a product or tenant layer is that product's or tenant's; a default
    /// or tier layer is the domain's.
    Scope,
}

/// Whose one entity is, as its image names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// Shared by the whole domain.
    Domain,
    /// This organization's.
    Organization(String),
    /// Whoever owns the entity of `kind` and `key`, named at the JSON pointer `field`.
    Through {
        kind: Kind,
        key: String,
        field: &'static str,
    },
    /// The image does not name the owner it should: nobody's but a domain admin's.
    Unknown,
}

impl Kind {
    /// Every kind, each after the kinds it refers to.
    pub const ALL: [Kind; 8] = [
        Kind::Tier,
        Kind::Organization,
        Kind::Deployable,
        Kind::Product,
        Kind::TierDeployable,
        Kind::Tenant,
        Kind::ConfigLayer,
        Kind::ApprovalPolicy,
    ];

    /// As history, the audit trail and messages name it: `tier`, `config layer`.
    pub const fn name(self) -> &'static str {
        match self {
            Kind::Tier => "tier",
            Kind::Organization => "organization",
            Kind::Deployable => "deployable",
            Kind::Product => "product",
            Kind::TierDeployable => "tier deployable",
            Kind::Tenant => "tenant",
            Kind::ConfigLayer => "config layer",
            Kind::ApprovalPolicy => "approval policy",
        }
    }

    /// Its segment of the API's paths: `tiers`, `config-layers`.
    pub const fn path(self) -> &'static str {
        match self {
            Kind::Tier => "tiers",
            Kind::Organization => "organizations",
            Kind::Deployable => "deployables",
            Kind::Product => "products",
            Kind::TierDeployable => "tier-deployables",
            Kind::Tenant => "tenants",
            Kind::ConfigLayer => "config-layers",
            Kind::ApprovalPolicy => "approval-policies",
        }
    }

    /// Its table, and its document in a published snapshot (`tiers.json`): `tier_deployables`.
    pub const fn table(self) -> &'static str {
        match self {
            Kind::Tier => "tiers",
            Kind::Organization => "organizations",
            Kind::Deployable => "deployables",
            Kind::Product => "products",
            Kind::TierDeployable => "tier_deployables",
            Kind::Tenant => "tenants",
            Kind::ConfigLayer => "config_layers",
            Kind::ApprovalPolicy => "approval_policies",
        }
    }

    /// A heading for many of them: `Tiers`, `Config layers`.
    pub const fn title(self) -> &'static str {
        match self {
            Kind::Tier => "Tiers",
            Kind::Organization => "Organizations",
            Kind::Deployable => "Deployables",
            Kind::Product => "Products",
            Kind::TierDeployable => "Tier deployables",
            Kind::Tenant => "Tenants",
            Kind::ConfigLayer => "Config layers",
            Kind::ApprovalPolicy => "Approval policies",
        }
    }

    /// The kind history names so.
    pub fn from_name(name: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The kind a command line or path names: its path segment (`tenants`), its name
    /// (`tenant`) or its name with a dash (`config-layer`).
    pub fn from_path(text: &str) -> Option<Kind> {
        Kind::ALL
            .into_iter()
            .find(|k| k.path() == text || k.name() == text || k.name().replace(' ', "-") == text)
    }

    /// Whose the entities of this kind are.
    pub const fn owned_by(self) -> OwnedBy {
        match self {
            Kind::Organization => OwnedBy::Itself,
            Kind::Product => OwnedBy::Member {
                field: "/organization",
                of: Kind::Organization,
            },
            Kind::Tenant => OwnedBy::Member {
                field: "/product",
                of: Kind::Product,
            },
            Kind::ConfigLayer => OwnedBy::Scope,
            Kind::Tier | Kind::Deployable | Kind::TierDeployable | Kind::ApprovalPolicy => {
                OwnedBy::Domain
            }
        }
    }

    /// Whose the entity of this kind with `key` and `image` is, as the image names it.
    pub fn owner(self, key: &str, image: &Value) -> Owner {
        let text = |value: &Value, name: &str| value.get(name)?.as_str().map(str::to_owned);
        match self.owned_by() {
            OwnedBy::Domain => Owner::Domain,
            OwnedBy::Itself => Owner::Organization(key.to_owned()),
            OwnedBy::Member { field, of } => match image.pointer(field).and_then(Value::as_str) {
                Some(key) => Owner::Through {
                    kind: of,
                    key: key.to_owned(),
                    field,
                },
                None => Owner::Unknown,
            },
            OwnedBy::Scope => {
                let Some(scope) = image.get("scope") else {
                    return Owner::Unknown;
                };
                let of = match text(scope, "kind").as_deref() {
                    Some("product") => Kind::Product,
                    Some("tenant") => Kind::Tenant,
                    Some(_) => return Owner::Domain,
                    None => return Owner::Unknown,
                };
                match text(scope, "name") {
                    Some(key) => Owner::Through {
                        kind: of,
                        key,
                        field: "/scope/name",
                    },
                    None => Owner::Unknown,
                }
            }
        }
    }

    /// What a new one holds until someone says otherwise: every field, the ones that need a
    /// person's choice empty. A tenant starts its life cycle initializing.
    pub fn blank(self) -> Map<String, Value> {
        let value = match self {
            Kind::Tier => {
                json!({"name": "", "display_name": "", "is_live": false, "state": "active"})
            }
            Kind::Organization => {
                json!({"name": "", "short_name": "", "display_name": "", "state": "active"})
            }
            Kind::Product => json!({
                "name": "", "organization": "", "display_name": "", "deployables": [], "state": "active"
            }),
            Kind::Deployable => json!({
                "name": "",
                "display_name": "",
                "config_schema": {
                    "$schema": "https://json-schema.org/draft/2020-12/schema",
                    "type": "object",
                    "properties": {},
                },
                "default_config": {},
            }),
            Kind::TierDeployable => json!({
                "tier": "", "deployable": "", "active": true, "inactive_reason": null, "release": null
            }),
            Kind::Tenant => json!({
                "name": "", "product": "", "tier": "", "alias": null,
                "termination_protection": false, "state": TenantState::Initializing
            }),
            Kind::ConfigLayer => json!({"config": {}}),
            Kind::ApprovalPolicy => json!({
                "name": "", "display_name": "", "tier": "", "product": null, "deployable": null,
                "approvals": 1, "approver_role": "publisher", "schema_needs_domain_admin": false,
                "state": "active"
            }),
        };
        match value {
            Value::Object(map) => map,
            _ => unreachable!("blank entities are objects"),
        }
    }

    /// The part of an entity of this kind a person edits, as a JSON pointer into its image,
    /// when it is not the whole: a config layer's config (its deployable and scope are its
    /// key). Versions are compared on this part, so a comparison shows what was edited, at
    /// the paths the editor shows.
    pub fn edited_part(self) -> Option<&'static str> {
        match self {
            Kind::ConfigLayer => Some("/config"),
            _ => None,
        }
    }

    /// Of an entity's `image` (or nothing, for a version that is a deletion), the part a
    /// person edits ([`Kind::edited_part`]).
    pub fn edited(self, image: &Value) -> Value {
        match self.edited_part() {
            Some(pointer) => image.pointer(pointer).cloned().unwrap_or(Value::Null),
            None => image.clone(),
        }
    }

    /// Whether someone with `grants` may create one somewhere: what the domain shares (and
    /// organizations) is a domain admin's to make; products and tenants, any editor's.
    pub fn may_create(self, grants: &Grants) -> bool {
        match self.owned_by() {
            OwnedBy::Member { .. } | OwnedBy::Scope => grants.holds_somewhere(Role::Editor),
            OwnedBy::Domain | OwnedBy::Itself => grants.domain_admin,
        }
    }
}

/// Evaluates `$body` with `$entity` naming the type of the entities of the [`Kind`] `$kind`.
#[macro_export]
macro_rules! with_kind {
    ($kind:expr, $entity:ident => $body:expr) => {
        match $kind {
            $crate::kind::Kind::Tier => {
                type $entity = $crate::tier::Tier;
                $body
            }
            $crate::kind::Kind::Organization => {
                type $entity = $crate::organization::Organization;
                $body
            }
            $crate::kind::Kind::Deployable => {
                type $entity = $crate::deployable::Deployable;
                $body
            }
            $crate::kind::Kind::Product => {
                type $entity = $crate::product::Product;
                $body
            }
            $crate::kind::Kind::TierDeployable => {
                type $entity = $crate::tier_deployable::TierDeployable;
                $body
            }
            $crate::kind::Kind::Tenant => {
                type $entity = $crate::tenant::Tenant;
                $body
            }
            $crate::kind::Kind::ConfigLayer => {
                type $entity = $crate::layer::ConfigLayer;
                $body
            }
            $crate::kind::Kind::ApprovalPolicy => {
                type $entity = $crate::approval_policy::ApprovalPolicy;
                $body
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_name_finds_its_kind() {
        for kind in Kind::ALL {
            assert_eq!(Kind::from_name(kind.name()), Some(kind));
            assert_eq!(Kind::from_path(kind.path()), Some(kind));
            assert_eq!(Kind::from_path(&kind.name().replace(' ', "-")), Some(kind));
        }
        assert_eq!(Kind::from_path("tenant"), Some(Kind::Tenant));
        assert_eq!(Kind::from_path("widgets"), None);
    }

    #[test]
    fn an_image_names_its_owner() {
        assert_eq!(Kind::Tier.owner("LIVE", &json!({})), Owner::Domain);
        assert_eq!(
            Kind::Organization.owner("acme", &json!({})),
            Owner::Organization("acme".into())
        );
        assert_eq!(
            Kind::Tenant.owner("acme-berlin", &json!({"product": "acme-shop"})),
            Owner::Through {
                kind: Kind::Product,
                key: "acme-shop".into(),
                field: "/product"
            }
        );
        assert_eq!(
            Kind::ConfigLayer.owner(
                "web-api/tenant/acme-berlin",
                &json!({"scope": {"kind": "tenant", "name": "acme-berlin"}})
            ),
            Owner::Through {
                kind: Kind::Tenant,
                key: "acme-berlin".into(),
                field: "/scope/name"
            }
        );
        assert_eq!(
            Kind::ConfigLayer.owner(
                "web-api/tier/LIVE",
                &json!({"scope": {"kind": "tier", "name": "LIVE"}})
            ),
            Owner::Domain
        );
        assert_eq!(Kind::Product.owner("p", &json!({})), Owner::Unknown);
    }
}
