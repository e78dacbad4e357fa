//! The console's browser entry point: takes over the server-rendered page.

#![recursion_limit = "256"]

use leptos::prelude::document;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        let Some(body) = document().body() else {
            return;
        };
        // Waits for the whole page, including a page whose code is in the module fetched later.
        let app = leptos::mount::hydrate_from_async(body.clone(), strata_app::App).await;
        app.forget();
        // Then marks it, so people and tests can tell a live console from server-rendered HTML
        // that has not woken up yet: a click after this is the console's.
        let _ = body.set_attribute("data-hydrated", "true");
        strata_app::pages::fetched_later::fetch_on_intent();
    });
}
