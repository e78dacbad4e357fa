//! People (for domain admins): everyone who can sign in, their roles, adding someone, and
//! stopping someone from signing in.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use strata_domain::access::PASSWORD_MIN_CHARS;

use crate::failure::failure;
use crate::overview::SharedOverview;
use crate::pages::when::When;
use crate::people::{AddPerson, SetPersonAccess, UserRow, get_users};
use crate::toasts::Toasts;

#[component]
pub fn UsersPage() -> impl IntoView {
    let add = ServerAction::<AddPerson>::new();
    let access = ServerAction::<SetPersonAccess>::new();
    let toasts = Toasts::get();
    Effect::new(move |_| {
        if let Some(Ok(said)) = add.value().get() {
            toasts.say(said);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(said)) = access.value().get() {
            toasts.say(said);
        }
    });
    let overview = expect_context::<SharedOverview>();
    let users = Resource::new(
        move || (add.version().get(), access.version().get()),
        |_| get_users(),
    );
    view! {
        <Title text="People"/>
        <div class="page-head"><h1>"People"</h1></div>
        <p class="help">"Everyone who can sign in. Roles in an organization are given on that organization's members page."</p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <ErrorBoundary fallback=failure("Only a domain admin may see everyone.")>
                {move || users.get().map(|result| result.map(|rows| view! { <UserTable rows access/> }))}
            </ErrorBoundary>
        </Transition>
        {move || access.value().get().and_then(Result::err).map(|e| view! {
            <p class="notice error" role="alert">{crate::failure::said(&e)}</p>
        })}
        // Only for whom the store lets add people: the others are not offered a form.
        <Transition fallback=|| ()>
            {move || overview.0.get().map(|seen| {
                let admin = seen.ok().and_then(|o| o.person).is_some_and(|p| p.grants.domain_admin);
                admin.then(|| view! { <AddPersonForm add/> })
            })}
        </Transition>
        {move || add.value().get().and_then(Result::err).map(|e| view! {
            <p class="notice error" role="alert" data-testid="add-person-error">{crate::failure::said(&e)}</p>
        })}
    }
}

/// The form that adds a person who may sign in.
#[component]
fn AddPersonForm(add: ServerAction<AddPerson>) -> impl IntoView {
    view! {
        <h2>"Add someone"</h2>
        <ActionForm action=add attr:class="stacked-form" attr:data-testid="add-person">
            <label for="person-name">"Sign-in name"</label>
            <input id="person-name" name="name" type="text" required autocomplete="off"
                aria-describedby="person-name-hint"/>
            <p class="help" id="person-name-hint">{strata_domain::names::UserName::RULE_WORDS} "."</p>
            <label for="person-display">"Display name"</label>
            <input id="person-display" name="display_name" type="text"/>
            <label for="person-password">"Password"</label>
            <input id="person-password" name="password" type="password" required autocomplete="new-password"
                minlength=PASSWORD_MIN_CHARS.to_string() aria-describedby="person-password-hint"/>
            <p class="help" id="person-password-hint">"At least " {PASSWORD_MIN_CHARS} " characters; tell it to them in person."</p>
            <label class="check">
                <input name="domain_admin" type="checkbox" value="yes"/>
                " A domain admin (manages tiers, deployables, people and every organization)"
            </label>
            <div class="actions">
                <button type="submit" class="button primary" data-testid="add-person-save"
                    disabled=move || add.pending().get()>"Add"</button>
            </div>
        </ActionForm>
    }
}

#[component]
fn UserTable(rows: Vec<UserRow>, access: ServerAction<SetPersonAccess>) -> impl IntoView {
    view! {
        <div class="table-frame"><table class="table" data-testid="users">
            <thead><tr><th>"Person"</th><th>"Name"</th><th>"Rights"</th><th>"Since"</th><th><span class="visually-hidden">"Access"</span></th></tr></thead>
            <tbody>
                {rows.into_iter().map(|u| {
                    let rights = if u.rights.is_empty() { "no roles".to_owned() } else { u.rights.join(", ") };
                    let (label, verb) = if u.disabled { ("Let sign in", "enable") } else { ("Disable", "disable") };
                    let (name, testid) = (u.name.clone(), format!("{verb}-{}", u.name));
                    view! {
                        <tr data-user=u.name.clone() class:muted=u.disabled>
                            <td><code>{name.clone()}</code></td>
                            <td>{u.display_name}</td>
                            <td>{rights}{u.disabled.then_some(" · disabled")}</td>
                            <td><When at={u.created_at}/></td>
                            <td>
                                <ActionForm action=access>
                                    <input type="hidden" name="name" value=name/>
                                    <input type="hidden" name="access" value=verb/>
                                    <button type="submit" class="button small" data-testid=testid>{label}</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
}
