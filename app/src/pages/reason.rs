//! What every change asks before it is sent: why. The reason is recorded in history with the
//! change; the button stays off until there is one, and while the change is on its way.

use leptos::prelude::*;

#[component]
pub fn ReasonForm(
    /// The input's id (its label points at it).
    id: &'static str,
    question: &'static str,
    reason: RwSignal<String>,
    /// While the change is on its way.
    pending: Signal<bool>,
    /// The button's words, and what it says while the change is on its way.
    action: &'static str,
    acting: &'static str,
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
    view! {
        <form class="reason" on:submit=send>
            <label for=id>{question}</label>
            <p class="help">"Recorded in history with the change: a few words for the people who read it later."</p>
            <input
                id=id
                type="text"
                required
                maxlength="500"
                autofocus
                prop:value=move || reason.get()
                on:input=move |ev| reason.set(event_target_value(&ev))
            />
            <div class="actions">
                <button type="submit" class="button primary" data-testid=test_id
                    disabled=move || pending.get() || reason.with(|r| r.trim().is_empty())>
                    {move || if pending.get() { acting } else { action }}
                </button>
                {on_cancel.map(|back| view! {
                    <button type="button" class="button" on:click=move |_| back.run(())>{cancel}</button>
                })}
            </div>
        </form>
    }
}
