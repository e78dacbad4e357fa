//! Configs: every stored layer (tier, product or tenant) of every deployable, each linked to
//! its editor, and a way to open the editor of a layer that does not exist yet.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::failure::failure;
use crate::layers::list_layers;
use crate::resolved::layer_href;

#[component]
pub fn ConfigsPage() -> impl IntoView {
    let layers = Resource::new(|| (), |_| list_layers());
    let deployable = RwSignal::new(String::new());
    let kind = RwSignal::new("tier".to_owned());
    let name = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let navigate = use_navigate();
    let open = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (d, k, n) = (deployable.get(), kind.get(), name.get());
        if d.trim().is_empty() {
            problem.set(Some("Name the deployable.".to_owned()));
            return;
        }
        match strata_domain::layer::Layer::parse(&k, n.trim()).map_err(|e| e.rule) {
            Ok(scope) => navigate(&layer_href(d.trim(), &scope), Default::default()),
            Err(rule) => problem.set(Some(rule)),
        }
    };
    view! {
        <Title text="Configs"/>
        <div class="page-head"><h1>"Configs"</h1></div>
        <p class="help">"A deployable's config is its default, then the layer of the tenant's tier, of its product, and of the tenant itself. Each layer sets only what differs."</p>
        <form class="audit-filter" on:submit=open data-testid="open-layer">
            <label>"Deployable"<input type="text" required prop:value=move || deployable.get() on:input=move |ev| deployable.set(event_target_value(&ev))/></label>
            <label>"Layer"
                <select on:change=move |ev| kind.set(event_target_value(&ev))>
                    <option value="default">"default"</option>
                    <option value="tier" selected>"tier"</option>
                    <option value="product">"product"</option>
                    <option value="tenant">"tenant"</option>
                </select>
            </label>
            <label>"Of (tier, product or tenant name; none for default)"<input type="text" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
            <button type="submit" class="button">"Open the editor"</button>
            {move || problem.get().map(|p| view! { <span class="error-text" role="alert">{p}</span> })}
        </form>
        <Transition fallback=|| view! { <p class="muted">"Loading the layers…"</p> }>
            <ErrorBoundary fallback=failure("The server could not list the config layers.")>
                {move || layers.get().map(|result| result.map(|rows| if rows.is_empty() {
                    view! { <p class="empty">"No layer is stored yet: every config is its deployable's default."</p> }.into_any()
                } else {
                    view! {
                        <div class="table-frame"><table class="table" data-testid="layers">
                            <thead><tr><th>"Deployable"</th><th>"Layer"</th><th>"Keys set"</th><th>"Version"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|row| view! {
                                    <tr>
                                        <td>{row.deployable.clone()}</td>
                                        <td><A href=layer_href(&row.deployable, &row.scope)>{row.scope.to_string()}</A></td>
                                        <td>{row.keys}</td>
                                        <td>{row.version}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any()
                }))}
            </ErrorBoundary>
        </Transition>
    }
}
