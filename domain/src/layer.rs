//! Config layers: partial JSON documents for one deployable at one scope. The default layer is
//! the deployable's own default config; tier, product and tenant layers are stored apart.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::kind::Kind;
use crate::names::{DeployableName, ProductName, TenantName, TierName};
use crate::rules::FieldError;

/// Where a layer applies, in merge order: default ← tier ← product ← tenant.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum Layer {
    Default,
    Tier(TierName),
    Product(ProductName),
    Tenant(TenantName),
}

impl Layer {
    /// A scope from its kind (`default`, `tier`, `product`, `tenant`) and its name (empty for
    /// the default layer), as people and paths name it; the refusal names the rule.
    pub fn parse(kind: &str, name: &str) -> Result<Layer, FieldError> {
        let named = |e: crate::names::NameError| FieldError::new("/scope/name", e.to_string());
        match kind {
            "default" if name.is_empty() => Ok(Layer::Default),
            "default" => Err(FieldError::new(
                "/scope/name",
                "the default layer has no name",
            )),
            "tier" => TierName::parse(name).map(Layer::Tier).map_err(named),
            "product" => ProductName::parse(name).map(Layer::Product).map_err(named),
            "tenant" => TenantName::parse(name).map(Layer::Tenant).map_err(named),
            other => Err(FieldError::new(
                "/scope/kind",
                format!("{other:?} is not a layer's scope: default, tier, product or tenant"),
            )),
        }
    }

    /// Where its holder's image (see [`ConfigLayer::holder_of`]) holds the layer's values, as
    /// a JSON pointer: the deployable's `/default_config`, or the stored layer's `/config`.
    pub fn values_pointer(&self) -> &'static str {
        match self {
            Layer::Default => "/default_config",
            _ => "/config",
        }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Default => "default",
            Layer::Tier(_) => "tier",
            Layer::Product(_) => "product",
            Layer::Tenant(_) => "tenant",
        }
    }

    /// The stored layers that apply to a tenant, in merge order after the default:
    /// its tier, its product, itself.
    pub fn scopes_of(tier: &TierName, product: &ProductName, tenant: &TenantName) -> [Layer; 3] {
        [
            Layer::Tier(tier.clone()),
            Layer::Product(product.clone()),
            Layer::Tenant(tenant.clone()),
        ]
    }

    /// Whether a tenant's config is the one every tenant of its product on its tier runs:
    /// true when none of the layers of [`Layer::scopes_of`] that `is_set` finds is the tenant's
    /// own. Such configs are resolved once and shared.
    pub fn is_shared(scopes: &[Layer], is_set: impl Fn(&Layer) -> bool) -> bool {
        !scopes
            .iter()
            .any(|scope| matches!(scope, Layer::Tenant(_)) && is_set(scope))
    }

    /// The layer as a path, `default` or `tier/LIVE`: how a sealed value names the layer it
    /// was sealed for.
    pub fn path(&self) -> String {
        match self.name() {
            None => self.kind().to_owned(),
            Some(name) => format!("{}/{name}", self.kind()),
        }
    }

    pub fn name(&self) -> Option<&str> {
        match self {
            Layer::Default => None,
            Layer::Tier(n) => Some(n.as_str()),
            Layer::Product(n) => Some(n.as_str()),
            Layer::Tenant(n) => Some(n.as_str()),
        }
    }
}

/// `default`, `tier LIVE`, `product acme-shop`, `tenant acme-eu`.
impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            None => f.write_str(self.kind()),
            Some(name) => write!(f, "{} {name}", self.kind()),
        }
    }
}

/// A stored layer: the part of one deployable's config set at one tier, product or tenant.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigLayer {
    pub deployable: DeployableName,
    /// Never [`Layer::Default`]: that layer is the deployable's default config.
    pub scope: Layer,
    /// A JSON object merged over the layers below it; `null` removes a key.
    pub config: Value,
}

/// The largest layer accepted, as compact JSON.
pub const MAX_LAYER_BYTES: usize = 256 * 1024;

impl ConfigLayer {
    /// `deployable/kind/name`, e.g. `web-api/tier/LIVE`.
    pub fn key_of(deployable: &DeployableName, scope: &Layer) -> String {
        format!(
            "{deployable}/{}/{}",
            scope.kind(),
            scope.name().unwrap_or_default()
        )
    }

    pub fn key(&self) -> String {
        ConfigLayer::key_of(&self.deployable, &self.scope)
    }

    /// The entity holding `scope`'s layer of `deployable`, as its kind and key: the deployable
    /// itself for the default layer (its default config), else the stored config layer.
    pub fn holder_of(deployable: &DeployableName, scope: &Layer) -> (Kind, String) {
        match scope {
            Layer::Default => (Kind::Deployable, deployable.to_string()),
            _ => (Kind::ConfigLayer, ConfigLayer::key_of(deployable, scope)),
        }
    }

    pub fn check(&self) -> Result<(), FieldError> {
        if self.scope == Layer::Default {
            return Err(FieldError::new(
                "/scope",
                "the default layer is the deployable's default config; a stored layer is for a tier, product or tenant",
            ));
        }
        if !self.config.is_object() {
            return Err(FieldError::new(
                "/config",
                "a config layer is a JSON object",
            ));
        }
        crate::rules::nesting("/config", &self.config, crate::rules::MAX_CONFIG_DEPTH)?;
        if self.config.to_string().len() > MAX_LAYER_BYTES {
            return Err(FieldError::new(
                "/config",
                format!("at most {MAX_LAYER_BYTES} bytes of JSON"),
            ));
        }
        Ok(())
    }
}
