//! Links to the page before and after, and where we are: for every paged list.

use leptos::prelude::*;
use leptos_router::components::A;

/// `previous` and `next` are the pages' URLs, `None` at either end; `back` and `forward`
/// name the directions ("← Previous" / "Next →" unless given).
#[component]
pub fn Pager(
    page: i64,
    pages: i64,
    previous: Option<String>,
    next: Option<String>,
    #[prop(default = "← Previous")] back: &'static str,
    #[prop(default = "Next →")] forward: &'static str,
) -> impl IntoView {
    view! {
        <nav class="pager" aria-label="Pages">
            {previous.map(|h| view! { <A href=h attr:rel="prev">{back}</A> })}
            <span class="muted">"page " {page} " of " {pages}</span>
            {next.map(|h| view! { <A href=h attr:rel="next">{forward}</A> })}
        </nav>
    }
}
