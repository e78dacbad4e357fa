//! Lists of entities a page at a time: a case-insensitive search over the key and the
//! entity's text columns (through the index of `search_index.rs`), one sort column (the key
//! breaks ties), a window, and the count of all matches, each one query, so a list of 10,000
//! tenants reads one page of rows. A window nearer the end is read from the end
//! ([`Window::nearer_end`]): the last page costs what the first does, and no page passes over
//! more than half the rows.

use strata_domain::listing::{ListPage, ListQuery, Window};
use strata_domain::rules::Versioned;

use crate::access::Actor;
use crate::access::visibility::Visibility;
use crate::entity::{Entity, entities_from_rows, invalid, select_sql};
use crate::{Store, StoreError, search_index};

impl Store {
    /// A page of what `actor` may read: a person sees their organizations' rows and what the
    /// domain shares, nothing of other organizations (counts included).
    pub(crate) async fn list_page<E: Entity>(
        &self,
        actor: &Actor,
        query: &ListQuery,
    ) -> Result<ListPage<Versioned<E>>, StoreError> {
        let mut columns = vec![E::KEY_COLUMN];
        columns.extend_from_slice(E::COLUMNS);
        query.check(&columns).map_err(invalid)?;
        let search = query.search.trim();
        if !search_index::can_match(search) {
            return Ok(ListPage {
                items: Vec::new(),
                total: 0,
            });
        }
        let searched = match search.is_empty() {
            // Nothing to search for: every row, without reading each one's text (the pattern
            // is still bound as $1, so the numbering stays).
            true => "CAST($1 AS TEXT) IS NOT NULL".to_owned(),
            false => {
                search_index::condition::<E>(self.url.backend(), search.contains(['%', '_', '\\']))
            }
        };
        let (visible, organizations) = Visibility::of(actor).condition::<E>(2);
        let filter = format!("WHERE ({searched}) AND {visible}");
        let after = organizations.len() + 2;
        let pattern = query.like_pattern();
        let sort = query.sort.as_deref().unwrap_or(E::KEY_COLUMN);
        let mut conn = self.pool.acquire().await?;
        let count = format!("SELECT COUNT(*) FROM {} {filter}", E::TABLE);
        let mut counting = sqlx::query_scalar(&count).bind(&pattern);
        for organization in &organizations {
            counting = counting.bind(organization);
        }
        let total: i64 = counting.fetch_one(&mut *conn).await?;
        let window = Window::nearer_end(query.offset, query.limit, total);
        // Ascending unless asked otherwise, turned around when read from the end (the key
        // breaks ties, so the order is total and the turned one its exact reverse).
        let direction = match window.reads_descending(query.descending) {
            true => "DESC",
            false => "ASC",
        };
        // The key once: `ORDER BY name, name` makes SQLite sort every row again (46 ms for
        // the last page of 100,000 tenants) instead of reading the key's index in order.
        let order = match sort == E::KEY_COLUMN {
            true => format!("{sort} {direction}"),
            false => format!("{sort} {direction}, {} {direction}", E::KEY_COLUMN),
        };
        let sql = format!(
            "{} {filter} ORDER BY {order} LIMIT ${after} OFFSET ${}",
            select_sql::<E>(),
            after + 1,
        );
        let mut paging = sqlx::query(&sql).bind(&pattern);
        for organization in &organizations {
            paging = paging.bind(organization);
        }
        let rows = paging
            .bind(window.limit)
            .bind(window.offset)
            .fetch_all(&mut *conn)
            .await?;
        let items = window.in_order(entities_from_rows(&mut conn, &rows).await?);
        Ok(ListPage { items, total })
    }
}
