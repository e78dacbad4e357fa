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
        .map_err(|e| ServerFnError::new(e.to_string()))
}
