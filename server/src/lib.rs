//! The `strata` binary: configuration, start-up and the HTTP surface around the store.

#![recursion_limit = "256"]

pub mod api;
pub mod auth;
pub mod cache;
pub mod cli;
pub mod config;
pub mod health;
pub mod http;
pub mod local_copy;
pub mod observe;
pub mod origin;
pub mod publisher;
pub mod redis_cache;
pub mod served;
pub mod startup;

pub use cli::run::main;
