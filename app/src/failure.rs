//! What a page shows when a server function fails: what could not be done and what to do,
//! then the server's own words — never the framework's ("error running server function: …").

use leptos::prelude::*;
use leptos::server_fn::error::ServerFnErrorWrapper;

/// An [`ErrorBoundary`] fallback saying `what`, then each error.
pub fn failure(what: &'static str) -> impl FnMut(ArcRwSignal<Errors>) -> AnyView + Send + 'static {
    move |errors| {
        view! {
            <div class="notice error" role="alert">
                <p>{what}</p>
                <ul>{move || errors.get().into_iter().map(|(_, e)| {
                    // A server function's error comes wrapped, and the wrapper shows its
                    // encoding ("ServerError|…"): what it says is the error inside.
                    let text = e
                        .downcast_ref::<ServerFnErrorWrapper<ServerFnError>>()
                        .map_or_else(|| e.to_string(), |wrapped| said(&wrapped.0));
                    view! { <li>{text}</li> }
                }).collect_view()}</ul>
            </div>
        }
        .into_any()
    }
}

/// What a server function's error says to a person: for a refusal, the server's own words
/// (what was refused and why, with the field when there is one); else that the server could
/// not be reached, or answered something the page cannot read.
pub fn said(error: &ServerFnError) -> String {
    match error {
        // A refusal, or arguments the server would not take (too large, unreadable): its words.
        ServerFnError::ServerError(message)
        | ServerFnError::Args(message)
        | ServerFnError::MissingArg(message) => message.clone(),
        ServerFnError::Request(_) => {
            "The server could not be reached: check the connection and try again.".to_owned()
        }
        other => format!(
            "The server's answer could not be read ({other}): reload the page; if it persists, check the server's log."
        ),
    }
}
