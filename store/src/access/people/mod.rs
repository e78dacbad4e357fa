//! The people and programs that act: users with argon2id passwords, their roles per
//! organization, the one-time link that creates the first admin, rate-limited and audited
//! sign-in, and API tokens.

pub mod credentials;
pub(crate) mod members;
pub(crate) mod setup;
pub(crate) mod sign_in;
pub(crate) mod tokens;
pub(crate) mod users;
