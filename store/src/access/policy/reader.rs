//! Reads made for one actor: `store.as_actor(&actor)` answers only what that actor may see,
//! filtering lists and refusing the rest as "does not exist", so a caller cannot forget the
//! check: the store's own readers are crate-private. Who reads everything (the publisher,
//! export, the operator's command line) says so: `store.as_operator()`.

use std::borrow::Cow;

use serde_json::Value;
use strata_domain::access::Rights;
use strata_domain::audit::AuditFilter;
use strata_domain::diff::{PatchOp, diff};
use strata_domain::kind::Kind;
use strata_domain::listing::{ListPage, ListQuery};
use strata_domain::names::{DeployableName, TenantName, TierName};
use strata_domain::rules::Versioned;

use crate::access::Actor;
use crate::access::policy::visibility::{Visibility, visible_state};
use crate::entity::{Entity, entities_from_rows, select_sql};
use crate::history::{ChainReport, ChangeRecord, State};
use crate::outbox::Publication;
use crate::resolution::{Impact, ResolvedConfig};
use crate::{Store, StoreError};

/// The store, reading for one actor.
pub struct Reader<'a> {
    store: &'a Store,
    actor: Cow<'a, Actor>,
}

impl Store {
    /// Reads for `actor`: only what they may see.
    pub fn as_actor<'a>(&'a self, actor: &'a Actor) -> Reader<'a> {
        Reader {
            store: self,
            actor: Cow::Borrowed(actor),
        }
    }

    /// Reads for the operator, who holds the database itself and sees everything: the
    /// publisher, export and the operator's own commands.
    pub fn as_operator(&self) -> Reader<'_> {
        Reader {
            store: self,
            actor: Cow::Owned(Actor::operator("strata")),
        }
    }
}

