//! An entity's page: its fields as stored now, a link to its edit form, for a tenant its
//! resolved configs with where each value came from, and its history: every version, any two
//! side by side, and rolling back to one of them after a preview.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::changes::{DeleteEntity, RollBack, SaveOutcome, preview_rollback};
use crate::entities::{EntityDetail, HistoryRow, compare_versions, get_entity};
use crate::failure::failure;
use crate::lists::Shown;
use crate::pages::NotFound;
use crate::pages::diff::DiffTable;
use crate::pages::propose::{ProposeForm, follow, titled};
use crate::pages::reason::ReasonForm;
use crate::pages::resolved::TenantConfigs;
use crate::pages::when::When;
use crate::requests::{ProposeDelete, ProposeRollback};
use crate::toasts::Toasts;
use strata_domain::kind::Kind;

#[component]
pub fn EntityPage(kind: Kind) -> impl IntoView {
    let params = use_params_map();
    let key = Memo::new(move |_| params.read().get("key").unwrap_or_default());
    let detail = Resource::new(move || key.get(), move |key| get_entity(kind, key));
    let changed = Callback::new(move |_: ()| detail.refetch());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <ErrorBoundary fallback=failure("The server could not read this entity. Reload the page; if it persists, check the server's log.")>
                {move || detail.get().map(|result| result.map(|found| match found {
                    Some(detail) => view! { <Detail kind detail changed/> }.into_any(),
                    None => view! { <NotFound/> }.into_any(),
                }))}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn Detail(kind: Kind, detail: EntityDetail, changed: Callback<()>) -> impl IntoView {
    let EntityDetail {
        key,
        fields,
        version,
        history,
        rights,
        ..
    } = detail;
    let exists = fields.is_some();
    let deleting = RwSignal::new(false);
    let key_for_delete = StoredValue::new(key.clone());
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
    let configs =
        (kind == Kind::Tenant && exists).then(|| view! { <TenantConfigs tenant=key.clone()/> });
    view! {
        <Title text=key.clone()/>
        <p class="crumbs"><A href=format!("/{}", kind.section())>{kind.heading()}</A> " / "</p>
        <div class="page-head">
            <h1>{key.clone()}</h1>
            <div class="actions">
                {(version > 0).then(|| view! { <span class="badge" data-testid="version">"version " {version}</span> })}
                {(exists && kind == Kind::Organization).then(|| view! {
                    <A href=format!("/organizations/{key}/members") attr:class="button" attr:data-testid="members">"Members"</A>
                })}
                {(exists && rights.edit).then(|| view! {
                    <A href=format!("/{}/{key}/edit", kind.section()) attr:class="button primary" attr:data-testid="edit">"Edit"</A>
                })}
                {(exists && rights.delete).then(|| view! {
                    <button type="button" class="button" data-testid="delete-open" on:click=move |_| deleting.set(true)>"Delete…"</button>
                })}
            </div>
        </div>
        {move || deleting.get().then(|| view! { <DeletePanel kind key=key_for_delete.get_value() version deleting changed/> })}
        {fields}
        {configs}
        <Versions kind key version history may_roll_back=rights.roll_back changed/>
    }
}

/// The history: a row per version, two of them picked for comparison, and roll back.
#[component]
pub(crate) fn Versions(
    kind: Kind,
    key: String,
    /// The version stored now; 0 when the entity is deleted.
    version: i64,
    /// Newest first.
    history: Vec<HistoryRow>,
    /// Whether the signed-in person may roll it back.
    may_roll_back: bool,
    changed: Callback<()>,
) -> impl IntoView {
    let newest = history.first().map(|h| h.version);
    let (from, to) = (
        RwSignal::new(history.get(1).map(|h| h.version)),
        RwSignal::new(newest),
    );
    let rolling = RwSignal::new(None::<i64>);
    let key = StoredValue::new(key);
    let compared = Resource::new(
        move || (from.get(), to.get()),
        move |picked| async move {
            match picked {
                (Some(from), Some(to)) if from != to => {
                    compare_versions(kind, key.get_value(), from, to)
                        .await
                        .map(Some)
                }
                _ => Ok(None),
            }
        },
    );
    view! {
        <h2>"History"</h2>
        <p class="help">"Pick two versions to compare them side by side; roll back to any version that still passes today's rules."</p>
        <div class="table-frame"><table class="table" data-testid="history">
            <thead>
                <tr>
                    <th><span class="visually-hidden">"Compare from"</span>"From"</th>
                    <th><span class="visually-hidden">"Compare to"</span>"To"</th>
                    <th>"Version"</th><th>"Revision"</th><th>"Change"</th><th>"By"</th><th>"At"</th><th>"Why"</th><th><span class="visually-hidden">"Roll back"</span></th>
                </tr>
            </thead>
            <tbody>
                {history.into_iter().map(|h| {
                    let v = h.version;
                    let can_roll_back = may_roll_back && !h.deleted && v != version;
                    view! {
                        <tr data-version=v>
                            <td><input type="radio" name="from" aria-label=format!("Compare from version {v}")
                                checked=move || from.get() == Some(v) on:change=move |_| from.set(Some(v))/></td>
                            <td><input type="radio" name="to" aria-label=format!("Compare to version {v}")
                                checked=move || to.get() == Some(v) on:change=move |_| to.set(Some(v))/></td>
                            <td>{v}</td><td>{h.revision}</td><td>{h.operation}</td>
                            <td>{h.actor}</td><td><When at={h.at}/></td><td>{h.reason}</td>
                            <td>{can_roll_back.then(|| view! {
                                <button type="button" class="button small" data-testid=format!("roll-back-{v}")
                                    on:click=move |_| rolling.set(Some(v))>
                                    "Roll back to this version"
                                </button>
                            })}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
        {move || rolling.get().map(|to_version| view! {
            <RollbackPanel kind key=key.get_value() to_version current=version rolling changed/>
        })}
        <Transition fallback=|| view! { <p class="muted">"Comparing…"</p> }>
            <ErrorBoundary fallback=failure("The server could not compare these versions.")>
                {move || compared.get().map(|result| result.map(|rows| rows.map(|rows| view! {
                    <h3>"Version " {from.get_untracked()} " → version " {to.get_untracked()}</h3>
                    <DiffTable rows before="From" after="To"/>
                })))}
            </ErrorBoundary>
        </Transition>
    }
}

/// The preview of rolling back to `to_version`, and the confirmation with a reason.
#[component]
fn RollbackPanel(
    kind: Kind,
    key: String,
    to_version: i64,
    current: i64,
    rolling: RwSignal<Option<i64>>,
    changed: Callback<()>,
) -> impl IntoView {
    let key = StoredValue::new(key);
    let preview = Resource::new(
        move || to_version,
        move |v| preview_rollback(kind, key.get_value(), v),
    );
    let reason = RwSignal::new(String::new());
    let roll_back = ServerAction::<RollBack>::new();
    let toasts = Toasts::get();
    let problem = RwSignal::new(None::<String>);
    // An approval policy covers the roll back: proposed for review instead.
    let review = RwSignal::new(None::<String>);
    let description = RwSignal::new(String::new());
    let propose = ServerAction::<ProposeRollback>::new();
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| follow(propose.value().get(), problem, &navigate));
    let ask_review = Callback::new(move |_: ()| {
        let (title, description) = titled(&reason.get_untracked(), &description.get_untracked());
        propose.dispatch(ProposeRollback {
            kind,
            key: key.get_value(),
            to_version,
            expected: current,
            title,
            description,
        });
    });
    Effect::new(move |_| match roll_back.value().get() {
        Some(Ok(SaveOutcome::Saved { version, .. })) => {
            toasts.say(format!(
                "Rolled {} {} back to version {to_version}: it is version {version} now.",
                kind.name(),
                key.get_value()
            ));
            rolling.set(None);
            changed.run(());
        }
        Some(Ok(SaveOutcome::NeedsReview(message))) => {
            problem.set(None);
            review.set(Some(message));
        }
        Some(other) => problem.set(Some(refusal(other))),
        None => {}
    });
    let confirm = Callback::new(move |_: ()| {
        roll_back.dispatch(RollBack {
            kind,
            key: key.get_value(),
            to_version,
            expected: current,
            reason: reason.get_untracked(),
        });
    });
    view! {
        <section class="rollback notice" data-testid="rollback">
            <h3>"Roll back to version " {to_version}</h3>
            <Transition fallback=|| view! { <p class="muted">"Preparing the preview…"</p> }>
                <ErrorBoundary fallback=failure("The server could not prepare the preview.")>
                    {move || preview.get().map(|result| result.map(|p| {
                        let refusal = p.refusal.clone();
                        view! {
                            <p>
                                {if p.current > 0 { format!("Version {} is stored now. ", p.current) } else { "The entity is deleted now. ".to_owned() }}
                                "Rolling back writes a new version equal to version " {to_version}
                                {match p.configs_changed {
                                    0 => ", and changes no resolved config.".to_owned(),
                                    1 => ", and changes 1 resolved config.".to_owned(),
                                    n => format!(", and changes {n} resolved configs."),
                                }}
                            </p>
                            <DiffTable rows=p.rows before="Now" after="After the roll back"/>
                            {match refusal {
                                Some(why) => view! {
                                    <p class="notice error" role="alert" data-testid="rollback-refused">"This roll back would be refused: " {why}</p>
                                    <button type="button" class="button" on:click=move |_| rolling.set(None)>"Close"</button>
                                }.into_any(),
                                None => view! {
                                    {move || match review.get() {
                                        Some(message) => view! {
                                            <ProposeForm id="rollback-proposal" needs=("roll back", message) title=reason description
                                                pending=propose.pending().into() test_id="propose-rollback" on_send=ask_review
                                                on_cancel=Callback::new(move |_| rolling.set(None)) cancel="Cancel"/>
                                        }.into_any(),
                                        None => view! {
                                            <ReasonForm id="rollback-reason" question="Why roll back?" reason
                                                pending=roll_back.pending().into() action="Roll back" acting="Rolling back…"
                                                test_id="confirm-rollback" on_send=confirm
                                                on_cancel=Callback::new(move |_| rolling.set(None)) cancel="Cancel"/>
                                        }.into_any(),
                                    }}
                                }.into_any(),
                            }}
                        }
                    }))}
                </ErrorBoundary>
            </Transition>
            {move || problem.get().map(|p| view! { <p class="notice error" role="alert">{p}</p> })}
        </section>
    }
}

/// A write's answer other than "saved", in words: why nothing was written.
fn refusal(answer: Result<SaveOutcome, ServerFnError>) -> String {
    match answer {
        Ok(SaveOutcome::Conflict(c)) => format!(
            "Version {} was saved by {} meanwhile (“{}”): reload the page to see it, then try again.",
            c.current, c.actor, c.reason
        ),
        Ok(SaveOutcome::Invalid(errors)) => errors
            .into_iter()
            .map(|e| format!("{}: {}", e.field, e.rule))
            .collect::<Vec<_>>()
            .join("; "),
        Ok(SaveOutcome::Refused { message, details }) => {
            format!("{message} {}", details.join("; "))
        }
        Ok(SaveOutcome::NeedsReview(message)) => {
            format!("Nothing was written: this change is reviewed before it applies. {message}")
        }
        Ok(SaveOutcome::Saved { .. }) => String::new(),
        Err(e) => crate::failure::said(&e),
    }
}

/// Deleting the entity, after a reason; refused while anything refers to it.
#[component]
fn DeletePanel(
    kind: Kind,
    key: String,
    version: i64,
    deleting: RwSignal<bool>,
    changed: Callback<()>,
) -> impl IntoView {
    let key = StoredValue::new(key);
    let reason = RwSignal::new(String::new());
    let delete = ServerAction::<DeleteEntity>::new();
    let toasts = Toasts::get();
    let problem = RwSignal::new(None::<String>);
    // An approval policy covers the deletion: proposed for review instead.
    let review = RwSignal::new(None::<String>);
    let description = RwSignal::new(String::new());
    let propose = ServerAction::<ProposeDelete>::new();
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| follow(propose.value().get(), problem, &navigate));
    let ask_review = Callback::new(move |_: ()| {
        let (title, description) = titled(&reason.get_untracked(), &description.get_untracked());
        propose.dispatch(ProposeDelete {
            kind,
            key: key.get_value(),
            version,
            title,
            description,
        });
    });
    Effect::new(move |_| match delete.value().get() {
        Some(Ok(SaveOutcome::Saved { .. })) => {
            toasts.say(format!("Deleted {} {}.", kind.name(), key.get_value()));
            deleting.set(false);
            changed.run(());
        }
        Some(Ok(SaveOutcome::NeedsReview(message))) => {
            problem.set(None);
            review.set(Some(message));
        }
        Some(other) => problem.set(Some(refusal(other))),
        None => {}
    });
    let confirm = Callback::new(move |_: ()| {
        delete.dispatch(DeleteEntity {
            kind,
            key: key.get_value(),
            version,
            reason: reason.get_untracked(),
        });
    });
    view! {
        <section class="rollback notice" data-testid="delete">
            <h2>"Delete " {key.get_value()}</h2>
            <p>"The entity goes; its history stays, and it can be rolled back. Nothing may still refer to it."</p>
            {move || match review.get() {
                Some(message) => view! {
                    <ProposeForm id="delete-proposal" needs=("deletion", message) title=reason description
                        pending=propose.pending().into() test_id="propose-delete" on_send=ask_review
                        on_cancel=Callback::new(move |_| deleting.set(false)) cancel="Cancel"/>
                }.into_any(),
                None => view! {
                    <ReasonForm id="delete-reason" question="Why delete it?" reason
                        pending=delete.pending().into() action="Delete" acting="Deleting…"
                        test_id="confirm-delete" on_send=confirm
                        on_cancel=Callback::new(move |_| deleting.set(false)) cancel="Cancel"/>
                }.into_any(),
            }}
            {move || problem.get().map(|p| view! { <p class="notice error" role="alert" data-testid="delete-refused">{p}</p> })}
        </section>
    }
}
