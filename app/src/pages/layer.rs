//! The config editor: one layer (tier, product or tenant) of one deployable, as a form made
//! from the deployable's schema or as raw JSON. Each value is checked as it is typed; before
//! saving, the impact preview lists the tenants whose resolved config would change, with a
//! diff of each, and what they would break.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use serde_json::Value;
use strata_domain::rules::FieldError;

use crate::changes::SaveOutcome;
use crate::failure::failure;
use crate::layers::{
    LayerImpact, LayerView, PreviewLayer, SHOWN_TENANTS, SaveLayer, check_layer, get_layer,
};
use crate::pages::NotFound;
use crate::pages::code_text::CodeText;
use crate::pages::conflict::ConflictView;
use crate::pages::diff::DiffTable;
use crate::pages::entity::Versions;
use crate::pages::propose::{ProposeForm, titled};
use crate::pages::reason::ReasonForm;
use crate::pages::schema_form::{LayerForm, SchemaFields};
use crate::pages::server_check::server_check;
use crate::requests::{ProposeLayer, RequestOutcome};
use crate::toasts::Toasts;

#[component]
pub fn LayerPage() -> impl IntoView {
    let params = use_params_map();
    let target = Memo::new(move |_| {
        params.with(|p| {
            (
                p.get("deployable").unwrap_or_default(),
                // The default layer's path names no kind: `/configs/web-api/default`.
                p.get("kind").unwrap_or_else(|| "default".to_owned()),
                p.get("name").unwrap_or_default(),
            )
        })
    });
    let layer = Resource::new(move || target.get(), |(d, k, n)| get_layer(d, k, n));
    let reload = Callback::new(move |_: ()| layer.refetch());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the layer…"</p> }>
            <ErrorBoundary fallback=failure("The server could not read this layer. Reload the page; if it persists, check the server's log.")>
                {move || layer.get().map(|result| result.map(|found| match found {
                    Some(view) => view! { <LayerEditor view reload/> }.into_any(),
                    None => view! { <NotFound/> }.into_any(),
                }))}
            </ErrorBoundary>
        </Transition>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Form,
    Raw,
}

