//! The console: server-rendered pages, their server functions, and the built scripts and
//! styles. Every request gets the [`Console`] as Leptos context.

use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, file_and_error_handler, generate_route_list};
use strata_app::ssr::Console;
use strata_app::{App, shell};

pub fn router(console: Console, leptos_options: LeptosOptions) -> Router {
    let routes = generate_route_list(App);
    Router::new()
        .leptos_routes_with_context(
            &leptos_options,
            routes,
            move || provide_context(console.clone()),
            {
                let leptos_options = leptos_options.clone();
                move || shell(leptos_options.clone())
            },
        )
        .fallback(file_and_error_handler(shell))
        .with_state(leptos_options)
}
