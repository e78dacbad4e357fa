//! A change set's writes of entities: create, update, delete and roll back, each checked
//! against what the actor may do and the entity's rules, recorded in history — the only way
//! any entity is written.

use serde_json::Value;
use strata_domain::rules::Versioned;

use crate::StoreError;
use crate::changes::{ChangeSet, Entry, Operation};
use crate::entity::{AnyQuery, Entity, dependents, fetch, image, invalid};
use crate::pending::PendingRow;

impl ChangeSet {
    pub async fn create<E: Entity>(&mut self, entity: E) -> Result<Versioned<E>, StoreError> {
        entity.check().map_err(invalid)?;
        let key = entity.key();
        self.may_write(E::KIND, &key, &image(&entity), Operation::Create)
            .await?;
        if fetch::<E>(self.conn().await?, &key).await?.is_some() {
            return Err(StoreError::Duplicate { kind: E::KIND, key });
        }
        self.insert_as(entity, Operation::Create).await
    }

    /// Replaces the entity with the same key, which must still be at `expected_version`.
    /// Writing what is already stored changes nothing and records nothing.
    pub async fn update<E: Entity>(
        &mut self,
        expected_version: i64,
        entity: E,
    ) -> Result<Versioned<E>, StoreError> {
        entity.check().map_err(invalid)?;
        let current = self
            .current::<E>(&entity.key(), expected_version, Operation::Update)
            .await?;
        self.replace_as(current, entity, Operation::Update).await
    }

    /// Deletes the entity, which must still be at `expected_version` and which nothing may
    /// reference any more.
    pub async fn delete<E: Entity>(
        &mut self,
        key: &str,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let current = self
            .current::<E>(key, expected_version, Operation::Delete)
            .await?;
        self.delete_as(current, Operation::Delete).await
    }

    /// Deletes `current`, recording it as `operation`, unless something still references it
    /// or its own rules forbid it.
    pub(crate) async fn delete_as<E: Entity>(
        &mut self,
        current: Versioned<E>,
        operation: Operation,
    ) -> Result<(), StoreError> {
        let key = current.item.key();
        self.forget(E::KIND, &key);
        current.item.check_delete().map_err(invalid)?;
        let (named, total) = dependents::<E>(self.conn().await?, &key).await?;
        if total > 0 {
            return Err(StoreError::InUse {
                kind: E::KIND,
                key,
                dependents: named,
                total,
            });
        }
        self.touch(current.item.touches());
        let sql = format!("DELETE FROM {} WHERE {} = $1", E::TABLE, E::KEY_COLUMN);
        sqlx::query(&sql)
            .bind(&key)
            .execute(self.conn().await?)
            .await?;
        let before = image(&current.item);
        self.record(Entry {
            kind: E::KIND,
            key: &key,
            version: current.version + 1,
            operation,
            before: Some(&before),
            after: None,
        })
        .await
    }

    /// Writes a new version of the entity equal to its version `to_version`; the versions
    /// between stay in history. `expected_version` is the version the caller saw: `None` when
    /// the entity is deleted now. Refused when `to_version` is a deletion, does not exist, or no
    /// longer passes today's rules.
    pub async fn rollback<E: Entity>(
        &mut self,
        key: &str,
        to_version: i64,
        expected_version: Option<i64>,
    ) -> Result<Versioned<E>, StoreError> {
        // Its versions are for those who may read it: to anyone else it does not exist, as
        // one that never did, whatever version they name.
        self.refuse_unreadable(E::KIND, key).await?;
        let stored: Option<Option<String>> = sqlx::query_scalar(
            "SELECT after_image FROM changes WHERE entity_kind = $1 AND entity_key = $2 AND entity_version = $3",
        )
        .bind(E::KIND)
        .bind(key)
        .bind(to_version)
        .fetch_optional(self.conn().await?)
        .await?;
        let text = match stored {
            None => {
                return Err(StoreError::invalid(
                    "/version",
                    format!("{} {key:?} has no version {to_version}", E::KIND),
                ));
            }
            Some(None) => {
                return Err(StoreError::invalid(
                    "/version",
                    format!(
                        "version {to_version} of {} {key:?} is its deletion: there is nothing to roll back to",
                        E::KIND
                    ),
                ));
            }
            Some(Some(text)) => text,
        };
        let entity: E = serde_json::from_str(&text).map_err(|e| {
            StoreError::invalid(
                "/version",
                format!("version {to_version} no longer reads as a {}: {e}", E::KIND),
            )
        })?;
        entity.check().map_err(invalid)?;
        let current = fetch::<E>(self.conn().await?, key).await?;
        for stored in [Some(&entity), current.as_ref().map(|c| &c.item)]
            .into_iter()
            .flatten()
        {
            self.may_write(E::KIND, key, &image(stored), Operation::Rollback)
                .await?;
        }
        match (current, expected_version) {
            (Some(current), Some(expected)) if current.version == expected => {
                self.replace_as(current, entity, Operation::Rollback).await
            }
            (None, None) => self.insert_as(entity, Operation::Rollback).await,
            // The caller saw another state than the stored one: an older version, or the
            // entity was deleted or created meanwhile.
            (_, expected) => Err(self.conflict::<E>(key, expected.unwrap_or(0)).await),
        }
    }

