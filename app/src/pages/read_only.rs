//! What someone sees at a form they may not use: that they may not change this, and why
//! (answered 403 when the page is rendered on the server), rather than a form refused only on
//! save.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use strata_domain::kind::{Kind, OwnedBy};

use crate::lists::Shown;

/// "a tier", "an organization".
fn a(what: &str) -> String {
    match what.starts_with(['a', 'e', 'i', 'o', 'u']) {
        true => format!("an {what}"),
        false => format!("a {what}"),
    }
}

/// Why someone may not create (`key` `None`) or change an entity of `kind`.
fn why_not(kind: Kind, key: Option<&str>) -> String {
    let what = kind.name();
    match (kind.owned_by(), key) {
        (OwnedBy::Member { .. } | OwnedBy::Scope, None) => {
            format!(
                "creating {} needs the editor role in an organization",
                a(what)
            )
        }
        (OwnedBy::Domain | OwnedBy::Itself, None) => {
            format!(
                "only a domain admin may create {}: every organization shares it",
                a(what)
            )
        }
        (OwnedBy::Itself, Some(key)) => {
            format!("you may read {what} {key}; changing it needs its admin role")
        }
        (OwnedBy::Domain, Some(key)) => format!(
            "you may read {what} {key}; only a domain admin may change it: every organization shares it"
        ),
        (OwnedBy::Member { .. } | OwnedBy::Scope, Some(key)) => {
            format!(
                "you may read {what} {key}; changing it needs the editor role in its organization"
            )
        }
    }
}

/// The page shown instead of a form the signed-in person may not use.
#[component]
pub fn MayNotChange(kind: Kind, key: Option<String>) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::FORBIDDEN);
    }
    let why = why_not(kind, key.as_deref());
    let back = match &key {
        Some(key) => format!("/{}/{key}", kind.section()),
        None => format!("/{}", kind.section()),
    };
    let title = match &key {
        Some(key) => format!("Edit {key}"),
        None => format!("New {}", kind.name()),
    };
    view! {
        <Title text=title.clone()/>
        <p class="crumbs"><A href=format!("/{}", kind.section())>{kind.heading()}</A> " / "</p>
        <div class="page-head"><h1>{title}</h1></div>
        <div class="notice" role="status" data-testid="may-not-change">
            <p>"You may not change this: " {why} "."</p>
            <p><A href=back>{if key.is_some() { "See it as it is" } else { "Back to the list" }}</A></p>
        </div>
    }
}
