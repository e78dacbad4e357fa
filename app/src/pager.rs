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

/// The links to the first, previous, next and last pages (`link` makes a page's URL), where
/// each leads somewhere the others do not, and where we are. Plain links: the router still
/// follows them in the page, and none is marked as the current page, as they all lead to this
/// same path.
#[component]
pub fn Pager(
    page: i64,
    pages: i64,
    link: impl Fn(i64) -> String + 'static,
    #[prop(default = "← Previous")] back: &'static str,
    #[prop(default = "Next →")] forward: &'static str,
    #[prop(default = "« First")] start: &'static str,
    #[prop(default = "Last »")] end: &'static str,
) -> impl IntoView {
    let previous = before(page, pages);
    let first = (previous.is_some_and(|p| p > 1)).then(|| link(1));
    let previous = previous.map(&link);
    let next = (page < pages).then(|| link(page + 1));
    let last = (page + 1 < pages).then(|| link(pages));
    let place = match page > pages {
        true => format!("past the last page, {pages}"),
        false => format!("page {page} of {pages}"),
    };
    view! {
        <nav class="pager" aria-label="Pages">
            {first.map(|h| view! { <a href=h>{start}</a> })}
            {previous.map(|h| view! { <a href=h rel="prev">{back}</a> })}
            <span class="muted">{place}</span>
            {next.map(|h| view! { <a href=h rel="next">{forward}</a> })}
            {last.map(|h| view! { <a href=h>{end}</a> })}
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
