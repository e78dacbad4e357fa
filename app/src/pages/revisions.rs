//! On the publications page: two revisions compared entity by entity, and restoring the domain
//! to an earlier revision after a preview of what the restore changes.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::failure::failure;
use crate::pages::diff::DiffTable;
use crate::pages::reason::ReasonForm;
use crate::revisions::{
    RestoreAnswer, RestoreDomain, RevisionDiff, compare_revisions, preview_restore,
};
use crate::toasts::Toasts;

/// The entities that differ between two revisions, each with its changed values.
#[component]
pub fn RevisionChanges(
    diff: RevisionDiff,
    before: &'static str,
    after: &'static str,
    /// Each entity's changes shown at once, not folded.
    #[prop(optional)]
    open: bool,
) -> impl IntoView {
    let RevisionDiff {
        entities, total, ..
    } = diff;
    let shown = entities.len();
    view! {
        <p data-testid="revision-diff-summary">
            {match total { 0 => "No entity differs.".to_owned(), 1 => "1 entity differs.".to_owned(), n => format!("{n} entities differ.") }}
            {(total > shown).then(|| format!(" The first {shown} are shown."))}
        </p>
        {entities.into_iter().map(|e| {
            let href = entity_href(&e.kind, &e.key);
            let label = format!("{} {}", e.kind, e.key);
            view! {
                // The summary opens and folds; the link to the entity is inside, not in it
                // (a control inside another is one no keyboard or reader can tell apart).
                <details class="entity-change" data-change=e.change.clone() open=open>
                    <summary>
                        <span class="badge">{e.change.clone()}</span> " " {label.clone()}
                    </summary>
                    {href.map(|href| view! { <p class="entity-link"><A href=href>"Open " {label}</A></p> })}
                    <DiffTable rows=e.rows before after/>
                </details>
            }
        }).collect_view()}
    }
}

/// Where the console shows an entity of `kind` (history's kind names).
fn entity_href(kind: &str, key: &str) -> Option<String> {
    let section = match kind {
        "tier" => "tiers",
        "organization" => "organizations",
        "product" => "products",
        "deployable" => "deployables",
        "tenant" => "tenants",
        "config layer" => return Some(format!("/configs/{key}")),
        _ => return None,
    };
    Some(format!("/{section}/{key}"))
}

/// The comparison of the two revisions picked in the table.
#[component]
pub fn RevisionComparison(from: RwSignal<Option<i64>>, to: RwSignal<Option<i64>>) -> impl IntoView {
    let diff = Resource::new(
        move || (from.get(), to.get()),
        |picked| async move {
            match picked {
                (Some(from), Some(to)) if from != to => compare_revisions(from, to).await.map(Some),
                _ => Ok(None),
            }
        },
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Comparing…"</p> }>
            <ErrorBoundary fallback=failure("The server could not compare these revisions.")>
                {move || diff.get().map(|result| result.map(|found| found.map(|diff| view! {
                    <section data-testid="revision-diff">
                        <h2>"Revision " {diff.from} " → revision " {diff.to}</h2>
                        <RevisionChanges diff before="From" after="To"/>
                    </section>
                })))}
            </ErrorBoundary>
        </Transition>
    }
}

/// The preview of restoring the domain to `revision`, and the confirmation.
#[component]
pub fn RestorePanel(
    revision: i64,
    restoring: RwSignal<Option<i64>>,
    done: Callback<()>,
) -> impl IntoView {
    let preview = Resource::new(move || revision, preview_restore);
    let reason = RwSignal::new(String::new());
    let restore = ServerAction::<RestoreDomain>::new();
    let toasts = Toasts::get();
    let refused = RwSignal::new(None::<String>);
    Effect::new(move |_| match restore.value().get() {
        Some(Ok(RestoreAnswer::Restored { revision: made })) => {
            toasts.say(format!(
                "Restored the domain to revision {revision}, as revision {made}."
            ));
            restoring.set(None);
            done.run(());
        }
        Some(Ok(RestoreAnswer::Unchanged)) => {
            toasts.say(format!(
                "The domain already equals revision {revision}: nothing to restore."
            ));
            restoring.set(None);
        }
        Some(Ok(RestoreAnswer::Refused(why))) => refused.set(Some(why)),
        Some(Err(e)) => refused.set(Some(crate::failure::said(&e))),
        None => {}
    });
    let confirm = Callback::new(move |_: ()| {
        restore.dispatch(RestoreDomain {
            revision,
            reason: reason.get_untracked(),
        });
    });
    // The panel opens below the table: brought into view, its heading focused, so the
    // keyboard and screen readers go on from it.
    let heading = NodeRef::<leptos::html::H2>::new();
    Effect::new(move |_| {
        if let Some(heading) = heading.get() {
            let _ = heading.focus();
        }
    });
    view! {
        <section class="rollback notice" data-testid="restore">
            <h2 tabindex="-1" node_ref=heading>"Restore the domain to revision " {revision}</h2>
            <p>"A restore is one new revision that makes every entity what it was right after revision " {revision}
               ". History keeps everything in between; today's rules still apply."</p>
            <Transition fallback=|| view! { <p class="muted">"Working out what the restore changes…"</p> }>
                <ErrorBoundary fallback=failure("The server could not prepare the preview.")>
                    {move || preview.get().map(|result| result.map(|diff| view! {
                        <RevisionChanges diff before="Now" after="After the restore" open=true/>
                    }))}
                </ErrorBoundary>
            </Transition>
            <ReasonForm id="restore-reason" question="Why restore?" reason
                pending=restore.pending().into() action="Restore" acting="Restoring…"
                test_id="confirm-restore" on_send=confirm
                on_cancel=Callback::new(move |_| restoring.set(None)) cancel="Cancel"/>
            {move || refused.get().map(|why| view! {
                <p class="notice error" role="alert" data-testid="restore-refused">"The restore was refused, nothing was written: " {why}</p>
            })}
        </section>
    }
}
