//! Whether an actor may read one entity (its current state, history, versions, resolved
//! configs): the same scope as writes, read off the entity's latest recorded image, so a
//! deleted entity's history stays as private as the entity was.

use serde_json::Value;
use sqlx::AnyConnection;
use strata_domain::access::{Action, Rights, Scope};

use crate::access::Actor;
use crate::access::policy::scope::{latest_image, scope_of, write_action};
use crate::access::policy::visibility::Visibility;
use crate::changes::Operation;
use crate::seen::Reads;
use crate::{Store, StoreError};

impl Store {
    /// Refuses unless `actor` may read the entity of `kind` and `key`. The refusal is "does
    /// not exist", as for an entity that never did: a stranger learns nothing, not even that.
    pub(crate) async fn check_read(
        &self,
        actor: &Actor,
        kind: &'static str,
        key: &str,
    ) -> Result<(), StoreError> {
        if Visibility::of(actor) == Visibility::All {
            return Ok(());
        }
        let mut conn = self.pool.acquire().await?;
        readable(&mut conn, actor, kind, key).await.map(|_| ())
    }

    /// What `actor` may do with the entity of `kind` and `key` as it stands: edit, delete,
    /// roll back. Like [`Store::check_read`], "does not exist" for what they may not read;
    /// nothing for what never existed.
    pub(crate) async fn rights_on(
        &self,
        actor: &Actor,
        kind: &'static str,
        key: &str,
    ) -> Result<Rights, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let Some((image, owner)) = readable(&mut conn, actor, kind, key).await? else {
            return Ok(Rights::default());
        };
        rights_given(&mut conn, actor, kind, key, &image, &owner).await
    }
}

/// What `actor` may do with the entity of `kind` and `key` whose image is `image` and which
/// belongs to `owner`.
pub(crate) async fn rights_given(
    conn: &mut AnyConnection,
    actor: &Actor,
    kind: &'static str,
    key: &str,
    image: &Value,
    owner: &Scope,
) -> Result<Rights, StoreError> {
    // Deleting an organization, unlike editing it, is the domain's business.
    let reads = &mut Reads::plain(conn);
    let deleting = scope_of(reads, kind, key, image, Operation::Delete).await?;
    let rolling_back = scope_of(reads, kind, key, image, Operation::Rollback).await?;
    Ok(Rights {
        edit: actor.may(write_action(kind, Operation::Update), owner),
        delete: actor.may(write_action(kind, Operation::Delete), &deleting),
        roll_back: actor.may(write_action(kind, Operation::Rollback), &rolling_back),
        reveal: actor.may(Action::RevealSecrets, owner),
    })
}

/// The entity's latest image and the scope it belongs to, if `actor` may read it; `None` when
/// it never existed and the actor sees everything; else "does not exist".
pub(crate) async fn readable(
    conn: &mut AnyConnection,
    actor: &Actor,
    kind: &'static str,
    key: &str,
) -> Result<Option<(Value, Scope)>, StoreError> {
    let not_found = || StoreError::NotFound {
        kind,
        key: key.to_owned(),
    };
    let reads = &mut Reads::plain(conn);
    let Some(image) = latest_image(reads, kind, key).await? else {
        return match Visibility::of(actor) {
            Visibility::All => Ok(None),
            Visibility::Organizations(_) => Err(not_found()),
        };
    };
    let owner = scope_of(reads, kind, key, &image, Operation::Update).await?;
    match actor.may(Action::Read, &owner) {
        true => Ok(Some((image, owner))),
        false => Err(not_found()),
    }
}
