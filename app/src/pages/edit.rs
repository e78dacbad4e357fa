//! The edit form of an entity, and the form that creates one. Each field is checked as it is
//! typed with the domain's rules; saving asks why, sends the version the form was loaded at,
//! and shows the server's answer: errors next to their fields, a refusal with its list, or a
//! conflict with what changed meanwhile and the choice to reload or to keep one's edits.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde_json::{Map, Value};
use strata_domain::rules::FieldError;
use strata_domain::tenant::TenantState;

use crate::changes::{Conflict, SaveEntity, SaveOutcome, check_entity};
use crate::entities::{form_options, get_entity};
use crate::failure::failure;
use crate::forms::{
    Form, FormField, Input, check_draft, checked_on_server, parse_json_field, tenant_states,
};
use crate::lists::Shown;
use crate::overview::SharedOverview;
use crate::pages::NotFound;
use crate::pages::code_text::CodeText;
use crate::pages::conflict::ConflictView;
use crate::pages::propose::{ProposeForm, titled};
use crate::pages::read_only::MayNotChange;
use crate::pages::reason::ReasonForm;
use crate::pages::server_check::server_check;
use crate::requests::{EntityReviewNeeded, ProposeEntity, RequestOutcome};
use crate::toasts::Toasts;
use strata_domain::kind::Kind;

/// What the form starts from: the stored entity and its version, or a blank one, and whether
/// the signed-in person may save it.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
struct Start {
    values: Map<String, Value>,
    version: i64,
    may_save: bool,
}

#[component]
pub fn EditPage(kind: Kind, creating: bool) -> impl IntoView {
    let params = use_params_map();
    let key = Memo::new(move |_| params.read().get("key").unwrap_or_default());
    let loaded = Resource::new(
        move || key.get(),
        move |key| async move {
            if creating {
                return Ok(Some(Start {
                    values: kind.blank(),
                    version: 0,
                    // Known from the overview's grants, below.
                    may_save: true,
                }));
            }
            Ok(get_entity(kind, key).await?.and_then(|detail| {
                Some(Start {
                    values: detail.document?.as_object()?.clone(),
                    version: detail.version,
                    may_save: detail.rights.edit,
                })
            }))
        },
    );
    let options = Resource::new(|| (), move |_| form_options(kind));
    let overview = expect_context::<SharedOverview>();
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the form…"</p> }>
            <ErrorBoundary fallback=failure("The server could not load this form. Reload the page; if it persists, check the server's log.")>
                {move || {
                    // Who may create is read from the overview (first, so that the page waits
                    // for it); an edit form is never drawn again when the overview is read
                    // anew, which would drop what was typed.
                    let seen = match creating {
                        true => Some(overview.0.get()?),
                        false => None,
                    };
                    let (loaded, options) = (loaded.get()?, options.get()?);
                    // Whom the form is for: the store refuses the rest anyway, but a person
                    // who may not save is told so instead of being given a form.
                    let may_create = match seen {
                        None => true,
                        Some(Ok(overview)) => overview.person.is_some_and(|p| kind.may_create(&p.grants)),
                        // The overview failed: the page says so, rather than "you may not".
                        Some(Err(e)) => return Some(Err(e)),
                    };
                    Some(loaded.and_then(|start| options.map(|options| match start {
                        Some(start) if start.may_save && may_create => view! { <EntityForm kind creating start options/> }.into_any(),
                        Some(_) => view! { <MayNotChange kind key=(!creating).then(|| key.get_untracked())/> }.into_any(),
                        None => view! { <NotFound/> }.into_any(),
                    })))
                }}
            </ErrorBoundary>
        </Transition>
    }
}

