//! What a stored entity belongs to, for deciding who may change it: the domain (shared by
//! every organization) or one organization. Found from the entity's image inside the change
//! set's transaction, so a product created in the same change set counts.

use serde_json::Value;
use strata_domain::access::{Action, Scope};
use strata_domain::kind::{Kind, Owner};

use crate::StoreError;
use crate::changes::Operation;
use crate::seen::Reads;

/// How a change record stores its scope: '' for the domain's, else the organization's name.
pub(crate) fn stored_owner(scope: &Scope) -> &str {
    match scope {
        Scope::Domain => "",
        Scope::Organization(organization) => organization,
    }
}

/// The scope [`stored_owner`] stored as `owner`.
pub(crate) fn stored_scope(owner: &str) -> Scope {
    match owner {
        "" => Scope::Domain,
        organization => Scope::Organization(organization.to_owned()),
    }
}

/// Fills in the organization of change records written before records carried one.
pub(crate) async fn fill_change_owners(pool: &sqlx::AnyPool) -> Result<(), StoreError> {
    use sqlx::Row;

    let rows = sqlx::query(
        "SELECT seq, entity_kind, entity_key, COALESCE(after_image, before_image) AS image \
         FROM changes WHERE organization IS NULL ORDER BY seq",
    )
    .fetch_all(pool)
    .await?;
    if rows.is_empty() {
        return Ok(());
    }
    let mut tx = pool.begin().await?;
    for row in &rows {
        let seq: i64 = row.try_get("seq")?;
        let kind: String = row.try_get("entity_kind")?;
        let key: String = row.try_get("entity_key")?;
        let image: Option<String> = row.try_get("image")?;
        let owner = match image {
            Some(text) => {
                let image: Value = serde_json::from_str(&text)
                    .map_err(|e| StoreError::corrupt(format!("change {seq}: {e}")))?;
                let scope = scope_of(
                    &mut Reads::plain(&mut tx),
                    &kind,
                    &key,
                    &image,
                    Operation::Update,
                )
                .await?;
                stored_owner(&scope).to_owned()
            }
            None => String::new(),
        };
        sqlx::query("UPDATE changes SET organization = $1 WHERE seq = $2")
            .bind(owner)
            .bind(seq)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    tracing::info!(
        records = rows.len(),
        "filled in the organization of older change records"
    );
    Ok(())
}

/// What an actor must be allowed to do to make `operation` on an entity of `kind`: an
/// organization itself (its short name prefixes every tenant) is changed, rolled back included,
/// by its admins; other roll backs are a publisher's; everything else is an editor's. With
/// [`scope_of`], the whole write rule.
pub(crate) fn write_action(kind: &str, operation: Operation) -> Action {
    match (Kind::from_name(kind), operation) {
        (Some(Kind::Organization), _) => Action::Administer,
        (_, Operation::Rollback) => Action::Publish,
        _ => Action::Change,
    }
}

/// The scope of an image of an entity of `kind` with `key`, as written by `operation`: whose
/// the entity is ([`Kind::owner`]), found in the tables (or, once deleted, in history).
pub(crate) async fn scope_of(
    reads: &mut Reads<'_>,
    kind: &str,
    key: &str,
    image: &Value,
    operation: Operation,
) -> Result<Scope, StoreError> {
    let Some(kind) = Kind::from_name(kind) else {
        return Ok(Scope::Domain);
    };
    // An organization's own admins may edit it and roll it back; making and removing
    // organizations is the domain admin's.
    if kind == Kind::Organization && !matches!(operation, Operation::Update | Operation::Rollback) {
        return Ok(Scope::Domain);
    }
    Ok(match kind.owner(key, image) {
        Owner::Domain => Scope::Domain,
        Owner::Organization(organization) => Scope::Organization(organization),
        Owner::Through {
            kind: Kind::Organization,
            key,
            ..
        } => Scope::Organization(key),
        Owner::Through { kind, key, .. } => Box::pin(owner_of(reads, kind, &key)).await?,
        Owner::Unknown => unknown(),
    })
}

/// What an entity's organization is found through, as the field, kind and key it names: a
/// product its organization, a tenant its product, a layer its product or tenant. A write
/// naming one the actor may not see is refused as if it did not exist.
pub(crate) fn owner_reference(
    kind: &str,
    image: &Value,
) -> Option<(&'static str, &'static str, String)> {
    match Kind::from_name(kind)?.owner("", image) {
        Owner::Through { kind, key, field } => Some((field, kind.name(), key)),
        _ => None,
    }
}

/// The owner of what no organization can be found for (an image without its product, say):
/// not a possible organization name, so it is nobody's to read or write but a domain admin's.
/// Never the domain's: that would show it to everyone.
const UNKNOWN_OWNER: &str = "?";

fn unknown() -> Scope {
    Scope::Organization(UNKNOWN_OWNER.to_owned())
}

/// The latest recorded image of an entity (its deletion's before image if deleted).
pub(crate) async fn latest_image(
    reads: &mut Reads<'_>,
    kind: &'static str,
    key: &str,
) -> Result<Option<Value>, StoreError> {
    if let Some(known) = reads.recall_latest(kind, key) {
        return Ok(known);
    }
    let latest: Option<Option<String>> = sqlx::query_scalar(
        "SELECT COALESCE(after_image, before_image) FROM changes \
         WHERE entity_kind = $1 AND entity_key = $2 ORDER BY entity_version DESC LIMIT 1",
    )
    .bind(kind)
    .bind(key)
    .fetch_optional(reads.conn().await?)
    .await?;
    let image = latest
        .flatten()
        .map(|text| {
            serde_json::from_str(&text)
                .map_err(|e| StoreError::corrupt(format!("{kind} {key:?} image: {e}")))
        })
        .transpose()?;
    reads.keep_latest(kind, key, &image);
    Ok(image)
}

/// Whose the entity of `kind` and `key` is, read off its latest recorded image (every write
/// records one; once deleted, the one before its deletion).
async fn owner_of(reads: &mut Reads<'_>, kind: Kind, key: &str) -> Result<Scope, StoreError> {
    match latest_image(reads, kind.name(), key).await? {
        Some(image) => scope_of(reads, kind.name(), key, &image, Operation::Update).await,
        None => Ok(unknown()),
    }
}
