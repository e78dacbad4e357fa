//! The frame around every page: a header with the domain's name and revision, a sidebar with
//! the console's sections, and the page itself.

use leptos::prelude::*;
use leptos_router::components::{A, Outlet};

use strata_domain::access::Role;

use crate::overview::{SharedOverview, get_overview};
use crate::toasts::{ToastShelf, Toasts};

/// The console's sections, in sidebar order: (path, label).
pub const SECTIONS: &[(&str, &str)] = &[
    ("tiers", "Tiers"),
    ("organizations", "Organizations"),
    ("products", "Products"),
    ("deployables", "Deployables"),
    ("tenants", "Tenants"),
    ("configs", "Configs"),
    ("history", "History"),
    ("publications", "Publications"),
    ("approval-policies", "Approval policies"),
];

/// Whether the router is on its way to another page.
#[derive(Clone, Copy)]
pub struct Routing(pub ReadSignal<bool>);

/// The frame around the routed pages (all but the sign-in ones).
#[component]
pub fn Layout() -> impl IntoView {
    view! { <Frame><Outlet/></Frame> }
}

/// The frame of every page but the sign-in ones, around `children`.
#[component]
pub fn Frame(children: Children) -> impl IntoView {
    let toasts = Toasts::provide();
    // The header's revision is read again after every finished action.
    let overview = Resource::new(move || toasts.said(), |_| get_overview());
    provide_context(SharedOverview(overview));
    let (menu_open, set_menu_open) = signal(false);
    let routing = use_context::<Routing>();
    let opening = move || routing.is_some_and(|Routing(routing)| routing.get());
    view! {
        <div class="frame" class:menu-open=menu_open>
            <header class="topbar">
                <button
                    class="menu-toggle"
                    aria-label="Show or hide the sections"
                    aria-expanded=move || menu_open.get().to_string()
                    on:click=move |_| set_menu_open.update(|open| *open = !*open)
                >
                    "☰"
                </button>
                // The domain by its display name, once; its revision leads to that revision's
                // publication.
                <Transition fallback=|| view! { <A href="/" attr:class="brand">"Strata"</A> }>
                    {move || overview.get().map(|result| match result {
                        Ok(o) => view! {
                            <A href="/" attr:class="brand" attr:data-testid="domain-name">{o.display_name}</A>
                            <A href=format!("/publications#revision-{}", o.revision) attr:class="revision"
                                attr:title="The domain's current revision: where it is published">
                                "revision " {o.revision}
                            </A>
                        }.into_any(),
                        Err(_) => view! {
                            <A href="/" attr:class="brand">"Strata"</A>
                            <span class="domain-name muted">"domain unavailable"</span>
                        }.into_any(),
                    })}
                </Transition>
                <span class="opening muted" role="status" data-testid="opening">
                    {move || opening().then_some("Opening…")}
                </span>
                <Transition fallback=|| ()>
                    {move || overview.get().and_then(Result::ok).and_then(|o| o.person).map(|person| view! {
                        <div class="who">
                            <span data-testid="signed-in-as" title=format!("signed in as {}", person.name)>
                                {person.display_name}
                            </span>
                            <form method="post" action="/auth/sign-out">
                                <button type="submit" class="link-button">"Sign out"</button>
                            </form>
                        </div>
                    })}
                </Transition>
            </header>
            <nav class="sidebar" aria-label="Sections">
                <ul>
                    {SECTIONS.iter().map(|(path, label)| view! {
                        <li>
                            <A href=format!("/{path}") on:click=move |_| set_menu_open.set(false)>
                                {*label}
                            </A>
                        </li>
                    }).collect_view()}
                    // To the list its count is of: waiting for one's review, else one's own.
                    <Transition fallback=move || view! {
                        <li><A href="/change-requests" on:click=move |_| set_menu_open.set(false)>"Change requests"</A></li>
                    }>
                        {move || {
                            let counts = overview
                                .get()
                                .and_then(Result::ok)
                                .map(|o| o.requests)
                                .unwrap_or_default();
                            let (waiting, mine) = (counts.waiting, counts.mine_open);
                            let href = match waiting == 0 && mine > 0 {
                                true => "/change-requests?list=mine",
                                false => "/change-requests",
                            };
                            view! {
                                <li>
                                    <A href=href on:click=move |_| set_menu_open.set(false)>
                                        "Change requests"
                                        {(waiting > 0).then(|| view! {
                                            <span class="count" data-testid="reviews-waiting" title="waiting for your review">{waiting}</span>
                                        })}
                                        {(mine > 0).then(|| view! {
                                            <span class="count mine" data-testid="my-open-requests" title="your open requests">{mine}</span>
                                        })}
                                    </A>
                                </li>
                            }
                        }}
                    </Transition>
                    <Transition fallback=|| ()>
                        {move || {
                            let shared = SharedOverview(overview);
                            let people = shared.allows(|grants| grants.domain_admin);
                            let tokens = shared.allows(|grants| grants.holds_somewhere(Role::Admin));
                            view! {
                                {people.then(|| view! {
                                    <li><A href="/people" on:click=move |_| set_menu_open.set(false)>"People"</A></li>
                                })}
                                {tokens.then(|| view! {
                                    <li><A href="/tokens" on:click=move |_| set_menu_open.set(false)>"API tokens"</A></li>
                                })}
                            }
                        }}
                    </Transition>
                </ul>
            </nav>
            <main class="page">{children()}</main>
            <ToastShelf toasts/>
        </div>
    }
}
