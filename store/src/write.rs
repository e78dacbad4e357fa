//! One write as every interface makes it: a change set by an actor for a reason, the write,
//! the commit — or, for a preview, the same write and what it would do to resolved configs,
//! then nothing applied. The console, the API and the command line all write through here, so
//! a write is refused the same way whichever one asked.

use std::collections::BTreeMap;
use std::time::Instant;

use futures_util::future::BoxFuture;
use serde_json::Value;
use strata_domain::diff::diff;
use strata_domain::rules::Versioned;

use crate::access::Actor;
use crate::changes::ChangeSet;
use crate::entity::{Entity, fetch};
use crate::resolution::{
    ConfigChange, ConfigViolations, Impact, Proposed, ResolvedConfig, Target, affected,
    resolve_targets,
};
use crate::{Store, StoreError};

/// What a write of one entity did: the entity as written (none when deleted), as it stood
/// before (none when it did not exist), and the revision committed (the current one when the
/// write changed nothing).
#[derive(Debug, Clone)]
pub struct Written<E> {
    pub item: Option<Versioned<E>>,
    pub prev: Option<Versioned<E>>,
    pub revision: i64,
}

impl<E> Written<E> {
    /// Whether the write left the entity as it was (it held what was stored already).
    pub fn unchanged(&self) -> bool {
        matches!((&self.item, &self.prev), (Some(item), Some(prev)) if item.version == prev.version)
    }

    /// The entity's version now: the deletion's when it was deleted.
    pub fn version(&self) -> i64 {
        match (&self.item, &self.prev) {
            (Some(item), _) => item.version,
            (None, Some(prev)) => prev.version + 1,
            (None, None) => 0,
        }
    }
}

/// How many times a preview makes its write again when a commit came between the write and
/// the snapshot it reads.
const PREVIEW_ATTEMPTS: u32 = 5;

impl Store {
    /// Makes `write` to the entity of kind `E` and `key` in a change set by `actor` for
    /// `reason`, and commits it. Refused as a whole, with nothing applied, when the write or
    /// the commit refuses (a rule, a stale version, configs the write would break).
    pub async fn write<E: Entity>(
        &self,
        actor: &Actor,
        reason: &str,
        key: &str,
        write: impl AsyncFnOnce(&mut ChangeSet) -> Result<Option<Versioned<E>>, StoreError>,
    ) -> Result<Written<E>, StoreError> {
        self.write_with(actor, reason, async |change| {
            // Read under the write lock: exactly what the write replaces. Answered only when
            // the write succeeds, which it does only for an actor who may read the entity.
            let prev = fetch::<E>(change.conn().await?, key).await?;
            Ok((write(change).await?, prev))
        })
        .await
    }

    /// Makes `write` (which answers what it wrote and what that replaced) in a change set by
    /// `actor` for `reason` and commits it; applies nothing when the write or the commit
    /// refuses.
    pub(crate) async fn write_with<T>(
        &self,
        actor: &Actor,
        reason: &str,
        write: impl AsyncFnOnce(
            &mut ChangeSet,
        )
            -> Result<(Option<Versioned<T>>, Option<Versioned<T>>), StoreError>,
    ) -> Result<Written<T>, StoreError> {
        let mut change = self.begin(actor, reason).await?;
        let (item, prev) = match write(&mut change).await {
            Ok(written) => written,
            Err(e) => {
                change.refused(&e).await?;
                return Err(e);
            }
        };
        let revision = change.commit().await?;
        Ok(Written {
            item,
            prev,
            revision,
        })
    }

