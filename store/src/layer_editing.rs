//! One layer of a deployable as a person reads and edits it, whichever entity holds it: the
//! default layer is the deployable's own default config, versioned with the deployable; a
//! tier, product or tenant layer is a stored config layer, which exists once first written.
//! The console, the API and the command line all read and write layers through here.

use serde_json::Value;
use strata_domain::access::{Action, Rights};
use strata_domain::deployable::Deployable;
use strata_domain::kind::Kind;
use strata_domain::layer::{ConfigLayer, Layer};
use strata_domain::names::DeployableName;
use strata_domain::rules::Versioned;
use strata_domain::tenant::Tenant;

use crate::access::scope::scope_of;
use crate::access::{Actor, Reader};
use crate::changes::{ChangeSet, Operation};
use crate::entity::{fetch, image};
use crate::resolution::Impact;
use crate::seen::Reads;
use crate::write::Written;
use crate::{Store, StoreError};

/// One layer as it stands, stored or not.
#[derive(Debug, Clone)]
pub struct LayerState {
    pub deployable: Versioned<Deployable>,
    pub scope: Layer,
    /// The kind and key of the entity holding the layer (see [`ConfigLayer::holder_of`]).
    pub holder: (Kind, String),
    /// The layer's values, secrets sealed; `{}` for a stored layer not written yet.
    pub config: Value,
    /// The holder's version; 0 for a stored layer not written yet.
    pub version: i64,
    /// The stored layers below this one that apply wherever it does, in merge order (the
    /// default first); secrets sealed.
    pub below: Vec<Value>,
    /// What the reader may do with it.
    pub rights: Rights,
}

impl Reader<'_> {
    /// `scope`'s layer of `deployable`, if the actor may read what it applies to (a product
    /// or tenant layer is as private as its product or tenant); else "does not exist".
    pub async fn layer(
        &self,
        deployable: &DeployableName,
        scope: &Layer,
    ) -> Result<LayerState, StoreError> {
        let mut read = self.store().snapshot().await?;
        let found = fetch::<Deployable>(&mut read, deployable.as_str())
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: "deployable",
                key: deployable.to_string(),
            })?;
        let (kind, key) = ConfigLayer::holder_of(deployable, scope);
        let (config, version, held) = match scope {
            Layer::Default => (
                found.item.default_config.clone(),
                found.version,
                image(&found.item),
            ),
            _ => {
                let stored = fetch::<ConfigLayer>(&mut read, &key).await?;
                let layer = match &stored {
                    Some(stored) => stored.item.clone(),
                    None => ConfigLayer {
                        deployable: deployable.clone(),
                        scope: scope.clone(),
                        config: Value::Object(Default::default()),
                    },
                };
                let version = stored.map_or(0, |s| s.version);
                (layer.config.clone(), version, image(&layer))
            }
        };
        let owner = scope_of(
            &mut Reads::plain(&mut read),
            kind.name(),
            &key,
            &held,
            Operation::Update,
        )
        .await?;
        if !self.actor().may(Action::Read, &owner) {
            return Err(StoreError::NotFound {
                kind: kind.name(),
                key,
            });
        }
        let rights =
            crate::access::rights_given(&mut read, self.actor(), kind.name(), &key, &held, &owner)
                .await?;
        let mut below = Vec::new();
        if *scope != Layer::Default {
            below.push(found.item.default_config.clone());
        }
        if let Layer::Tenant(tenant) = scope
            && let Some(tenant) = fetch::<Tenant>(&mut read, tenant.as_str()).await?
        {
            let tenant = tenant.item;
            for lower in [Layer::Tier(tenant.tier), Layer::Product(tenant.product)] {
                let key = ConfigLayer::key_of(deployable, &lower);
                if let Some(layer) = fetch::<ConfigLayer>(&mut read, &key).await? {
                    below.push(layer.item.config);
                }
            }
        }
        read.rollback().await?;
        Ok(LayerState {
            deployable: found,
            scope: scope.clone(),
            holder: (kind, key),
            config,
            version,
            below,
            rights,
        })
    }

    /// What writing `config` as `scope`'s layer of `deployable` (edited at `expected`, 0 for a
    /// stored layer not written yet) would do to resolved configs; refused as the write would be.
    pub async fn preview_layer(
        &self,
        deployable: &DeployableName,
        scope: &Layer,
        config: Value,
        expected: i64,
    ) -> Result<Impact, StoreError> {
        self.store()
            .preview_write(self.actor(), |change| {
                let (deployable, scope, config) =
                    (deployable.clone(), scope.clone(), config.clone());
                Box::pin(async move {
                    change
                        .set_layer(&deployable, &scope, config, expected)
                        .await
                })
            })
            .await
    }
}

impl ChangeSet {
    /// Writes `config` as `scope`'s layer of `deployable`, which the writer saw at version
    /// `expected` (0: a stored layer not written yet, which this creates). Answers the layer
    /// as written and the holder's version.
    pub async fn set_layer(
        &mut self,
        deployable: &DeployableName,
        scope: &Layer,
        config: Value,
        expected: i64,
    ) -> Result<Versioned<Value>, StoreError> {
        let written = match scope {
            Layer::Default => {
                let mut found = fetch::<Deployable>(self.conn().await?, deployable.as_str())
                    .await?
                    .ok_or_else(|| StoreError::NotFound {
                        kind: "deployable",
                        key: deployable.to_string(),
                    })?
                    .item;
                found.default_config = config;
                self.update(expected, found)
                    .await?
                    .map(|d| d.default_config)
            }
            _ => {
                let layer = ConfigLayer {
                    deployable: deployable.clone(),
                    scope: scope.clone(),
                    config,
                };
                let written = match expected {
                    0 => self.create(layer).await?,
                    version => self.update(version, layer).await?,
                };
                written.map(|l| l.config)
            }
        };
        Ok(written)
    }

    /// `scope`'s layer of `deployable` as stored in this change set, if it is.
    async fn layer_now(
        &mut self,
        deployable: &DeployableName,
        scope: &Layer,
    ) -> Result<Option<Versioned<Value>>, StoreError> {
        let (_, key) = ConfigLayer::holder_of(deployable, scope);
        Ok(match scope {
            Layer::Default => fetch::<Deployable>(self.conn().await?, &key)
                .await?
                .map(|d| d.map(|d| d.default_config)),
            _ => fetch::<ConfigLayer>(self.conn().await?, &key)
                .await?
                .map(|l| l.map(|l| l.config)),
        })
    }
}

impl Store {
    /// Writes `config` as `scope`'s layer of `deployable`, seen at `expected` (0: not written
    /// yet), by `actor` for `reason`, and commits it: the layer as written and as it was.
    pub async fn write_layer(
        &self,
        actor: &Actor,
        reason: &str,
        deployable: &DeployableName,
        scope: &Layer,
        config: Value,
        expected: i64,
    ) -> Result<Written<Value>, StoreError> {
        self.write_with(actor, reason, async |change| {
            let prev = change.layer_now(deployable, scope).await?;
            let item = change
                .set_layer(deployable, scope, config, expected)
                .await?;
            Ok((Some(item), prev))
        })
        .await
    }
}
