//! Change requests: the lists ("Waiting for my review", "My requests", all one may see) and
//! one request's review page — what it writes side by side, what it would do to resolved
//! configs, the policies it needs and who approved it, its comments and history, and what the
//! signed-in person may do with it.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use crate::failure::failure;
use crate::pages::NotFound;
use crate::pages::code_text::CodeText;
use crate::pages::diff::DiffTable;
use crate::pages::layer::Impact;
use crate::pages::when::When;
use crate::requests::{
    ActOnRequest, EditRequest, RequestOutcome, RequestRow, RequestView, ReviewRequest, get_request,
    list_requests, request_impact,
};
use crate::toasts::Toasts;

/// The lists a person chooses between, as their tabs name them.
const LISTS: [(&str, &str); 3] = [
    ("waiting", "Waiting for my review"),
    ("mine", "My requests"),
    ("all", "All"),
];

#[component]
pub fn RequestsPage() -> impl IntoView {
    // The list the address names (`?list=mine`), else the one waiting for the reader.
    let query = leptos_router::hooks::use_query_map();
    let named = query.with_untracked(|q| q.get("list"));
    let chosen = RwSignal::new(
        LISTS
            .iter()
            .map(|(filter, _)| *filter)
            .find(|filter| named.as_deref() == Some(*filter))
            .unwrap_or("waiting"),
    );
    let navigate = leptos_router::hooks::use_navigate();
    let rows = Resource::new(
        move || chosen.get(),
        |filter| list_requests(filter.to_owned()),
    );
    view! {
        <Title text="Change requests"/>
        <div class="page-head"><h1>"Change requests"</h1></div>
        <p class="help">"Changes that an approval policy covers are proposed here, reviewed and approved, then applied as one revision. Propose one from the editor of what it changes: a config layer, a tenant, a product…"</p>
        <div class="tabs" role="tablist">
            {LISTS.into_iter().map(|(filter, label)| { let navigate = navigate.clone(); view! {
                <button type="button" role="tab" class="tab" data-testid=format!("list-{filter}")
                    aria-selected=move || (chosen.get() == filter).to_string()
                    on:click=move |_| {
                        chosen.set(filter);
                        // The address names the list, for a reload or a link.
                        navigate(&format!("/change-requests?list={filter}"), leptos_router::NavigateOptions { replace: true, ..Default::default() });
                    }>{label}</button>
            }}).collect_view()}
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <ErrorBoundary fallback=failure("The server could not list the change requests. Reload the page; if it persists, check the server's log.")>
                {move || rows.get().map(|result| result.map(|rows| view! { <RequestTable rows/> }))}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn RequestTable(rows: Vec<RequestRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted" data-testid="no-requests">"No change requests here."</p> }
            .into_any();
    }
    view! {
        <div class="table-frame"><table class="table list" data-testid="requests">
            <thead><tr><th>"Request"</th><th>"Title"</th><th>"State"</th><th>"Author"</th><th>"Writes"</th><th>"Changed"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|r| view! {
                    <tr data-request=r.id>
                        <td><A href=format!("/change-requests/{}", r.id)>{format!("#{}", r.id)}</A></td>
                        <td><A href=format!("/change-requests/{}", r.id)>{r.title}</A></td>
                        <td><span class=format!("badge state-{}", r.state)>{r.state.clone()}</span></td>
                        <td>{r.author}</td>
                        <td>{r.writes}</td>
                        <td><When at=r.updated/></td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table></div>
    }
    .into_any()
}

#[component]
pub fn RequestPage() -> impl IntoView {
    let params = use_params_map();
    let id = Memo::new(move |_| {
        params.with(|p| {
            p.get("id")
                .and_then(|id| id.parse::<i64>().ok())
                .unwrap_or(0)
        })
    });
    let request = Resource::new(move || id.get(), get_request);
    // The sidebar counts requests: read again once this page is up (one was just proposed,
    // perhaps) and after each action.
    let overview = use_context::<crate::overview::SharedOverview>();
    Effect::new(move |_| {
        if let Some(overview) = overview {
            overview.0.refetch();
        }
    });
    let reload = Callback::new(move |_: ()| {
        request.refetch();
        if let Some(overview) = overview {
            overview.0.refetch();
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading the request…"</p> }>
            <ErrorBoundary fallback=failure("The server could not read this change request. Reload the page; if it persists, check the server's log.")>
                {move || request.get().map(|result| result.map(|found| match found {
                    Some(view) => view! { <Review view reload/> }.into_any(),
                    None => view! { <NotFound/> }.into_any(),
                }))}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn Review(view: RequestView, reload: Callback<()>) -> impl IntoView {
    let RequestView {
        id,
        title,
        description,
        author,
        state,
        content_hash,
        applied_revision,
        created,
        writes,
        needs,
        approved_by,
        unmet,
        stale,
        history,
        may_review,
        may_edit,
        may_apply,
    } = view;
    let toasts = Toasts::get();
    // Whether the reader's approval of this content stands: then Approve is not offered again.
    let me = use_context::<crate::overview::SharedOverview>().and_then(|shared| {
        shared
            .0
            .get_untracked()
            .and_then(Result::ok)
            .and_then(|o| o.person)
            .map(|p| p.name)
    });
    let approved_by_me = me.is_some_and(|me| approved_by.contains(&me));
    let hash = StoredValue::new(content_hash.clone());
    // Why the last action was refused: shown by the review's buttons, or by the comment form
    // for what was said there.
    let said = RwSignal::new(None::<String>);
    let said_here = RwSignal::new(None::<String>);
    // Every action answers done (said, the page read again) or refused (shown at `at`).
    let settle = move |result: Option<Result<RequestOutcome, ServerFnError>>,
                       at: RwSignal<Option<String>>| match result {
        Some(Ok(RequestOutcome::Done(text))) => {
            toasts.say(text);
            said.set(None);
            said_here.set(None);
            reload.run(());
        }
        Some(Ok(RequestOutcome::Refused(why))) => at.set(Some(why)),
        Some(Err(e)) => at.set(Some(crate::failure::said(&e))),
        None => {}
    };
    let review = ServerAction::<ReviewRequest>::new();
    let act = ServerAction::<ActOnRequest>::new();
    let edit = ServerAction::<EditRequest>::new();
    let editing = RwSignal::new(false);
    let comment = RwSignal::new(String::new());
    let pointer = RwSignal::new(String::new());
    let reply_to = RwSignal::new(None::<i64>);
    Effect::new(move |_| {
        let answer = review.value().get();
        // What was typed stays until it is said: a refusal leaves it to correct.
        if let Some(Ok(RequestOutcome::Done(_))) = &answer {
            comment.set(String::new());
            pointer.set(String::new());
            reply_to.set(None);
        }
        settle(answer, said_here)
    });
    Effect::new(move |_| settle(act.value().get(), said));
    Effect::new(move |_| {
        let answer = edit.value().get();
        // The editor stays open, with what was typed, until the edit is saved.
        if let Some(Ok(RequestOutcome::Done(_))) = &answer {
            editing.set(false);
        }
        settle(answer, said)
    });
    let send = move |verdict: &'static str| {
        review.dispatch(ReviewRequest {
            id,
            verdict: verdict.to_owned(),
            content_hash: hash.get_value(),
            comment: comment.get_untracked(),
            pointer: Some(pointer.get_untracked()),
            reply_to: reply_to.get_untracked(),
        });
    };
    let do_act = move |action: &'static str| {
        act.dispatch(ActOnRequest {
            id,
            action: action.to_owned(),
            content_hash: hash.get_value(),
        });
    };
    let pending = move || review.pending().get() || act.pending().get() || edit.pending().get();
    // Apply, withdraw and reject close the request for good: each is asked once more.
    let confirming = RwSignal::new(None::<&'static str>);
    let finish = move |action: &'static str| {
        confirming.set(None);
        match action {
            "reject" => send("reject"),
            action => do_act(action),
        }
    };
    // The question, shown beside the button that asked it.
    let confirm = move |here: fn(&str) -> bool| {
        move || {
            confirming.get().filter(|action| here(action)).map(|action| {
                let (question, button) = final_words(action);
                view! {
                    <div class="notice" role="alertdialog" aria-labelledby="confirming" data-testid="confirming">
                        <p id="confirming">{question}</p>
                        <div class="actions">
                            <button type="button" class=if action == "apply" { "button primary" } else { "button danger" }
                                data-testid=format!("confirm-{action}") disabled=pending on:click=move |_| finish(action)>{button}</button>
                            <button type="button" class="button" on:click=move |_| confirming.set(None)>"Cancel"</button>
                        </div>
                    </div>
                }
            })
        }
    };
    let impact = Resource::new(|| (), move |_| request_impact(id));
    let open = state == "open";
    // The author's edit: the title, description and each write's edited part.
    let new_title = RwSignal::new(title.clone());
    let new_description = RwSignal::new(description.clone());
    let new_parts: Vec<RwSignal<String>> = writes
        .iter()
        .map(|w| RwSignal::new(w.edited.clone()))
        .collect();
    let parts = StoredValue::new(new_parts.clone());
    // A deletion has nothing to edit.
    let deletes = StoredValue::new(
        writes
            .iter()
            .map(|w| w.operation == "delete")
            .collect::<Vec<_>>(),
    );
    let save_edit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        edit.dispatch(EditRequest {
            id,
            content_hash: hash.get_value(),
            title: new_title.get_untracked(),
            description: new_description.get_untracked(),
            edited: parts.with_value(|p| p.iter().map(|s| s.get_untracked()).collect()),
        });
    };
    let title_text = format!("#{id} {title}");
    view! {
        <Title text=title_text/>
        <p class="crumbs"><A href="/change-requests">"Change requests"</A> " / "</p>
        <div class="page-head">
            <h1 data-testid="request-title">{format!("#{id} ")}{title.clone()}</h1>
            <span class=format!("badge state-{state}") data-testid="request-state">{state.clone()}</span>
        </div>
        <p class="help">
            "Proposed by " <strong data-testid="request-author">{author}</strong> " " <When at=created/>
            {applied_revision.map(|r| view! { " · applied as " <A href=format!("/publications#revision-{r}")>{format!("revision {r}")}</A> })}
            " · content " <code data-testid="request-content">{content_hash[..12].to_owned()}</code>
        </p>
        {(!description.is_empty()).then(|| view! { <p class="description">{description.clone()}</p> })}

        <section class="review-status" data-testid="review-status">
            <h2>"Review"</h2>
            {if needs.is_empty() {
                view! { <p>"No approval policy covers what this request writes: its author may apply it."</p> }.into_any()
            } else {
                view! {
                    <ul data-testid="needs">
                        {needs.into_iter().map(|n| view! {
                            <li>{n.covering} " needs " {n.asks} " (approval policy " <code>{n.policy}</code> "; it reaches " {n.example} ")."</li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <p data-testid="approved-by">
                {if approved_by.is_empty() { "Approved by nobody yet, as it stands.".to_owned() } else { format!("Approved as it stands by {}.", approved_by.join(", ")) }}
            </p>
            {(open && unmet.is_some()).then(|| view! { <p class="notice" data-testid="unmet">"Missing: " {unmet.clone()}</p> })}
            {(!stale.is_empty()).then(|| view! {
                <div class="notice" data-testid="stale">
                    <p>"What this request writes changed since it was proposed: its author rebases it, which merges what changed (approvals then count for the rebased content)."</p>
                    <ul>{stale.into_iter().map(|s| view! {
                        <li>{s.kind} " " {s.key} ": proposed on version " {s.base_version.map_or("none".to_owned(), |v| v.to_string())} ", now " {s.current_version.map_or("none".to_owned(), |v| v.to_string())}</li>
                    }).collect_view()}</ul>
                </div>
            })}
            {move || said.get().map(|why| view! { <p class="notice error" role="alert" data-testid="request-refused">{why}</p> })}
            <div class="actions">
                {(open && may_apply).then(|| view! {
                    <button type="button" class="button primary" data-testid="apply" disabled=pending on:click=move |_| confirming.set(Some("apply"))>"Apply…"</button>
                })}
                {(open && may_edit).then(|| view! {
                    <button type="button" class="button" data-testid="edit-request" on:click=move |_| editing.update(|e| *e = !*e)>"Edit"</button>
                    <button type="button" class="button" data-testid="rebase" disabled=pending on:click=move |_| do_act("rebase")>"Rebase"</button>
                    <button type="button" class="button" data-testid="withdraw" disabled=pending on:click=move |_| confirming.set(Some("withdraw"))>"Withdraw…"</button>
                })}
            </div>
            {confirm(|action| action != "reject")}
        </section>

        {move || editing.get().then(|| view! {
            <form class="entity-form" data-testid="request-editor" on:submit=save_edit>
                <div class="form-field">
                    <label for="request-title-input">"Title"</label>
                    <input id="request-title-input" type="text" prop:value=move || new_title.get() on:input=move |ev| new_title.set(event_target_value(&ev))/>
                </div>
                <div class="form-field">
                    <label for="request-description-input">"Description"</label>
                    <textarea id="request-description-input" rows="3" prop:value=move || new_description.get() on:input=move |ev| new_description.set(event_target_value(&ev))></textarea>
                </div>
                {parts.get_value().into_iter().enumerate().filter(|(i, _)| deletes.with_value(|d| !d[*i])).map(|(i, part)| view! {
                    <div class="form-field">
                        <label for=format!("request-write-{i}")>{format!("Write {} as JSON", i + 1)}</label>
                        <CodeText text=part.get_untracked() attr:id=format!("request-write-{i}") attr:rows="10" attr:data-testid=format!("request-write-{i}")
                            on:input=move |ev| part.set(event_target_value(&ev))/>
                    </div>
                }).collect_view()}
                <p class="help">"Saving changes the request's content: approvals given before no longer count."</p>
                <div class="actions"><button type="submit" class="button primary" data-testid="save-request" disabled=pending>"Save the request"</button></div>
            </form>
        })}

        <section class="writes">
            <h2>"What it writes"</h2>
            {writes.into_iter().map(|w| view! {
                <div class="write" data-testid="write">
                    <h3>{w.operation} " " {w.kind.name()} " " <code>{w.key.clone()}</code>
                        {w.base_version.map(|v| format!(" (on version {v})"))}</h3>
                    <DiffTable rows=w.rows before="Before" after="Proposed"/>
                </div>
            }).collect_view()}
        </section>

        {open.then(|| view! {
            <Transition fallback=|| view! { <p class="muted">"Working out the impact…"</p> }>
                {move || impact.get().map(|result| match result {
                    Ok(impact) => view! { <Impact impact applying=true/> }.into_any(),
                    Err(e) => view! { <p class="notice error" role="alert">{crate::failure::said(&e)}</p> }.into_any(),
                })}
            </Transition>
        })}

        <section class="conversation" data-testid="conversation">
            <h2>"Comments and history"</h2>
            <ol class="history">
                {history.into_iter().map(|e| {
                    let seq = e.seq;
                    view! {
                        <li id=format!("line-{seq}") data-testid="request-event" class:stale=!e.current>
                            <strong>{e.person.clone()}</strong>
                            {(e.actor != e.person).then(|| format!(" (as {})", e.actor))}
                            " " {e.event.clone()}
                            {e.reply_to.map(|r| view! { " in reply to " <a href=format!("#line-{r}")>{format!("#{r}")}</a> })}
                            {e.pointer.clone().map(|p| view! { " on " <code>{p}</code> })}
                            " " <When at=e.at.clone()/>
                            {(e.event == "approved" && !e.current).then_some(" — of earlier content, no longer counted")}
                            {(!e.comment.is_empty()).then(|| view! { <p class="comment">{e.comment.clone()}</p> })}
                            " " <button type="button" class="link-button" on:click=move |_| reply_to.set(Some(seq))>"Reply"</button>
                        </li>
                    }
                }).collect_view()}
            </ol>
            <form class="entity-form" on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); send("comment"); }>
                {move || reply_to.get().map(|r| view! { <p class="help">{format!("Replying to #{r} ")}<button type="button" class="link-button" on:click=move |_| reply_to.set(None)>"(not a reply)"</button></p> })}
                <div class="form-field">
                    <label for="request-comment">"Comment"</label>
                    <textarea id="request-comment" rows="3" data-testid="comment" prop:value=move || comment.get() on:input=move |ev| comment.set(event_target_value(&ev))></textarea>
                </div>
                <div class="form-field">
                    <label for="request-pointer">"About (optional)"</label>
                    <input id="request-pointer" type="text" placeholder="/config/timeout" data-testid="pointer" prop:value=move || pointer.get() on:input=move |ev| pointer.set(event_target_value(&ev))/>
                    <p class="help">"A JSON pointer into what it writes, to pin the comment to a value."</p>
                </div>
                <div class="actions">
                    <button type="submit" class="button" data-testid="send-comment" disabled=move || pending() || comment.with(|c| c.trim().is_empty())>"Comment"</button>
                    {(open && may_review).then(|| view! {
                        {(!approved_by_me).then(|| view! {
                            <button type="button" class="button primary" data-testid="approve" disabled=pending on:click=move |_| send("approve")>"Approve"</button>
                        })}
                        <button type="button" class="button" data-testid="request-changes" disabled=move || pending() || comment.with(|c| c.trim().is_empty()) on:click=move |_| send("request_changes")>"Request changes"</button>
                        <button type="button" class="button danger" data-testid="reject" disabled=pending on:click=move |_| confirming.set(Some("reject"))>"Reject…"</button>
                    })}
                </div>
                {move || said_here.get().map(|why| view! { <p class="notice error" role="alert" data-testid="comment-refused">{why}</p> })}
                {confirm(|action| action == "reject")}
            </form>
        </section>
    }
}

/// What closing a request by `action` does, asked before it is done, and the button that
/// does it: nothing reopens a closed request.
fn final_words(action: &str) -> (&'static str, &'static str) {
    match action {
        "apply" => (
            "Apply it now? Its writes are made as one revision and published, and the request closes.",
            "Apply now",
        ),
        "withdraw" => (
            "Withdraw it? It closes without writing anything and cannot be reopened; what was said stays.",
            "Withdraw",
        ),
        _ => (
            "Reject it? It closes without writing anything and cannot be reopened. The comment above, if any, says why.",
            "Reject",
        ),
    }
}
