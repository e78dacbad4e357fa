//! Strata's admin console. Pages and components render on the server first and hydrate in the
//! browser; server functions are the console's only way to the store.

pub mod layout;
pub mod overview;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

use crate::layout::Layout;
use crate::pages::{HomePage, NotFound, SectionPage};

/// The HTML document around the console, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
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

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="strata" href="/pkg/strata.css"/>
        <Title formatter=|page: String| if page.is_empty() { "Strata".to_owned() } else { format!("{page} · Strata") }/>
        <Router>
            <Layout>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=HomePage/>
                    <Route path=path!("/tiers") view=|| view! { <SectionPage section="tiers"/> }/>
                    <Route path=path!("/organizations") view=|| view! { <SectionPage section="organizations"/> }/>
                    <Route path=path!("/products") view=|| view! { <SectionPage section="products"/> }/>
                    <Route path=path!("/deployables") view=|| view! { <SectionPage section="deployables"/> }/>
                    <Route path=path!("/tenants") view=|| view! { <SectionPage section="tenants"/> }/>
                    <Route path=path!("/configs") view=|| view! { <SectionPage section="configs"/> }/>
                    <Route path=path!("/history") view=|| view! { <SectionPage section="history"/> }/>
                    <Route path=path!("/publications") view=|| view! { <SectionPage section="publications"/> }/>
                </Routes>
            </Layout>
        </Router>
    }
}
