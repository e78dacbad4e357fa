//! What every stored entity shares: a key, versions, a change record per write, conflicts on
//! stale versions. An entity module says how its rows look ([`Entity`]); the create, update
//! and delete here are then the only way any entity is written.

use std::future::Future;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, AnyConnection, Row};
use strata_domain::kind::Kind;
use strata_domain::names::NameError;
use strata_domain::rules::{EntityState, FieldError, Versioned};

use crate::changes::ChangeSet;
use crate::resolution::Touch;
use crate::sealing::Sealer;
use crate::seen::Reads;
use crate::{Store, StoreError};

pub(crate) type AnyQuery<'q> = Query<'q, Any, AnyArguments<'q>>;

pub trait Entity: Serialize + DeserializeOwned + Clone + PartialEq + Send + Sync + 'static {
    /// Its kind.
    const OF: Kind;
    /// The entity's name in history, errors and messages, e.g. "tier".
    const KIND: &'static str = Self::OF.name();
    const TABLE: &'static str = Self::OF.table();
    const KEY_COLUMN: &'static str;
    /// The columns besides key, version and revision, in the order [`Entity::bind`] binds them.
    const COLUMNS: &'static [&'static str];

    /// Text columns a list search matches besides the key.
    const SEARCHED: &'static [&'static str] = &[];
    /// The rows of other kinds that point at this entity; a delete is refused while any exist.
    const REFERENCED_BY: &'static [Reference] = &[];

    fn key(&self) -> String;
    /// Rules that need nothing but the entity itself.
    fn check(&self) -> Result<(), FieldError>;
    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q>;
    /// Reads the key and [`Entity::COLUMNS`] back.
    fn from_row(row: &AnyRow) -> Result<Self, StoreError>;

    /// Rules that need the database: references, uniqueness of a second column, and the
    /// allowed changes from `before`, the stored entity this write replaces (if any).
    fn check_in_store(
        &self,
        _reads: &mut Reads<'_>,
        _before: Option<&Self>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        async { Ok(()) }
    }

    /// Seals the values the schema marks secret (and opens those it no longer marks), before
    /// the entity is written; `before` is the stored entity the write replaces, and
    /// `accept_unbound` says values sealed before seals were bound to a layer may be written
    /// where they did not stand ([`crate::changes::ChangeSet::accepts_unbound_seals`]).
    fn seal(
        &mut self,
        _reads: &mut Reads<'_>,
        _sealer: &Sealer,
        _before: Option<&Self>,
        _accept_unbound: bool,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        async { Ok(()) }
    }

    /// Rules for deleting the entity besides references, e.g. a protection flag.
    fn check_delete(&self) -> Result<(), FieldError> {
        Ok(())
    }

    /// Which resolved configs a write of this entity can change; the change set validates
    /// them all before it commits.
    fn touches(&self) -> Option<Touch> {
        None
    }

    /// Writes rows kept in other tables (such as a product's deployables) after the entity's
    /// own row was inserted or updated.
    fn write_children(
        &self,
        _change: &mut ChangeSet,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        async { Ok(()) }
    }

    /// Reads those rows back into an entity read by [`Entity::from_row`].
    fn read_children(
        &mut self,
        _conn: &mut AnyConnection,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        async { Ok(()) }
    }
}

/// A column of another table that holds this entity's key: `SELECT key FROM table WHERE
/// column = $1` lists the dependents, named as `kind`.
pub struct Reference {
    pub kind: &'static str,
    pub table: &'static str,
    pub column: &'static str,
    pub key: &'static str,
}

/// How many dependents a refused delete names; the count says how many there were.
const MAX_DEPENDENTS: usize = 20;

pub(crate) fn select_sql<E: Entity>() -> String {
    format!(
        "SELECT {}, {}, version, revision FROM {}",
        E::KEY_COLUMN,
        E::COLUMNS.join(", "),
        E::TABLE
    )
}

pub(crate) fn versioned_from_row<E: Entity>(row: &AnyRow) -> Result<Versioned<E>, StoreError> {
    Ok(Versioned {
        item: E::from_row(row)?,
        version: row.try_get("version")?,
        revision: row.try_get("revision")?,
    })
}

