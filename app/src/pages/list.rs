//! A section's list: search, sort and pages live in the URL
//! (`?q=…&sort=…&desc=1&page=N&per=M`),
//! so the server renders exactly the page asked for, links can be shared, and the search
//! form (a plain GET form) and headings work before the console hydrates; once hydrated
//! they navigate in place. (leptos_router's `Form` would do the same but brings its POST
//! machinery along: about 250 KiB more wasm.)

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use strata_domain::listing::ListQuery;

use crate::failure::failure;
use crate::lists::{ListView, Shown, list_entities};
use crate::overview::SharedOverview;
use crate::pager::{Pager, range};
use strata_domain::kind::Kind;

/// Rows per page unless `per` says otherwise (10 to 200).
const PAGE: i64 = 50;

/// The list's URL for a search, sort and page.
fn href(kind: Kind, query: &ListQuery, page: i64) -> String {
    let mut parts = Vec::new();
    if !query.search.is_empty() {
        parts.push(format!("q={}", encode(&query.search)));
    }
    if let Some(sort) = &query.sort {
        parts.push(format!("sort={sort}"));
    }
    if query.descending {
        parts.push("desc=1".to_owned());
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if query.limit != PAGE {
        parts.push(format!("per={}", query.limit));
    }
    let path = format!("/{}", kind.section());
    if parts.is_empty() {
        path
    } else {
        format!("{path}?{}", parts.join("&"))
    }
}

/// Percent-encodes a query value (everything but unreserved characters).
pub(crate) fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[component]
pub fn ListPage(kind: Kind) -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| {
        let params = params.read();
        let page = params
            .get("page")
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1);
        let per = params
            .get("per")
            .and_then(|p| p.parse::<i64>().ok())
            .map_or(PAGE, |p| p.clamp(10, 200));
        ListQuery {
            search: params.get("q").unwrap_or_default(),
            sort: params
                .get("sort")
                .filter(|s| kind.columns().iter().any(|c| c.sort == s)),
            descending: params.get("desc").as_deref() == Some("1"),
            offset: (page - 1) * per,
            limit: per,
        }
    });
    let list = Resource::new(move || query.get(), move |q| list_entities(kind, q));
    let search_id = format!("search-{}", kind.section());
    let input: NodeRef<leptos::html::Input> = NodeRef::new();
    let navigate = use_navigate();
    let overview = expect_context::<SharedOverview>();
    let search = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let text = input.get().map(|i| i.value()).unwrap_or_default();
        let target = ListQuery {
            search: text.trim().to_owned(),
            ..query.get_untracked()
        };
        navigate(&href(kind, &target, 1), Default::default());
    };
    view! {
        <Title text=kind.heading()/>
        <div class="page-head">
            <h1>{kind.heading()}</h1>
            <Transition fallback=|| ()>
                {move || overview.allows(|grants| kind.may_create(grants)).then(|| view! {
                    <A href=format!("/new/{}", kind.section()) attr:class="button primary" attr:data-testid="new">
                        "New " {kind.name()}
                    </A>
                })}
            </Transition>
        </div>
        <form method="get" action=format!("/{}", kind.section()) class="list-search" role="search" on:submit=search>
            <label for=search_id.clone()>"Search"</label>
            <input
                type="search"
                id=search_id
                node_ref=input
                name="q"
                placeholder=format!("{} by {}", kind.heading(), kind.searched())
                prop:value=move || query.get().search
            />
            {move || query.get().sort.map(|sort| view! { <input type="hidden" name="sort" value=sort/> })}
            {move || query.get().descending.then(|| view! { <input type="hidden" name="desc" value="1"/> })}
            {move || (query.get().limit != PAGE).then(|| view! { <input type="hidden" name="per" value=query.get().limit/> })}
            <button type="submit" class="button">"Search"</button>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <ErrorBoundary fallback=failure("The server could not list these. Reload the page; if it persists, check the server's log.")>
                {move || list.get().map(|result| result.map(|view| view! { <ListTable kind view query=query.get()/> }))}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn ListTable(kind: Kind, view: ListView, query: ListQuery) -> impl IntoView {
    let ListView { rows, total } = view;
    let page = query.offset / query.limit + 1;
    let pages = ((total + query.limit - 1) / query.limit).max(1);
    let first = query.offset + 1;
    let summary = match (total, query.search.is_empty()) {
        (0, true) => format!("No {} yet.", kind.heading().to_lowercase()),
        (0, false) => format!("Nothing matches “{}”.", query.search),
        _ => range(first, rows.len(), total, ""),
    };
    let sorted_by = query.sort.clone().unwrap_or_else(|| "name".to_owned());
    let headings = kind
        .columns()
        .iter()
        .map(|column| {
            let current = sorted_by == column.sort;
            let descending = current && query.descending;
            // A click sorts by this column, or turns the order round if it sorts already.
            let target = ListQuery {
                sort: (column.sort != "name").then(|| column.sort.to_owned()),
                descending: current && !query.descending,
                ..query.clone()
            };
            let aria = match (current, descending) {
                (false, _) => "none",
                (true, false) => "ascending",
                (true, true) => "descending",
            };
            let arrow = match (current, descending) {
                (false, _) => "",
                (true, false) => " ▲",
                (true, true) => " ▼",
            };
            view! {
                <th aria-sort=aria>
                    // A plain link: the router follows it, and it is not marked as the
                    // current page (it leads to this same path).
                    <a href=href(kind, &target, 1)>{column.label}{arrow}</a>
                </th>
            }
        })
        .collect_view();
    let body = rows
        .into_iter()
        .map(|row| {
            let link = format!("/{}/{}", kind.section(), encode(&row.key));
            let mut cells = row.cells.into_iter();
            let name = cells.next().unwrap_or_default();
            let rest = cells
                .map(|cell| {
                    let is_state = row.state.as_deref() == Some(cell.as_str());
                    if is_state {
                        let class = match cell.as_str() {
                            "active" => "badge up",
                            "disabled" | "uninitializing" | "deleted" => "badge down",
                            _ => "badge",
                        };
                        view! { <td><span class=class>{cell}</span></td> }.into_any()
                    } else {
                        view! { <td>{cell}</td> }.into_any()
                    }
                })
                .collect_view();
            view! {
                <tr data-key=row.key.clone()>
                    <td><A href=link>{name}</A></td>
                    {rest}
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="list-summary muted" data-testid="list-summary">{summary}</p>
        <div class="table-frame"><table class="table list" data-testid="list">
            <thead><tr>{headings}</tr></thead>
            <tbody>{body}</tbody>
        </table></div>
        <Pager page pages link=move |page| href(kind, &query, page)/>
    }
}
