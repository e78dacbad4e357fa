//! The `strata user` commands: people and their roles, from a terminal on the server's
//! database. Each change goes to the audit log, by the `--actor` (default $USER).

use std::io::{BufRead, IsTerminal};

use strata_domain::access::Role;
use strata_store::Store;
use strata_store::access::{Actor, NewUser};

use crate::cli::CliError;
use crate::cli::args::UserAction;

pub async fn run(store: &Store, by: &str, action: UserAction) -> Result<(), CliError> {
    let by = &Actor::operator(by);
    match action {
        UserAction::Add {
            name,
            role,
            organization,
            display_name,
            password_stdin,
        } => {
            let role = role.as_deref().map(parse_role).transpose()?;
            let domain_admin = match (role, &organization) {
                (Some(Role::Admin), None) => true,
                (Some(_), None) => {
                    return Err(usage(
                        "--role without --organization can only be `admin` (a domain admin); \
                         name the organization for the other roles",
                    ));
                }
                (None, Some(_)) => {
                    return Err(usage("--organization needs a --role to give there"));
                }
                _ => false,
            };
            let password = read_password(password_stdin)?;
            let display_name = display_name.unwrap_or_else(|| name.clone());
            let user = store
                .add_user(
                    by,
                    NewUser {
                        name: &name,
                        display_name: &display_name,
                        password: &password,
                        domain_admin,
                    },
                )
                .await?;
            if let (Some(role), Some(organization)) = (role, &organization) {
                store.set_role(by, &name, organization, Some(role)).await?;
            }
            println!(
                "added {}{}",
                user.name,
                match (domain_admin, role, &organization) {
                    (true, _, _) => " as a domain admin".to_owned(),
                    (false, Some(role), Some(org)) => format!(" as {role} of {org}"),
                    _ => " (no roles yet: `strata user role NAME ORGANIZATION ROLE`)".to_owned(),
                }
            );
        }
        UserAction::List => {
            let users = store.users(by).await?;
            if users.is_empty() {
                println!("nobody yet: `strata user add NAME --role admin` adds a domain admin");
            }
            let width = users.iter().map(|u| u.name.len()).max().unwrap_or(0);
            for user in users {
                let mut rights = user.rights();
                if user.disabled {
                    rights.push("disabled".to_owned());
                }
                println!(
                    "{:width$}  {}  {}",
                    user.name,
                    user.display_name,
                    if rights.is_empty() {
                        "no roles".to_owned()
                    } else {
                        rights.join(", ")
                    }
                );
            }
        }
        UserAction::Password {
            name,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            store.set_password(by, &name, &password).await?;
            println!("set the password of {name}");
        }
        UserAction::Role {
            name,
            organization,
            role,
        } => {
            let role = Role::parse_or_none(&role)
                .map_err(|e| usage(&format!("--role {role:?}: {}", e.rule)))?;
            store.set_role(by, &name, &organization, role).await?;
            match role {
                Some(role) => println!("{name} is now {role} of {organization}"),
                None => println!("{name} no longer has a role in {organization}"),
            }
        }
        UserAction::Disable { name } => {
            store.set_disabled(by, &name, true).await?;
            println!("{name} can no longer sign in");
        }
        UserAction::Enable { name } => {
            store.set_disabled(by, &name, false).await?;
            println!("{name} can sign in again");
        }
    }
    Ok(())
}

fn parse_role(text: &str) -> Result<Role, CliError> {
    Role::parse(text).map_err(|e| usage(&format!("--role {text:?}: {}", e.rule)))
}

fn usage(why: &str) -> CliError {
    CliError::input("strata user", why)
}

/// The password from stdin's first line, or asked twice at the terminal.
fn read_password(from_stdin: bool) -> Result<String, CliError> {
    let stdin = std::io::stdin();
    if from_stdin || !stdin.is_terminal() {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|e| usage(&format!("cannot read the password from stdin: {e}")))?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    let password = rpassword::prompt_password("password: ")
        .map_err(|e| usage(&format!("cannot read the password: {e}")))?;
    let again = rpassword::prompt_password("the same again: ")
        .map_err(|e| usage(&format!("cannot read the password: {e}")))?;
    if again != password {
        return Err(usage("the two passwords differ; nothing changed"));
    }
    Ok(password)
}
