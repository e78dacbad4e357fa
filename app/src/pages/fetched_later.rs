//! Pages whose code the browser fetches only when one of them is first opened. The lists of
//! entities, signing in and the frame around every page are in the module every visit loads;
//! the other pages are routes whose views are in a second module (Leptos lazy routes, cut out
//! by `scripts/build`), so a first visit to `/tenants` does not download the editors, history
//! or publications. The server names that module in a page that needs it, so the browser
//! fetches both at once. On the server they render as any other page.

use leptos::prelude::*;
use leptos_router::LazyRoute;
use leptos_router::hooks::use_location;
use strata_domain::kind::Kind;

use crate::pages::{
    AuditPage, ConfigsPage, EditPage, EntityPage, HomePage, LayerPage, MembersPage, NotFound,
    PublicationsPage, RequestPage, RequestsPage, SetupPage, TokensPage, UsersPage,
};

/// The kind an entity page's address names, and whether it is the page that creates one:
/// `/tenants/acme`, `/tenants/acme/edit`, `/new/tenants`.
fn addressed_kind() -> (Option<Kind>, bool) {
    let path = use_location().pathname.get_untracked();
    let mut segments = path.trim_start_matches('/').split('/');
    match segments.next() {
        Some("new") => (segments.next().and_then(Kind::from_path), true),
        Some(first) => (Kind::from_path(first), false),
        None => (None, false),
    }
}

/// A page fetched later, as its route names it.
pub enum Page {
    Home,
    Setup,
    Entity(Kind),
    Edit { kind: Kind, creating: bool },
    Members,
    Configs,
    Layer,
    History,
    Publications,
    Requests,
    Request,
    People,
    Tokens,
    NotFound,
}

/// The module of later pages could not be fetched (the network, or a build replaced meanwhile).
pub struct NotLoaded;

#[cfg(feature = "hydrate")]
impl From<leptos::wasm_split::SplitLoaderError> for NotLoaded {
    fn from(_: leptos::wasm_split::SplitLoaderError) -> Self {
        NotLoaded
    }
}

/// Every page fetched later is in one module, the module every visit loads holds the rest:
/// one split point, where a split per page made the splitter cut the code they share into
/// some 200 small modules, a hundred of them fetched for a single page. In the browser, calling
/// it fetches the module first (once), and says so when that fails instead of stopping the
/// console; on the server it is a plain function.
#[cfg_attr(
    feature = "hydrate",
    leptos::wasm_split::wasm_split(
        later_pages,
        wasm_split_path = ::leptos::wasm_split,
        fallible,
        preload(preload_later_pages)
    )
)]
fn page(page: Page) -> Result<AnyView, NotLoaded> {
    Ok(match page {
        Page::Home => view! { <HomePage/> }.into_any(),
        Page::Setup => view! { <SetupPage/> }.into_any(),
        Page::Entity(kind) => view! { <EntityPage kind/> }.into_any(),
        Page::Edit { kind, creating } => view! { <EditPage kind creating/> }.into_any(),
        Page::Members => view! { <MembersPage/> }.into_any(),
        Page::Configs => view! { <ConfigsPage/> }.into_any(),
        Page::Layer => view! { <LayerPage/> }.into_any(),
        Page::History => view! { <AuditPage/> }.into_any(),
        Page::Publications => view! { <PublicationsPage/> }.into_any(),
        Page::Requests => view! { <RequestsPage/> }.into_any(),
        Page::Request => view! { <RequestPage/> }.into_any(),
        Page::People => view! { <UsersPage/> }.into_any(),
        Page::Tokens => view! { <TokensPage/> }.into_any(),
        Page::NotFound => view! { <NotFound/> }.into_any(),
    })
}

/// The view of a page fetched later: on the server, the page, with its module named in the
/// head; in the browser, the page once its module is there.
async fn later(chosen: Page) -> AnyView {
    #[cfg(not(feature = "hydrate"))]
    let loaded = {
        #[cfg(feature = "ssr")]
        preload_later_module();
        page(chosen)
    };
    #[cfg(feature = "hydrate")]
    let loaded = page(chosen).await;
    loaded.unwrap_or_else(|NotLoaded| from_the_server())
}

/// When the module of later pages cannot be fetched on the way from one page to another, the
/// page is opened from the server instead: a whole page load, which fetches the module again
/// (from a newer build, if that is why). On the page being woken up the page is the same one,
/// so it stays as the server sent it, its links working as plain links, rather than loading
/// itself again and again.
fn from_the_server() -> AnyView {
    #[cfg(feature = "hydrate")]
    {
        let location = use_location();
        let mut target = location.pathname.get_untracked();
        for (mark, part) in [
            ('?', location.search.get_untracked()),
            ('#', location.hash.get_untracked()),
        ] {
            let part = part.trim_start_matches(mark);
            if !part.is_empty() {
                target.push(mark);
                target.push_str(part);
            }
        }
        let here = window().location();
        let shown = format!(
            "{}{}{}",
            here.pathname().unwrap_or_default(),
            here.search().unwrap_or_default(),
            here.hash().unwrap_or_default()
        );
        // Replace, not assign: by the time the page loads, the router has already put the
        // address into the history, and Back should lead to the page before, not to this one.
        if target != shown {
            let _ = here.replace(&target);
        }
    }
    view! { <p class="muted" role="status">"Opening this page from the server…"</p> }.into_any()
}

