//! Publications: every committed revision on its way to the origin and the cache. A revision
//! that waits because the origin or Redis is down shows as failed with the last error, and
//! completes by itself once they are back.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::publications::{PublicationRow, get_publications};

#[component]
pub fn PublicationsPage() -> impl IntoView {
    let publications = Resource::new(|| (), |_| get_publications());
    view! {
        <Title text="Publications"/>
        <div class="page-head">
            <h1>"Publications"</h1>
            <button class="button" data-testid="refresh" on:click=move |_| publications.refetch()>
                "Refresh"
            </button>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading the publications…"</p> }>
            <ErrorBoundary fallback=|errors| view! {
                <div class="notice error" role="alert">
                    <p>"The server could not list the publications."</p>
                    <ul>{move || errors.get().into_iter().map(|(_, e)| view! { <li>{e.to_string()}</li> }).collect_view()}</ul>
                </div>
            }>
                {move || publications.get().map(|result| result.map(|rows| view! { <PublicationTable rows/> }))}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn PublicationTable(rows: Vec<PublicationRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! {
            <div class="empty" data-testid="no-publications">
                <p>"No revision was committed yet, so there is nothing to publish."</p>
            </div>
        }
        .into_any();
    }
    view! {
        <table class="table" data-testid="publications">
            <thead>
                <tr>
                    <th>"Revision"</th><th>"State"</th><th>"Committed by"</th><th>"Committed at"</th>
                    <th>"Attempts"</th><th>"Outcome"</th>
                </tr>
            </thead>
            <tbody>
                {rows.into_iter().map(|row| {
                    let badge = match row.state.as_str() {
                        "published" => "badge up",
                        "failed" => "badge down",
                        _ => "badge",
                    };
                    let outcome = match (&row.last_error, &row.wrote, &row.published_at) {
                        (_, Some(wrote), Some(at)) => format!("{wrote}, at {at}"),
                        (Some(error), _, _) => error.clone(),
                        _ => String::new(),
                    };
                    view! {
                        <tr data-revision=row.revision>
                            <td>{row.revision}</td>
                            <td><span class=badge>{row.state}</span></td>
                            <td>{row.actor}</td>
                            <td><time>{row.committed_at}</time></td>
                            <td>{row.attempts}</td>
                            <td class="outcome">{outcome}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
