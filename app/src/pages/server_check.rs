//! Rules the server checks as a person types: those that need the schema checker, which the
//! browser bundle leaves out (it would be a third of the bundle). The server is asked a pause
//! after the last change, and only the answer for the newest change is shown, until the next
//! change.

use std::future::Future;
use std::time::Duration;

use leptos::prelude::*;
use strata_domain::rules::FieldError;

/// How long the form waits after the last change before asking.
const PAUSE: Duration = Duration::from_millis(300);

/// The errors the server finds in `draft()`, asked with `ask` a pause after `draft` last
/// changed. An answer is about the draft it was asked for: any change clears it until the
/// next answer, so an error already fixed never holds up a save (the save is checked again
/// anyway), and a check that fails (the network, an expired session) shows nothing. While
/// `draft()` is `None` (the browser's own checks fail first) nothing is asked.
pub fn server_check<T, F>(
    draft: impl Fn() -> Option<T> + Send + Sync + 'static,
    ask: impl Fn(T) -> F + Copy + Send + Sync + 'static,
) -> RwSignal<Vec<FieldError>>
where
    T: Send + Sync + 'static,
    F: Future<Output = Result<Vec<FieldError>, ServerFnError>> + 'static,
{
    let errors = RwSignal::new(Vec::new());
    // Which change an answer is for.
    let asked = StoredValue::new(0u64);
    Effect::new(move |_| {
        let draft = draft();
        asked.update_value(|n| *n += 1);
        let change = asked.get_value();
        errors.set(Vec::new());
        let Some(draft) = draft else {
            return;
        };
        let newest = move || asked.try_get_value() == Some(change);
        set_timeout(
            move || {
                if !newest() {
                    return;
                }
                leptos::task::spawn_local(async move {
                    if let Ok(found) = ask(draft).await
                        && newest()
                    {
                        errors.try_set(found);
                    }
                });
            },
            PAUSE,
        );
    });
    errors
}
