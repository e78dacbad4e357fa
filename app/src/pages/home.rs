//! The home page: the domain's current revision and the health and version of each part
//! Strata runs on, fetched through a server function and refreshable in place.

use leptos::prelude::*;
use leptos_meta::Title;
use strata_domain::health::{Component, State};

use crate::failure::failure;
use crate::overview::{Overview, get_overview};

#[component]
pub fn HomePage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_overview());
    view! {
        <Title text="Home"/>
        <div class="page-head">
            <h1>"Overview"</h1>
            <button
                class="button"
                data-testid="check-again"
                on:click=move |_| overview.refetch()
            >
                "Check again"
            </button>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading the domain…"</p> }>
            <ErrorBoundary fallback=failure("The server could not describe the domain. Check that it is running and reload.")>
                {move || overview.get().map(|result| result.map(|o| view! { <OverviewCards overview=o/> }))}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn OverviewCards(overview: Overview) -> impl IntoView {
    let Overview {
        domain_name,
        display_name,
        revision,
        strata_version,
        health,
        checked_at,
    } = overview;
    let ready = health.ready();
    view! {
        <section class="cards">
            <article class="card">
                <h2>"Domain"</h2>
                <p class="big">{display_name}</p>
                <p class="muted">"name " <code>{domain_name}</code></p>
            </article>
            <article class="card">
                <h2>"Revision"</h2>
                <p class="big" data-testid="revision">{revision}</p>
                <p class="muted">"every committed change set adds one"</p>
            </article>
            <article class="card">
                <h2>"Status"</h2>
                <p class="big">
                    {if ready {
                        view! { <span class="badge up">"ready"</span> }.into_any()
                    } else {
                        view! { <span class="badge down">"degraded"</span> }.into_any()
                    }}
                </p>
                <p class="muted">"checked " <time data-testid="checked-at">{checked_at}</time></p>
            </article>
        </section>
        <h2>"Components"</h2>
        <table class="table" data-testid="components">
            <thead>
                <tr><th>"Part"</th><th>"Kind"</th><th>"Location"</th><th>"Version"</th><th>"State"</th></tr>
            </thead>
            <tbody>
                <tr>
                    <td>"Strata"</td><td>"server"</td><td>"this process"</td>
                    <td>{strata_version}</td><td><span class="badge up">"up"</span></td>
                </tr>
                <ComponentRow part="Database" component=health.database/>
                <ComponentRow part="Origin" component=health.origin/>
                <ComponentRow part="Cache" component=health.cache/>
            </tbody>
        </table>
    }
}

#[component]
fn ComponentRow(part: &'static str, component: Component) -> impl IntoView {
    let Component {
        kind,
        location,
        version,
        state,
        error,
    } = component;
    view! {
        <tr>
            <td>{part}</td>
            <td>{kind}</td>
            <td><code>{location}</code></td>
            <td>{version.unwrap_or_else(|| "—".to_owned())}</td>
            <td>
                {match state {
                    State::Up => view! { <span class="badge up">"up"</span> }.into_any(),
                    State::Down => view! {
                        <span class="badge down">"down"</span>
                        <span class="error-text">{error.unwrap_or_default()}</span>
                    }.into_any(),
                }}
            </td>
        </tr>
    }
}
