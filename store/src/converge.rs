//! Making the stored domain equal a given state, through the one write path: restoring the
//! domain to an earlier revision, and importing an exported one. Kinds are written parents
//! first and deleted children first, so references hold at every step.

use std::collections::BTreeMap;

use strata_domain::approval_policy::ApprovalPolicy;
use strata_domain::deployable::Deployable;
use strata_domain::kind::Kind;
use strata_domain::layer::ConfigLayer;
use strata_domain::organization::Organization;
use strata_domain::product::Product;
use strata_domain::tenant::Tenant;
use strata_domain::tier::Tier;
use strata_domain::tier_deployable::TierDeployable;

use crate::access::Actor;
use crate::audit::{AuditAction, NewAuditEvent};
use crate::changes::{ChangeSet, Operation};
use crate::entity::{Entity, fetch_all, image};
use crate::history::State;
use crate::{Store, StoreError};

/// How the writes of a convergence are recorded.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Every write is a `restore`.
    Restore,
    /// Writes are creates, updates and deletes.
    Import,
}

impl Mode {
    fn operation(self, plain: Operation) -> Operation {
        match self {
            Mode::Restore => Operation::Restore,
            Mode::Import => plain,
        }
    }
}

/// Deletes what `target` does not hold, for the kinds it names.
async fn remove_missing<E: Entity>(
    change: &mut ChangeSet,
    target: &State,
    mode: Mode,
    source: &(dyn Fn(&str, &str) -> String + Sync),
) -> Result<(), StoreError> {
    let Some(wanted) = target.get(E::KIND) else {
        return Ok(());
    };
    for current in fetch_all::<E>(change.conn().await?).await? {
        if !wanted.contains_key(&current.item.key()) {
            let at = placed(source(E::KIND, &current.item.key()));
            change
                .delete_as(current, mode.operation(Operation::Delete))
                .await
                .map_err(at)?;
        }
    }
    Ok(())
}

/// The entities `target` holds of the kind, read and checked on their own before anything is
/// written. `source` names where each image came from in errors, e.g. `/tenants.json/key`.
fn parse_wanted<E: Entity>(
    target: &State,
    source: &(dyn Fn(&str, &str) -> String + Sync),
) -> Result<Option<Vec<E>>, StoreError> {
    let Some(wanted) = target.get(E::KIND) else {
        return Ok(None);
    };
    let mut entities = Vec::with_capacity(wanted.len());
    for (key, value) in wanted {
        let at = source(E::KIND, key);
        let entity: E = serde_json::from_value(value.clone())
            .map_err(|e| StoreError::invalid(&at, format!("not a {}: {e}", E::KIND)))?;
        if &entity.key() != key {
            return Err(StoreError::invalid(
                &at,
                format!(
                    "the {} is filed under {key:?} but its key is {:?}",
                    E::KIND,
                    entity.key()
                ),
            ));
        }
        entity
            .check()
            .map_err(|e| StoreError::invalid(format!("{at}{}", e.field), e.rule))?;
        entities.push(entity);
    }
    Ok(Some(entities))
}

/// A field error of one entity's write, placed under where the entity came from.
fn placed(at: String) -> impl Fn(StoreError) -> StoreError {
    move |e| match e {
        StoreError::Invalid { field, rule } => StoreError::Invalid {
            field: format!("{at}{field}"),
            rule,
        },
        other => other,
    }
}

/// Creates or replaces each of `wanted`.
async fn write_wanted<E: Entity>(
    change: &mut ChangeSet,
    wanted: Option<Vec<E>>,
    mode: Mode,
    source: &(dyn Fn(&str, &str) -> String + Sync),
) -> Result<(), StoreError> {
    let Some(wanted) = wanted else {
        return Ok(());
    };
    change.read_versions(E::KIND).await?;
    let mut current: BTreeMap<String, _> = fetch_all::<E>(change.conn().await?)
        .await?
        .into_iter()
        .map(|v| (v.item.key(), v))
        .collect();
    for entity in wanted {
        let at = placed(source(E::KIND, &entity.key()));
        match current.remove(&entity.key()) {
            Some(stored) => {
                change
                    .replace_as(stored, entity, mode.operation(Operation::Update))
                    .await
                    .map_err(at)?;
            }
            None => {
                change
                    .insert_as(entity, mode.operation(Operation::Create))
                    .await
                    .map_err(at)?;
            }
        }
    }
    Ok(())
}

