//! Secrets in the write path: a deployable's default config and its layers hold sealed what its
//! schema marks secret; a schema that marks other values secret re-seals the stored layers in
//! the same change set; revealing one value to someone allowed, audited.

use std::future::Future;
use std::pin::Pin;

use serde_json::{Value, json};
use strata_domain::access::Action;
use strata_domain::deployable::Deployable;
use strata_domain::layer::{ConfigLayer, Layer};
use strata_domain::names::DeployableName;
use strata_domain::schema::ConfigSchema;
use strata_domain::secret::{hide_secrets_in, is_sealed, sealed_form};

use crate::access::Actor;
use crate::access::scope::scope_of;
use crate::audit::{AuditAction, NewAuditEvent};
use crate::changes::{ChangeSet, Operation};
use crate::entity::{Entity, fetch, image, select_sql, versioned_from_row};
use crate::sealing::Sealer;
use crate::seen::Reads;
use crate::{Store, StoreError};

/// Seals a layer's secrets by its deployable's schema (a layer of a deployable that does not
/// exist is left to the reference check, which names it).
pub(crate) async fn seal_layer(
    layer: &mut ConfigLayer,
    reads: &mut Reads<'_>,
    sealer: &Sealer,
    before: Option<&ConfigLayer>,
    accept_unbound: bool,
) -> Result<(), StoreError> {
    let Some(deployable) = reads
        .entity::<Deployable>(layer.deployable.as_str())
        .await?
    else {
        return Ok(());
    };
    sealer.seal_document(
        layer.deployable.as_str(),
        &layer.scope,
        &deployable.item.config_schema,
        &mut layer.config,
        before.map(|b| &b.config),
        accept_unbound,
    )
}

/// Seals a deployable's default config, then checks it, secrets opened, against the whole
/// schema (its own check could not see into sealed values).
pub(crate) fn seal_default(
    deployable: &mut Deployable,
    sealer: &Sealer,
    before: Option<&Deployable>,
    accept_unbound: bool,
) -> Result<(), StoreError> {
    let name = deployable.name.as_str().to_owned();
    sealer
        .seal_document(
            &name,
            &Layer::Default,
            &deployable.config_schema,
            &mut deployable.default_config,
            before.map(|b| &b.default_config),
            accept_unbound,
        )
        .map_err(|e| match e {
            StoreError::Invalid { field, rule } => {
                StoreError::invalid(format!("/default_config{field}"), rule)
            }
            other => other,
        })?;
    let (opened, secrets) = sealer
        .open_document(&name, &deployable.default_config)
        .map_err(|u| StoreError::invalid(format!("/default_config{}", u.pointer), u.reason))?;
    if secrets.is_empty() {
        return Ok(());
    }
    let schema = ConfigSchema::parse("/config_schema", deployable.config_schema.clone())
        .map_err(|e| StoreError::invalid(e.field, e.rule))?;
    let mut report = schema.violations("", &opened);
    hide_secrets_in(&mut report, &secrets);
    match report.first.into_iter().next() {
        None => Ok(()),
        Some(first) => Err(StoreError::invalid(
            format!("/default_config{}", first.field),
            first.rule,
        )),
    }
}

impl ChangeSet {
    /// After an entity was replaced: a deployable whose schema changed has its stored layers
    /// made to hold sealed exactly what the new schema marks secret, each rewrite recorded.
    pub(crate) async fn after_replace<E: Entity>(
        &mut self,
        before: &E,
        after: &E,
    ) -> Result<(), StoreError> {
        if E::KIND != Deployable::KIND {
            return Ok(());
        }
        let read = |entity: &E| -> Result<Deployable, StoreError> {
            serde_json::from_value(image(entity))
                .map_err(|e| StoreError::corrupt(format!("a deployable's image: {e}")))
        };
        let (before, after) = (read(before)?, read(after)?);
        if before.config_schema == after.config_schema {
            return Ok(());
        }
        self.conform_layers(after).await
    }

