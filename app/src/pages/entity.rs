//! An entity's page: its fields as stored now and its history, newest first. (Editing comes
//! with the editors; this page is where they will live.)

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::entities::{EntityDetail, get_entity};
use crate::failure::failure;
use crate::lists::EntityKind;
use crate::pages::NotFound;

#[component]
pub fn EntityPage(kind: EntityKind) -> impl IntoView {
    let params = use_params_map();
    let key = Memo::new(move |_| params.read().get("key").unwrap_or_default());
    let detail = Resource::new(move || key.get(), move |key| get_entity(kind, key));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <ErrorBoundary fallback=failure("The server could not read this entity. Reload the page; if it persists, check the server's log.")>
                {move || detail.get().map(|result| result.map(|found| match found {
                    Some(detail) => view! { <Detail kind detail/> }.into_any(),
                    None => view! { <NotFound/> }.into_any(),
                }))}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn Detail(kind: EntityKind, detail: EntityDetail) -> impl IntoView {
    let EntityDetail {
        key,
        fields,
        version,
        history,
    } = detail;
    let fields = match fields {
        Some(fields) => view! {
            <dl class="fields" data-testid="fields">
                {fields.into_iter().map(|f| view! {
                    <dt>{f.name.replace('_', " ")}</dt>
                    <dd>{if f.is_json {
                        view! { <pre class="json">{f.value}</pre> }.into_any()
                    } else {
                        view! { <span>{f.value}</span> }.into_any()
                    }}</dd>
                }).collect_view()}
            </dl>
        }
        .into_any(),
        None => view! { <p class="notice">"This entity was deleted. Its history remains."</p> }
            .into_any(),
    };
    view! {
        <Title text=key.clone()/>
        <p class="crumbs"><A href=format!("/{}", kind.section())>{kind.title()}</A> " / "</p>
        <div class="page-head">
            <h1>{key}</h1>
            {(version > 0).then(|| view! { <span class="badge">"version " {version}</span> })}
        </div>
        {fields}
        <h2>"History"</h2>
        <table class="table" data-testid="history">
            <thead>
                <tr><th>"Version"</th><th>"Revision"</th><th>"Change"</th><th>"By"</th><th>"At"</th><th>"Why"</th></tr>
            </thead>
            <tbody>
                {history.into_iter().map(|h| view! {
                    <tr>
                        <td>{h.version}</td><td>{h.revision}</td><td>{h.operation}</td>
                        <td>{h.actor}</td><td><time>{h.at}</time></td><td>{h.reason}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