/// Fetches the module of later pages as soon as someone reaches for a link to another page (the
/// pointer over it, or the keyboard's focus on it), so the click that follows does not wait
/// for it. Once per visit; a link to the page shown (the list's own pager and sorting) does not
/// count, and nothing is fetched for a visit that never reaches for another page.
#[cfg(feature = "hydrate")]
pub fn fetch_on_intent() {
    use std::sync::{Arc, Mutex};

    use leptos::ev;
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::Element;

    let handles = Arc::new(Mutex::new(Vec::new()));
    let reached = {
        let handles = Arc::clone(&handles);
        move |target: Option<leptos::web_sys::EventTarget>| {
            let href = target
                .and_then(|t| t.dyn_into::<Element>().ok())
                .and_then(|element| element.closest("a[href]").ok().flatten())
                .and_then(|link| link.get_attribute("href"));
            let Some(href) = href else { return };
            let path = href.split(['?', '#']).next().unwrap_or_default();
            let here = window().location().pathname().unwrap_or_default();
            if !path.starts_with('/') || path == here {
                return;
            }
            for handle in handles
                .lock()
                .map(|mut h| std::mem::take(&mut *h))
                .unwrap_or_default()
            {
                leptos::prelude::WindowListenerHandle::remove(handle);
            }
            leptos::task::spawn_local(async {
                // A failure shows when the page is opened.
                let _ = preload_later_pages().await;
            });
        }
    };
    let over = window_event_listener(ev::pointerover, {
        let reached = reached.clone();
        move |event| reached(event.target())
    });
    let focus = window_event_listener(ev::focusin, move |event| reached(event.target()));
    if let Ok(mut held) = handles.lock() {
        held.extend([over, focus]);
    }
}

/// Names the module of later pages in the head of a page that needs it, so the browser fetches
/// it beside the main module rather than after it. (Leptos 0.8 means to, from a split manifest
/// beside the files; with one written there, it named nothing, so the console does it.)
#[cfg(feature = "ssr")]
fn preload_later_module() {
    use leptos_meta::Link;
    let Some(options) = use_context::<LeptosOptions>() else {
        return;
    };
    let Some(module) = crate::built_file(&options, "later") else {
        return;
    };
    let href = format!("/{}/{module}.wasm", options.site_pkg_dir);
    // Rendering a head element registers it with the page's head; nothing goes into the body.
    let _ = view! {
        <Link rel="preload" href as_="fetch" type_="application/wasm" crossorigin="anonymous"/>
    }
    .to_html();
}

/// Declares the routes fetched later: each knows its page when the router chooses it.
macro_rules! fetched_later {
    ($($(#[$doc:meta])* $route:ident => $page:expr;)*) => {$(
        $(#[$doc])*
        pub struct $route(Page);

        impl LazyRoute for $route {
            fn data() -> Self {
                $route($page)
            }

            async fn view(this: Self) -> AnyView {
                later(this.0).await
            }

            async fn preload() {
                // A failure shows when the page is opened.
                #[cfg(feature = "hydrate")]
                let _ = preload_later_pages().await;
            }
        }
    )*};
}

fetched_later! {
    /// `/`: what needs attention.
    Home => Page::Home;
    /// `/setup`: the first administrator.
    Setup => Page::Setup;
    /// `/{kind}/:key`: one entity.
    Entity => match addressed_kind() {
        (Some(kind), _) => Page::Entity(kind),
        (None, _) => Page::NotFound,
    };
    /// `/{kind}/:key/edit` and `/new/{kind}`: the form that edits or creates an entity.
    Edit => match addressed_kind() {
        (Some(kind), creating) => Page::Edit { kind, creating },
        (None, _) => Page::NotFound,
    };
    /// `/organizations/:key/members`.
    Members => Page::Members;
    /// `/configs`: layers by deployable.
    Configs => Page::Configs;
    /// `/configs/…`: one layer's editor.
    Layer => Page::Layer;
    /// `/history`.
    History => Page::History;
    /// `/publications`.
    Publications => Page::Publications;
    /// `/change-requests`: the lists.
    Requests => Page::Requests;
    /// `/change-requests/:id`: one request's review.
    Request => Page::Request;
    /// `/people`.
    People => Page::People;
    /// `/tokens`.
    Tokens => Page::Tokens;
}
