//! Strata's admin console. Pages and components render on the server first and hydrate in the
//! browser; server functions are the console's only way to the store.

#![recursion_limit = "256"]

pub mod audit;
pub mod changes;
pub mod entities;
pub mod failure;
pub mod forms;
pub mod layers;
pub mod layout;
pub mod lists;
pub mod overview;
pub mod pager;
pub mod pages;
pub mod people;
pub mod publications;
pub mod requests;
pub mod resolved;
pub mod revisions;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod toasts;
pub mod tokens;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Title, provide_meta_context};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{Lazy, SsrMode, path};

use crate::layout::{Frame, Layout, Routing};
use crate::pages::fetched_later::{
    Configs, Edit, Entity, History, Home, Layer, Members, People, Publications, Request, Requests,
    Setup, Tokens,
};
use crate::pages::{ListPage, NotFound, SignInPage};
use strata_domain::kind::Kind;

/// The HTML document around the console, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <link rel="stylesheet" id="strata" href=stylesheet(&options)/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The stylesheet's address: named after its content when the build named it so.
fn stylesheet(options: &LeptosOptions) -> String {
    match built_file(options, "css") {
        Some(hash) => format!("/{}/strata.{hash}.css", options.site_pkg_dir),
        None => format!("/{}/strata.css", options.site_pkg_dir),
    }
}

/// What the build wrote for `what` in the hash file (where Leptos reads the script's and the
/// module's names, `js: …`, `wasm: …`; the console reads `css: …` and `later: …`). Read with
/// each page, as Leptos reads the others'; only on the server.
pub(crate) fn built_file(options: &LeptosOptions, what: &str) -> Option<String> {
    #[cfg(feature = "ssr")]
    {
        let hashes = options
            .hash_files
            .then(|| std::fs::read_to_string(options.hash_file.as_ref()).ok())
            .flatten()?;
        hashes.lines().find_map(|line| {
            let (file, name) = line.split_once(':')?;
            (file.trim() == what).then(|| name.trim().to_owned())
        })
    }
    #[cfg(not(feature = "ssr"))]
    {
        let _ = (options, what);
        None
    }
}

/// A page's title in the browser's tab. Titles hold names from the address and from what
/// people typed; the server writes the `<title>` element unescaped (leptos_meta), so there it is
/// escaped here, while the browser sets `document.title`, which is text already.
fn title(page: String) -> String {
    let title = match page.is_empty() {
        true => "Strata".to_owned(),
        false => format!("{page} · Strata"),
    };
    #[cfg(feature = "ssr")]
    let title = strata_domain::text::escape_html(&title);
    title
}

/// Every page renders with [`SsrMode::Async`]: the server waits for the page's data and sends
/// whole HTML, so the first paint is complete (even without scripts) and hydration starts
/// from exactly what is shown.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Whether the router is between two pages (fetching the module of pages fetched later, or
    // a page's data): the frame says so, or a click would seem to do nothing meanwhile.
    let (routing, set_routing) = signal(false);
    provide_context(Routing(routing));
    view! {
        <Title formatter=title/>
        <Router set_is_routing=set_routing>
            // Not a catch-all route: the server's fallback must still serve the built files.
            <Routes fallback=|| view! { <Frame><NotFound/></Frame> }>
                <Route path=path!("/sign-in") view=SignInPage ssr=SsrMode::Async/>
                <Route path=path!("/setup") view={Lazy::<Setup>::new()} ssr=SsrMode::Async/>
                <ParentRoute path=path!("") view=Layout ssr=SsrMode::Async>
                    <Route path=path!("/") view={Lazy::<Home>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/tiers") view=|| view! { <ListPage kind=Kind::Tier/> } ssr=SsrMode::Async/>
                    <Route path=path!("/tiers/:key") view={Lazy::<Entity>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/tiers/:key/edit") view={Lazy::<Edit>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/new/tiers") view={Lazy::<Edit>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/organizations") view=|| view! { <ListPage kind=Kind::Organization/> } ssr=SsrMode::Async/>
                    <Route path=path!("/organizations/:key") view={Lazy::<Entity>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/organizations/:key/members") view={Lazy::<Members>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/organizations/:key/edit") view={Lazy::<Edit>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/new/organizations") view={Lazy::<Edit>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/products") view=|| view! { <ListPage kind=Kind::Product/> } ssr=SsrMode::Async/>
                    <Route path=path!("/products/:key") view={Lazy::<Entity>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/products/:key/edit") view={Lazy::<Edit>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/new/products") view={Lazy::<Edit>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/deployables") view=|| view! { <ListPage kind=Kind::Deployable/> } ssr=SsrMode::Async/>
                    <Route path=path!("/deployables/:key") view={Lazy::<Entity>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/deployables/:key/edit") view={Lazy::<Edit>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/new/deployables") view={Lazy::<Edit>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/tenants") view=|| view! { <ListPage kind=Kind::Tenant/> } ssr=SsrMode::Async/>
                    <Route path=path!("/tenants/:key") view={Lazy::<Entity>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/tenants/:key/edit") view={Lazy::<Edit>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/new/tenants") view={Lazy::<Edit>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/configs") view={Lazy::<Configs>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/configs/:deployable/:kind/:name") view={Lazy::<Layer>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/configs/:deployable/default") view={Lazy::<Layer>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/history") view={Lazy::<History>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/publications") view={Lazy::<Publications>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/change-requests") view={Lazy::<Requests>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/change-requests/:id") view={Lazy::<Request>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/approval-policies") view=|| view! { <ListPage kind=Kind::ApprovalPolicy/> } ssr=SsrMode::Async/>
                    <Route path=path!("/approval-policies/:key") view={Lazy::<Entity>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/approval-policies/:key/edit") view={Lazy::<Edit>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/new/approval-policies") view={Lazy::<Edit>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/people") view={Lazy::<People>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/tokens") view={Lazy::<Tokens>::new()} ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    #[test]
    fn a_title_is_escaped_for_the_servers_html() {
        assert_eq!(
            super::title("</title><img src=x onerror=alert(1)>".to_owned()),
            "&lt;/title&gt;&lt;img src=x onerror=alert(1)&gt; · Strata"
        );
        assert_eq!(super::title(String::new()), "Strata");
    }
}
