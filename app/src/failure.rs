//! What a page shows when a server function fails: what could not be done and what to do,
//! then the server's own words.

use leptos::prelude::*;

/// An [`ErrorBoundary`] fallback saying `what`, then each error.
pub fn failure(what: &'static str) -> impl FnMut(ArcRwSignal<Errors>) -> AnyView + Send + 'static {
    move |errors| {
        view! {
            <div class="notice error" role="alert">
                <p>{what}</p>
                <ul>{move || errors.get().into_iter().map(|(_, e)| view! { <li>{e.to_string()}</li> }).collect_view()}</ul>
            </div>
        }
        .into_any()
    }
}
