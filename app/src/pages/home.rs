//! The home page: the domain's current revision and the health and version of each part
//! Strata runs on, fetched through a server function and refreshable in place.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use strata_domain::health::{Component, State};

use crate::failure::failure;
use crate::overview::{Activity, Overview, get_activity, get_overview};
use crate::pages::when::When;

#[component]
pub fn HomePage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_overview());
    let activity = Resource::new(|| (), |_| get_activity());
    view! {
        <Title text="Home"/>
        <div class="page-head">
            <h1>"Overview"</h1>
            <button
                class="button"
                data-testid="check-again"
                on:click=move |_| {
                    overview.refetch();
                    activity.refetch();
                }
            >
                "Check again"
            </button>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading the domain…"</p> }>
            <ErrorBoundary fallback=failure("The server could not describe the domain. Check that it is running and reload.")>
                {move || overview.get().map(|result| result.map(|o| view! { <OverviewCards overview=o/> }))}
            </ErrorBoundary>
        </Transition>
        <Transition fallback=|| view! { <p class="muted">"Loading what happened lately…"</p> }>
            <ErrorBoundary fallback=failure("The server could not read the latest publication and changes.")>
                {move || activity.get().map(|result| result.map(|activity| view! { <Lately activity/> }))}
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
        person: _,
        requests: _,
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
                <p class="muted">"checked " <When at={checked_at} attr:data-testid="checked-at"/></p>
            </article>
        </section>
        <h2>"Components"</h2>
        <div class="table-frame"><table class="table" data-testid="components">
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
        </table></div>
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

/// The newest publication, how long it took to reach the origin and cache, and the newest
/// changes.
#[component]
fn Lately(activity: Activity) -> impl IntoView {
    let Activity {
        last_publication,
        recent,
    } = activity;
    view! {
        <h2>"Last publication"</h2>
        {match last_publication {
            None => view! { <p class="empty">"No revision was committed yet."</p> }.into_any(),
            Some(p) => view! {
                <p class="notice" data-testid="last-publication">
                    <A href="/publications">"Revision " {p.revision}</A> " · "
                    <span class=if p.state == "published" { "badge up" } else if p.state == "failed" { "badge down" } else { "badge" }>{p.state.clone()}</span>
                    " · committed by " {p.actor.clone()} ", " <When at={p.committed_at.clone()}/>
                    {p.propagation_ms.map(|ms| format!(" · reached the origin and cache {ms} ms after the commit"))}
                    {p.last_error.clone().map(|e| view! { <span class="error-text">{e}</span> })}
                </p>
            }.into_any(),
        }}
        <h2>"Recent changes"</h2>
        {if recent.is_empty() {
            view! { <p class="empty">"Nothing was changed yet."</p> }.into_any()
        } else {
            view! {
                <div class="table-frame"><table class="table" data-testid="recent-changes">
                    <thead><tr><th>"Revision"</th><th>"Change"</th><th>"Of"</th><th>"By"</th><th>"At"</th><th>"Why"</th></tr></thead>
                    <tbody>
                        {recent.into_iter().map(|c| view! {
                            <tr>
                                <td>{c.revision}</td><td>{c.operation}</td><td>{c.kind} " " <code>{c.key}</code></td>
                                <td>{c.actor}</td><td><When at={c.at}/></td><td>{c.reason}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table></div>
                <p><A href="/history">"All of the history"</A></p>
            }.into_any()
        }}
    }
}
