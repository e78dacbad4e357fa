//! The index a list's search goes through, so searching 100,000 tenants reads the rows that
//! match instead of testing every row's text. A kind's searched text is its key and
//! [`Entity::SEARCHED`] columns joined by a separator no column holds ([`searched_text`]),
//! indexed by trigrams: on SQLite an FTS5 table kept by triggers, on PostgreSQL a stored
//! generated column of that text, lower-cased, with a GIN index of `pg_trgm` over it.
//! [`Store::migrate`] makes them, and makes them again when a kind's searched columns change
//! (their names carry a digest of the text they index).
//!
//! On PostgreSQL the stored column depends on the columns it is made of: a migration that
//! drops a searched column or changes its type fails ("cannot alter type of a column used by
//! a generated column") unless it drops the search column first, in the same migration
//! (`ALTER TABLE tenants DROP COLUMN tenants_search_…`; the name is in the table's columns).
//! [`Store::migrate`] makes it again, over the new columns, once the migrations have run.
//!
//! A search shorter than three characters, or one with `%`, `_` or `\` in it, still reads
//! every row of the index (on PostgreSQL every row's stored text: 11 ms for 100,000 tenants,
//! where building each row's text again took 65); it finds the same rows.

use sha2::{Digest, Sha256};
use sqlx::AnyPool;
use strata_domain::kind::Kind;

use crate::entity::Entity;
use crate::{Backend, StoreError};

/// Between two columns in the searched text: a control character, which no searched column
/// holds, so a search never matches across two columns.
const SEPARATOR: char = '\u{1f}';

/// The searched text of a row of `E` as SQL, each column prefixed by `prefix` (`NEW.` in a
/// trigger).
fn searched_text<E: Entity>(prefix: &str) -> String {
    let parts: Vec<String> = std::iter::once(E::KEY_COLUMN)
        .chain(E::SEARCHED.iter().copied())
        .map(|column| format!("COALESCE({prefix}{column}, '')"))
        .collect();
    parts.join(&format!(" || '{SEPARATOR}' || "))
}

/// The name of `E`'s index, which changes with the text it indexes.
fn index_name<E: Entity>() -> String {
    let digest = Sha256::digest(searched_text::<E>("").as_bytes());
    format!("{}_search_{}", E::TABLE, &hex::encode(digest)[..8])
}

/// The condition a list of `E` searches with: rows whose searched text is `LIKE $1`, escaped
/// by `\` when `escaped` (the index is only used without an `ESCAPE` clause on SQLite).
pub(crate) fn condition<E: Entity>(backend: Backend, escaped: bool) -> String {
    let escape = if escaped { " ESCAPE '\\'" } else { "" };
    match backend {
        Backend::Sqlite => format!(
            "{key} IN (SELECT key FROM {index}_rows WHERE id IN \
             (SELECT rowid FROM {index} WHERE text LIKE $1{escape}))",
            key = E::KEY_COLUMN,
            index = index_name::<E>()
        ),
        Backend::Postgres => format!("{} LIKE $1{escape}", index_name::<E>()),
    }
}

/// Whether a search can match at all: no searched column holds a control character.
pub(crate) fn can_match(search: &str) -> bool {
    !search.chars().any(char::is_control)
}

/// Makes every kind's index, unless it is there already.
pub(crate) async fn make_all(pool: &AnyPool, backend: Backend) -> Result<(), StoreError> {
    let trigrams = match backend {
        Backend::Sqlite => true,
        Backend::Postgres => match sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            .execute(pool)
            .await
        {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(
                    error = %e,
                    "pg_trgm is not available: list searches read every row's searched text"
                );
                false
            }
        },
    };
    for kind in Kind::ALL {
        strata_domain::with_kind!(kind, E => make::<E>(pool, backend, trigrams).await?);
    }
    Ok(())
}

