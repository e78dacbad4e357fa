//! The HTTP API for automation and terminals (`/api/v1`, JSON), beside the config read path
//! (`http/config.rs`): the same store service as the console, as the signed-in person or a
//! token that acts in an organization, every refusal in one JSON shape.

#[macro_use]
mod resource;
mod entities;
mod error;
mod history;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use strata_store::Store;

pub use entities::MAX_BODY_BYTES;
pub(crate) use entities::{shown, version_shown};
pub use error::ApiError;
pub use resource::Resource;

pub fn router(store: Store) -> Router {
    entities::router(store.clone())
        .merge(history::router(store))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}
