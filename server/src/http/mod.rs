//! The HTTP surface: one router per area, merged here.

mod console;
mod health;

use std::sync::Arc;

use axum::Router;
use leptos::config::LeptosOptions;
use strata_app::ssr::Console;
use tower_http::trace::TraceLayer;

use crate::health::Probe;

pub fn router(console: Console, probe: Arc<Probe>, leptos_options: LeptosOptions) -> Router {
    Router::new()
        .merge(health::router(probe))
        .merge(console::router(console, leptos_options))
        .layer(TraceLayer::new_for_http())
}
