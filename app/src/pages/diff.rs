//! Two versions of a JSON document side by side, a row per value: changed rows are marked,
//! and unchanged ones are hidden until asked for.

use leptos::prelude::*;
use strata_domain::diff::SideBySide;

#[component]
pub fn DiffTable(
    rows: Vec<SideBySide>,
    /// The heading of each side.
    before: &'static str,
    after: &'static str,
) -> impl IntoView {
    let full = RwSignal::new(false);
    let changed = rows.iter().filter(|r| r.changed()).count();
    let unchanged = rows.len() - changed;
    let rows = StoredValue::new(rows);
    view! {
        <div class="side-by-side" data-testid="diff">
            <p class="diff-summary">
                {match changed {
                    0 => "No differences.".to_owned(),
                    1 => "1 value differs.".to_owned(),
                    n => format!("{n} values differ."),
                }}
                {(unchanged > 0).then(|| view! {
                    <label class="toggle">
                        <input type="checkbox" data-testid="show-unchanged"
                            on:change=move |ev| full.set(event_target_checked(&ev))/>
                        " Show the " {unchanged} " unchanged"
                    </label>
                })}
            </p>
            <div class="table-frame"><table class="table diff2">
                <thead><tr><th>"Field"</th><th>{before}</th><th>{after}</th></tr></thead>
                <tbody>
                    {move || rows.with_value(|rows| rows.iter()
                        .filter(|r| full.get() || r.changed())
                        .map(|r| {
                            let class = match (&r.before, &r.after) {
                                (None, Some(_)) => "added",
                                (Some(_), None) => "removed",
                                _ if r.changed() => "changed",
                                _ => "same",
                            };
                            view! {
                                <tr class=class>
                                    <td><code>{r.path.clone()}</code></td>
                                    <td class="before"><code>{r.before.clone().unwrap_or_default()}</code></td>
                                    <td class="after"><code>{r.after.clone().unwrap_or_default()}</code></td>
                                </tr>
                            }
                        })
                        .collect_view())}
                </tbody>
            </table></div>
        </div>
    }
}