#[component]
fn LayerEditor(view: LayerView, reload: Callback<()>) -> impl IntoView {
    let LayerView {
        deployable,
        scope,
        version,
        config,
        schema,
        below,
        entity,
        history,
        rights,
        review,
    } = view;
    let reviewed = !review.is_empty();
    let kind = scope.kind();
    // Where the layer's config is in the entity written.
    let inside = scope.values_pointer();
    let (history_kind, history_key) = entity;
    let stored_version = version;
    let name = scope.name().unwrap_or_default().to_owned();
    let title = format!("{deployable} · {scope}");
    let layer = RwSignal::new(config.clone());
    let version = RwSignal::new(version);
    let generation = RwSignal::new(0u32);
    // The schema's rules for a layer, checked as it is typed, by the server.
    let checked = {
        let deployable = StoredValue::new(deployable.clone());
        server_check(
            move || Some(layer.with(Value::to_string)),
            move |config| check_layer(deployable.get_value(), config),
        )
    };
    let errors = Memo::new(move |_| checked.get());
    let form = LayerForm {
        layer,
        root: StoredValue::new(schema.clone()),
        below: StoredValue::new(below),
        errors,
        generation,
        reveal: rights
            .reveal
            .then(|| StoredValue::new((deployable.clone(), kind.to_owned(), name.clone()))),
        drawn: StoredValue::new(0),
    };
    let tab = RwSignal::new(Tab::Form);
    let raw = RwSignal::new(String::new());
    let raw_error = RwSignal::new(None::<String>);
    let open_raw = move |_| {
        raw.set(layer.with(|l| serde_json::to_string_pretty(l).expect("JSON serializes")));
        raw_error.set(None);
        tab.set(Tab::Raw);
    };
    let open_form = move |_| {
        generation.update(|g| *g += 1);
        tab.set(Tab::Form);
    };

    let preview = ServerAction::<PreviewLayer>::new();
    // The preview shown is for the layer as it stood when it was asked for; any edit since
    // makes it stale, and saving needs a fresh one.
    let previewed = RwSignal::new(None::<Value>);
    let fresh = move || previewed.with(|p| p.as_ref() == Some(&layer.get()));
    let (d, n) = (
        StoredValue::new(deployable.clone()),
        StoredValue::new(name.clone()),
    );
    let ask_preview = move |_| {
        let config = layer.get_untracked();
        previewed.set(Some(config.clone()));
        preview.dispatch(PreviewLayer {
            deployable: d.get_value(),
            kind: kind.to_owned(),
            name: n.get_value(),
            version: version.get_untracked(),
            config: config.to_string(),
        });
    };
    let save = ServerAction::<SaveLayer>::new();
    let reason = RwSignal::new(String::new());
    let answer = RwSignal::new(None::<SaveOutcome>);
    let propose = ServerAction::<ProposeLayer>::new();
    let description = RwSignal::new(String::new());
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| match propose.value().get() {
        Some(Ok(RequestOutcome::Done(path))) => navigate(&path, Default::default()),
        Some(Ok(RequestOutcome::Refused(why))) => answer.set(Some(SaveOutcome::Refused {
            message: why,
            details: Vec::new(),
        })),
        Some(Err(e)) => answer.set(Some(SaveOutcome::Refused {
            message: crate::failure::said(&e),
            details: Vec::new(),
        })),
        None => {}
    });
    let toasts = Toasts::get();
    let scope_text = scope.to_string();
    Effect::new(move |_| {
        let Some(result) = save.value().get() else {
            return;
        };
        match result {
            Ok(SaveOutcome::Saved {
                version: v,
                unchanged,
                ..
            }) => {
                toasts.say(if unchanged {
                    "Nothing to save: the layer is as it was.".to_owned()
                } else {
                    format!("Saved the {scope_text} layer as version {v}.")
                });
                reason.set(String::new());
                previewed.set(None);
                answer.set(None);
                reload.run(());
            }
            Ok(other) => answer.set(Some(other)),
            Err(e) => answer.set(Some(SaveOutcome::Refused {
                message: crate::failure::said(&e),
                details: Vec::new(),
            })),
        }
    });
    let ask_review = Callback::new(move |_: ()| {
        let (title, description) = titled(&reason.get_untracked(), &description.get_untracked());
        propose.dispatch(ProposeLayer {
            deployable: d.get_value(),
            kind: kind.to_owned(),
            name: n.get_value(),
            version: version.get_untracked(),
            config: layer.get_untracked().to_string(),
            title,
            description,
        });
    });
    let confirm = Callback::new(move |_: ()| {
        save.dispatch(SaveLayer {
            deployable: d.get_value(),
            kind: kind.to_owned(),
            name: n.get_value(),
            version: version.get_untracked(),
            config: layer.get_untracked().to_string(),
            reason: reason.get_untracked(),
        });
    });
    // After a conflict, the layer goes on from the stored version `current` with the person's
    // edits merged in; the preview is asked for again.
    let keep_merged = move |current: i64| {
        Callback::new(move |merged: Value| {
            let config = merged.pointer(inside).cloned().unwrap_or_default();
            raw.set(serde_json::to_string_pretty(&config).expect("JSON serializes"));
            layer.set(config);
            version.set(current);
            generation.update(|g| *g += 1);
            answer.set(None);
            previewed.set(None);
            preview.clear();
            toasts.say(format!(
                "Your edits are on top of version {current} now: preview and save to write them."
            ));
        })
    };
    let crumb = deployable.clone();
    let scope_link = match scope.name() {
        Some(name) => format!("/{kind}s/{name}"),
        None => format!("/deployables/{deployable}"),
    };
    view! {
        <Title text=title.clone()/>
        <p class="crumbs"><A href="/configs">"Configs"</A> " / " <A href=format!("/deployables/{deployable}")>{crumb}</A> " / "</p>
        <div class="page-head">
            <h1>"The " <A href=scope_link>{scope.to_string()}</A> " layer of " {deployable}</h1>
            <span class="badge" data-testid="layer-version">
                {move || match version.get() { 0 => "not stored yet".to_owned(), v => format!("version {v}") }}
            </span>
        </div>
        {reviewed.then(|| view! {
            <div class="notice" data-testid="reviewed">
                <p>"Changes to this layer are reviewed before they apply: you propose them, and they apply once approved."</p>
                <ul>{review.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
            </div>
        })}
        <div class="tabs" role="tablist">
            <button type="button" role="tab" class="tab" aria-selected=move || (tab.get() == Tab::Form).to_string() on:click=open_form data-testid="tab-form">"Form"</button>
            <button type="button" role="tab" class="tab" aria-selected=move || (tab.get() == Tab::Raw).to_string() on:click=open_raw data-testid="tab-raw">"Raw JSON"</button>
        </div>
        <div class="entity-form layer-form" data-testid="layer-form">
            // Read-only for those who may not change it: the values show, nothing takes typing.
            <fieldset class="bare" disabled=!rights.edit>
            {move || match tab.get() {
                Tab::Form => {
                    generation.get();
                    view! { <SchemaFields form schema=form.root.get_value() path=Vec::new()/> }.into_any()
                }
                Tab::Raw => view! {
                    <div class="form-field">
                        <label for="layer-raw">"The layer as JSON"</label>
                        <CodeText text=raw.get_untracked() attr:id="layer-raw" attr:rows="16" attr:data-testid="raw"
                            on:input=move |ev| {
                                let text = event_target_value(&ev);
                                match serde_json::from_str::<Value>(&text) {
                                    Ok(value @ Value::Object(_)) => { raw_error.set(None); layer.set(value); }
                                    Ok(_) => raw_error.set(Some("a layer is a JSON object: { … }".to_owned())),
                                    Err(e) => raw_error.set(Some(format!("not JSON: {e}"))),
                                }
                            }/>
                        <p class="help">"Keys set here override the layers below; null removes a key they set."</p>
                        <p class="field-error" role="alert">{move || raw_error.get()}</p>
                        <ul class="field-error">{move || errors.get().into_iter().map(|e: FieldError| view! { <li>{e.field} ": " {e.rule}</li> }).collect_view()}</ul>
                    </div>
                }.into_any(),
            }}
            </fieldset>
            {(!rights.edit).then(|| view! {
                <p class="notice" data-testid="read-only">{read_only_why(kind)}</p>
            })}
            <div class="actions" hidden=!rights.edit>
                <button type="button" class="button primary" data-testid="preview"
                    disabled=move || preview.pending().get() || !errors.with(Vec::is_empty) || raw_error.with(Option::is_some)
                    on:click=ask_preview>
                    {move || if preview.pending().get() { "Working out the impact…" } else { "Preview the impact" }}
                </button>
                {move || (!errors.with(Vec::is_empty)).then(|| view! {
                    <span class="error-text" role="alert">"Correct the values marked above first."</span>
                })}
            </div>
        </div>
        {move || preview.value().get().map(|result| match result {
            Err(e) => view! { <p class="notice error" role="alert">{crate::failure::said(&e)}</p> }.into_any(),
            Ok(LayerImpact { conflict: Some(found), .. }) => {
                let on_keep = keep_merged(found.current);
                view! { <ConflictView found on_reload=reload on_keep inside/> }.into_any()
            }
            Ok(impact) => {
                let can_save = impact.refusal.is_none() && impact.violations_total == 0;
                view! {
                    <Impact impact/>
                    {move || (can_save && fresh() && !reviewed).then(|| view! {
                        <ReasonForm id="layer-reason" question="Why are you making this change?" reason
                            pending=save.pending().into() action="Save the layer" acting="Saving…"
                            test_id="save-layer" on_send=confirm/>
                    })}
                    {move || (can_save && fresh() && reviewed).then(|| view! {
                        <ProposeForm id="layer-proposal" title=reason description
                            pending=propose.pending().into() test_id="propose-layer" on_send=ask_review/>
                    })}
                    {move || (!fresh()).then(|| view! {
                        <p class="notice" data-testid="preview-stale">"The layer changed since this preview: preview it again to save."</p>
                    })}
                }.into_any()
            }
        })}
        {move || answer.get().map(|outcome| match outcome {
            SaveOutcome::Conflict(found) => {
                let on_keep = keep_merged(found.current);
                view! { <ConflictView found on_reload=reload on_keep inside/> }.into_any()
            }
            SaveOutcome::Invalid(errors) => view! {
                <ul class="notice error" role="alert">{errors.into_iter().map(|e| view! { <li>{e.field} ": " {e.rule}</li> }).collect_view()}</ul>
            }.into_any(),
            SaveOutcome::Refused { message, details } => view! {
                <div class="notice error" role="alert"><p>{message}</p><ul>{details.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul></div>
            }.into_any(),
            SaveOutcome::NeedsReview(message) => view! {
                <p class="notice error" role="alert">"Nothing was written: this change is reviewed before it applies. " {message}</p>
            }.into_any(),
            SaveOutcome::Saved { .. } => ().into_any(),
        })}
        {(!history.is_empty()).then(|| view! {
            <Versions kind=history_kind key=history_key version=stored_version history may_roll_back=rights.roll_back changed=reload/>
        })}
    }
}

/// Why someone may read a layer of `kind` and not change it.
fn read_only_why(kind: &str) -> &'static str {
    match kind {
        "product" | "tenant" => {
            "You may read this layer, not change it: that needs the editor role in its organization."
        }
        _ => {
            "You may read this layer, not change it: every organization shares it, so only a domain admin may."
        }
    }
}

