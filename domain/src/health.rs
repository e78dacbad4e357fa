//! How the parts Strata depends on are doing: what `/readyz` answers and the console's home
//! page shows. Plain data, so the server fills it in and the browser renders it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Up,
    Down,
}

/// One dependency: what it is, which version answered, and what went wrong if it is down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Component {
    /// e.g. "SQLite", "PostgreSQL", "directory", "S3", "Redis", "in-process".
    pub kind: String,
    /// Where it is, without credentials.
    pub location: String,
    /// The version it reported, when it is up and says one.
    pub version: Option<String>,
    pub state: State,
    /// What failed, in words a person can act on.
    pub error: Option<String>,
}

impl Component {
    /// A component after a check: `Ok(version)` if it answered, `Err(why)` if not.
    pub fn checked(
        kind: impl Into<String>,
        location: impl Into<String>,
        outcome: Result<Option<String>, String>,
    ) -> Component {
        let (state, version, error) = match outcome {
            Ok(version) => (State::Up, version, None),
            Err(why) => (State::Down, None, Some(why)),
        };
        Component {
            kind: kind.into(),
            location: location.into(),
            version,
            state,
            error,
        }
    }
}

/// A URL fit to show as a location: the password, if any, replaced by `***`.
pub fn location_of(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, path) = rest.find('/').map_or((rest, ""), |i| rest.split_at(i));
    match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}{path}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

/// The whole picture at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub database: Component,
    pub origin: Component,
    pub cache: Component,
}

impl Health {
    pub fn ready(&self) -> bool {
        [&self.database, &self.origin, &self.cache]
            .iter()
            .all(|c| c.state == State::Up)
    }

    /// What anyone may be told: whether each part is up. Where they are, their versions and
    /// what went wrong are for domain admins.
    pub fn readiness(&self) -> Readiness {
        Readiness {
            ready: self.ready(),
            database: self.database.state,
            origin: self.origin.state,
            cache: self.cache.state,
        }
    }

    /// The picture without locations, versions and errors: what the console's home page shows
    /// to someone who is not a domain admin.
    pub fn without_details(self) -> Health {
        let terse = |c: Component| Component {
            location: String::new(),
            version: None,
            error: c
                .error
                .map(|_| "ask a domain admin for the reason".to_owned()),
            ..c
        };
        Health {
            database: terse(self.database),
            origin: terse(self.origin),
            cache: terse(self.cache),
        }
    }
}

/// What an anonymous `/readyz` answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Readiness {
    pub ready: bool,
    pub database: State,
    pub origin: State,
    pub cache: State,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_never_show_a_password() {
        assert_eq!(
            location_of("redis://app:pw@127.0.0.1:6379/2"),
            "redis://app:***@127.0.0.1:6379/2"
        );
        assert_eq!(
            location_of("postgres://app:s3cr@t@db:5432/strata"),
            "postgres://app:***@db:5432/strata"
        );
        assert_eq!(
            location_of("postgres://app@db/strata"),
            "postgres://app@db/strata"
        );
        assert_eq!(
            location_of("redis://127.0.0.1:6379"),
            "redis://127.0.0.1:6379"
        );
        assert_eq!(
            location_of("sqlite://./data/strata.db"),
            "sqlite://./data/strata.db"
        );
    }

    #[test]
    fn a_checked_component_is_up_with_its_version_or_down_with_the_reason() {
        let up = Component::checked("Redis", "redis://x", Ok(Some("7.0".into())));
        assert_eq!(
            (up.state, up.version.as_deref(), up.error),
            (State::Up, Some("7.0"), None)
        );
        let down = Component::checked("Redis", "redis://x", Err("refused".into()));
        assert_eq!(
            (down.state, down.version, down.error.as_deref()),
            (State::Down, None, Some("refused"))
        );
    }
}
