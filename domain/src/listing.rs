//! What a list of entities asks the store for: a text search, a column to sort by and a
//! window of rows. The console's lists and the API send it; the store checks it and pages in
//! SQL, so a list of 10,000 tenants costs one page of rows.

use serde::{Deserialize, Serialize};

use crate::rules::FieldError;

/// The most rows one page may hold.
pub const MAX_LIMIT: i64 = 200;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListQuery {
    /// Matched case-insensitively anywhere in the key and the entity's text columns; empty
    /// matches everything.
    #[serde(default)]
    pub search: String,
    /// A column of the entity (its key when `None`).
    #[serde(default)]
    pub sort: Option<String>,
    #[serde(default)]
    pub descending: bool,
    #[serde(default)]
    pub offset: i64,
    #[serde(default = "default_limit")]
    pub limit: i64,
}

fn default_limit() -> i64 {
    50
}

impl Default for ListQuery {
    fn default() -> ListQuery {
        ListQuery {
            search: String::new(),
            sort: None,
            descending: false,
            offset: 0,
            limit: default_limit(),
        }
    }
}

impl ListQuery {
    /// Checks the window and that `sort` is one of `columns`.
    pub fn check(&self, columns: &[&str]) -> Result<(), FieldError> {
        if !(1..=MAX_LIMIT).contains(&self.limit) {
            return Err(FieldError::new(
                "/limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        if self.offset < 0 {
            return Err(FieldError::new("/offset", "must not be negative"));
        }
        if let Some(sort) = &self.sort
            && !columns.contains(&sort.as_str())
        {
            return Err(FieldError::new(
                "/sort",
                format!("must be one of {}", columns.join(", ")),
            ));
        }
        Ok(())
    }

    /// The `LIKE` pattern of the search: lower-cased, with `%`, `_` and `\` escaped by `\`.
    pub fn like_pattern(&self) -> String {
        let mut pattern = String::from("%");
        for c in self.search.trim().to_lowercase().chars() {
            if matches!(c, '%' | '_' | '\\') {
                pattern.push('\\');
            }
            pattern.push(c);
        }
        pattern.push('%');
        pattern
    }
}

/// Where a page of `limit` rows from `offset` is read from, once `total` rows are known to
/// match: from the end nearer to it. Rows before a window are read and passed over, so the
/// last page of 100,000 rows read from the start passes over 99,950 of them; read from the end
/// in the opposite order (then put back in order), it passes over none. The page read is the
/// same either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Read in the opposite order, then reversed.
    pub from_end: bool,
    /// Rows passed over from the end read from.
    pub offset: i64,
    pub limit: i64,
}

impl Window {
    pub fn nearer_end(offset: i64, limit: i64, total: i64) -> Window {
        let end = offset.saturating_add(limit).min(total);
        let after = total - end;
        match offset < total && after < offset {
            true => Window {
                from_end: true,
                offset: after,
                limit: end - offset,
            },
            false => Window {
                from_end: false,
                offset,
                limit,
            },
        }
    }

    /// Whether to read in descending order, for a list in `descending` order or not: the
    /// opposite when read from the end.
    pub fn reads_descending(&self, descending: bool) -> bool {
        descending != self.from_end
    }

    /// The rows read, in the list's order.
    pub fn in_order<T>(&self, mut rows: Vec<T>) -> Vec<T> {
        if self.from_end {
            rows.reverse();
        }
        rows
    }
}

/// One page of a list and how many rows match in all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub total: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_and_the_sort_column_are_checked() {
        let columns = ["name", "state"];
        assert!(ListQuery::default().check(&columns).is_ok());
        let bad = |q: ListQuery| q.check(&columns).unwrap_err().field;
        assert_eq!(
            bad(ListQuery {
                limit: 0,
                ..Default::default()
            }),
            "/limit"
        );
        assert_eq!(
            bad(ListQuery {
                limit: 201,
                ..Default::default()
            }),
            "/limit"
        );
        assert_eq!(
            bad(ListQuery {
                offset: -1,
                ..Default::default()
            }),
            "/offset"
        );
        let err = ListQuery {
            sort: Some("password".into()),
            ..Default::default()
        }
        .check(&columns)
        .unwrap_err();
        assert_eq!(
            (err.field.as_str(), err.rule.as_str()),
            ("/sort", "must be one of name, state")
        );
    }

    #[test]
    fn a_window_is_read_from_the_end_nearer_to_it_and_holds_the_same_rows() {
        let rows: Vec<i64> = (0..103).collect();
        for total in [0, 1, 2, 49, 50, 51, 103] {
            let rows = &rows[..total as usize];
            for limit in [1, 2, 50] {
                for offset in 0..=total + 2 {
                    let window = Window::nearer_end(offset, limit, total);
                    let read: Vec<i64> = match window.from_end {
                        false => rows
                            .iter()
                            .skip(window.offset as usize)
                            .take(window.limit as usize)
                            .copied()
                            .collect(),
                        true => window.in_order(
                            rows.iter()
                                .rev()
                                .skip(window.offset as usize)
                                .take(window.limit as usize)
                                .copied()
                                .collect(),
                        ),
                    };
                    let expected: Vec<i64> = rows
                        .iter()
                        .skip(offset as usize)
                        .take(limit as usize)
                        .copied()
                        .collect();
                    assert_eq!(read, expected, "{offset} +{limit} of {total}");
                    // Never more passed over than from the start.
                    assert!(window.offset <= offset);
                }
            }
        }
        let last = Window::nearer_end(99_950, 50, 100_000);
        assert_eq!((last.from_end, last.offset, last.limit), (true, 0, 50));
        let first = Window::nearer_end(0, 50, 100_000);
        assert_eq!((first.from_end, first.offset), (false, 0));
        assert_eq!(Window::nearer_end(i64::MAX, 50, 10).offset, i64::MAX);
    }

    #[test]
    fn searches_match_literally() {
        let q = |s: &str| {
            ListQuery {
                search: s.into(),
                ..Default::default()
            }
            .like_pattern()
        };
        assert_eq!(q(""), "%%");
        assert_eq!(q(" Acme "), "%acme%");
        assert_eq!(q("50%_a\\b"), "%50\\%\\_a\\\\b%");
    }
}
