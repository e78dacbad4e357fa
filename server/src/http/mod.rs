//! The HTTP surface: one router per area, merged here.

mod config;
mod console;
mod health;

use std::sync::Arc;

use axum::Router;
use leptos::config::LeptosOptions;
use strata_app::ssr::Console;
use tower_http::trace::TraceLayer;

use crate::health::Probe;
use crate::served::Served;

pub fn router(
    console: Console,
    probe: Arc<Probe>,
    served: Served,
    leptos_options: LeptosOptions,
) -> Router {
    Router::new()
        .merge(health::router(probe))
        .merge(config::router(served))
        .merge(console::router(console, leptos_options))
        .layer(TraceLayer::new_for_http())
}
