//! The audit log: every change in the domain, newest first, filtered by actor, kind, key and
//! dates (all in the URL, so a filtered view can be shared and renders on the server); each
//! entry opens to what it changed; the hash chain's state on top.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use strata_domain::audit::{AuditFilter, ChainReport};
use strata_domain::kind::Kind;
use strata_domain::settings::DOMAIN_KIND;
use strata_domain::time::parse_date_ms;

use crate::audit::{AuditRow, AuditView, get_audit, get_audit_events};
use crate::failure::failure;
use crate::pager::{Pager, range};
use crate::pages::when::When;

const PAGE: i64 = 50;
const FIELDS: [&str; 5] = ["actor", "kind", "key", "from", "until"];

/// The URL's filter fields, as given (dates as `YYYY-MM-DD`).
type Fields = Vec<(&'static str, String)>;

fn href(fields: &Fields, page: i64) -> String {
    let mut parts: Vec<String> = fields
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", crate::pages::list::encode(v)))
        .collect();
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        "/history".to_owned()
    } else {
        format!("/history?{}", parts.join("&"))
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let params = use_query_map();
    let fields = Memo::new(move |_| {
        let params = params.read();
        FIELDS
            .iter()
            .map(|f| (*f, params.get(f).unwrap_or_default().trim().to_owned()))
            .collect::<Fields>()
    });
    let page = Memo::new(move |_| {
        params
            .read()
            .get("page")
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    });
    let audit = Resource::new(
        move || (fields.get(), page.get()),
        |(fields, page)| {
            let value = |name: &str| {
                fields
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.clone())
                    .filter(|v| !v.is_empty())
            };
            let filter = AuditFilter {
                actor: value("actor"),
                kind: value("kind"),
                key: value("key"),
                from_ms: value("from").and_then(|d| parse_date_ms(&d)),
                // Until the end of that day.
                until_ms: value("until")
                    .and_then(|d| parse_date_ms(&d))
                    .map(|ms| ms + 86_400_000),
            };
            get_audit(filter, (page - 1) * PAGE, PAGE)
        },
    );
    let inputs: [NodeRef<leptos::html::Input>; 4] = std::array::from_fn(|_| NodeRef::new());
    let kind: NodeRef<leptos::html::Select> = NodeRef::new();
    let navigate = use_navigate();
    let filter = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text =
            |r: &NodeRef<leptos::html::Input>| r.get().map(|i| i.value()).unwrap_or_default();
        let data: Fields = vec![
            ("actor", text(&inputs[0])),
            ("kind", kind.get().map(|s| s.value()).unwrap_or_default()),
            ("key", text(&inputs[1])),
            ("from", text(&inputs[2])),
            ("until", text(&inputs[3])),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.trim().to_owned()))
        .collect();
        navigate(&href(&data, 1), Default::default());
    };
    let value = move |name: &'static str| {
        move || {
            fields
                .get()
                .into_iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v)
                .unwrap_or_default()
        }
    };
    view! {
        <Title text="History"/>
        <div class="page-head"><h1>"History"</h1></div>
        <form method="get" action="/history" class="audit-filter" role="search" on:submit=filter>
            <label>"Actor" <input type="text" name="actor" node_ref=inputs[0] prop:value=value("actor")/></label>
            <label>"Kind"
                <select name="kind" node_ref=kind prop:value=value("kind")>
                    <option value="">"any"</option>
                    {Kind::ALL
                        .map(Kind::name)
                        .into_iter()
                        .chain([DOMAIN_KIND])
                        .map(|k| view! { <option value=k>{k}</option> })
                        .collect_view()}
                </select>
            </label>
            <label>"Key contains" <input type="text" name="key" node_ref=inputs[1] prop:value=value("key")/></label>
            <label>"From" <input type="date" name="from" node_ref=inputs[2] prop:value=value("from")/></label>
            <label>"Until" <input type="date" name="until" node_ref=inputs[3] prop:value=value("until")/></label>
            <button type="submit" class="button">"Filter"</button>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <ErrorBoundary fallback=failure("The server could not read the history. Check the filter and reload.")>
                {move || audit.get().map(|result| result.map(|view| view! { <AuditLog view fields=fields.get() page=page.get()/> }))}
            </ErrorBoundary>
        </Transition>
        <Events/>
    }
}

