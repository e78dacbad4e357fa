//! Toasts: short notes that an action finished ("Saved tier LIVE as version 4"), shown in a
//! corner for a few seconds. Any component may say one; the layout shows them.

use std::time::Duration;

use leptos::prelude::*;

/// How long a toast stays.
const SHOWN_FOR: Duration = Duration::from_secs(6);

#[derive(Clone, Copy)]
pub struct Toasts {
    shown: RwSignal<Vec<(u64, String)>>,
    next: StoredValue<u64>,
    /// Counts the toasts said: each follows a finished action that may have changed the
    /// domain, so what shows the domain's revision reads it again.
    said: RwSignal<u64>,
}

impl Toasts {
    /// Makes the toasts of this page tree; the layout calls it once.
    pub fn provide() -> Toasts {
        let toasts = Toasts {
            shown: RwSignal::new(Vec::new()),
            next: StoredValue::new(0),
            said: RwSignal::new(0),
        };
        provide_context(toasts);
        toasts
    }

    /// The toasts the layout provided.
    pub fn get() -> Toasts {
        expect_context::<Toasts>()
    }

    /// How many toasts were said: a source for resources that must follow finished actions.
    pub fn said(self) -> u64 {
        self.said.get()
    }

    /// Shows `text` for a few seconds.
    pub fn say(self, text: impl Into<String>) {
        let id = self.next.get_value();
        self.next.set_value(id + 1);
        self.shown.update(|shown| shown.push((id, text.into())));
        self.said.set(id + 1);
        set_timeout(
            move || self.shown.update(|shown| shown.retain(|(i, _)| *i != id)),
            SHOWN_FOR,
        );
    }
}

/// The corner the toasts appear in: a polite live region, so screen readers read them too.
#[component]
pub fn ToastShelf(toasts: Toasts) -> impl IntoView {
    view! {
        <div class="toasts" role="status" aria-live="polite" data-testid="toasts">
            <For each=move || toasts.shown.get() key=|(id, _)| *id let:toast>
                <p class="toast">{toast.1}</p>
            </For>
        </div>
    }
}
