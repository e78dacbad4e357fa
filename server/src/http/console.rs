//! The console: server-rendered pages, their server functions, and the built scripts and
//! styles. Every request gets the [`Console`] as Leptos context.

use std::sync::OnceLock;

use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{AxumRouteListing, LeptosRoutes, file_and_error_handler, generate_route_list};
use strata_app::ssr::Console;
use strata_app::{App, shell};

pub fn router(console: Console, leptos_options: LeptosOptions) -> Router {
    let routes = console_routes().to_vec();
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

/// The console's routes, found once per process by rendering the app in a dry run.
///
/// Once, and before any server of this process can answer a request, because the dry run
/// switches off resource loading for the whole process (leptos_server 0.8.8 keeps that switch
/// in a global): a resource first polled during it stays pending for good, and the page that
/// awaits it never finishes (leptos-rs/leptos#4773). A process that builds a second server,
/// as the tests do, must not generate the list again while the first one is serving.
fn console_routes() -> &'static [AxumRouteListing] {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App))
}