/// The newest publications, cache compilations and restores.
#[component]
fn Events() -> impl IntoView {
    let events = Resource::new(|| (), |_| get_audit_events(EVENTS));
    view! {
        <h2>"Events"</h2>
        <p class="help">"What happened besides changes: publications, cache compilations and restores of revisions (and, for domain admins, sign-ins and changes to people); the newest " {EVENTS} "."</p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <ErrorBoundary fallback=failure("The server could not read the audit events.")>
                {move || events.get().map(|result| result.map(|rows| if rows.is_empty() {
                    view! { <p class="empty">"Nothing was published yet."</p> }.into_any()
                } else {
                    view! {
                        <div class="table-frame"><table class="table" data-testid="audit-events">
                            <thead><tr><th>"At"</th><th>"Action"</th><th>"Revision"</th><th>"By"</th><th>"Triggered by"</th><th>"Outcome"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|e| { let action = e.action.clone(); view! {
                                    <tr data-action=action>
                                        <td><When at={e.at}/></td>
                                        <td>{e.action}</td>
                                        <td>{e.revision}</td>
                                        <td>{e.actor}</td>
                                        <td>{e.triggered_by}</td>
                                        <td>
                                            {if e.succeeded {
                                                view! { <span class="badge up">"succeeded"</span> }.into_any()
                                            } else {
                                                view! { <span class="badge down">"failed"</span> }.into_any()
                                            }}
                                            {(!e.detail.is_empty()).then(|| view! {
                                                <table class="figures">
                                                    <tbody>
                                                        {e.detail.into_iter().map(|(label, value)| view! {
                                                            <tr><th scope="row">{label}</th><td>{value}</td></tr>
                                                        }).collect_view()}
                                                    </tbody>
                                                </table>
                                            })}
                                        </td>
                                    </tr>
                                }}).collect_view()}
                            </tbody>
                        </table></div>
                    }.into_any()
                }))}
            </ErrorBoundary>
        </Transition>
    }
}

/// How many audit events the page shows.
const EVENTS: i64 = 20;

#[component]
fn AuditLog(view: AuditView, fields: Fields, page: i64) -> impl IntoView {
    let AuditView { rows, total, chain } = view;
    let chain = match chain {
        ChainReport::Verifies { records } => view! {
            <p class="notice" data-testid="chain">
                <span class="badge up">"verified"</span>
                {match records {
                    Some(records) => format!(" The hash chain verifies over all {records} records."),
                    None => " The hash chain verifies over every record.".to_owned(),
                }}
            </p>
        }
        .into_any(),
        ChainReport::Broken { at } => view! {
            <p class="notice error" role="alert" data-testid="chain">
                <span class="badge down">"broken"</span>
                {match at {
                    Some(seq) => format!(" The hash chain breaks at record {seq}: history was changed outside Strata."),
                    None => " The hash chain is broken: history was changed outside Strata. Domain admins see where.".to_owned(),
                }}
            </p>
        }
        .into_any(),
    };
    let pages = ((total + PAGE - 1) / PAGE).max(1);
    let first = (page - 1) * PAGE + 1;
    let summary = if total == 0 {
        "No change matches.".to_owned()
    } else {
        range(first, rows.len(), total, " changes")
    };
    view! {
        {chain}
        <p class="list-summary muted" data-testid="audit-summary">{summary}</p>
        <ol class="audit" data-testid="audit">
            {rows.into_iter().map(|row| view! { <Entry row/> }).collect_view()}
        </ol>
        <Pager page pages link=move |page| href(&fields, page) back="← Newer" forward="Older →"
            start="« Newest" end="Oldest »"/>
    }
}

#[component]
fn Entry(row: AuditRow) -> impl IntoView {
    let link = match row.kind.as_str() {
        "tier" => Some("tiers"),
        "organization" => Some("organizations"),
        "product" => Some("products"),
        "deployable" => Some("deployables"),
        "tenant" => Some("tenants"),
        _ => None,
    }
    .map(|section| format!("/{section}/{}", crate::pages::list::encode(&row.key)));
    // The link is inside the entry, not in its summary: a control inside another is one no
    // keyboard or screen reader can tell apart.
    let (kind, key) = (row.kind.clone(), row.key.clone());
    let open_entity = link.map(move |href| {
        view! { <p class="entity-link"><A href=href>"Open " {kind} " " {key}</A></p> }
    });
    let count = row.changes.len();
    view! {
        <li data-seq=row.seq>
            <details>
                <summary>
                    <span class="badge">{row.operation}</span>
                    " " <span class="muted">{row.kind}</span> " " {row.key}
                    " → version " {row.version} " · revision " {row.revision}
                    " · " <strong>{row.actor}</strong> " · " <When at={row.at}/>
                    " · " <em>{row.reason}</em>
                </summary>
                {open_entity}
                <div class="table-frame"><table class="table diff" data-testid="diff">
                    <caption class="muted">{count} " changed " {if count == 1 { "value" } else { "values" }}</caption>
                    <tbody>
                        {row.changes.into_iter().map(|c| {
                            let class = c.op.clone();
                            view! {
                            <tr class=class>
                                <td>{c.op}</td><td><code>{c.path}</code></td>
                                <td><code>{c.value.unwrap_or_default()}</code></td>
                            </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table></div>
            </details>
        </li>
    }
}
