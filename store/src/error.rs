use thiserror::Error;

use crate::resolution::ConfigViolations;

/// The author and time of an entity's current version, named in a conflict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionStamp {
    pub version: i64,
    pub actor: String,
    pub at_ms: i64,
}

/// What the store can fail with. Callers turn these into messages for people at their edge;
/// each variant carries what a person needs to act on it.
#[derive(Debug, Error)]
pub enum StoreError {
    /// Input broke a rule: `field` is a JSON pointer into what was sent.
    #[error("{field}: {rule}")]
    Invalid { field: String, rule: String },
    #[error("{kind} {key:?} does not exist")]
    NotFound { kind: &'static str, key: String },
    #[error("{kind} {key:?} already exists")]
    Duplicate { kind: &'static str, key: String },
    /// The write named a version that is no longer current: nothing was written.
    #[error(
        "{kind} {key:?} was changed meanwhile: you edited version {expected}, the current version is {} by {}",
        current.version, current.actor
    )]
    Conflict {
        kind: &'static str,
        key: String,
        expected: i64,
        current: VersionStamp,
    },
    /// A delete refused because rows still point at the entity: the first dependents, and
    /// how many there are.
    #[error("{kind} {key:?} is still used by {}{}", dependents.join(", "), more(*total, dependents.len()))]
    InUse {
        kind: &'static str,
        key: String,
        dependents: Vec<String>,
        total: usize,
    },
    /// The actor may not do this: who, what, and the role it needs.
    #[error("{0}")]
    Forbidden(String),
    /// The change needs approval under an approval policy before it applies: proposed as a
    /// change request, approved, then applied.
    #[error("{message}")]
    ApprovalRequired {
        policy: String,
        /// What it needs, in words, without how to propose (for the console's forms).
        need: String,
        message: String,
    },
    /// The change would leave resolved configs that break their deployable's schema.
    #[error("{0}")]
    Unresolvable(ConfigViolations),
    #[error("cannot open the database at {location}: {source}")]
    Connect {
        location: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("cannot prepare the database file {path}: {source}")]
    Prepare {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read or write {path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// Whether the database could not be asked at all (rather than refusing what was asked).
fn is_unreachable(error: &sqlx::Error) -> bool {
    matches!(
        error,
        sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
    )
}

/// ", and N more" when a list names fewer than there are.
fn more(total: usize, named: usize) -> String {
    match total.saturating_sub(named) {
        0 => String::new(),
        n => format!(" and {n} more"),
    }
}

impl StoreError {
    /// Stored data that breaks the store's own rules: written behind its back.
    pub fn corrupt(what: impl std::fmt::Display) -> StoreError {
        StoreError::Corrupt(what.to_string())
    }

    /// The HTTP status that says what kind of refusal this is, the same through the console's
    /// server functions and the API: 422 a broken rule, 404 what does not exist (or may not be
    /// seen), 403 a lack of rights, 409 a collision with what is stored, 503 a database that
    /// cannot be reached, 500 anything else.
    pub fn status(&self) -> u16 {
        match self {
            StoreError::Invalid { .. } | StoreError::Unresolvable(_) => 422,
            StoreError::NotFound { .. } => 404,
            StoreError::Forbidden(_) | StoreError::ApprovalRequired { .. } => 403,
            StoreError::Duplicate { .. }
            | StoreError::Conflict { .. }
            | StoreError::InUse { .. } => 409,
            StoreError::Connect { .. } => 503,
            StoreError::Database(e) if is_unreachable(e) => 503,
            _ => 500,
        }
    }

    /// What a caller is told: the refusal itself, but of a failure (500, 503) only what kind
    /// it is, its detail (addresses, a database's words) being for the server's log.
    pub fn told(&self) -> String {
        match self.status() {
            500 => "the server could not do this; its log says why".to_owned(),
            503 => "the database cannot be reached right now; try again shortly".to_owned(),
            _ => self.to_string(),
        }
    }

    pub fn invalid(field: impl Into<String>, rule: impl Into<String>) -> StoreError {
        StoreError::Invalid {
            field: field.into(),
            rule: rule.into(),
        }
    }
}
