//! Who may do what: the actor, whose an entity is and the action a write needs (`scope.rs`),
//! what an actor may read (`reading.rs`, `visibility.rs`), and reads bound to an actor
//! (`reader.rs`).

pub(crate) mod actor;
pub(crate) mod reader;
pub(crate) mod reading;
pub(crate) mod scope;
pub(crate) mod visibility;
