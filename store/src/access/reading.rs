//! Whether an actor may read one entity (its current state, history, versions, resolved
//! configs): the same scope as writes, read off the entity's latest recorded image, so a
//! deleted entity's history stays as private as the entity was.

use strata_domain::access::{Action, Rights};

use super::Actor;
use super::scope::{latest_image, scope_of};
use super::visibility::Visibility;
use crate::changes::Operation;
use crate::{Store, StoreError};

impl Store {
    /// Refuses unless `actor` may read the entity of `kind` and `key`. The refusal is "does
    /// not exist", as for an entity that never did: a stranger learns nothing, not even that.
    pub async fn check_read(
        &self,
        actor: &Actor,
        kind: &'static str,
        key: &str,
    ) -> Result<(), StoreError> {
        if Visibility::of(actor) == Visibility::All {
            return Ok(());
        }
        let not_found = || StoreError::NotFound {
            kind,
            key: key.to_owned(),
        };
        let mut conn = self.pool.acquire().await?;
        let Some(image) = latest_image(&mut conn, kind, key).await? else {
            return Err(not_found());
        };
        let scope = scope_of(&mut conn, kind, key, &image, Operation::Update).await?;
        match actor.may(Action::Read, &scope) {
            true => Ok(()),
            false => Err(not_found()),
        }
    }

    /// What `actor` may do with the entity of `kind` and `key` as it stands: edit, delete,
    /// roll back. Nothing for what does not exist.
    pub async fn rights_on(
        &self,
        actor: &Actor,
        kind: &'static str,
        key: &str,
    ) -> Result<Rights, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let Some(image) = latest_image(&mut conn, kind, key).await? else {
            return Ok(Rights::default());
        };
        let mut may = async |operation, action| -> Result<bool, StoreError> {
            let scope = scope_of(&mut conn, kind, key, &image, operation).await?;
            Ok(actor.may(action, &scope))
        };
        Ok(Rights {
            edit: may(Operation::Update, Action::Change).await?,
            delete: may(Operation::Delete, Action::Change).await?,
            roll_back: may(Operation::Rollback, Action::Publish).await?,
        })
    }
}