/// The form's state: what is typed, the version it edits, and the server's last answer.
#[derive(Clone, Copy)]
struct FormState {
    kind: Kind,
    values: RwSignal<Map<String, Value>>,
    /// JSON fields as typed, parsed when the draft is built.
    texts: RwSignal<BTreeMap<&'static str, String>>,
    version: RwSignal<i64>,
    /// Fields changed since the form loaded: their errors show at once; the others' once a
    /// save is attempted.
    touched: RwSignal<Vec<&'static str>>,
    attempted: RwSignal<bool>,
    server_errors: RwSignal<Vec<FieldError>>,
    /// Bumped to draw the inputs again from the values (after a reload).
    generation: RwSignal<u32>,
}

impl FormState {
    fn new(kind: Kind, start: &Start) -> FormState {
        let state = FormState {
            kind,
            values: RwSignal::new(Map::new()),
            texts: RwSignal::new(BTreeMap::new()),
            version: RwSignal::new(start.version),
            touched: RwSignal::new(Vec::new()),
            attempted: RwSignal::new(false),
            server_errors: RwSignal::new(Vec::new()),
            generation: RwSignal::new(0),
        };
        state.load(&start.values, start.version);
        state
    }

    /// Puts `values` (at `version`) into the form, replacing whatever was typed.
    fn load(&self, values: &Map<String, Value>, version: i64) {
        let texts = self
            .kind
            .form()
            .iter()
            .filter(|f| f.input == Input::Json)
            .map(|f| {
                let value = values.get(f.name).cloned().unwrap_or(Value::Null);
                (
                    f.name,
                    serde_json::to_string_pretty(&value).expect("JSON serializes"),
                )
            })
            .collect();
        self.values.set(values.clone());
        self.texts.set(texts);
        self.version.set(version);
        self.touched.set(Vec::new());
        self.server_errors.set(Vec::new());
        self.generation.update(|g| *g += 1);
    }

    fn set(&self, field: &'static str, value: Value) {
        self.values.update(|values| {
            values.insert(field.to_owned(), value);
        });
        self.changed(field);
    }

    fn set_text(&self, field: &'static str, text: String) {
        self.texts.update(|texts| {
            texts.insert(field, text);
        });
        self.changed(field);
    }

    fn changed(&self, field: &'static str) {
        self.touched.update(|touched| {
            if !touched.contains(&field) {
                touched.push(field);
            }
        });
        // The server's answer was about what was sent; the field has moved on.
        self.server_errors.update(|errors| {
            errors.retain(|e| {
                !self
                    .kind
                    .form()
                    .iter()
                    .any(|f| f.name == field && f.owns(&e.field))
            })
        });
    }

    /// The entity the form holds now and every rule it breaks, checked in the browser.
    fn draft(&self) -> (Value, Vec<FieldError>) {
        let mut values = self.values.get();
        let mut unreadable = Vec::new();
        self.texts.with(|texts| {
            for field in self.kind.form().iter().filter(|f| f.input == Input::Json) {
                let text = texts.get(field.name).map(String::as_str).unwrap_or("");
                match parse_json_field(field, text) {
                    Ok(value) => {
                        values.insert(field.name.to_owned(), value);
                    }
                    Err(e) => unreadable.push(e),
                }
            }
        });
        let draft = Value::Object(values);
        let mut errors = unreadable;
        if errors.is_empty() {
            errors = check_draft(self.kind, &draft);
        }
        (draft, errors)
    }

    /// The error to show at `field`: the browser's check once the field was touched (or a
    /// save attempted), else what the server said about it.
    fn error_at(&self, field: &FormField, errors: &[FieldError]) -> Option<String> {
        let show = self.attempted.get() || self.touched.with(|t| t.contains(&field.name));
        let local = errors
            .iter()
            .find(|e| field.owns(&e.field))
            .filter(|_| show);
        let server = self.server_errors.with(|errors| {
            errors
                .iter()
                .find(|e| field.owns(&e.field))
                .map(|e| describe(field, e))
        });
        local.map(|e| describe(field, e)).or(server)
    }
}

/// An error as shown under its field: the rule, and where inside a JSON field it applies.
fn describe(field: &FormField, error: &FieldError) -> String {
    match error.field.strip_prefix(&field.pointer()) {
        Some(inside) if !inside.is_empty() => format!("at {inside}: {}", error.rule),
        _ => error.rule.clone(),
    }
}

