//! The `strata` command line's data commands, on a local database or against a server: one
//! [`client::Client`] speaks the HTTP API either way (in this process as the operator, or over
//! HTTP with a token), so the commands behave, refuse and print alike. Output is for people by
//! default (aligned tables, colours on a terminal) and JSON with `--json`.

pub mod args;
mod cache;
pub mod client;
pub mod entities;
mod error;
mod local;
pub mod output;
pub mod publish;
pub mod register;
mod requests;
pub mod resolved;
pub mod run;
mod tokens;
mod users;

pub use error::CliError;
