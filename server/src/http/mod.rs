//! The HTTP surface: one router per area, merged here.

pub mod assets;
mod console;
pub(crate) mod headers;
mod health;
mod read_path;
mod server_fns;

use std::sync::Arc;

use axum::{Router, middleware};
use leptos::config::LeptosOptions;
use strata_app::ssr::Console;

use crate::auth::sessions::Sessions;
use crate::auth::{self, Auth};
use crate::health::Probe;
use crate::observe::Observed;
use crate::observe::requests::ObserveLayer;
use crate::served::Served;

/// The whole HTTP surface. The console, its sign-in forms and the entity API sit behind the
/// session layer and the guard (which also takes acting tokens); health checks, the API's
/// OpenAPI document and the config read path (which takes read tokens) do not use sessions.
pub fn router(
    console: Console,
    auth: Auth,
    sessions: &Sessions,
    probe: Arc<Probe>,
    served: Served,
    leptos_options: LeptosOptions,
    observed: Observed,
) -> Router {
    let policy = auth.policy.cookies;
    let bearer = auth.bearer.clone();
    let sealer = console.store.sealer().clone();
    let api = crate::api::router(console.store.clone());
    let assets = assets::router(std::path::Path::new(&*leptos_options.site_root));
    let guarded = console::router(console, leptos_options)
        .merge(api)
        .merge(auth::router(auth.clone()))
        .layer(middleware::from_fn(server_fns::arguments))
        .layer(middleware::from_fn(crate::api::always_json))
        .layer(middleware::from_fn_with_state(auth, auth::guard));
    Router::new()
        .merge(health::router(probe))
        .merge(crate::api::docs_router())
        .merge(assets)
        .merge(
            read_path::router(served, bearer, sealer, observed.metrics().clone())
                .layer(middleware::from_fn(crate::api::always_json)),
        )
        .merge(sessions.around(guarded, policy))
        .layer(middleware::from_fn(headers::security_headers))
        .layer(ObserveLayer::new(observed))
}
