//! API tokens in the console: the ones the signed-in person may manage, a form to create one
//! (its secret shown once), and revoking.

// Each field of the create form is an argument of its server function, so that a plain form
// posts it; the functions the macro generates take them all.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A token as the tokens page lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenRow {
    pub name: String,
    /// "reads configs on LIVE", "acts as editor in acme".
    pub scope: String,
    pub created_by: String,
    pub created_at: String,
    pub expires_at: String,
    /// "live", "expired" or "revoked by NAME".
    pub state: String,
    pub live: bool,
    pub uses: i64,
    pub last_used_at: Option<String>,
}

#[server(endpoint = "tokens")]
pub async fn get_tokens() -> Result<Vec<TokenRow>, ServerFnError> {
    use strata_domain::time::format_rfc3339_millis;
    use strata_store::now_ms;

    use crate::ssr::{Console, store_failure};

    let console = Console::current()?;
    let tokens = console
        .store
        .tokens(&console.actor()?)
        .await
        .map_err(store_failure)?;
    let now = now_ms();
    Ok(tokens
        .into_iter()
        .map(|t| TokenRow {
            state: match (&t.revoked_by, t.is_live(now)) {
                (Some(by), _) => format!("revoked by {by}"),
                (None, false) => "expired".to_owned(),
                (None, true) => "live".to_owned(),
            },
            live: t.is_live(now),
            scope: t.scope.describe(),
            created_at: format_rfc3339_millis(t.created_at_ms),
            expires_at: format_rfc3339_millis(t.expires_at_ms),
            last_used_at: t.last_used_at_ms.map(format_rfc3339_millis),
            name: t.name,
            created_by: t.created_by,
            uses: t.uses,
        })
        .collect())
}

/// Names separated by commas or spaces.
pub fn names_in(text: &str) -> Vec<String> {
    text.split([',', ' ', '\n'])
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Creates a token and answers its secret, which is shown once. `kind` is "read" (with
/// `tiers`, and optionally `tenants` and `deployables`, each a list of names, and `secrets`
/// "on" for secret values in plain text), "act" (with `organization` and `role`) or "admin"
/// (acts as a domain admin: a service's CI registering its deployable).
#[server(endpoint = "token-create")]
pub async fn create_token(
    name: String,
    kind: String,
    #[server(default)] tiers: String,
    #[server(default)] tenants: String,
    #[server(default)] deployables: String,
    #[server(default)] secrets: String,
    #[server(default)] organization: String,
    #[server(default)] role: String,
    days: String,
) -> Result<String, ServerFnError> {
    use strata_domain::access::Role;
    use strata_domain::token::TokenScope;
    use strata_store::access::NewToken;

    use crate::ssr::{Console, store_failure};

    let scope = match kind.as_str() {
        "read" => TokenScope::Read {
            tiers: names_in(&tiers),
            tenants: names_in(&tenants),
            deployables: names_in(&deployables),
            secrets: secrets == "on",
        },
        "act" => TokenScope::Act {
            organization: organization.trim().to_owned(),
            role: Role::parse(&role)
                .map_err(|e| crate::ssr::bad_argument(format!("/scope/role: {}", e.rule)))?,
        },
        "admin" => TokenScope::Admin,
        other => {
            return Err(crate::ssr::bad_argument(format!(
                "/scope/kind: {other:?} is not read, act or admin"
            )));
        }
    };
    let days = days
        .trim()
        .parse()
        .map_err(|_| crate::ssr::bad_argument("/days: a whole number of days"))?;
    let console = Console::current()?;
    let (_, secret) = console
        .store
        .create_token(
            &console.actor()?,
            NewToken {
                name: name.trim(),
                scope,
                days,
            },
        )
        .await
        .map_err(store_failure)?;
    Ok(secret)
}

#[server(endpoint = "token-revoke")]
pub async fn revoke_token(name: String) -> Result<String, ServerFnError> {
    use crate::ssr::{Console, store_failure};

    let console = Console::current()?;
    console
        .store
        .revoke_token(&console.actor()?, &name)
        .await
        .map_err(store_failure)?;
    Ok(format!("Revoked {name}: it stops working within seconds."))
}