/// Makes `E`'s index whole, with trigrams where the database has them (on PostgreSQL the
/// searched column is made without them).
async fn make<E: Entity>(
    pool: &AnyPool,
    backend: Backend,
    trigrams: bool,
) -> Result<(), StoreError> {
    let name = index_name::<E>();
    let prefix = format!("{}_search_", E::TABLE);
    let mut tx = pool.begin().await?;
    // One process at a time (replicas may migrate together): the domain row's lock, which is
    // the database's write lock on SQLite.
    sqlx::query("UPDATE domain SET revision = revision WHERE id = 1")
        .execute(&mut *tx)
        .await?;
    let existing = match backend {
        Backend::Sqlite => "SELECT name, type FROM sqlite_master WHERE name LIKE $1",
        Backend::Postgres => {
            "SELECT CAST(indexname AS TEXT), 'index' FROM pg_indexes \
             WHERE indexname LIKE $1 AND schemaname = current_schema() \
             UNION ALL SELECT CAST(column_name AS TEXT), 'column' FROM information_schema.columns \
             WHERE column_name LIKE $1 AND table_name = $2 AND table_schema = current_schema()"
        }
    };
    let mut finding = sqlx::query_as(existing).bind(format!("{prefix}%"));
    if backend == Backend::Postgres {
        finding = finding.bind(E::TABLE);
    }
    let found: Vec<(String, String)> = finding.fetch_all(&mut *tx).await?;
    let found: Vec<(String, String)> = found
        .into_iter()
        .filter(|(n, _)| n.starts_with(&prefix))
        .collect();
    // Whole: on SQLite the table, its key table and the three triggers that keep them (a
    // table rebuilt by a later migration loses its triggers).
    let parts: Vec<(String, &str)> = match backend {
        Backend::Sqlite => ["", "_rows", "_insert", "_update", "_delete"]
            .iter()
            .map(|part| (format!("{name}{part}"), ""))
            .collect(),
        Backend::Postgres if trigrams => vec![(name.clone(), "column"), (name.clone(), "index")],
        Backend::Postgres => vec![(name.clone(), "column")],
    };
    if parts.iter().all(|(part, what)| {
        found
            .iter()
            .any(|(n, w)| n == part && (what.is_empty() || w == what))
    }) {
        tx.rollback().await?;
        return Ok(());
    }
    let mut statements = Vec::new();
    // Whatever is there of an index: of other columns, from before they changed, or a part.
    // Triggers first, then the FTS5 tables (their own tables go with them), then the rest.
    let base = |n: &str| n.len() == name.len();
    for (old, what) in &found {
        if what == "trigger" {
            statements.push(format!("DROP TRIGGER IF EXISTS {old}"));
        }
    }
    for (old, what) in &found {
        match (backend, what.as_str()) {
            (Backend::Postgres, "index") => statements.push(format!("DROP INDEX IF EXISTS {old}")),
            (Backend::Postgres, _) => statements.push(format!(
                "ALTER TABLE {} DROP COLUMN IF EXISTS {old}",
                E::TABLE
            )),
            (Backend::Sqlite, "table") if base(old) => {
                statements.push(format!("DROP TABLE IF EXISTS {old}"));
            }
            _ => {}
        }
    }
    for (old, what) in &found {
        if backend == Backend::Sqlite && what == "table" && old.ends_with("_rows") {
            statements.push(format!("DROP TABLE IF EXISTS {old}"));
        }
    }
    statements.extend(match backend {
        Backend::Sqlite => sqlite_index::<E>(&name),
        Backend::Postgres => {
            // Stored, so a search that reads every row (one or two characters) reads the
            // text instead of building it from the columns again; the column's name is the
            // index's, and says which text it holds.
            let mut made = vec![format!(
                "ALTER TABLE {table} ADD COLUMN {name} TEXT \
                 GENERATED ALWAYS AS (LOWER({text})) STORED",
                table = E::TABLE,
                text = searched_text::<E>("")
            )];
            if trigrams {
                made.push(format!(
                    "CREATE INDEX {name} ON {} USING gin ({name} gin_trgm_ops)",
                    E::TABLE
                ));
            }
            made
        }
    });
    for statement in statements {
        sqlx::query(&statement).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    tracing::info!(table = E::TABLE, index = %name, "made the search index of a list");
    Ok(())
}

/// On SQLite: the FTS5 table of searched texts, a table from each of its rows to the entity's
/// key, the triggers that keep both, and the texts of the rows already stored. (The rows are
/// found by key: an ordinary table's own rowids may change on `VACUUM`.)
fn sqlite_index<E: Entity>(name: &str) -> Vec<String> {
    let (table, key) = (E::TABLE, E::KEY_COLUMN);
    let insert = |row: &str| {
        format!(
            "INSERT INTO {name}_rows (key) VALUES ({row}{key}); \
             INSERT INTO {name} (rowid, text) VALUES (last_insert_rowid(), {text});",
            text = searched_text::<E>(row)
        )
    };
    let delete = |row: &str| {
        format!(
            "DELETE FROM {name} WHERE rowid = (SELECT id FROM {name}_rows WHERE key = {row}{key}); \
             DELETE FROM {name}_rows WHERE key = {row}{key};"
        )
    };
    vec![
        format!("CREATE VIRTUAL TABLE {name} USING fts5(text, tokenize = 'trigram')"),
        format!("CREATE TABLE {name}_rows (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE)"),
        format!("INSERT INTO {name}_rows (key) SELECT {key} FROM {table} ORDER BY {key}"),
        format!(
            "INSERT INTO {name} (rowid, text) SELECT r.id, {text} FROM {table} \
             JOIN {name}_rows r ON r.key = {table}.{key}",
            text = searched_text::<E>(&format!("{table}."))
        ),
        format!(
            "CREATE TRIGGER {name}_insert AFTER INSERT ON {table} BEGIN {} END",
            insert("NEW.")
        ),
        format!(
            "CREATE TRIGGER {name}_update AFTER UPDATE ON {table} BEGIN {} {} END",
            delete("OLD."),
            insert("NEW.")
        ),
        format!(
            "CREATE TRIGGER {name}_delete AFTER DELETE ON {table} BEGIN {} END",
            delete("OLD.")
        ),
    ]
}