pub(crate) async fn fetch<E: Entity>(
    conn: &mut AnyConnection,
    key: &str,
) -> Result<Option<Versioned<E>>, StoreError> {
    let sql = format!("{} WHERE {} = $1", select_sql::<E>(), E::KEY_COLUMN);
    let row = sqlx::query(&sql)
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut found = versioned_from_row::<E>(&row)?;
    found.item.read_children(conn).await?;
    Ok(Some(found))
}

/// The stored entity a write refers to, or a field error at `field` saying it does not exist.
pub(crate) async fn referenced<E: Entity>(
    reads: &mut Reads<'_>,
    field: &str,
    key: &str,
) -> Result<E, StoreError> {
    match reads.entity::<E>(key).await? {
        Some(found) => Ok(found.item),
        None => Err(StoreError::invalid(
            field,
            format!("{} {key:?} does not exist", E::KIND),
        )),
    }
}

/// What still points at the entity: "kind key" for each dependent row, the first
/// [`MAX_DEPENDENTS`] of them, and how many there are.
pub(crate) async fn dependents<E: Entity>(
    conn: &mut AnyConnection,
    key: &str,
) -> Result<(Vec<String>, usize), StoreError> {
    let mut named = Vec::new();
    let mut total = 0;
    for reference in E::REFERENCED_BY {
        let keys: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT {} FROM {} WHERE {} = $1 ORDER BY 1",
            reference.key, reference.table, reference.column
        ))
        .bind(key)
        .fetch_all(&mut *conn)
        .await?;
        total += keys.len();
        for dependent in keys {
            if named.len() < MAX_DEPENDENTS {
                named.push(format!("{} {dependent:?}", reference.kind));
            }
        }
    }
    Ok((named, total))
}

/// A stored name. One that breaks its rule was written behind the store's back.
pub(crate) fn name_at<T, I: sqlx::ColumnIndex<AnyRow>>(
    row: &AnyRow,
    column: I,
    parse: fn(String) -> Result<T, NameError>,
) -> Result<T, StoreError> {
    parse(row.try_get::<String, _>(column)?).map_err(StoreError::corrupt)
}

/// A stored JSON document.
pub(crate) fn json_at<I: sqlx::ColumnIndex<AnyRow> + std::fmt::Display + Copy>(
    row: &AnyRow,
    column: I,
) -> Result<Value, StoreError> {
    serde_json::from_str(&row.try_get::<String, _>(column)?)
        .map_err(|e| StoreError::Corrupt(format!("column {column} is not JSON: {e}")))
}

/// Reads the `state` column of an entity whose state is active or disabled.
pub(crate) fn state_from_row<E: Entity>(row: &AnyRow) -> Result<EntityState, StoreError> {
    let state: String = row.try_get("state")?;
    EntityState::parse(&state)
        .ok_or_else(|| StoreError::Corrupt(format!("{} state {state:?}", E::KIND)))
}

pub(crate) fn image<E: Entity>(entity: &E) -> Value {
    serde_json::to_value(entity).expect("entities serialize to JSON")
}

pub(crate) fn invalid(e: FieldError) -> StoreError {
    StoreError::invalid(e.field, e.rule)
}

impl Store {
    pub(crate) async fn get<E: Entity>(&self, key: &str) -> Result<Versioned<E>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        fetch::<E>(&mut conn, key)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                kind: E::KIND,
                key: key.to_owned(),
            })
    }
}

/// Every stored entity of a kind, by key.
pub(crate) async fn fetch_all<E: Entity>(
    conn: &mut AnyConnection,
) -> Result<Vec<Versioned<E>>, StoreError> {
    let sql = format!("{} ORDER BY {}", select_sql::<E>(), E::KEY_COLUMN);
    let rows = sqlx::query(&sql).fetch_all(&mut *conn).await?;
    entities_from_rows(conn, &rows).await
}

/// The entities `rows` of [`select_sql`] hold, each with the rows it keeps in other tables.
pub(crate) async fn entities_from_rows<E: Entity>(
    conn: &mut AnyConnection,
    rows: &[AnyRow],
) -> Result<Vec<Versioned<E>>, StoreError> {
    let mut all = Vec::with_capacity(rows.len());
    for row in rows {
        let mut found = versioned_from_row::<E>(row)?;
        found.item.read_children(conn).await?;
        all.push(found);
    }
    Ok(all)
}
