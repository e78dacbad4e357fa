//! A tenant's resolved configs on its page: a table per deployable of its product, each value
//! with the layer it came from, linked to that layer.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::failure::failure;
use strata_domain::layer::Layer;

use crate::resolved::{layer_href, tenant_configs};

#[component]
pub fn TenantConfigs(tenant: String) -> impl IntoView {
    let configs = Resource::new(move || tenant.clone(), tenant_configs);
    view! {
        <h2>"Resolved configs"</h2>
        <p class="help">"What the tenant runs with: default ← tier ← product ← tenant. Each value names the layer it came from."</p>
        <Transition fallback=|| view! { <p class="muted">"Resolving…"</p> }>
            <ErrorBoundary fallback=failure("The server could not resolve this tenant's configs.")>
                {move || configs.get().map(|result| result.map(|configs| {
                    if configs.is_empty() {
                        return view! { <p class="empty">"The tenant's product has no deployables yet."</p> }.into_any();
                    }
                    configs.into_iter().map(|config| {
                        let deployable = config.deployable.clone();
                        let test_id = format!("resolved-{deployable}");
                        let href = format!("/deployables/{deployable}");
                        let label = deployable.clone();
                        view! {
                            <section class="resolved" data-testid=test_id>
                                <h3><A href=href>{label}</A></h3>
                                <p class="overrides" data-testid="overrides">
                                    {config.overrides.iter().enumerate().map(|(i, layer)| {
                                        let text = match layer {
                                            Layer::Tenant(_) => "Override for this tenant".to_owned(),
                                            other => format!("for its {} {}", other.kind(), other.name().unwrap_or_default()),
                                        };
                                        view! {
                                            {(i > 0).then_some(" · ")}
                                            <A href=layer_href(&deployable, layer)>{text}</A>
                                        }
                                    }).collect_view()}
                                </p>
                                {(!config.violations.is_empty()).then(|| view! {
                                    <ul class="notice error" role="alert">
                                        {config.violations.iter().map(|v| view! { <li>{v.field.clone()} ": " {v.rule.clone()}</li> }).collect_view()}
                                    </ul>
                                })}
                                <div class="table-frame"><table class="table provenance">
                                    <thead><tr><th>"Key"</th><th>"Value"</th><th>"From"</th></tr></thead>
                                    <tbody>
                                        {config.rows.into_iter().map(|row| {
                                            let href = layer_href(&deployable, &row.layer);
                                            let class = format!("layer {}", row.layer.kind());
                                            view! {
                                                <tr>
                                                    <td><code>{row.path}</code></td>
                                                    <td><code>{row.value}</code></td>
                                                    <td><A href=href attr:class=class>{row.layer.to_string()}</A></td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table></div>
                            </section>
                        }
                    }).collect_view().into_any()
                }))}
            </ErrorBoundary>
        </Transition>
    }
}
