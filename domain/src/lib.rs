//! Strata's vocabulary, shared by the server and the browser: the names of things and their
//! rules, and the plain data types both sides exchange. Nothing here does I/O, so the console
//! can check input with the same code the server enforces.

pub mod access;
pub mod approval_policy;
pub mod audit;
pub mod change_request;
pub mod compile;
pub mod deployable;
pub mod diff;
pub mod health;
pub mod kind;
pub mod layer;
pub mod listing;
pub mod merge;
pub mod names;
pub mod organization;
pub mod product;
pub mod resolve;
pub mod rules;
pub mod schema;
pub mod schema_walk;
pub mod secret;
pub mod settings;
pub mod snapshot;
pub mod tenant;
pub mod text;
pub mod tier;
pub mod tier_deployable;
pub mod time;
pub mod token;