async fn converge(
    change: &mut ChangeSet,
    target: &State,
    mode: Mode,
    source: &(dyn Fn(&str, &str) -> String + Sync),
) -> Result<(), StoreError> {
    let tiers = parse_wanted::<Tier>(target, source)?;
    let organizations = parse_wanted::<Organization>(target, source)?;
    let deployables = parse_wanted::<Deployable>(target, source)?;
    let products = parse_wanted::<Product>(target, source)?;
    let tier_deployables = parse_wanted::<TierDeployable>(target, source)?;
    let tenants = parse_wanted::<Tenant>(target, source)?;
    let layers = parse_wanted::<ConfigLayer>(target, source)?;
    let policies = parse_wanted::<ApprovalPolicy>(target, source)?;
    // Policies first and last: they refer to tiers, products and deployables.
    remove_missing::<ApprovalPolicy>(change, target, mode, source).await?;
    remove_missing::<ConfigLayer>(change, target, mode, source).await?;
    remove_missing::<Tenant>(change, target, mode, source).await?;
    remove_missing::<TierDeployable>(change, target, mode, source).await?;
    remove_missing::<Product>(change, target, mode, source).await?;
    remove_missing::<Deployable>(change, target, mode, source).await?;
    remove_missing::<Organization>(change, target, mode, source).await?;
    remove_missing::<Tier>(change, target, mode, source).await?;
    write_wanted(change, tiers, mode, source).await?;
    write_wanted(change, organizations, mode, source).await?;
    write_wanted(change, deployables, mode, source).await?;
    write_wanted(change, products, mode, source).await?;
    write_wanted(change, tier_deployables, mode, source).await?;
    write_wanted(change, tenants, mode, source).await?;
    write_wanted(change, layers, mode, source).await?;
    write_wanted(change, policies, mode, source).await?;
    Ok(())
}

impl Store {
    /// Makes the domain what it was right after `revision`, as one new revision whose records
    /// are `restore`s. The target state passed every rule when it was committed; references,
    /// protections and schemas are checked again, so a restore that would, say, delete a
    /// protected tenant is refused with that reason. Returns the new revision (the current one
    /// when the domain already equals that state).
    ///
    /// Each restore, made or refused, is also written to the audit log (under the revision it
    /// made, or the current one when refused).
    pub async fn restore(
        &self,
        actor: &Actor,
        reason: &str,
        revision: i64,
    ) -> Result<i64, StoreError> {
        // Only a domain admin restores, even a restore that would change nothing.
        actor.check(
            strata_domain::access::Action::Change,
            &strata_domain::access::Scope::Domain,
            "the whole domain (a restore)",
        )?;
        let before = self.domain().await?.revision;
        let outcome = self.restore_to(actor, reason, revision).await;
        let event = NewAuditEvent {
            action: AuditAction::Restore,
            actor: actor.name(),
            triggered_by: actor.name(),
            revision: *outcome.as_ref().unwrap_or(&before),
            outcome: match &outcome {
                Ok(made) => Ok(serde_json::json!({
                    "to": revision,
                    "from": before,
                    "changed": *made != before,
                    "reason": reason,
                })),
                Err(e) => Err(e.to_string()),
            },
        };
        self.record_event(event).await?;
        outcome
    }

    async fn restore_to(
        &self,
        actor: &Actor,
        reason: &str,
        revision: i64,
    ) -> Result<i64, StoreError> {
        let mut change = self.begin(actor, reason).await?;
        let current = change.revision() - 1;
        let writes = async {
            if !(0..=current).contains(&revision) {
                return Err(StoreError::invalid(
                    "/revision",
                    format!(
                        "revision {revision} does not exist; the domain is at revision {current}"
                    ),
                ));
            }
            let mut target = self.state_at(revision).await?;
            for kind in Kind::ALL {
                target.entry(kind.name().to_owned()).or_default();
            }
            converge(&mut change, &target, Mode::Restore, &|kind, key| {
                format!("/{kind}/{key}")
            })
            .await
        }
        .await;
        change.commit_if(writes).await
    }

    /// Makes each kind that `state` names equal what it holds (kinds it does not name stay as
    /// they are), as one change set of creates, updates and deletes: all of it or nothing.
    pub async fn import_state(
        &self,
        actor: &Actor,
        reason: &str,
        state: &State,
    ) -> Result<i64, StoreError> {
        self.import_state_from(
            actor,
            reason,
            state,
            &|kind, key| match Kind::from_name(kind) {
                Some(kind) => format!("/{}.json/{key}", kind.table()),
                None => format!("/{kind}.json/{key}"),
            },
        )
        .await
    }

    /// [`Self::import_state`], with refusals placed where `source` says each entity of a kind
    /// and key came from (a file of an export, a row of a Drift table).
    pub(crate) async fn import_state_from(
        &self,
        actor: &Actor,
        reason: &str,
        state: &State,
        source: &(dyn Fn(&str, &str) -> String + Sync),
    ) -> Result<i64, StoreError> {
        if let Some(kind) = state.keys().find(|k| Kind::from_name(k).is_none()) {
            return Err(StoreError::invalid(
                "/",
                format!("{kind:?} is not a kind of entity"),
            ));
        }
        let mut change = self.begin(actor, reason).await?;
        let writes = converge(&mut change, state, Mode::Import, source).await;
        change.commit_if(writes).await
    }

    /// The live state, kind → key → image, read in one snapshot.
    pub(crate) async fn current_state(&self) -> Result<State, StoreError> {
        let mut read = self.snapshot().await?;
        let mut state = State::new();
        async fn add<E: Entity>(
            state: &mut State,
            conn: &mut sqlx::AnyConnection,
        ) -> Result<(), StoreError> {
            let images: strata_domain::compile::Table = fetch_all::<E>(conn)
                .await?
                .into_iter()
                .map(|v| (v.item.key(), image(&v.item)))
                .collect();
            state.insert(E::KIND.to_owned(), images);
            Ok(())
        }
        for kind in Kind::ALL {
            strata_domain::with_kind!(kind, E => add::<E>(&mut state, &mut read).await?);
        }
        read.rollback().await?;
        Ok(state)
    }
}
