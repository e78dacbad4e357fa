//! What an editor asks instead of a reason where an approval policy covers the change: the
//! change request's title, and more for the reviewers.

use leptos::prelude::*;
use strata_domain::change_request::TITLE_CHARS;

use crate::requests::RequestOutcome;

#[component]
pub fn ProposeForm(
    /// The title input's id (its label points at it); the description's is `{id}-description`.
    id: &'static str,
    /// What is proposed ("change", "roll back"…) and what the policy that covers it asks, said
    /// above the form; none where the editor says so already.
    #[prop(optional)]
    needs: Option<(&'static str, String)>,
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
        {needs.map(|(what, message)| view! {
            <div class="notice" data-testid="needs-review">
                <p>"This " {what} " is reviewed before it applies: " {message} "."</p>
                <p>"Propose it: reviewers see it side by side with its impact, and it applies once approved."</p>
            </div>
        })}
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

/// Where a proposal's answer leads: to the request it made, or its refusal said in `problem`.
pub fn follow(
    answer: Option<Result<RequestOutcome, ServerFnError>>,
    problem: RwSignal<Option<String>>,
    navigate: &impl Fn(&str, leptos_router::NavigateOptions),
) {
    match answer {
        Some(Ok(RequestOutcome::Done(path))) => navigate(&path, Default::default()),
        Some(Ok(RequestOutcome::Refused(why))) => problem.set(Some(why)),
        Some(Err(e)) => problem.set(Some(crate::failure::said(&e))),
        None => {}
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
