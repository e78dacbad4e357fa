//! What a change set has read and written of the stored domain. A change set holds the write
//! lock, so only its own writes change what it reads: each entity, latest recorded image and
//! version it asks for is read from the database once, and what it writes replaces what it
//! read. An import of 100,000 tenants of one product reads that product once, not 100,000
//! times, and a tenant's layer finds the tenant the import wrote.
//!
//! Reads outside a change set go through [`Reads::plain`], which remembers nothing.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use serde_json::Value;
use sqlx::AnyConnection;
use strata_domain::kind::Kind;
use strata_domain::rules::Versioned;

use crate::StoreError;
use crate::entity::{Entity, fetch};
use crate::pending::Pending;

type Key = (&'static str, String);

/// What a change set remembers of its reads.
#[derive(Default)]
pub(crate) struct Seen {
    /// Stored entities (a `Versioned<E>` of the kind), or their absence.
    entities: HashMap<Key, Option<Arc<dyn Any + Send + Sync>>>,
    /// Latest recorded images ([`crate::access::scope::latest_image`]).
    latest: HashMap<Key, Option<Value>>,
    /// For kinds whose versions were all read at once: each key's latest recorded version.
    versions: HashMap<&'static str, HashMap<String, i64>>,
    /// Once read: every tenant alias, and the tenant it names.
    aliases: Option<HashMap<String, String>>,
}

impl Seen {
    /// Forgets what was read of the entity, which the change set is about to write.
    pub(crate) fn forget(&mut self, kind: &'static str, key: &str) {
        let at = (kind, key.to_owned());
        self.entities.remove(&at);
        self.latest.remove(&at);
    }

    /// Forgets what was read of the entity, which the change set has just recorded as
    /// `version`, from `before` to `after`.
    pub(crate) fn wrote(
        &mut self,
        kind: &'static str,
        key: &str,
        version: i64,
        before: Option<&Value>,
        after: Option<&Value>,
    ) {
        self.forget(kind, key);
        self.latest
            .insert((kind, key.to_owned()), after.or(before).cloned());
        if let Some(versions) = self.versions.get_mut(kind) {
            versions.insert(key.to_owned(), version);
        }
        if kind == Kind::Tenant.name()
            && let Some(aliases) = &mut self.aliases
        {
            let alias = |image: Option<&Value>| image?.get("alias")?.as_str().map(str::to_owned);
            if let Some(gone) = alias(before)
                && aliases.get(&gone).is_some_and(|holder| holder == key)
            {
                aliases.remove(&gone);
            }
            if let Some(new) = alias(after) {
                aliases.insert(new, key.to_owned());
            }
        }
    }

    /// Keeps the entity as the change set has just written it.
    pub(crate) fn remember<E: Entity>(&mut self, written: &Versioned<E>) {
        let kept: Arc<dyn Any + Send + Sync> = Arc::new(written.clone());
        self.entities
            .insert((E::KIND, written.item.key()), Some(kept));
    }

    /// The version the next write of the entity gets, if the kind's versions were read.
    pub(crate) fn next_version(&self, kind: &str, key: &str) -> Option<i64> {
        self.versions
            .get(kind)
            .map(|versions| versions.get(key).map_or(1, |v| v + 1))
    }

    pub(crate) fn knows_versions(&self, kind: &str) -> bool {
        self.versions.contains_key(kind)
    }

    pub(crate) fn know_versions(&mut self, kind: &'static str, versions: HashMap<String, i64>) {
        self.versions.insert(kind, versions);
    }
}

/// The database as a write reads it: through the change set's connection, remembering what it
/// read when it is a change set's.
pub struct Reads<'a> {
    conn: &'a mut AnyConnection,
    seen: Option<&'a mut Seen>,
    /// The change set's rows not yet sent, sent before the connection is used.
    pending: Option<&'a mut Pending>,
}

impl<'a> Reads<'a> {
    /// Reads that remember nothing, for callers outside a change set.
    pub(crate) fn plain(conn: &'a mut AnyConnection) -> Reads<'a> {
        Reads {
            conn,
            seen: None,
            pending: None,
        }
    }

    pub(crate) fn remembering(
        conn: &'a mut AnyConnection,
        seen: &'a mut Seen,
        pending: &'a mut Pending,
    ) -> Reads<'a> {
        Reads {
            conn,
            seen: Some(seen),
            pending: Some(pending),
        }
    }

    /// The connection, for reads this module does not keep, once the change set's rows are
    /// sent.
    pub(crate) async fn conn(&mut self) -> Result<&mut AnyConnection, StoreError> {
        if let Some(pending) = self.pending.as_deref_mut() {
            pending.send(self.conn).await?;
        }
        Ok(self.conn)
    }

    /// The stored entity of kind `E` and `key`, if there is one.
    pub(crate) async fn entity<E: Entity>(
        &mut self,
        key: &str,
    ) -> Result<Option<Versioned<E>>, StoreError> {
        let at = (E::KIND, key.to_owned());
        if let Some(seen) = self.seen.as_deref()
            && let Some(found) = seen.entities.get(&at)
        {
            return Ok(found
                .as_ref()
                .and_then(|found| found.downcast_ref::<Versioned<E>>())
                .cloned());
        }
        let found = fetch::<E>(self.conn().await?, key).await?;
        if let Some(seen) = self.seen.as_deref_mut() {
            let kept = found
                .clone()
                .map(|found| Arc::new(found) as Arc<dyn Any + Send + Sync>);
            seen.entities.insert(at, kept);
        }
        Ok(found)
    }

    /// The tenant whose alias is `alias`, if any.
    pub(crate) async fn alias_holder(&mut self, alias: &str) -> Result<Option<String>, StoreError> {
        if self.seen.is_none() {
            let holder = sqlx::query_scalar("SELECT name FROM tenants WHERE alias = $1")
                .bind(alias)
                .fetch_optional(&mut *self.conn)
                .await?;
            return Ok(holder);
        }
        if self
            .seen
            .as_deref()
            .is_some_and(|seen| seen.aliases.is_none())
        {
            let rows: Vec<(String, String)> =
                sqlx::query_as("SELECT alias, name FROM tenants WHERE alias IS NOT NULL")
                    .fetch_all(self.conn().await?)
                    .await?;
            if let Some(seen) = self.seen.as_deref_mut() {
                seen.aliases = Some(rows.into_iter().collect());
            }
        }
        Ok(self
            .seen
            .as_deref()
            .and_then(|seen| seen.aliases.as_ref()?.get(alias).cloned()))
    }

    /// The latest recorded image of the entity, if this change set read it and has not
    /// written the entity since.
    pub(crate) fn recall_latest(&self, kind: &'static str, key: &str) -> Option<Option<Value>> {
        let seen = self.seen.as_deref()?;
        seen.latest.get(&(kind, key.to_owned())).cloned()
    }

    pub(crate) fn keep_latest(&mut self, kind: &'static str, key: &str, image: &Option<Value>) {
        if let Some(seen) = self.seen.as_deref_mut() {
            seen.latest.insert((kind, key.to_owned()), image.clone());
        }
    }
}
