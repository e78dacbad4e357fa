//! Reads made for one actor: `store.as_actor(&actor)` answers only what that actor may see,
//! filtering lists and refusing the rest as "does not exist", so a caller cannot forget the
//! check. (The store's own unchecked reads serve the publisher, export and compile.)

use strata_domain::rules::Versioned;

use super::Actor;
use super::visibility::Visibility;
use crate::entity::{Entity, select_sql, versioned_from_row};
use crate::outbox::Publication;
use crate::{Store, StoreError};

/// The store, reading for one actor.
pub struct Reader<'a> {
    store: &'a Store,
    actor: &'a Actor,
}

impl Store {
    /// Reads for `actor`: only what they may see.
    pub fn as_actor<'a>(&'a self, actor: &'a Actor) -> Reader<'a> {
        Reader { store: self, actor }
    }
}

impl Reader<'_> {
    /// Every entity of a kind the actor may read, by key: their organizations' and the
    /// shared ones.
    pub async fn list<E: Entity>(&self) -> Result<Vec<Versioned<E>>, StoreError> {
        let (visible, organizations) = Visibility::of(self.actor).condition::<E>(1);
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
        let mut all = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut found = versioned_from_row::<E>(row)?;
            found.item.read_children(&mut conn).await?;
            all.push(found);
        }
        Ok(all)
    }

    /// The latest publications, newest first, as the actor may see them.
    pub async fn publications(&self, limit: i64) -> Result<Vec<Publication>, StoreError> {
        Ok(self
            .store
            .publications(limit)
            .await?
            .into_iter()
            .map(|p| p.seen_by(self.actor))
            .collect())
    }

    /// One revision's publication, as the actor may see it.
    pub async fn publication(&self, revision: i64) -> Result<Option<Publication>, StoreError> {
        Ok(self
            .store
            .publication(revision)
            .await?
            .map(|p| p.seen_by(self.actor)))
    }

    /// One entity, if the actor may read it; else "does not exist", as for one that never did.
    pub async fn get<E: Entity>(&self, key: &str) -> Result<Versioned<E>, StoreError> {
        self.store.check_read(self.actor, E::KIND, key).await?;
        self.store.get::<E>(key).await
    }
}