    /// Boxed: it writes layers through the same generic path that called it.
    fn conform_layers(
        &mut self,
        deployable: Deployable,
    ) -> Pin<Box<dyn Future<Output = Result<(), StoreError>> + Send + '_>> {
        Box::pin(async move {
            let sql = format!(
                "{} WHERE deployable = $1 ORDER BY id",
                select_sql::<ConfigLayer>()
            );
            let rows = sqlx::query(&sql)
                .bind(deployable.name.as_str())
                .fetch_all(self.conn().await?)
                .await?;
            let layers = rows
                .iter()
                .map(versioned_from_row::<ConfigLayer>)
                .collect::<Result<Vec<_>, _>>()?;
            let sealer = self.sealer().clone();
            for layer in layers {
                let mut conformed = layer.item.clone();
                sealer
                    .seal_document(
                        deployable.name.as_str(),
                        &layer.item.scope,
                        &deployable.config_schema,
                        &mut conformed.config,
                        Some(&layer.item.config),
                        false,
                    )
                    .map_err(|e| match e {
                        StoreError::Invalid { field, rule } => StoreError::invalid(
                            "/config_schema",
                            format!("{} of this deployable at {field}: {rule}", layer.item.scope),
                        ),
                        other => other,
                    })?;
                if conformed != layer.item {
                    self.replace_as(layer, conformed, Operation::Update).await?;
                }
            }
            Ok(())
        })
    }
}

impl Store {
    /// The plain value of the secret at `pointer` of `deployable`'s `layer` (the default config
    /// for [`Layer::Default`]), for someone who may reveal that layer's secrets (publishers and
    /// admins of its organization; domain admins for shared layers). Audited, without the
    /// value. What the actor may not read "does not exist".
    pub async fn reveal_secret(
        &self,
        actor: &Actor,
        deployable: &DeployableName,
        layer: &Layer,
        pointer: &str,
    ) -> Result<Value, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let (kind, key, document) = match layer {
            Layer::Default => {
                let found = fetch::<Deployable>(&mut conn, deployable.as_str()).await?;
                (
                    Deployable::KIND,
                    deployable.to_string(),
                    found.map(|d| d.item.default_config),
                )
            }
            scope => {
                let key = ConfigLayer::key_of(deployable, scope);
                let found = fetch::<ConfigLayer>(&mut conn, &key).await?;
                (ConfigLayer::KIND, key, found.map(|l| l.item.config))
            }
        };
        let not_found = || StoreError::NotFound {
            kind,
            key: key.clone(),
        };
        let document = document.ok_or_else(not_found)?;
        let image = json!({"deployable": deployable, "scope": layer, "config": {}});
        let owner = scope_of(
            &mut Reads::plain(&mut conn),
            kind,
            &key,
            &image,
            Operation::Update,
        )
        .await?;
        drop(conn);
        if !actor.may(Action::Read, &owner) {
            return Err(not_found());
        }
        actor.check(
            Action::RevealSecrets,
            &owner,
            format!("{layer} of {deployable}"),
        )?;
        let sealed = document
            .pointer(pointer)
            .filter(|value| is_sealed(value))
            .and_then(Value::as_str)
            .ok_or_else(|| {
                StoreError::invalid(
                    "/pointer",
                    format!("{layer} of {deployable} holds no secret at {pointer:?}"),
                )
            })?;
        // Writes keep a value sealed for another layer out; this holds even for rows written
        // some other way.
        if sealed_form(sealed)
            .and_then(|form| form.layer)
            .is_some_and(|sealed_for| sealed_for != layer.path())
        {
            return Err(StoreError::invalid(
                pointer,
                "this value was sealed for another layer and opens only there",
            ));
        }
        let value = self
            .sealer()
            .open_value(deployable.as_str(), pointer, sealed)
            .map_err(|u| StoreError::invalid(pointer, u.reason))?;
        self.record_event(NewAuditEvent {
            action: AuditAction::SecretRevealed,
            actor: actor.name(),
            triggered_by: actor.name(),
            revision: self.domain().await?.revision,
            outcome: Ok(
                json!({"deployable": deployable, "layer": layer.to_string(), "pointer": pointer}),
            ),
        })
        .await?;
        Ok(value)
    }
}
