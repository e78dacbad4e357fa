//! A whole domain as data: every entity by kind, then key, as its JSON image — what a revision
//! held, what an export or import carries.

use strata_domain::compile::{Table, Tables};

/// The domain's entities by kind, then key, as their JSON images: the tables a revision
/// compiles from.
pub type State = Tables;

/// A state that names every kind and holds no entity.
pub fn empty_state() -> State {
    strata_domain::kind::Kind::ALL
        .into_iter()
        .map(|kind| (kind.name().to_owned(), Table::new()))
        .collect()
}
