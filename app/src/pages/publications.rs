//! Publications: every committed revision on its way to the origin and the cache. A revision
//! that waits because the origin or Redis is down shows as failed with the last error, and
//! completes by itself once they are back.

use leptos::prelude::*;
use leptos_meta::Title;
use strata_domain::access::Role;

use crate::failure::failure;
use crate::overview::SharedOverview;
use crate::pages::revisions::{RestorePanel, RevisionComparison};
use crate::pages::when::When;
use crate::publications::{PublicationRow, PublishNow, get_publications};

#[component]
pub fn PublicationsPage() -> impl IntoView {
    let publications = Resource::new(|| (), |_| get_publications());
    let publish = ServerAction::<PublishNow>::new();
    let shared = expect_context::<SharedOverview>();
    let overview = shared.0;
    // Two revisions picked for comparison, and the one the domain may be restored to.
    let (from, to) = (RwSignal::new(None::<i64>), RwSignal::new(None::<i64>));
    let restoring = RwSignal::new(None::<i64>);
    let restored = Callback::new(move |_: ()| publications.refetch());
    // Live progress: while a revision is on its way, look again every second.
    Effect::new(move |_| {
        let busy = publications
            .get()
            .and_then(Result::ok)
            .is_some_and(|rows| rows.iter().any(PublicationRow::in_progress));
        if busy {
            set_timeout(
                move || publications.refetch(),
                std::time::Duration::from_secs(1),
            );
        }
    });
    Effect::new(move |_| {
        if publish.value().get().is_some() {
            publications.refetch();
        }
    });
    view! {
        <Title text="Publications"/>
        <div class="page-head">
            <h1>"Publications"</h1>
            <div class="actions">
                <button class="button" data-testid="refresh" on:click=move |_| publications.refetch()>
                    "Refresh"
                </button>
                <Transition fallback=|| ()>
                    {move || shared.allows(|grants| grants.holds_somewhere(Role::Publisher)).then(|| view! {
                        <button
                            class="button primary"
                            data-testid="publish-now"
                            disabled=move || publish.pending().get()
                            on:click=move |_| { publish.dispatch(PublishNow {}); }
                        >
                            {move || if publish.pending().get() { "Publishing…" } else { "Publish now" }}
                        </button>
                    })}
                </Transition>
            </div>
        </div>
        <Transition fallback=|| ()>
            {move || overview.get().and_then(Result::ok).map(|o| view! {
                // Where they are is for domain admins: others are told there is an origin and a
                // cache, without an empty name.
                <p class="help" data-testid="destinations">
                    "Each revision is written to the origin"
                    {place(&o.health.origin.location)}
                    " and compiled into the cache"
                    {place(&o.health.cache.location)} "."
                </p>
            })}
        </Transition>
        {move || publish.value().get().map(|answer| match answer {
            Ok(text) => view! { <p class="notice" role="status" data-testid="publish-answer">{text}</p> }.into_any(),
            Err(e) => view! { <p class="notice error" role="alert" data-testid="publish-answer">{crate::failure::said(&e)}</p> }.into_any(),
        })}
        <Transition fallback=|| view! { <p class="muted">"Loading the publications…"</p> }>
            <ErrorBoundary fallback=failure("The server could not list the publications.")>
                {move || publications.get().map(|result| result.map(|rows| {
                    let may_restore = shared.allows(|grants| grants.domain_admin);
                    view! { <PublicationTable rows from to restoring may_restore/> }
                }))}
            </ErrorBoundary>
        </Transition>
        {move || restoring.get().map(|revision| view! { <RestorePanel revision restoring done=restored/> })}
        <RevisionComparison from to/>
    }
}

#[component]
fn PublicationTable(
    rows: Vec<PublicationRow>,
    from: RwSignal<Option<i64>>,
    to: RwSignal<Option<i64>>,
    restoring: RwSignal<Option<i64>>,
    /// Whether the signed-in person may restore the domain (a domain admin).
    may_restore: bool,
) -> impl IntoView {
    let newest = rows.first().map(|r| r.revision);
    if rows.is_empty() {
        return view! {
            <div class="empty" data-testid="no-publications">
                <p>"No revision was committed yet, so there is nothing to publish."</p>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="table-frame"><table class="table" data-testid="publications">
            <thead>
                <tr>
                    <th>"From"</th><th>"To"</th>
                    <th>"Revision"</th><th>"State"</th><th>"Committed by"</th><th>"Committed at"</th>
                    <th>"Attempts"</th><th>"Outcome"</th><th>"Steps"</th><th>"Checksum"</th><th><span class="visually-hidden">"Restore"</span></th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| {
                    let badge = match row.state.as_str() {
                        "published" => "badge up",
                        "failed" => "badge down",
                        _ => "badge",
                    };
                    // When it was published, as every time on the page reads; what it wrote
                    // counts every organization's tenants, so only domain admins see that.
                    let outcome = match (&row.last_error, &row.wrote, &row.published_at) {
                        (_, wrote, Some(at)) => view! {
                            {wrote.clone().map(|wrote| format!("{wrote}, "))}
                            "published " <When at={at.clone()}/>
                        }.into_any(),
                        (Some(error), _, _) => error.clone().into_any(),
                        _ => ().into_any(),
                    };
                    let r = row.revision;
                    view! {
                        <tr data-revision=row.revision id=format!("revision-{r}")>
                            <td><input type="radio" name="from" aria-label=format!("Compare from revision {r}")
                                checked=move || from.get() == Some(r) on:change=move |_| from.set(Some(r))/></td>
                            <td><input type="radio" name="to" aria-label=format!("Compare to revision {r}")
                                checked=move || to.get() == Some(r) on:change=move |_| to.set(Some(r))/></td>
                            <td>{row.revision}</td>
                            <td><span class=badge>{row.state}</span></td>
                            <td>{row.actor}</td>
                            <td><When at={row.committed_at}/></td>
                            <td>{row.attempts}</td>
                            <td class="outcome">{outcome}</td>
                            <td class="timings">{row.timings.unwrap_or_default()}</td>
                            <td><code title=row.checksum.clone().unwrap_or_default()>
                                {row.checksum.as_deref().map(|c| c.chars().take(12).collect::<String>()).unwrap_or_default()}
                            </code></td>
                            <td>{(may_restore && Some(r) != newest).then(|| view! {
                                <button type="button" class="button small" data-testid=format!("restore-{r}")
                                    on:click=move |_| restoring.set(Some(r))>
                                    "Restore to this revision"
                                </button>
                            })}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
    .into_any()
}

/// " <code>place</code>", or nothing for a place the reader is not told.
fn place(location: &str) -> Option<impl IntoView + use<>> {
    (!location.is_empty()).then(|| {
        let location = location.to_owned();
        view! { " " <code>{location}</code> }
    })
}
