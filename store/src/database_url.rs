//! Where the data lives. A URL is checked when it is parsed, so a typo is reported at start-up
//! naming the setting, not as a driver error later.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn product_name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// A database URL that names a backend Strata supports.
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    backend: Backend,
}

impl DatabaseUrl {
    /// Accepts `sqlite:PATH`, `sqlite://PATH` (query options allowed) and
    /// `postgres://…` / `postgresql://…`.
    pub fn parse(text: &str) -> Result<DatabaseUrl, String> {
        let text = text.trim();
        let expected = "expected sqlite://PATH or postgres://USER@HOST:PORT/DATABASE";
        if let Some(rest) = text.strip_prefix("sqlite:") {
            let path = rest.trim_start_matches("//");
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() {
                return Err(format!("{text:?} names no database file; {expected}"));
            }
            // Create the file when missing unless the caller chose a mode.
            let url = if text.contains("mode=") {
                text.to_owned()
            } else if text.contains('?') {
                format!("{text}&mode=rwc")
            } else {
                format!("{text}?mode=rwc")
            };
            return Ok(DatabaseUrl {
                url,
                backend: Backend::Sqlite,
            });
        }
        if let Some(rest) = text
            .strip_prefix("postgres://")
            .or_else(|| text.strip_prefix("postgresql://"))
        {
            let host = rest.rsplit('@').next().unwrap_or_default();
            let host = host.split(['/', '?']).next().unwrap_or_default();
            if host.is_empty() {
                return Err(format!("{text:?} names no host; {expected}"));
            }
            if let Some((_, port)) = host.rsplit_once(':')
                && !port.is_empty()
                && port.parse::<u16>().is_err()
            {
                return Err(format!(
                    "{text:?} has port {port:?}, which is not a number from 0 to 65535"
                ));
            }
            return Ok(DatabaseUrl {
                url: text.to_owned(),
                backend: Backend::Postgres,
            });
        }
        Err(format!("{text:?} is not a database URL; {expected}"))
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn as_sqlx(&self) -> &str {
        &self.url
    }

    /// The file of a SQLite database, if this is one.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let rest = self.url.strip_prefix("sqlite:")?;
        let path = rest.trim_start_matches("//").split('?').next()?;
        (path != ":memory:").then(|| PathBuf::from(path))
    }

    /// The URL without its password (and without SQLite's options), for logs and the console.
    pub fn redacted(&self) -> String {
        match self.backend {
            Backend::Sqlite => self.url.split('?').next().unwrap_or_default().to_owned(),
            Backend::Postgres => strata_domain::health::location_of(&self.url),
        }
    }

    /// Creates the folder a SQLite file will live in.
    pub(crate) fn prepare(&self) -> Result<(), StoreError> {
        if let Some(parent) = self.sqlite_path().as_deref().and_then(Path::parent)
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|source| StoreError::Prepare {
                path: parent.display().to_string(),
                source,
            })?;
        }
        Ok(())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_create_the_file_unless_a_mode_is_chosen() {
        let url = DatabaseUrl::parse("sqlite://./data/strata.db").unwrap();
        assert_eq!(url.backend(), Backend::Sqlite);
        assert_eq!(url.as_sqlx(), "sqlite://./data/strata.db?mode=rwc");
        assert_eq!(
            url.sqlite_path().unwrap(),
            PathBuf::from("./data/strata.db")
        );
        let ro = DatabaseUrl::parse("sqlite:x.db?mode=ro").unwrap();
        assert_eq!(ro.as_sqlx(), "sqlite:x.db?mode=ro");
    }

    #[test]
    fn postgres_urls_hide_their_password_when_shown() {
        let url = DatabaseUrl::parse("postgres://app:s3cret@db:5432/strata").unwrap();
        assert_eq!(url.backend(), Backend::Postgres);
        assert_eq!(url.redacted(), "postgres://app:***@db:5432/strata");
        assert!(!format!("{url:?}").contains("s3cret"));
    }

    #[test]
    fn other_text_is_refused_with_the_expected_forms() {
        for bad in [
            "",
            "mysql://x/y",
            "sqlite://",
            "postgres:///db",
            "postgres://h:port/db",
            "strata.db",
        ] {
            let err = DatabaseUrl::parse(bad).unwrap_err();
            assert!(
                err.contains("expected sqlite://PATH") || err.contains("not a number"),
                "{bad}: {err}"
            );
        }
    }
}