#[component]
fn EntityForm(
    kind: Kind,
    creating: bool,
    start: Start,
    options: Vec<(Kind, Vec<String>)>,
) -> impl IntoView {
    let form = FormState::new(kind, &start);
    let original_key = start
        .values
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let stored_state = (!creating)
        .then(|| {
            start
                .values
                .get("state")
                .and_then(Value::as_str)
                .and_then(TenantState::parse)
        })
        .flatten();
    let checked = Memo::new(move |_| form.draft());
    let remote = match checked_on_server(kind) {
        true => server_check(
            move || checked.with(|(draft, local)| local.is_empty().then(|| draft.to_string())),
            move |document| check_entity(kind, document),
        ),
        false => RwSignal::new(Vec::new()),
    };
    let errors = Signal::derive(move || {
        let mut errors = checked.with(|(_, errors)| errors.clone());
        errors.extend(remote.get());
        errors
    });
    let asking = RwSignal::new(false);
    let reason = RwSignal::new(String::new());
    let conflict = RwSignal::new(None::<Conflict>);
    let refused = RwSignal::new(None::<(String, Vec<String>)>);
    let save = ServerAction::<SaveEntity>::new();
    // Whether an approval policy covers the change, and which: asked when the person saves,
    // the form then offers "Propose" instead of "Save" (and the save, were a policy to appear
    // meanwhile, is refused and says so).
    let review = RwSignal::new(None::<String>);
    let check_review = ServerAction::<EntityReviewNeeded>::new();
    let propose = ServerAction::<ProposeEntity>::new();
    let description = RwSignal::new(String::new());
    // The draft the answer is about: an edit after it closes the question (Save asks again).
    let asked = StoredValue::new(None::<String>);
    Effect::new(move |_| {
        let draft = checked.with(|(draft, _)| draft.to_string());
        if asked.with_value(|asked| asked.as_ref().is_some_and(|a| *a != draft)) {
            asked.set_value(None);
            review.set(None);
            asking.set(false);
        }
    });
    Effect::new(move |_| match check_review.value().get() {
        Some(Ok(answer)) => {
            review.set(answer.needs);
            asking.set(true);
        }
        // Who may not make the change, or a server that cannot tell, is told so at once.
        Some(Err(e)) => refused.set(Some((crate::failure::said(&e), Vec::new()))),
        None => {}
    });
    let navigate = use_navigate();
    Effect::new({
        let navigate = navigate.clone();
        move |_| match propose.value().get() {
            Some(Ok(RequestOutcome::Done(path))) => navigate(&path, Default::default()),
            Some(Ok(RequestOutcome::Refused(why))) => refused.set(Some((why, Vec::new()))),
            Some(Err(e)) => refused.set(Some((crate::failure::said(&e), Vec::new()))),
            None => {}
        }
    });
    let toasts = Toasts::get();

    Effect::new(move |_| {
        let Some(answer) = save.value().get() else {
            return;
        };
        asking.set(false);
        match answer {
            Ok(SaveOutcome::Saved {
                key,
                version,
                unchanged,
            }) => {
                toasts.say(if unchanged {
                    format!("Nothing to save: {} {key} is as it was.", kind.name())
                } else if creating {
                    format!("Created {} {key}.", kind.name())
                } else {
                    format!("Saved {} {key} as version {version}.", kind.name())
                });
                reason.set(String::new());
                navigate(&format!("/{}/{key}", kind.section()), Default::default());
            }
            Ok(SaveOutcome::Invalid(errors)) => form.server_errors.set(errors),
            Ok(SaveOutcome::Conflict(found)) => conflict.set(Some(found)),
            Ok(SaveOutcome::Refused { message, details }) => refused.set(Some((message, details))),
            Ok(SaveOutcome::NeedsReview(message)) => {
                review.set(Some(message));
                asking.set(true);
            }
            Err(e) => refused.set(Some((crate::failure::said(&e), Vec::new()))),
        }
    });
    let ask_review = Callback::new(move |_: ()| {
        let document = checked.with(|(draft, _)| draft.to_string());
        // A reason typed for a save that turned out to need review may be longer than a title.
        let (title, description) = titled(&reason.get_untracked(), &description.get_untracked());
        propose.dispatch(ProposeEntity {
            kind,
            creating,
            version: form.version.get_untracked(),
            document,
            title,
            description,
        });
    });

    let ask_reason = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        form.attempted.set(true);
        refused.set(None);
        if errors.with(Vec::is_empty) {
            let document = checked.with(|(draft, _)| draft.to_string());
            asked.set_value(Some(document.clone()));
            check_review.dispatch(EntityReviewNeeded {
                kind,
                creating,
                version: form.version.get_untracked(),
                document,
            });
        }
    };
    let send = Callback::new(move |_: ()| {
        let document = checked.with(|(draft, _)| draft.to_string());
        save.dispatch(SaveEntity {
            kind,
            creating,
            version: form.version.get_untracked(),
            document,
            reason: reason.get_untracked(),
        });
    });
    // Errors the server gave for no field of the form (the whole document).
    let general = move || {
        form.server_errors.with(|errors| {
            errors
                .iter()
                .filter(|e| !kind.form().iter().any(|f| f.owns(&e.field)))
                .map(|e| e.rule.clone())
                .collect::<Vec<_>>()
        })
    };
    let title = if creating {
        format!("New {}", kind.name())
    } else {
        format!("Edit {original_key}")
    };
    let back = if creating {
        format!("/{}", kind.section())
    } else {
        format!("/{}/{original_key}", kind.section())
    };
    let options = StoredValue::new(options);
    view! {
        <Title text=title.clone()/>
        <p class="crumbs"><A href=format!("/{}", kind.section())>{kind.heading()}</A> " / "</p>
        <div class="page-head">
            <h1>{title}</h1>
            {(!creating).then(|| view! {
                <span class="badge" data-testid="editing-version">"editing version " {move || form.version.get()}</span>
            })}
        </div>
        <form class="entity-form" novalidate on:submit=ask_reason data-testid="entity-form">
            {move || {
                form.generation.get();
                kind.form().iter().map(|field| {
                    let fixed = !creating && field.name == "name";
                    let choices = match field.input {
                        Input::Reference(k) | Input::References(k) | Input::OptionalReference(k) => options
                            .with_value(|o| o.iter().find(|(kind, _)| *kind == k).map(|(_, keys)| keys.clone()))
                            .unwrap_or_default(),
                        _ => Vec::new(),
                    };
                    view! { <FieldInput form field fixed choices stored_state errors/> }
                }).collect_view()
            }}
            {move || general().into_iter().map(|rule| view! {
                <p class="notice error" role="alert">{rule}</p>
            }).collect_view()}
            {move || refused.get().map(|(message, details)| view! {
                <div class="notice error" role="alert" data-testid="refused">
                    <p>{message}</p>
                    <ul>{details.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
                </div>
            })}
            <div class="actions">
                <button type="submit" class="button primary" data-testid="save"
                    disabled=move || asking.get() || check_review.pending().get()>
                    {move || match (check_review.pending().get(), review.with(Option::is_some)) {
                        (true, _) => "Checking…",
                        (false, true) => "Propose…",
                        (false, false) if creating => "Create…",
                        (false, false) => "Save…",
                    }}
                </button>
                <A href=back.clone() attr:class="button">"Cancel"</A>
                {move || (form.attempted.get() && !errors.with(Vec::is_empty)).then(|| view! {
                    <span class="error-text" role="alert">"Correct the fields marked above first."</span>
                })}
            </div>
        </form>
        <Show when=move || asking.get()>
            {move || match review.get() {
                Some(message) => view! {
                    <ProposeForm id="proposal" needs=("change", message) title=reason description
                        pending=propose.pending().into() test_id="propose" on_send=ask_review
                        on_cancel=Callback::new(move |_| asking.set(false)) cancel="Back to the form"/>
                }.into_any(),
                None => view! {
                    <ReasonForm id="reason" question="Why are you making this change?" reason
                        pending=save.pending().into() action="Save with this reason" acting="Saving…"
                        test_id="confirm-save" on_send=send
                        on_cancel=Callback::new(move |_| asking.set(false)) cancel="Back to the form"/>
                }.into_any(),
            }}
        </Show>
        {move || conflict.get().map(|found| {
            let (current, document) = (found.current, found.document.clone());
            let on_reload = Callback::new(move |_: ()| {
                if let Some(values) = document.as_ref().and_then(Value::as_object) {
                    form.load(values, current);
                }
                conflict.set(None);
            });
            // The form goes on from the stored version with the person's edits merged in.
            let on_keep = Callback::new(move |merged: Value| {
                if let Some(values) = merged.as_object() {
                    form.load(values, current);
                }
                conflict.set(None);
                toasts.say(format!(
                    "Your edits are on top of version {current} now: save to write them."
                ));
            });
            view! { <ConflictView found on_reload on_keep/> }
        })}
    }
}

