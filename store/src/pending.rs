//! Rows a change set has written but not yet sent to the database: new entities and change
//! records. They are sent together, one statement per table and batch, before anything reads
//! the database again (the change set's connection is only handed out after sending them), so
//! every read sees every write made before it. Importing 100,000 tenants sends a few hundred
//! statements instead of 200,000.

use sqlx::AnyConnection;

use crate::StoreError;
use crate::entity::AnyQuery;

/// One row to insert.
pub(crate) trait PendingRow: Send + Sync {
    /// `INSERT INTO table (columns…)`: rows with the same head are sent in one statement.
    fn head(&self) -> String;
    /// How many values the row binds.
    fn width(&self) -> usize;
    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q>;
    /// Whether the row refers to no row of another table, so it may be sent after rows
    /// written later (change records). Other rows are sent in the order they were written.
    fn refers_to_nothing(&self) -> bool {
        false
    }
}

/// At most this many rows wait; the next one sends them.
const WAITING_AT_MOST: usize = 1_000;

/// At most this many values in one statement (SQLite allows 32,766, PostgreSQL 65,535).
const VALUES_PER_STATEMENT: usize = 500;

#[derive(Default)]
pub(crate) struct Pending {
    rows: Vec<Box<dyn PendingRow>>,
    /// A send failed: some of its rows may be written and others not, so the change set
    /// must be given up; every later send (and so its commit) is refused.
    failed: bool,
}

impl Pending {
    /// Adds a row; sends what waits when it is many.
    pub(crate) async fn push(
        &mut self,
        conn: &mut AnyConnection,
        row: Box<dyn PendingRow>,
    ) -> Result<(), StoreError> {
        self.rows.push(row);
        if self.rows.len() >= WAITING_AT_MOST {
            self.send(conn).await?;
        }
        Ok(())
    }

    /// Sends every waiting row, in the order they were written.
    pub(crate) async fn send(&mut self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        if self.failed {
            return Err(StoreError::corrupt(
                "an earlier write of this change set failed half-way; give the change set up",
            ));
        }
        if self.rows.is_empty() {
            return Ok(());
        }
        self.failed = true;
        // Rows in the order written, but those that refer to nothing after the others, so
        // rows of one table (a change record after each entity) are sent together.
        let (mut rows, free): (Vec<_>, Vec<_>) = std::mem::take(&mut self.rows)
            .into_iter()
            .partition(|row| !row.refers_to_nothing());
        rows.extend(free);
        let heads: Vec<String> = rows.iter().map(|row| row.head()).collect();
        let mut start = 0;
        while start < rows.len() {
            let width = rows[start].width();
            let most = (VALUES_PER_STATEMENT / width).max(1);
            let mut end = start + 1;
            while end < rows.len() && end - start < most && heads[end] == heads[start] {
                end += 1;
            }
            let tuples: Vec<String> = (0..end - start)
                .map(|i| {
                    let values: Vec<String> =
                        (1..=width).map(|j| format!("${}", i * width + j)).collect();
                    format!("({})", values.join(", "))
                })
                .collect();
            let sql = format!("{} VALUES {}", heads[start], tuples.join(", "));
            let mut query = sqlx::query(&sql);
            for row in &rows[start..end] {
                query = row.bind(query);
            }
            query.execute(&mut *conn).await?;
            start = end;
        }
        self.failed = false;
        Ok(())
    }
}
