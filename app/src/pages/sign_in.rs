//! The pages that let people in: sign-in, and the first admin's setup through the one-time
//! link the server logs. Both are plain forms posted to the server's `/auth/*` routes, so
//! they work before (and without) the console's scripts; a refusal comes back in the query.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use strata_domain::access::PASSWORD_MIN_CHARS;

use crate::people::setup_status;

/// What a refused sign-in came back with, in words.
fn refusal(failed: &str) -> Option<String> {
    if failed == "credentials" {
        return Some("Wrong user name or password.".to_owned());
    }
    let minutes = failed.strip_prefix("limited-")?;
    Some(format!(
        "Too many failed sign-ins lately. Try again in {minutes} minute(s)."
    ))
}

#[component]
pub fn SignInPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.with_untracked(|q| q.get(name)).unwrap_or_default();
    let message = refusal(&param("failed"));
    let signed_out = !param("signed-out").is_empty();
    let name = param("name");
    let next = param("next");
    view! {
        <Title text="Sign in"/>
        <main class="sign-in">
            <h1>"Strata"</h1>
            <form method="post" action="/auth/sign-in" class="sign-in-form">
                <h2>"Sign in"</h2>
                {signed_out.then(|| view! { <p class="notice" role="status">"You have signed out."</p> })}
                {message.map(|m| view! { <p class="field-error" role="alert" data-testid="sign-in-error">{m}</p> })}
                <input type="hidden" name="next" value=next/>
                <label>
                    "User name"
                    <input name="name" autocomplete="username" required autofocus value=name/>
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" required/>
                </label>
                <button type="submit" class="button primary">"Sign in"</button>
            </form>
        </main>
    }
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |name: &str| query.with_untracked(|q| q.get(name)).unwrap_or_default();
    let valid = Resource::new(move || param("token"), setup_status);
    view! {
        <Title text="Set up"/>
        <main class="sign-in">
            <h1>"Strata"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Checking the link…"</p> }>
                {move || valid.get().map(|answer| match answer {
                    Ok(true) => view! {
                        <SetupForm
                            token=param("token")
                            name=param("name")
                            display_name=param("display_name")
                            field=param("field")
                            rule=param("rule")
                        />
                    }.into_any(),
                    Ok(false) => view! {
                        <div class="sign-in-form" data-testid="setup-expired">
                            <h2>"This setup link no longer works"</h2>
                            <p>
                                "It was used, it expired, or someone can sign in already. "
                                <a href="/sign-in">"Sign in"</a>
                                ", restart the server for a new link, or add an admin with "
                                <code>"strata user add NAME --role admin"</code> "."
                            </p>
                        </div>
                    }.into_any(),
                    Err(e) => view! { <p class="field-error" role="alert">{crate::failure::said(&e)}</p> }.into_any(),
                })}
            </Suspense>
        </main>
    }
}

/// The first admin's form, with the rule broken at the field that broke it.
#[component]
fn SetupForm(
    token: String,
    name: String,
    display_name: String,
    field: String,
    rule: String,
) -> impl IntoView {
    let error_at = move |at: &'static str| {
        (field == at)
            .then(|| view! { <span class="field-error" role="alert">{rule.clone()}</span> })
    };
    view! {
        <form method="post" action="/auth/setup" class="sign-in-form">
            <h2>"Create the first admin"</h2>
            <p class="muted">
                "Nobody can sign in yet. The person made here is a domain admin: they manage tiers, "
                "deployables, schemas and people, and give others their roles."
            </p>
            {error_at("/token")}
            <input type="hidden" name="token" value=token/>
            <div class="field">
                <label for="setup-name">"User name"</label>
                <input id="setup-name" name="name" autocomplete="username" required value=name aria-describedby="setup-name-hint"/>
                <span class="hint" id="setup-name-hint">"lower-case letters, digits, dots and dashes"</span>
                {error_at("/name")}
            </div>
            <div class="field">
                <label for="setup-display-name">"Display name"</label>
                <input id="setup-display-name" name="display_name" autocomplete="name" required value=display_name/>
                {error_at("/display_name")}
            </div>
            <div class="field">
                <label for="setup-password">"Password"</label>
                <input id="setup-password" type="password" name="password" autocomplete="new-password" required minlength=PASSWORD_MIN_CHARS.to_string() aria-describedby="setup-password-hint"/>
                <span class="hint" id="setup-password-hint">{format!("at least {PASSWORD_MIN_CHARS} characters")}</span>
                {error_at("/password")}
            </div>
            <div class="field">
                <label for="setup-password-again">"The same password again"</label>
                <input id="setup-password-again" type="password" name="password_again" autocomplete="new-password" required/>
                {error_at("/password_again")}
            </div>
            <button type="submit" class="button primary">"Create and sign in"</button>
        </form>
    }
}
