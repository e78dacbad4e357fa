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
