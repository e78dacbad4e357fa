//! What a save found when someone else saved first: who saved which version, when and why,
//! what changed meanwhile, and the two ways on (reload theirs, or keep one's edits on top).

use leptos::prelude::*;

use crate::changes::Conflict;
use crate::pages::diff::DiffTable;

#[component]
pub fn ConflictView(
    found: Conflict,
    /// Drop the edits and load the stored version.
    on_reload: Callback<()>,
    /// Keep the edits and save them next on top of the stored version.
    on_keep: Callback<()>,
) -> impl IntoView {
    let Conflict {
        edited,
        current,
        actor,
        at,
        reason,
        changes,
        ..
    } = found;
    view! {
        <section class="conflict notice error" role="alert" data-testid="conflict">
            <h2>"Someone changed this meanwhile"</h2>
            <p>
                "You edited version " {edited} "; version " <strong>{current}</strong> " is stored now, saved by "
                <strong>{actor}</strong> " at " <time>{at}</time> ": “" {reason} "”. Nothing of yours was written."
            </p>
            <DiffTable rows=changes before="Version you edited" after="Stored now"/>
            <div class="actions">
                <button type="button" class="button" data-testid="reload" on:click=move |_| on_reload.run(())>
                    "Reload version " {current} " (drop my edits)"
                </button>
                <button type="button" class="button primary" data-testid="reapply" on:click=move |_| on_keep.run(())>
                    "Keep my edits on top of version " {current}
                </button>
            </div>
        </section>
    }
}
