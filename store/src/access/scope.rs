//! What a stored entity belongs to, for deciding who may change it: the domain (shared by
//! every organization) or one organization. Found from the entity's image inside the change
//! set's transaction, so a product created in the same change set counts.

use serde_json::Value;
use sqlx::AnyConnection;
use strata_domain::access::{Action, Scope};
use strata_domain::layer::{ConfigLayer, Layer};

use crate::StoreError;
use crate::changes::Operation;

/// How a change record stores its scope: '' for the domain's, else the organization's name.
pub(crate) fn stored_owner(scope: &Scope) -> &str {
    match scope {
        Scope::Domain => "",
        Scope::Organization(organization) => organization,
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
                let scope = scope_of(&mut tx, &kind, &key, &image, Operation::Update).await?;
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
    match (kind, operation) {
        ("organization", _) => Action::Administer,
        (_, Operation::Rollback) => Action::Publish,
        _ => Action::Change,
    }
}

/// The scope of an image of an entity of `kind` with `key`, as written by `operation`.
pub(crate) async fn scope_of(
    conn: &mut AnyConnection,
    kind: &str,
    key: &str,
    image: &Value,
    operation: Operation,
) -> Result<Scope, StoreError> {
    Ok(match kind {
        // An organization's own admins may edit it and roll it back; making and removing
        // organizations is the domain admin's.
        "organization" => match operation {
            Operation::Update | Operation::Rollback => Scope::Organization(key.to_owned()),
            _ => Scope::Domain,
        },
        "product" => text_at(image, "organization").map_or_else(unknown, Scope::Organization),
        "tenant" => match text_at(image, "product") {
            Some(product) => of_product(conn, &product).await?,
            None => unknown(),
        },
        "config layer" => {
            let layer: ConfigLayer = serde_json::from_value(image.clone())
                .map_err(|e| StoreError::corrupt(format!("config layer image {key:?}: {e}")))?;
            match layer.scope {
                Layer::Product(product) => of_product(conn, product.as_str()).await?,
                Layer::Tenant(tenant) => of_tenant(conn, tenant.as_str()).await?,
                Layer::Default | Layer::Tier(_) => Scope::Domain,
            }
        }
        // Tiers, deployables (schemas, default configs), tier deployables: shared.
        _ => Scope::Domain,
    })
}

/// What an entity's organization is found through, as the field, kind and key it names: a
/// product its organization, a tenant its product, a layer its product or tenant. A write
/// naming one the actor may not see is refused as if it did not exist.
pub(crate) fn owner_reference(
    kind: &str,
    image: &Value,
) -> Option<(&'static str, &'static str, String)> {
    match kind {
        "product" => Some((
            "/organization",
            "organization",
            text_at(image, "organization")?,
        )),
        "tenant" => Some(("/product", "product", text_at(image, "product")?)),
        "config layer" => {
            let scope = image.get("scope")?;
            let name = text_at(scope, "name")?;
            match text_at(scope, "kind").as_deref() {
                Some("product") => Some(("/scope/name", "product", name)),
                Some("tenant") => Some(("/scope/name", "tenant", name)),
                _ => None,
            }
        }
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
    conn: &mut AnyConnection,
    kind: &str,
    key: &str,
) -> Result<Option<Value>, StoreError> {
    let latest: Option<Option<String>> = sqlx::query_scalar(
        "SELECT COALESCE(after_image, before_image) FROM changes \
         WHERE entity_kind = $1 AND entity_key = $2 ORDER BY entity_version DESC LIMIT 1",
    )
    .bind(kind)
    .bind(key)
    .fetch_optional(conn)
    .await?;
    latest
        .flatten()
        .map(|text| {
            serde_json::from_str(&text)
                .map_err(|e| StoreError::corrupt(format!("{kind} {key:?} image: {e}")))
        })
        .transpose()
}

/// The organization of a product, from the table or, once deleted, from its history.
async fn of_product(conn: &mut AnyConnection, product: &str) -> Result<Scope, StoreError> {
    let organization: Option<String> =
        sqlx::query_scalar("SELECT organization FROM products WHERE name = $1")
            .bind(product)
            .fetch_optional(&mut *conn)
            .await?;
    let organization = match organization {
        Some(organization) => Some(organization),
        None => latest_image(conn, "product", product)
            .await?
            .and_then(|image| text_at(&image, "organization")),
    };
    Ok(organization.map_or_else(unknown, Scope::Organization))
}

/// The organization of a tenant's product, from the tables or, once deleted, from history.
async fn of_tenant(conn: &mut AnyConnection, tenant: &str) -> Result<Scope, StoreError> {
    let product: Option<String> = sqlx::query_scalar("SELECT product FROM tenants WHERE name = $1")
        .bind(tenant)
        .fetch_optional(&mut *conn)
        .await?;
    let product = match product {
        Some(product) => Some(product),
        None => latest_image(conn, "tenant", tenant)
            .await?
            .and_then(|image| text_at(&image, "product")),
    };
    match product {
        Some(product) => of_product(conn, &product).await,
        None => Ok(unknown()),
    }
}

fn text_at(image: &Value, field: &str) -> Option<String> {
    image.get(field).and_then(Value::as_str).map(str::to_owned)
}
