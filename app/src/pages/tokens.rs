//! API tokens: the ones the signed-in person may manage, with their use; creating one (its
//! secret shown this once); revoking.

use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_meta::Title;
use strata_domain::access::Role;
use strata_domain::token::MAX_TOKEN_DAYS;

use crate::failure::failure;
use crate::overview::SharedOverview;
use crate::pages::when::When;
use crate::toasts::Toasts;
use crate::tokens::{CreateToken, RevokeToken, TokenRow, get_tokens};

#[component]
pub fn TokensPage() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let toasts = Toasts::get();
    Effect::new(move |_| {
        if let Some(Ok(said)) = revoke.value().get() {
            toasts.say(said);
        }
    });
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| get_tokens(),
    );
    let overview = expect_context::<SharedOverview>();
    view! {
        <Title text="API tokens"/>
        <div class="page-head"><h1>"API tokens"</h1></div>
        <p class="help">
            "Services read their resolved configs with a read token: "
            <code>"GET /api/v1/config/{tier}/{tenant}/{deployable}"</code>
            " with " <code>"Authorization: Bearer …"</code>
            ". Automation acts in one organization with a role's rights, or as a domain admin \
             (a service's CI registering its deployable: "
            <code>"strata deployable register FILE --server URL"</code>")."
        </p>
        {move || create.value().get().map(|answer| match answer {
            Ok(secret) => view! {
                <div class="notice" role="status" data-testid="token-secret">
                    <p>"The token's secret, shown this once: copy it now."</p>
                    <pre class="json"><code>{secret}</code></pre>
                </div>
            }.into_any(),
            Err(e) => view! { <p class="notice error" role="alert" data-testid="token-error">{crate::failure::said(&e)}</p> }.into_any(),
        })}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            <ErrorBoundary fallback=failure("The server could not list the tokens.")>
                {move || tokens.get().map(|result| result.map(|rows| view! { <TokenTable rows revoke/> }))}
            </ErrorBoundary>
        </Transition>
        // Offered only to whom the store lets make tokens, with only the kinds they may make.
        <Transition fallback=|| ()>
            {move || overview.0.get().map(|seen| {
                match seen.ok().and_then(|o| o.person).map(|p| p.grants) {
                    Some(grants) if grants.holds_somewhere(Role::Admin) => view! {
                        <CreateTokenForm create domain_admin=grants.domain_admin/>
                    }.into_any(),
                    _ => view! {
                        <p class="help" data-testid="no-token-form">
                            "Tokens are made by an organization's admins (to act in it) and by domain admins (to read configs, or to act as a domain admin)."
                        </p>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The form that makes a token: read tokens and domain-admin tokens only for a domain admin.
#[component]
fn CreateTokenForm(create: ServerAction<CreateToken>, domain_admin: bool) -> impl IntoView {
    let kind = RwSignal::new(if domain_admin { "read" } else { "act" }.to_owned());
    view! {
        <h2>"Create a token"</h2>
        <ActionForm action=create attr:class="stacked-form" attr:data-testid="create-token">
            <label for="token-name">"Name"</label>
            <input id="token-name" name="name" type="text" required autocomplete="off" aria-describedby="token-name-hint"/>
            <p class="help" id="token-name-hint">{strata_domain::names::TokenName::RULE_WORDS} ". Say who holds it: billing-live, deploy-bot."</p>
            <label for="token-kind">"It may"</label>
            <select id="token-kind" name="kind" on:change=move |ev| kind.set(event_target_value(&ev))>
                {domain_admin.then(|| view! { <option value="read">"read resolved configs (a service)"</option> })}
                <option value="act">"act in an organization (automation)"</option>
                {domain_admin.then(|| view! { <option value="admin">"act as a domain admin (a service's CI registering its deployable)"</option> })}
            </select>
            <fieldset hidden=move || kind.get() != "read">
                <legend>"What it reads"</legend>
                <label for="token-tiers">"Tiers"</label>
                <input id="token-tiers" name="tiers" type="text" placeholder="LIVE, STAGING"/>
                <label for="token-tenants">"Only these tenants (empty: every tenant on the tiers)"</label>
                <input id="token-tenants" name="tenants" type="text"/>
                <label for="token-deployables">"Only these deployables (empty: all)"</label>
                <input id="token-deployables" name="deployables" type="text"/>
                <label class="toggle">
                    <input type="checkbox" name="secrets" value="on"/>
                    " Secret values in plain text (without it a service gets them sealed)"
                </label>
            </fieldset>
            <fieldset hidden=move || kind.get() != "act">
                <legend>"Where it acts"</legend>
                <label for="token-organization">"Organization"</label>
                <input id="token-organization" name="organization" type="text"/>
                <label for="token-role">"Role"</label>
                <select id="token-role" name="role">
                    {Role::ALL.into_iter().map(|role| view! { <option value=role.as_str()>{role.as_str()}</option> }).collect_view()}
                </select>
            </fieldset>
            <label for="token-days">"Works for (days)"</label>
            <input id="token-days" name="days" type="number" min="1" max=MAX_TOKEN_DAYS.to_string() value="90" required/>
            <div class="actions">
                <button type="submit" class="button primary" data-testid="create-token-save"
                    disabled=move || create.pending().get()>"Create"</button>
            </div>
        </ActionForm>
    }
}

#[component]
fn TokenTable(rows: Vec<TokenRow>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty" data-testid="no-tokens">"No tokens yet."</p> }.into_any();
    }
    view! {
        <div class="table-frame"><table class="table" data-testid="tokens">
            <thead><tr>
                <th>"Name"</th><th>"May"</th><th>"State"</th><th>"Expires"</th>
                <th>"Uses"</th><th>"Last used"</th><th>"Created by"</th><th><span class="visually-hidden">"Revoke"</span></th>
            </tr></thead>
            <tbody>
                {rows.into_iter().map(|t| {
                    let name = t.name.clone();
                    view! {
                    <tr data-token=name>
                        <td><code>{t.name.clone()}</code></td>
                        <td>{t.scope}</td>
                        <td>{t.state}</td>
                        <td><When at={t.expires_at}/></td>
                        <td>{t.uses}</td>
                        <td>{t.last_used_at.unwrap_or_else(|| "never".to_owned())}</td>
                        <td>{t.created_by} " " <When at={t.created_at}/></td>
                        <td>{t.live.then(|| view! {
                            <ActionForm action=revoke>
                                <input type="hidden" name="name" value=t.name.clone()/>
                                <button type="submit" class="button small" data-testid=format!("revoke-{}", t.name)>"Revoke"</button>
                            </ActionForm>
                        })}</td>
                    </tr>
                    }
                }).collect_view()}
            </tbody>
        </table></div>
    }
    .into_any()
}