/// The impact preview: how many resolved configs change, and how, per tenant; of a change
/// request's writes when `applying` (else of an editor's save).
#[component]
pub(crate) fn Impact(impact: LayerImpact, #[prop(optional)] applying: bool) -> impl IntoView {
    let (doing, what, after) = match applying {
        true => ("Applying", "This request", "After applying"),
        false => ("Saving", "This layer", "After saving"),
    };
    let LayerImpact {
        changed,
        unchanged,
        tenants,
        violations,
        violations_total,
        refusal,
        conflict: _,
    } = impact;
    view! {
        <section class="impact" data-testid="impact">
            <h2>"Impact"</h2>
            {refusal.map(|why| view! { <p class="notice error" role="alert" data-testid="impact-refused">{what} " would be refused: " {why}</p> })}
            <p data-testid="impact-summary">
                {match changed { 1 => "1 tenant's resolved config changes".to_owned(), n => format!("{n} tenants' resolved configs change") }}
                {match unchanged { 0 => ".".to_owned(), n => format!("; {n} stay as they are.") }}
                {(changed > SHOWN_TENANTS).then(|| format!(" The first {SHOWN_TENANTS} are shown."))}
            </p>
            {(violations_total > 0).then(|| view! {
                <div class="notice error" role="alert" data-testid="impact-violations">
                    <p>{format!("{doing} would be refused: the change breaks {violations_total} rule(s) of resolved configs.")}</p>
                    <ul>{violations.into_iter().map(|v| view! { <li>{v}</li> }).collect_view()}</ul>
                </div>
            })}
            {tenants.into_iter().map(|t| view! {
                <details class="tenant-impact" open=true>
                    // The link inside, not in the summary: a control inside another is one
                    // no keyboard or screen reader can tell apart.
                    <summary>{t.tenant.clone()} " on " {t.tier.clone()}</summary>
                    <p class="entity-link"><A href=format!("/tenants/{}", t.tenant)>"Open tenant " {t.tenant.clone()}</A></p>
                    <DiffTable rows=t.rows before="Now" after=after/>
                </details>
            }).collect_view()}
        </section>
    }
}
