//! The server's tests, as one binary (one link of the whole server instead of one per file):
//! each module starts real servers (SQLite, PostgreSQL, Redis, an S3 server, the `strata`
//! binary) and tries one area through HTTP, the console's server functions or the command line.
//! `tests/secrets.rs` stays a binary of its own: it installs the process's log subscriber.

mod common;

mod api;
mod auth;
mod change_requests;
mod cli;
mod console_writes;
mod env_files;
mod metrics;
mod permissions;
mod publish;
mod read_path;
mod redis_cache;
mod s3_origin;
mod serve;
mod tokens;
mod traces;