    /// What `write` would do to resolved configs, without applying it: every config whose
    /// resolution changes, how many stay as they were, and the rules the changed ones would
    /// break. Refused as the write itself would be. `actor` must be allowed to make it.
    ///
    /// Only the write itself runs under the write lock, in a change set given up at once; the
    /// configs are resolved before and after it over a read snapshot, with the entities the
    /// write would leave in place of the stored ones, so a preview of a change to 100,000
    /// configs never keeps other writers waiting.
    #[tracing::instrument(name = "impact preview", skip_all, fields(actor = %actor.name()))]
    pub(crate) async fn preview_write<T>(
        &self,
        actor: &Actor,
        write: impl Fn(&mut ChangeSet) -> BoxFuture<'_, Result<T, StoreError>>,
    ) -> Result<Impact, StoreError> {
        let started = Instant::now();
        let impact = self.impact_of(actor, write).await;
        self.metrics().previewed(match &impact {
            Ok(_) => Ok(started.elapsed()),
            Err(_) => Err(()),
        });
        impact
    }

    async fn impact_of<T>(
        &self,
        actor: &Actor,
        write: impl Fn(&mut ChangeSet) -> BoxFuture<'_, Result<T, StoreError>>,
    ) -> Result<Impact, StoreError> {
        let mut attempt = 1;
        let (touched, proposed, mut read) = loop {
            let mut change = self.begin(actor, "impact preview").await?;
            if let Err(e) = write(&mut change).await {
                change.abandon().await?;
                return Err(e);
            }
            let touched = change.touched().clone();
            let proposed = change.proposed().await;
            let base = change.revision() - 1;
            change.abandon().await?;
            let proposed = proposed?;
            let mut read = self.snapshot().await?;
            let seen: i64 = sqlx::query_scalar("SELECT revision FROM domain WHERE id = 1")
                .fetch_one(&mut *read)
                .await?;
            // The snapshot must hold the revision the write was judged on: a commit that came
            // between could, say, delete what the write refers to. Made again over the newer
            // revision, the write is judged there; after a few tries (a stream of commits),
            // it shows the write over the newest state, which its commit judges again.
            if seen == base || attempt == PREVIEW_ATTEMPTS {
                break (touched, proposed, read);
            }
            read.rollback().await?;
            attempt += 1;
        };
        let sealer = &self.sealer;
        let after_targets = affected(&mut read, &touched, &proposed).await?;
        let after = resolve_targets(&mut read, sealer, &after_targets, &proposed).await?;
        let none = Proposed::default();
        let before_targets = affected(&mut read, &touched, &none).await?;
        let before = resolve_targets(&mut read, sealer, &before_targets, &none).await?;
        read.rollback().await?;

        // Comparing 100,000 configs takes hundreds of milliseconds of CPU: on a blocking
        // thread, not on an async worker, where it held up the tasks queued behind it (a
        // small commit beside previews waited up to 0.8 s on PostgreSQL).
        match tokio::task::spawn_blocking(move || compare(before, after)).await {
            Ok(impact) => Ok(impact),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Only when the runtime shuts down.
            Err(e) => Err(StoreError::corrupt(format!("comparing stopped: {e}"))),
        }
    }
}

/// What changes from the configs resolved `before` a write to those resolved `after` it.
fn compare(before: Vec<ResolvedConfig>, after: Vec<ResolvedConfig>) -> Impact {
    // A config is where it is served: a tenant that moves to another product keeps the
    // configs of the deployables both products have.
    let served_at = |t: &Target| (t.tier.clone(), t.tenant.clone(), t.deployable.clone());
    let mut before: BTreeMap<_, (Target, Value)> = before
        .into_iter()
        .map(|c| (served_at(&c.target), (c.target, c.resolved.config)))
        .collect();
    let mut impact = Impact {
        changed: Vec::new(),
        unchanged: 0,
        violations: ConfigViolations::default(),
    };
    for config in after {
        impact.violations.add(&config.target, &config.violations);
        let old = before
            .remove(&served_at(&config.target))
            .map_or(Value::Null, |(_, old)| old);
        let patch = diff(&old, &config.resolved.config);
        if patch.is_empty() {
            impact.unchanged += 1;
        } else {
            impact.changed.push(ConfigChange {
                target: config.target,
                patch,
            });
        }
    }
    for (target, old) in before.into_values() {
        impact.changed.push(ConfigChange {
            patch: diff(&old, &Value::Null),
            target,
        });
    }
    impact.changed.sort_by(|a, b| a.target.cmp(&b.target));
    impact
}