    /// Inserts a checked entity whose key is free, recording it as `operation`.
    pub(crate) async fn insert_as<E: Entity>(
        &mut self,
        entity: E,
        operation: Operation,
    ) -> Result<Versioned<E>, StoreError> {
        let mut entity = entity;
        self.forget(E::KIND, &entity.key());
        let sealer = self.sealer().clone();
        let accept_unbound = self.accepts_unbound_seals(operation);
        entity
            .seal(&mut self.reads(), &sealer, None, accept_unbound)
            .await?;
        entity.check_in_store(&mut self.reads(), None).await?;
        let key = entity.key();
        let version = self.next_version(E::KIND, &key).await?;
        let row = EntityRow {
            key,
            entity: entity.clone(),
            version,
            revision: self.revision(),
        };
        self.insert_later(Box::new(row)).await?;
        entity.write_children(self).await?;
        self.touch(entity.touches());
        let written = self
            .record_version(entity, version, operation, None)
            .await?;
        self.remember(&written);
        Ok(written)
    }

    /// Replaces `current` with a checked `entity` of the same key, recording it as
    /// `operation`. Writing what is already stored changes nothing and records nothing.
    pub(crate) async fn replace_as<E: Entity>(
        &mut self,
        current: Versioned<E>,
        entity: E,
        operation: Operation,
    ) -> Result<Versioned<E>, StoreError> {
        let mut entity = entity;
        self.forget(E::KIND, &entity.key());
        let sealer = self.sealer().clone();
        let accept_unbound = self.accepts_unbound_seals(operation);
        entity
            .seal(
                &mut self.reads(),
                &sealer,
                Some(&current.item),
                accept_unbound,
            )
            .await?;
        if current.item == entity {
            return Ok(current);
        }
        // Updated to name an owner the actor cannot see (a product of another organization):
        // that owner does not exist for them, before any rule could name what it holds.
        // (Creates are refused so in `may_write`.)
        if operation == Operation::Update {
            self.refuse_unseen_new_owner(E::KIND, &entity.key(), &image(&entity))
                .await?;
        }
        // A restore returns to a state that was committed, so it is not held to the steps
        // (such as a tenant's life cycle) between the current state and that one.
        let before = (operation != Operation::Restore).then_some(&current.item);
        entity.check_in_store(&mut self.reads(), before).await?;
        let key = entity.key();
        let version = current.version + 1;
        let columns = E::COLUMNS.len();
        let sql = format!(
            "UPDATE {} SET {}, version = ${}, revision = ${} WHERE {} = ${}",
            E::TABLE,
            E::COLUMNS
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} = ${}", i + 1))
                .collect::<Vec<_>>()
                .join(", "),
            columns + 1,
            columns + 2,
            E::KEY_COLUMN,
            columns + 3
        );
        let revision = self.revision();
        entity
            .bind(sqlx::query(&sql))
            .bind(version)
            .bind(revision)
            .bind(&key)
            .execute(self.conn().await?)
            .await?;
        entity.write_children(self).await?;
        self.touch(current.item.touches());
        self.touch(entity.touches());
        let before = image(&current.item);
        let written = self
            .record_version(entity, version, operation, Some(&before))
            .await?;
        self.after_replace(&current.item, &written.item).await?;
        self.remember(&written);
        Ok(written)
    }

    /// Records the write of `entity` as its `version` and answers it as stored.
    async fn record_version<E: Entity>(
        &mut self,
        entity: E,
        version: i64,
        operation: Operation,
        before: Option<&Value>,
    ) -> Result<Versioned<E>, StoreError> {
        let after = image(&entity);
        self.record(Entry {
            kind: E::KIND,
            key: &entity.key(),
            version,
            operation,
            before,
            after: Some(&after),
        })
        .await?;
        Ok(Versioned {
            item: entity,
            version,
            revision: self.revision(),
        })
    }

    /// The conflict for a write that expected `expected` while the entity moved on: it names
    /// the current version, its author and time.
    async fn conflict<E: Entity>(&mut self, key: &str, expected: i64) -> StoreError {
        match self.stamp(E::KIND, key).await {
            Ok(Some(current)) => StoreError::Conflict {
                kind: E::KIND,
                key: key.to_owned(),
                expected,
                current,
            },
            Ok(None) => StoreError::Corrupt(format!("{} {key:?} has no history", E::KIND)),
            Err(e) => e,
        }
    }

    /// The stored entity, if it is still at `expected_version`; else not-found or a conflict
    /// naming the current version, its author and time.
    /// The entity as stored, which the actor must be allowed to write (checked before its
    /// version is compared, so a conflict never shows a stranger what changed).
    async fn current<E: Entity>(
        &mut self,
        key: &str,
        expected_version: i64,
        operation: Operation,
    ) -> Result<Versioned<E>, StoreError> {
        let current =
            fetch::<E>(self.conn().await?, key)
                .await?
                .ok_or_else(|| StoreError::NotFound {
                    kind: E::KIND,
                    key: key.to_owned(),
                })?;
        self.may_write(E::KIND, key, &image(&current.item), operation)
            .await?;
        if current.version != expected_version {
            return Err(self.conflict::<E>(key, expected_version).await);
        }
        Ok(current)
    }
}

/// A new entity's row, waiting to be written with others ([`crate::pending`]).
struct EntityRow<E> {
    key: String,
    entity: E,
    version: i64,
    revision: i64,
}

impl<E: Entity> PendingRow for EntityRow<E> {
    fn head(&self) -> String {
        format!(
            "INSERT INTO {} ({}, {}, version, revision)",
            E::TABLE,
            E::KEY_COLUMN,
            E::COLUMNS.join(", ")
        )
    }

    fn width(&self) -> usize {
        E::COLUMNS.len() + 3
    }

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        self.entity
            .bind(query.bind(&self.key))
            .bind(self.version)
            .bind(self.revision)
    }
}
