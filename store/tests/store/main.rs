//! The store's tests, as one binary (one link instead of one per file): each module tests one
//! area against SQLite and, where it says so, PostgreSQL.

mod common;

mod change_requests;
mod deployables;
mod drift;
mod exchange;
mod listing;
mod organizations;
mod outbox;
mod people;
mod random_domain;
mod references;
mod resolution;
mod schema;
mod secrets;
mod state_at;
mod tiers;
