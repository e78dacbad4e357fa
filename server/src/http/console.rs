//! The console: server-rendered pages, their server functions, and the built scripts and
//! styles. Every request gets the [`Console`] and its page's nonce as Leptos context.

use std::sync::OnceLock;

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use leptos::config::LeptosOptions;
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{
    AxumRouteListing, LeptosRoutes, file_and_error_handler_with_context, generate_route_list,
};
use strata_app::ssr::Console;
use strata_app::{App, shell};

use super::headers::page_content_security_policy;

pub fn router(console: Console, leptos_options: LeptosOptions) -> Router {
    let routes = console_routes().to_vec();
    let context = {
        let leptos_options = leptos_options.clone();
        move || {
            provide_context(console.clone());
            // The build's file names, for the pages that name a module they need.
            provide_context(leptos_options.clone());
            // The nonce the answer's policy names, in place of the one Leptos made for the render.
            let nonce = use_context::<axum::http::request::Parts>()
                .and_then(|parts| parts.extensions.get::<Nonce>().cloned());
            if let Some(nonce) = nonce {
                provide_context(nonce);
            }
        }
    };
    Router::new()
        .leptos_routes_with_context(&leptos_options, routes, context.clone(), {
            let leptos_options = leptos_options.clone();
            move || shell(leptos_options.clone())
        })
        .fallback(file_and_error_handler_with_context(context, shell))
        .with_state(leptos_options)
        .layer(middleware::from_fn(nonce_and_policy))
}

/// Makes each request's nonce before the page renders, and sends the page's policy naming it
/// (and `private, no-cache`) with every HTML answer: the header is the middleware's own, not one the render must hand
/// back through Leptos's response options.
async fn nonce_and_policy(mut request: Request, next: Next) -> Response {
    let nonce = Nonce::new();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    if html {
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            page_content_security_policy(&nonce.to_string()),
        );
        // A page is one person's, and names the build's files: kept by the browser alone,
        // and asked again each time, so it names the newest build.
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        );
    }
    response
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
