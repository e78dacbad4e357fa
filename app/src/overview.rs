//! The domain at a glance: its name, its revision, and the state and version of every part
//! it runs on. Shown in the header and on the home page.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use strata_domain::access::Grants;
use strata_domain::health::Health;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub domain_name: String,
    pub display_name: String,
    pub revision: i64,
    pub strata_version: String,
    pub health: Health,
    /// When the server answered, RFC 3339 with milliseconds.
    pub checked_at: String,
    /// Who is signed in.
    pub person: Option<strata_domain::access::Person>,
    /// Change requests waiting for their review, and their own still open.
    pub requests: RequestCounts,
}

/// What the sidebar counts beside "Change requests".
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestCounts {
    pub waiting: usize,
    pub mine_open: usize,
}

/// The overview the layout reads for its header, shared with the pages that show part of it,
/// so a page does not check the domain's health a second time.
#[derive(Clone, Copy)]
pub struct SharedOverview(pub Resource<Result<Overview, ServerFnError>>);

impl SharedOverview {
    /// Whether the signed-in person's grants pass `test`, to offer only what they may do
    /// (the store refuses the rest anyway); false until the overview is read. Read it inside
    /// a `Transition`.
    pub fn allows(self, test: impl Fn(&Grants) -> bool) -> bool {
        self.0
            .get()
            .and_then(Result::ok)
            .and_then(|overview| overview.person)
            .is_some_and(|person| test(&person.grants))
    }
}

#[server(endpoint = "overview")]
pub async fn get_overview() -> Result<Overview, ServerFnError> {
    use crate::ssr::Console;

    let console = Console::current()?;
    let domain = console
        .store
        .domain()
        .await
        .map_err(crate::ssr::store_failure)?;
    let health = console.health.check().await;
    let person = Console::person();
    let health = match &person {
        Some(p) if p.grants.domain_admin => health,
        _ => health.without_details(),
    };
    // The sidebar's counts: a count that cannot be read is left out, not the header.
    let requests = match console.actor() {
        Ok(actor) => {
            use strata_store::review::requests::RequestFilter;
            let reader = console.store.as_actor(&actor);
            let count = async |filter| match reader.change_requests(filter).await {
                Ok(found) => found.len(),
                Err(e) => {
                    tracing::warn!(error = %e, "the change requests could not be counted");
                    0
                }
            };
            RequestCounts {
                waiting: count(RequestFilter::WaitingForMe).await,
                mine_open: count(RequestFilter::MineOpen).await,
            }
        }
        Err(_) => RequestCounts::default(),
    };
    Ok(Overview {
        domain_name: domain.name,
        display_name: domain.display_name,
        revision: domain.revision,
        strata_version: env!("CARGO_PKG_VERSION").to_owned(),
        health,
        checked_at: now_rfc3339(),
        person,
        requests,
    })
}

#[cfg(feature = "ssr")]
fn now_rfc3339() -> String {
    strata_domain::time::format_rfc3339_millis(strata_store::now_ms())
}

/// One recent change, for the home page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecentChange {
    pub revision: i64,
    pub kind: String,
    pub key: String,
    pub operation: String,
    pub actor: String,
    pub at: String,
    pub reason: String,
}

/// What happened lately: the newest publication and the newest changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Activity {
    pub last_publication: Option<crate::publications::PublicationRow>,
    pub recent: Vec<RecentChange>,
}

/// How many changes the home page lists.
pub const RECENT: i64 = 8;

#[server(endpoint = "activity")]
pub async fn get_activity() -> Result<Activity, ServerFnError> {
    use strata_domain::audit::AuditFilter;
    use strata_domain::time::format_rfc3339_millis;

    use crate::ssr::Console;

    let console = Console::current()?;
    let actor = console.actor()?;
    let store = console.store.as_actor(&actor);
    let fail = crate::ssr::store_failure;
    let last_publication = store
        .publications(1)
        .await
        .map_err(fail)?
        .into_iter()
        .next()
        .map(crate::publications::row_of);
    let recent = store
        .audit_trail(&AuditFilter::default(), 0, RECENT)
        .await
        .map_err(fail)?
        .items
        .into_iter()
        .map(|r| RecentChange {
            revision: r.revision,
            kind: r.entity_kind,
            key: r.entity_key,
            operation: r.operation.as_str().to_owned(),
            actor: r.actor,
            at: format_rfc3339_millis(r.at_ms),
            reason: r.reason,
        })
        .collect();
    Ok(Activity {
        last_publication,
        recent,
    })
}
