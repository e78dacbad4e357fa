//! The HTTP API for automation and terminals (`/api/v1`, JSON), beside the config read path
//! (`http/config.rs`): the same store service as the console, as the signed-in person or a
//! token that acts in an organization, every refusal in one JSON shape.

pub mod answers;
mod audit;
mod caller;
mod change_requests;
mod entities;
mod error;
mod history;
mod layers;
mod limits;
mod openapi;
mod preview;
mod publications;
pub mod reason;
mod resource;
mod revisions;
mod tokens;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use strata_store::Store;

pub use entities::MAX_BODY_BYTES;
pub(crate) use entities::read_as;
pub use error::{ApiError, always_json};
pub use openapi::{docs_router, document};
pub use resource::kind_at;

pub fn router(store: Store) -> Router {
    entities::router(store.clone())
        .merge(history::router(store.clone()))
        .merge(layers::router(store.clone()))
        .merge(preview::router(store.clone()))
        .merge(revisions::router(store.clone()))
        .merge(publications::router(store.clone()))
        .merge(audit::router(store.clone()))
        .merge(change_requests::router(store.clone()))
        .merge(tokens::router(store))
        .layer(axum::middleware::from_fn(limits::no_nul))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}
