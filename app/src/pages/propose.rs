//! What an editor asks instead of a reason where an approval policy covers the change: the
//! change request's title, and more for the reviewers.

use leptos::prelude::*;
use strata_domain::change_request::TITLE_CHARS;

#[component]
pub fn ProposeForm(
    /// The title input's id (its label points at it); the description's is `{id}-description`.
    id: &'static str,
    title: RwSignal<String>,
    description: RwSignal<String>,
    /// While the proposal is on its way.
    pending: Signal<bool>,
    /// The button's `data-testid`.
    test_id: &'static str,
    on_send: Callback<()>,
    /// A second button that goes back without sending, and its words.
    #[prop(optional)]
    on_cancel: Option<Callback<()>>,
    #[prop(optional)] cancel: &'static str,
) -> impl IntoView {
    let send = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        on_send.run(());
    };
    let description_id = format!("{id}-description");
    view! {
        <form class="reason" on:submit=send data-testid="propose-form">
            <label for=id>"What does this change, and why?"</label>
            <p class="help">"The change request's title: reviewers read it, and history records it when the change applies."</p>
            <input id=id type="text" required autofocus
                prop:value=move || title.get() on:input=move |ev| title.set(event_target_value(&ev))/>
            <label for=description_id.clone()>"More for the reviewers (optional)"</label>
            <textarea id=description_id rows="3"
                prop:value=move || description.get() on:input=move |ev| description.set(event_target_value(&ev))></textarea>
            <div class="actions">
                <button type="submit" class="button primary" data-testid=test_id
                    disabled=move || pending.get() || title.with(|t| t.trim().is_empty())>
                    {move || if pending.get() { "Proposing…" } else { "Propose for review" }}
                </button>
                {on_cancel.map(|back| view! {
                    <button type="button" class="button" on:click=move |_| back.run(())>{cancel}</button>
                })}
            </div>
        </form>
    }
}

/// A title and description from what was typed: a title longer than a title may be is cut
/// (with "…"), and said whole at the start of the description.
pub fn titled(title: &str, description: &str) -> (String, String) {
    let title = title.trim();
    if title.chars().count() <= TITLE_CHARS {
        return (title.to_owned(), description.to_owned());
    }
    let cut: String = title.chars().take(TITLE_CHARS - 1).collect();
    let description = match description.trim().is_empty() {
        true => title.to_owned(),
        false => format!("{title}\n\n{description}"),
    };
    (format!("{cut}…"), description)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_title_is_cut_and_kept_whole_in_the_description() {
        assert_eq!(titled(" short ", "more"), ("short".into(), "more".into()));
        let long = "é".repeat(130);
        let (title, description) = titled(&long, "more");
        assert_eq!(title.chars().count(), TITLE_CHARS);
        assert!(title.ends_with('…'));
        assert_eq!(description, format!("{long}\n\nmore"));
        assert_eq!(titled(&long, "").1, long);
    }
}
