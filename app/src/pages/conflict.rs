//! What a save found when someone else saved first: who saved which version, when and why,
//! what changed meanwhile, and the two ways on: reload theirs, or keep one's edits on top.
//! Keeping them applies only what the person changed (a three-way merge); a field both
//! changed is listed to choose, theirs or mine, before anything goes on.

use leptos::prelude::*;
use serde_json::Value;
use strata_domain::merge::MergeConflict;
use strata_domain::secret::masked;

use crate::changes::Conflict;
use crate::pages::diff::DiffTable;
use crate::pages::when::When;

#[component]
pub fn ConflictView(
    found: Conflict,
    /// Drop the edits and load the stored version.
    on_reload: Callback<()>,
    /// Go on editing the stored version with one's edits merged in: the merged document.
    on_keep: Callback<Value>,
    /// Where in the entity the form's document is (`/config` for a layer), which conflicts'
    /// pointers are shown relative to.
    #[prop(optional)]
    inside: &'static str,
) -> impl IntoView {
    let Conflict {
        edited,
        current,
        actor,
        at,
        reason,
        changes,
        merge,
        ..
    } = found;
    let merge = StoredValue::new(merge);
    let conflicts =
        merge.with_value(|m| m.as_ref().map(|m| m.conflicts.clone()).unwrap_or_default());
    // For each conflict, whether mine was chosen (`None` until the person chooses).
    let chosen = RwSignal::new(vec![None::<bool>; conflicts.len()]);
    let all_chosen = move || chosen.with(|c| c.iter().all(Option::is_some));
    let keep = move |_| {
        let Some(document) = merge.with_value(|m| {
            m.as_ref().map(|m| {
                let picks = chosen.get_untracked();
                m.resolved(|i| picks[i] == Some(true))
            })
        }) else {
            return;
        };
        on_keep.run(document);
    };
    let can_keep = merge.with_value(Option::is_some);
    let count = conflicts.len();
    view! {
        <section class="conflict notice error" role="alert" data-testid="conflict">
            <h2>"Someone changed this meanwhile"</h2>
            <p>
                "You edited version " {edited} "; version " <strong>{current}</strong> " is stored now, saved by "
                <strong>{actor}</strong> ", " <When at={at}/> ": “" {reason} "”. Nothing of yours was written."
            </p>
            <DiffTable rows=changes before="Version you edited" after="Stored now"/>
            {(count > 0).then(|| view! {
                <div class="merge-conflicts" data-testid="merge-conflicts">
                    <p>{match count {
                        1 => "You and they both changed this field. Choose which value to keep; your other edits go on top of theirs.".to_owned(),
                        n => format!("You and they both changed these {n} fields. Choose which value to keep for each; your other edits go on top of theirs."),
                    }}</p>
                    <table class="diff">
                        <thead><tr><th>"Field"</th><th>"Theirs (stored now)"</th><th>"Mine"</th></tr></thead>
                        <tbody>
                            {conflicts.into_iter().enumerate().map(|(i, c)| view! {
                                <ConflictRow conflict=c inside index=i chosen/>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
            <div class="actions">
                <button type="button" class="button" data-testid="reload" on:click=move |_| on_reload.run(())>
                    "Reload version " {current} " (drop my edits)"
                </button>
                {can_keep.then(|| view! {
                    <button type="button" class="button primary" data-testid="reapply"
                        disabled=move || !all_chosen() on:click=keep>
                        "Keep my edits on top of version " {current}
                    </button>
                })}
            </div>
        </section>
    }
}

/// One field both sides changed, with a choice of theirs or mine.
#[component]
fn ConflictRow(
    conflict: MergeConflict,
    inside: &'static str,
    index: usize,
    chosen: RwSignal<Vec<Option<bool>>>,
) -> impl IntoView {
    let field = conflict
        .pointer
        .strip_prefix(inside)
        .filter(|p| !p.is_empty())
        .unwrap_or(&conflict.pointer)
        .to_owned();
    let name = format!("merge-{index}");
    let pick = move |mine: bool| chosen.update(|c| c[index] = Some(mine));
    let is = move |mine: bool| chosen.with(|c| c[index] == Some(mine));
    view! {
        <tr data-testid="merge-conflict">
            <td><code>{if field.is_empty() { "(the whole document)".to_owned() } else { field }}</code></td>
            <td>
                <label>
                    <input type="radio" name=name.clone() data-testid="keep-theirs"
                        prop:checked=move || is(false) on:change=move |_| pick(false)/>
                    " " <code>{shown(&conflict.theirs, conflict.secret)}</code>
                </label>
            </td>
            <td>
                <label>
                    <input type="radio" name=name data-testid="keep-mine"
                        prop:checked=move || is(true) on:change=move |_| pick(true)/>
                    " " <code>{shown(&conflict.mine, conflict.secret)}</code>
                </label>
            </td>
        </tr>
    }
}

/// A side's value as compact JSON, a sealed secret as its mask, or that it is absent; a side
/// of a conflict over a secret never as typed.
fn shown(value: &Option<Value>, secret: bool) -> String {
    match value {
        None => "(removed)".to_owned(),
        Some(_) if secret => "(a secret value)".to_owned(),
        Some(value) => masked(value).to_string(),
    }
}