impl Reader<'_> {
    /// Who this reader reads for.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    pub(crate) fn store(&self) -> &Store {
        self.store
    }

    /// One entity, if the actor may read it; else "does not exist", as for one that never did.
    pub async fn get<E: Entity>(&self, key: &str) -> Result<Versioned<E>, StoreError> {
        self.store.check_read(&self.actor, E::KIND, key).await?;
        self.store.get::<E>(key).await
    }

    /// Every entity of a kind the actor may read, by key: their organizations' and the
    /// shared ones.
    pub async fn list<E: Entity>(&self) -> Result<Vec<Versioned<E>>, StoreError> {
        let (visible, organizations) = Visibility::of(&self.actor).condition::<E>(1);
        let sql = format!(
            "{} WHERE {visible} ORDER BY {}",
            select_sql::<E>(),
            E::KEY_COLUMN
        );
        let mut query = sqlx::query(&sql);
        for organization in &organizations {
            query = query.bind(organization);
        }
        let mut conn = self.store.pool.acquire().await?;
        let rows = query.fetch_all(&mut *conn).await?;
        entities_from_rows(&mut conn, &rows).await
    }

    /// A page of what the actor may read, searched and sorted; counts only what they may see.
    pub async fn list_page<E: Entity>(
        &self,
        query: &ListQuery,
    ) -> Result<ListPage<Versioned<E>>, StoreError> {
        self.store.list_page::<E>(&self.actor, query).await
    }

    /// What the actor may do with an entity as it stands: edit, delete, roll back, reveal its
    /// secrets. "Does not exist" for what they may not read; nothing for what never existed.
    pub async fn rights(&self, kind: &'static str, key: &str) -> Result<Rights, StoreError> {
        self.store.rights_on(&self.actor, kind, key).await
    }

    /// Every version of one entity, oldest first; "does not exist" when it never did or the
    /// actor may not read it.
    pub async fn history(
        &self,
        kind: &'static str,
        key: &str,
    ) -> Result<Vec<ChangeRecord>, StoreError> {
        self.store.check_read(&self.actor, kind, key).await?;
        let records = self.store.history(kind, key).await?;
        if records.is_empty() {
            return Err(StoreError::NotFound {
                kind,
                key: key.to_owned(),
            });
        }
        Ok(records)
    }

    /// The images of an entity's versions `from` and `to`; a deletion's image is `null`.
    pub async fn version_images(
        &self,
        kind: &'static str,
        key: &str,
        from: i64,
        to: i64,
    ) -> Result<(Value, Value), StoreError> {
        self.store.check_read(&self.actor, kind, key).await?;
        self.store.version_images(kind, key, from, to).await
    }

    /// What changed in an entity from version `from` to version `to`, as an RFC 6902 patch.
    pub async fn diff_versions(
        &self,
        kind: &'static str,
        key: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<PatchOp>, StoreError> {
        let (before, after) = self.version_images(kind, key, from, to).await?;
        Ok(diff(&before, &after))
    }

    /// The part of the domain at `revision` the actor may read: the shared entities and their
    /// organizations' ones, as they were then.
    pub async fn state_at(&self, revision: i64) -> Result<State, StoreError> {
        let state = self.store.state_at(revision).await?;
        Ok(visible_state(&Visibility::of(&self.actor), state))
    }

    /// What [`Reader::state_at`] answers for `revision`, computed from `base` — what it
    /// answered for `from` — and only the changes committed since; with them, each changed
    /// entity's (kind, key). The whole state is read again for an actor who sees only some
    /// organizations (whose part may change with an entity's owner), and for a base that does
    /// not name every kind (one read from a snapshot without that kind's document).
    pub async fn state_after(
        &self,
        base: State,
        from: i64,
        revision: i64,
    ) -> Result<(State, Vec<(String, String)>), StoreError> {
        let whole = Kind::ALL.iter().all(|kind| base.contains_key(kind.name()));
        if Visibility::of(&self.actor) != Visibility::All || from > revision || !whole {
            let state = self.state_at(revision).await?;
            let changed = strata_domain::compile::changed_entities(&base, &state);
            return Ok((state, changed));
        }
        self.store.state_after(base, from, revision).await
    }

    /// The part of the live domain the actor may read, kind → key → image.
    pub async fn current_state(&self) -> Result<State, StoreError> {
        let state = self.store.current_state().await?;
        Ok(visible_state(&Visibility::of(&self.actor), state))
    }

    /// The config `tenant` runs `deployable` with on `tier`, each value with its layer, if the
    /// actor may read the tenant.
    pub async fn resolve(
        &self,
        tier: &TierName,
        tenant: &TenantName,
        deployable: &DeployableName,
    ) -> Result<ResolvedConfig, StoreError> {
        self.store
            .check_read(&self.actor, "tenant", tenant.as_str())
            .await?;
        self.store.resolve(tier, tenant, deployable).await
    }

    /// What writing `entity` (an update from `expected_version`, or a create when `None`)
    /// would do to resolved configs, without writing it; refused as the write would be.
    pub async fn preview<E: Entity>(
        &self,
        entity: E,
        expected_version: Option<i64>,
    ) -> Result<Impact, StoreError> {
        self.store
            .preview_write(&self.actor, |change| {
                let entity = entity.clone();
                Box::pin(async move {
                    match expected_version {
                        Some(version) => change.update(version, entity).await.map(drop),
                        None => change.create(entity).await.map(drop),
                    }
                })
            })
            .await
    }

    /// What rolling the entity of `key` back to its version `to_version` would do to resolved
    /// configs, without doing it; `expected_version` is the version the actor saw (`None`
    /// when it is deleted now). Refused as the roll back would be.
    pub async fn preview_rollback<E: Entity>(
        &self,
        key: &str,
        to_version: i64,
        expected_version: Option<i64>,
    ) -> Result<Impact, StoreError> {
        self.store
            .preview_write(&self.actor, |change| {
                let key = key.to_owned();
                Box::pin(async move {
                    change
                        .rollback::<E>(&key, to_version, expected_version)
                        .await
                        .map(drop)
                })
            })
            .await
    }

    /// Changes across the domain the actor may read, newest first, filtered, a window at a
    /// time, with the number that match.
    pub async fn audit_trail(
        &self,
        filter: &AuditFilter,
        offset: i64,
        limit: i64,
    ) -> Result<ListPage<ChangeRecord>, StoreError> {
        self.store
            .audit_trail(&self.actor, filter, offset, limit)
            .await
    }

    /// Whether the history's hash chain still verifies (checked from the last checkpoint), as
    /// the actor may learn it: the number of records and a broken record's place only for
    /// those who see every record.
    pub async fn chain(&self) -> Result<ChainReport, StoreError> {
        let check = self.store.verify_chain_since_checkpoint().await?;
        Ok(check.report(Visibility::of(&self.actor) == Visibility::All))
    }

    /// The latest publications, newest first, as the actor may see them.
    pub async fn publications(&self, limit: i64) -> Result<Vec<Publication>, StoreError> {
        Ok(self
            .store
            .publications(limit)
            .await?
            .into_iter()
            .map(|p| p.seen_by(&self.actor))
            .collect())
    }

    /// One revision's publication, as the actor may see it.
    pub async fn publication(&self, revision: i64) -> Result<Option<Publication>, StoreError> {
        Ok(self
            .store
            .publication(revision)
            .await?
            .map(|p| p.seen_by(&self.actor)))
    }
}
