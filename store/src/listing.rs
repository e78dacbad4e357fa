//! Lists of entities a page at a time: a case-insensitive search over the key and the
//! entity's text columns, one sort column (the key breaks ties), a window, and the count of
//! all matches, each one query, so a list of 10,000 tenants reads one page of rows.

use strata_domain::listing::{ListPage, ListQuery};
use strata_domain::rules::Versioned;

use crate::entity::{Entity, invalid, select_sql, versioned_from_row};
use crate::{Store, StoreError};

impl Store {
    pub async fn list_page<E: Entity>(
        &self,
        query: &ListQuery,
    ) -> Result<ListPage<Versioned<E>>, StoreError> {
        let mut columns = vec![E::KEY_COLUMN];
        columns.extend_from_slice(E::COLUMNS);
        query.check(&columns).map_err(invalid)?;
        let searched: Vec<String> = std::iter::once(E::KEY_COLUMN)
            .chain(E::SEARCHED.iter().copied())
            .map(|column| format!("LOWER({column}) LIKE $1 ESCAPE '\\'"))
            .collect();
        let filter = format!("WHERE ({})", searched.join(" OR "));
        let pattern = query.like_pattern();
        let sort = query.sort.as_deref().unwrap_or(E::KEY_COLUMN);
        let direction = if query.descending { "DESC" } else { "ASC" };
        let mut conn = self.pool.acquire().await?;
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {} {filter}", E::TABLE))
            .bind(&pattern)
            .fetch_one(&mut *conn)
            .await?;
        let sql = format!(
            "{} {filter} ORDER BY {sort} {direction}, {key} {direction} LIMIT $2 OFFSET $3",
            select_sql::<E>(),
            key = E::KEY_COLUMN,
        );
        let rows = sqlx::query(&sql)
            .bind(&pattern)
            .bind(query.limit)
            .bind(query.offset)
            .fetch_all(&mut *conn)
            .await?;
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut found = versioned_from_row::<E>(row)?;
            found.item.read_children(&mut conn).await?;
            items.push(found);
        }
        Ok(ListPage { items, total })
    }
}
