//! A write refused because someone else saved first: what they changed since the version the
//! writer edited, and the writer's own edits merged into theirs (a three-way merge), with what
//! both changed left as conflicts to resolve — secrets among them marked, to be shown masked.

use serde_json::Value;
use strata_domain::deployable::Deployable;
use strata_domain::layer::{ConfigLayer, Layer};
use strata_domain::merge::{Merge, three_way};
use strata_domain::names::DeployableName;

use crate::access::Reader;
use crate::{StoreError, VersionStamp};

/// What happened to an entity since the version a writer edited.
#[derive(Debug, Clone)]
pub struct Meanwhile {
    /// The version the writer edited.
    pub edited: i64,
    /// The version stored now: who wrote it and when.
    pub current: VersionStamp,
    /// Why it was written.
    pub reason: String,
    /// The entity at the version edited, and now (`null` when deleted).
    pub base: Value,
    pub theirs: Value,
    /// The writer's entity `mine` merged into the stored one; `None` when there is nothing to
    /// merge into (the entity was deleted) or nothing was given.
    pub merge: Option<Merge>,
}

impl Reader<'_> {
    /// What changed in the entity of `kind` and `key` from version `edited` to `current`,
    /// and the writer's entity `mine` merged into it.
    pub async fn meanwhile(
        &self,
        kind: &'static str,
        key: &str,
        mine: Option<&Value>,
        edited: i64,
        current: VersionStamp,
    ) -> Result<Meanwhile, StoreError> {
        self.meanwhile_with(kind, key, |_| mine.cloned(), edited, current)
            .await
    }

    /// The same for a layer the writer set to `config`: their edit is the holder as it was at
    /// `edited` with the layer's values replaced (see [`ConfigLayer::holder_of`]).
    pub async fn layer_meanwhile(
        &self,
        deployable: &DeployableName,
        scope: &Layer,
        config: &Value,
        edited: i64,
        current: VersionStamp,
    ) -> Result<Meanwhile, StoreError> {
        let (kind, key) = ConfigLayer::holder_of(deployable, scope);
        let mine = |base: &Value| {
            let mut mine = base.clone();
            *mine.pointer_mut(scope.values_pointer())? = config.clone();
            Some(mine)
        };
        self.meanwhile_with(kind.name(), &key, mine, edited, current)
            .await
    }

    async fn meanwhile_with(
        &self,
        kind: &'static str,
        key: &str,
        mine: impl FnOnce(&Value) -> Option<Value>,
        edited: i64,
        current: VersionStamp,
    ) -> Result<Meanwhile, StoreError> {
        let history = self.history(kind, key).await?;
        let image = |version: i64| {
            history
                .iter()
                .find(|r| r.entity_version == version)
                .and_then(|r| r.after.clone())
                .unwrap_or(Value::Null)
        };
        let reason = history
            .iter()
            .find(|r| r.entity_version == current.version)
            .map(|r| r.reason.clone())
            .unwrap_or_default();
        let (base, theirs) = (image(edited), image(current.version));
        let mine = mine(&base);
        let mut merge = mine
            .as_ref()
            .filter(|_| !theirs.is_null() && !base.is_null())
            .map(|mine| three_way(&base, &theirs, mine));
        if let (Some(merge), Some(mine)) = (merge.as_mut(), mine.as_ref())
            && let Some((schema, inside)) = self.layer_schema(kind, mine).await?
        {
            merge.mark_secrets(&schema, inside, &[&theirs, mine]);
        }
        Ok(Meanwhile {
            edited,
            current,
            reason,
            base,
            theirs,
            merge,
        })
    }

    /// For an entity that holds a layer (a deployable its default config, a stored layer its
    /// values), the schema of those values and where they are in `image`.
    async fn layer_schema(
        &self,
        kind: &str,
        image: &Value,
    ) -> Result<Option<(Value, &'static str)>, StoreError> {
        let (deployable, scope, schema) = match kind {
            "deployable" => match serde_json::from_value::<Deployable>(image.clone()) {
                Ok(d) => (d.name, Layer::Default, Some(d.config_schema)),
                Err(_) => return Ok(None),
            },
            "config layer" => match serde_json::from_value::<ConfigLayer>(image.clone()) {
                Ok(layer) => (layer.deployable, layer.scope, None),
                Err(_) => return Ok(None),
            },
            _ => return Ok(None),
        };
        let schema = match schema {
            Some(schema) => schema,
            None => match self.get::<Deployable>(deployable.as_str()).await {
                Ok(found) => found.item.config_schema,
                Err(StoreError::NotFound { .. }) => return Ok(None),
                Err(e) => return Err(e),
            },
        };
        Ok(Some((schema, scope.values_pointer())))
    }
}
