//! An organization's members: who holds which role there, and for its admins a form to give,
//! change or take away a role.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;
use strata_domain::access::Role;

use crate::failure::failure;
use crate::pages::NotFound;
use crate::pages::when::When;
use crate::people::{MembersView, SetMemberRole, get_members};
use crate::toasts::Toasts;

#[component]
pub fn MembersPage() -> impl IntoView {
    let params = use_params_map();
    let organization = Memo::new(move |_| params.read().get("key").unwrap_or_default());
    let set_role = ServerAction::<SetMemberRole>::new();
    let toasts = Toasts::get();
    Effect::new(move |_| {
        if let Some(Ok(said)) = set_role.value().get() {
            toasts.say(said);
        }
    });
    let members = Resource::new(
        move || (organization.get(), set_role.version().get()),
        |(organization, _)| get_members(organization),
    );
    // The organization's name and the page's heading only once it is found: for someone who
    // may not see it, the page is the same "Not found" as for a name that never existed.
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <ErrorBoundary fallback=failure("The server could not list the members.")>
                {move || members.get().map(|result| result.map(|found| match found {
                    Some(view) => {
                        let name = organization.get_untracked();
                        let (title, href) = (format!("Members of {name}"), format!("/organizations/{name}"));
                        let (crumb, heading) = (name.clone(), name.clone());
                        view! {
                            <Title text=title/>
                            <p class="crumbs">
                                <A href="/organizations">"Organizations"</A> " / "
                                <A href=href>{crumb}</A> " / "
                            </p>
                            <div class="page-head"><h1>"Members of " {heading}</h1></div>
                            <p class="help">"A viewer reads the organization's products, tenants and configs; an editor also changes them; a publisher also rolls back and publishes; an admin also manages these members."</p>
                            <Members view organization=name set_role/>
                        }.into_any()
                    }
                    None => view! { <NotFound/> }.into_any(),
                }))}
            </ErrorBoundary>
        </Transition>
    }
}

#[component]
fn Members(
    view: MembersView,
    organization: String,
    set_role: ServerAction<SetMemberRole>,
) -> impl IntoView {
    let MembersView {
        members,
        may_manage,
    } = view;
    let empty = members.is_empty();
    let roles = move || {
        Role::ALL
            .into_iter()
            .map(|role| view! { <option value=role.as_str()>{role.as_str()}</option> })
            .collect_view()
    };
    view! {
        {empty.then(|| view! { <p class="empty" data-testid="no-members">"Nobody holds a role here yet."</p> })}
        {(!empty).then(|| view! {
            <div class="table-frame"><table class="table" data-testid="members">
                <thead><tr><th>"Person"</th><th>"Name"</th><th>"Role"</th><th>"Given by"</th><th>"At"</th></tr></thead>
                <tbody>
                    {members.into_iter().map(|m| view! {
                        <tr data-user=m.user.clone()>
                            <td><code>{m.user.clone()}</code></td><td>{m.display_name}</td>
                            <td>{m.role.as_str()}</td><td>{m.granted_by}</td><td><When at={m.granted_at}/></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table></div>
        })}
        {may_manage.then(|| view! {
            <h2>"Give a role"</h2>
            <ActionForm action=set_role attr:class="inline-form" attr:data-testid="member-form">
                <input type="hidden" name="organization" value=organization/>
                <label for="member-user">"Person (their sign-in name)"</label>
                <input id="member-user" name="user" type="text" required autocomplete="off"/>
                <label for="member-role">"Role"</label>
                <select id="member-role" name="role">
                    {roles()}
                    <option value="none">"none (take the membership away)"</option>
                </select>
                <button type="submit" class="button primary" data-testid="member-save"
                    disabled=move || set_role.pending().get()>"Save"</button>
            </ActionForm>
            {move || set_role.value().get().and_then(Result::err).map(|e| view! {
                <p class="notice error" role="alert" data-testid="member-error">{crate::failure::said(&e)}</p>
            })}
        })}
    }
}
