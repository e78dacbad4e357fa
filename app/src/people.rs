//! People in the console: whether a setup link still works (for the first-admin page).
//! Signing in and out are plain form posts to the server's `/auth/*` routes.

use leptos::prelude::*;

/// Whether `token` is a setup link that would create the first admin now.
#[server(endpoint = "setup-status")]
pub async fn setup_status(token: String) -> Result<bool, ServerFnError> {
    use crate::ssr::Console;

    Console::current()?
        .store
        .setup_link_is_valid(&token)
        .await
        .map_err(crate::ssr::store_failure)
}

use serde::{Deserialize, Serialize};
use strata_domain::access::Role;

/// One member of an organization, as its members page lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberRow {
    pub user: String,
    pub display_name: String,
    pub role: Role,
    pub granted_by: String,
    pub granted_at: String,
}

/// An organization's members, and whether the signed-in person may change them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MembersView {
    pub members: Vec<MemberRow>,
    pub may_manage: bool,
}

/// The members of `organization`; `None` when it does not exist for the signed-in person.
#[server(endpoint = "members")]
pub async fn get_members(organization: String) -> Result<Option<MembersView>, ServerFnError> {
    use strata_domain::access::{Action, Scope};
    use strata_domain::time::format_rfc3339_millis;
    use strata_store::StoreError;

    use crate::ssr::{Console, store_failure};

    let console = Console::current()?;
    let actor = console.actor()?;
    let members = match console.store.members(&actor, &organization).await {
        Ok(members) => members,
        Err(StoreError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(store_failure(e)),
    };
    Ok(Some(MembersView {
        may_manage: actor.may(Action::ManageMembers, &Scope::Organization(organization)),
        members: members
            .into_iter()
            .map(|m| MemberRow {
                user: m.user,
                display_name: m.display_name,
                role: m.role,
                granted_by: m.granted_by,
                granted_at: format_rfc3339_millis(m.granted_at_ms),
            })
            .collect(),
    }))
}

/// Gives `user` the role `role` (viewer, editor, publisher, admin) in `organization`, or with
/// `none` takes their membership away.
#[server(endpoint = "member-role")]
pub async fn set_member_role(
    organization: String,
    user: String,
    role: String,
) -> Result<String, ServerFnError> {
    use crate::ssr::{Console, bad_argument, store_failure};

    let role =
        Role::parse_or_none(&role).map_err(|e| bad_argument(format!("/role: {}", e.rule)))?;
    let console = Console::current()?;
    let user = user.trim().to_owned();
    console
        .store
        .set_role(&console.actor()?, &user, &organization, role)
        .await
        .map_err(store_failure)?;
    Ok(match role {
        Some(role) => format!("{user} is now {role} of {organization}."),
        None => format!("{user} is no longer a member of {organization}."),
    })
}

/// A person, as the users page lists them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub name: String,
    pub display_name: String,
    pub disabled: bool,
    pub created_at: String,
    /// "domain admin", "editor of acme", …
    pub rights: Vec<String>,
}

/// Everyone (for a domain admin).
#[server(endpoint = "users")]
pub async fn get_users() -> Result<Vec<UserRow>, ServerFnError> {
    use strata_domain::time::format_rfc3339_millis;

    use crate::ssr::{Console, store_failure};

    let console = Console::current()?;
    let users = console
        .store
        .users(&console.actor()?)
        .await
        .map_err(store_failure)?;
    Ok(users
        .into_iter()
        .map(|u| UserRow {
            rights: u.rights(),
            name: u.name,
            display_name: u.display_name,
            disabled: u.disabled,
            created_at: format_rfc3339_millis(u.created_at_ms),
        })
        .collect())
}

/// Adds a person who can sign in with `password`; `domain_admin` is "yes" for a domain
/// admin (roles in organizations are given on each organization's members page).
#[server(endpoint = "user-add")]
pub async fn add_person(
    name: String,
    display_name: String,
    password: String,
    #[server(default)] domain_admin: Option<String>,
) -> Result<String, ServerFnError> {
    use strata_store::access::NewUser;

    use crate::ssr::{Console, store_failure};

    let console = Console::current()?;
    let name = name.trim().to_owned();
    let display_name = match display_name.trim() {
        "" => name.clone(),
        given => given.to_owned(),
    };
    let domain_admin = domain_admin.as_deref() == Some("yes");
    console
        .store
        .add_user(
            &console.actor()?,
            NewUser {
                name: &name,
                display_name: &display_name,
                password: &password,
                domain_admin,
            },
        )
        .await
        .map_err(store_failure)?;
    Ok(match domain_admin {
        true => format!("Added {name}, a domain admin."),
        false => format!("Added {name}: give them a role on an organization's members page."),
    })
}

/// Stops `name` from signing in ("disable") or lets them again ("enable").
#[server(endpoint = "user-access")]
pub async fn set_person_access(name: String, access: String) -> Result<String, ServerFnError> {
    use crate::ssr::{Console, store_failure};

    let disabled = match access.as_str() {
        "disable" => true,
        "enable" => false,
        other => {
            return Err(crate::ssr::bad_argument(format!(
                "/access: {other:?} is not disable or enable"
            )));
        }
    };
    let console = Console::current()?;
    console
        .store
        .set_disabled(&console.actor()?, &name, disabled)
        .await
        .map_err(store_failure)?;
    Ok(match disabled {
        true => format!("{name} can no longer sign in."),
        false => format!("{name} can sign in again."),
    })
}
