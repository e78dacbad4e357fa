//! The `strata token` commands: API tokens, from a terminal on the server's database, as the
//! operator (`--actor`, default $USER). Creating and revoking are audited.

use strata_domain::access::Role;
use strata_domain::time::format_rfc3339_millis;
use strata_domain::token::TokenScope;
use strata_store::access::{Actor, NewToken};
use strata_store::{Store, now_ms};

use crate::cli::CliError;
use crate::cli::args::TokenAction;

pub async fn run(store: &Store, by: &str, action: TokenAction) -> Result<(), CliError> {
    let by = &Actor::operator(by);
    match action {
        TokenAction::Create {
            name,
            tiers,
            tenants,
            deployables,
            secrets,
            organization,
            role,
            domain_admin,
            days,
        } => {
            let scope = match (organization, role) {
                _ if domain_admin => TokenScope::Admin,
                (Some(organization), Some(role)) => TokenScope::Act {
                    organization,
                    role: Role::parse(&role)
                        .map_err(|e| usage(&format!("--role {role:?}: {}", e.rule)))?,
                },
                _ if tiers.is_empty() => {
                    return Err(usage(
                        "say what the token may do: --tier T (read configs), \
                         --organization O --role R (act there) or --domain-admin",
                    ));
                }
                _ => TokenScope::Read {
                    tiers,
                    tenants,
                    deployables,
                    secrets,
                },
            };
            let (token, secret) = store
                .create_token(
                    by,
                    NewToken {
                        name: &name,
                        scope,
                        days,
                    },
                )
                .await?;
            eprintln!(
                "created token {} ({}), until {}; its secret is shown this once:",
                token.name,
                token.scope.describe(),
                format_rfc3339_millis(token.expires_at_ms)
            );
            println!("{secret}");
        }
        TokenAction::List => {
            let tokens = store.tokens(by).await?;
            if tokens.is_empty() {
                println!("no tokens yet: `strata token create NAME --tier LIVE` makes one");
            }
            let width = tokens.iter().map(|t| t.name.len()).max().unwrap_or(0);
            let now = now_ms();
            for token in tokens {
                let state = match (token.revoked_at_ms, token.is_live(now)) {
                    (Some(at), _) => format!(
                        "revoked {} by {}",
                        format_rfc3339_millis(at),
                        token.revoked_by.as_deref().unwrap_or("?")
                    ),
                    (None, false) => {
                        format!("expired {}", format_rfc3339_millis(token.expires_at_ms))
                    }
                    (None, true) => {
                        format!("until {}", format_rfc3339_millis(token.expires_at_ms))
                    }
                };
                let used = match token.last_used_at_ms {
                    Some(at) => format!(
                        "used {} times, last {}",
                        token.uses,
                        format_rfc3339_millis(at)
                    ),
                    None => "never used".to_owned(),
                };
                println!(
                    "{:width$}  {}  {state}  {used}  (by {})",
                    token.name,
                    token.scope.describe(),
                    token.created_by
                );
            }
        }
        TokenAction::Revoke { name } => {
            store.revoke_token(by, &name).await?;
            println!("revoked {name}: it stops working within seconds on every server");
        }
    }
    Ok(())
}

fn usage(why: &str) -> CliError {
    CliError::input("strata token", why)
}
