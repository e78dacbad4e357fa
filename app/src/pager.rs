//! Links to the page before and after, and where we are: for every paged list.

/// What a page's summary says when something matches: "11–20 of 40" (`of` follows the
/// total: " changes"), or, on a page past the last one, that it is and how many there are.
pub fn range(first: i64, shown: usize, total: i64, of: &str) -> String {
    match shown {
        0 => format!("Past the last page: {total}{of} in all."),
        shown => format!("{first}–{} of {total}{of}", first + shown as i64 - 1),
    }
}

/// The page before `page`, of `pages`: from past the last page, the last one.
pub fn before(page: i64, pages: i64) -> Option<i64> {
    (page > 1).then(|| (page - 1).min(pages))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_past_the_last_says_so_and_leads_back_to_the_last() {
        assert_eq!(range(11, 10, 40, ""), "11–20 of 40");
        assert_eq!(range(31, 10, 40, ""), "31–40 of 40");
        assert_eq!(range(51, 34, 84, " changes"), "51–84 of 84 changes");
        assert_eq!(range(41, 0, 40, ""), "Past the last page: 40 in all.");
        assert_eq!(
            range(401, 0, 86, " changes"),
            "Past the last page: 86 changes in all."
        );
        assert_eq!(before(1, 4), None);
        assert_eq!(before(3, 4), Some(2));
        assert_eq!(before(5, 4), Some(4));
        assert_eq!(before(99, 4), Some(4));
    }
}