/// One field: its label, its input, its help and its error.
#[component]
fn FieldInput(
    form: FormState,
    field: &'static FormField,
    /// The key of an entity that exists: shown, not editable.
    fixed: bool,
    /// The keys a reference may pick from.
    choices: Vec<String>,
    /// A tenant's stored state, whose next states are offered.
    stored_state: Option<TenantState>,
    errors: Signal<Vec<FieldError>>,
) -> impl IntoView {
    let id = format!("field-{}", field.name);
    let error_id = format!("{id}-error");
    let help_id = format!("{id}-help");
    let value = form
        .values
        .with_untracked(|v| v.get(field.name).cloned().unwrap_or(Value::Null));
    let error = Memo::new(move |_| errors.with(|errors| form.error_at(field, errors)));
    let invalid = move || error.get().is_some().to_string();
    let described = format!("{help_id} {error_id}");
    let name = field.name;
    let input = match field.input {
        Input::Text | Input::OptionalText => {
            let optional = field.input == Input::OptionalText;
            view! {
                <input
                    id=id.clone()
                    type="text"
                    value=value.as_str().unwrap_or_default().to_owned()
                    // Drawn again after a reload or a merge: the property is what shows once
                    // someone has typed, the attribute only what the server wrote.
                    prop:value=value.as_str().unwrap_or_default().to_owned()
                    readonly=fixed
                    aria-invalid=invalid
                    aria-describedby=described.clone()
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        form.set(name, if optional && text.is_empty() { Value::Null } else { Value::String(text) });
                    }
                />
            }
            .into_any()
        }
        Input::Checkbox => view! {
            <input
                id=id.clone()
                type="checkbox"
                checked=value.as_bool().unwrap_or(false)
                prop:checked=value.as_bool().unwrap_or(false)
                aria-describedby=described.clone()
                on:change=move |ev| form.set(name, Value::Bool(event_target_checked(&ev)))
            />
        }
        .into_any(),
        Input::State | Input::TenantState | Input::Reference(_) => {
            let current = value.as_str().unwrap_or_default().to_owned();
            let mut offered: Vec<String> = match field.input {
                Input::State => vec!["active".into(), "disabled".into()],
                Input::TenantState => tenant_states(stored_state)
                    .into_iter()
                    .map(|s| s.as_str().to_owned())
                    .collect(),
                _ => choices,
            };
            if !current.is_empty() && !offered.contains(&current) {
                offered.insert(0, current.clone());
            }
            let placeholder = current
                .is_empty()
                .then(|| view! { <option value="" selected prop:selected=true>"Choose…"</option> });
            view! {
                <select
                    id=id.clone()
                    aria-invalid=invalid
                    aria-describedby=described.clone()
                    on:change=move |ev| form.set(name, Value::String(event_target_value(&ev)))
                >
                    {placeholder}
                    {offered.into_iter().map(|option| {
                        let selected = option == current;
                        view! { <option value=option.clone() selected=selected prop:selected=selected>{option.clone()}</option> }
                    }).collect_view()}
                </select>
            }
            .into_any()
        }
        Input::OptionalReference(_) | Input::Choice(_) | Input::Count(_) => {
            // Stored as text, a number, or null for "none".
            let current = match &value {
                Value::Number(n) => n.to_string(),
                other => other.as_str().unwrap_or_default().to_owned(),
            };
            let input = field.input;
            let offered: Vec<String> = match input {
                Input::Choice(words) => words.iter().map(|w| (*w).to_owned()).collect(),
                Input::Count(max) => (1..=max).map(|n| n.to_string()).collect(),
                _ => choices,
            };
            let none = matches!(input, Input::OptionalReference(_)).then(|| {
                let selected = current.is_empty();
                view! { <option value="" selected=selected prop:selected=selected>"Any"</option> }
            });
            view! {
                <select
                    id=id.clone()
                    aria-invalid=invalid
                    aria-describedby=described.clone()
                    on:change=move |ev| {
                        let text = event_target_value(&ev);
                        let value = match input {
                            Input::Count(_) => text.parse::<u64>().map(Value::from).unwrap_or(Value::Null),
                            Input::OptionalReference(_) if text.is_empty() => Value::Null,
                            _ => Value::String(text),
                        };
                        form.set(name, value);
                    }
                >
                    {none}
                    {offered.into_iter().map(|option| {
                        let selected = option == current;
                        view! { <option value=option.clone() selected=selected prop:selected=selected>{option.clone()}</option> }
                    }).collect_view()}
                </select>
            }
            .into_any()
        }
        Input::References(_) => {
            let chosen: Vec<String> = value
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let mut offered = choices;
            for key in &chosen {
                if !offered.contains(key) {
                    offered.push(key.clone());
                }
            }
            view! {
                <fieldset id=id.clone() class="choices" aria-describedby=described.clone()>
                    <legend class="visually-hidden">{field.label}</legend>
                    {offered.into_iter().map(|option| {
                        let on = chosen.contains(&option);
                        let key = option.clone();
                        view! {
                            <label class="choice">
                                <input
                                    type="checkbox"
                                    value=option.clone()
                                    checked=on
                                    prop:checked=on
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        let mut keys: Vec<Value> = form.values.with_untracked(|v| {
                                            v.get(name).and_then(Value::as_array).cloned().unwrap_or_default()
                                        });
                                        keys.retain(|k| k.as_str() != Some(key.as_str()));
                                        if on {
                                            keys.push(Value::String(key.clone()));
                                            keys.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                                        }
                                        form.set(name, Value::Array(keys));
                                    }
                                />
                                {option}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
            }
            .into_any()
        }
        Input::Json => {
            let text = form
                .texts
                .with_untracked(|t| t.get(name).cloned().unwrap_or_default());
            // As tall as what is in it (a pasted schema shows whole), up to 40 lines.
            let rows = move || {
                form.texts
                    .with(|t| t.get(name).map_or(0, |text| text.lines().count()))
                    .clamp(4, 40)
            };
            view! {
                <CodeText
                    text
                    attr:id=id.clone()
                    attr:rows=rows
                    attr:aria-invalid=invalid
                    attr:aria-describedby=described.clone()
                    on:input=move |ev| form.set_text(name, event_target_value(&ev))
                />
            }
            .into_any()
        }
    };
    view! {
        <div class="form-field" class:invalid=move || error.get().is_some() data-field=name>
            <label for=id>{field.label}</label>
            {input}
            <p class="help" id=help_id>
                {field.rule.map(|rule| format!("{rule}. "))}
                {field.help}
            </p>
            <p class="field-error" id=error_id role="alert">{move || error.get()}</p>
        </div>
    }
}
