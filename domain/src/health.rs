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
}
