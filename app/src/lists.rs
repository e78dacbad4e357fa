//! The lists of the console's sections: which entities are listed, their columns (each one a
//! sort key the store accepts), and the server function that reads one page of them through
//! the store, searched, sorted and paged in SQL.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use strata_domain::kind::Kind;
use strata_domain::listing::ListQuery;

/// A column of a list: the entity's field it shows and the stored column it sorts by (the
/// same name), and its heading.
pub struct Column {
    pub sort: &'static str,
    pub label: &'static str,
}

/// The kinds with a section (a list and forms) of their own, in the sidebar's order. Tier
/// deployables are edited by the API and command line; layers under Configs.
pub const LISTED: [Kind; 5] = [
    Kind::Tier,
    Kind::Organization,
    Kind::Product,
    Kind::Deployable,
    Kind::Tenant,
];

/// How the console shows a kind.
pub trait Shown {
    /// The section's path: `/tiers`, `/tenants`, …
    fn section(self) -> &'static str;
    /// The section's heading.
    fn heading(self) -> &'static str;
    /// What a search matches, in words.
    fn searched(self) -> &'static str;
    fn columns(self) -> &'static [Column];
}

impl Shown for Kind {
    fn section(self) -> &'static str {
        match self {
            Kind::ConfigLayer => "configs",
            other => other.path(),
        }
    }

    fn heading(self) -> &'static str {
        match self {
            Kind::ConfigLayer => "Configs",
            other => other.title(),
        }
    }

    fn searched(self) -> &'static str {
        match self {
            Kind::Tier => "name, display name or state",
            Kind::Organization => "name, short name, display name or state",
            Kind::Product => "name, organization, display name or state",
            Kind::Deployable => "name or display name",
            Kind::Tenant => "name, product, tier, alias or state",
            Kind::ConfigLayer => "deployable, tier, product or tenant",
            Kind::TierDeployable => "tier, deployable or release",
            Kind::ApprovalPolicy => "name, display name, tier, product or deployable",
        }
    }

    fn columns(self) -> &'static [Column] {
        match self {
            Kind::Tier => &[
                Column {
                    sort: "name",
                    label: "Name",
                },
                Column {
                    sort: "display_name",
                    label: "Display name",
                },
                Column {
                    sort: "is_live",
                    label: "Live",
                },
                Column {
                    sort: "state",
                    label: "State",
                },
            ],
            Kind::Organization => &[
                Column {
                    sort: "name",
                    label: "Name",
                },
                Column {
                    sort: "short_name",
                    label: "Short name",
                },
                Column {
                    sort: "display_name",
                    label: "Display name",
                },
                Column {
                    sort: "state",
                    label: "State",
                },
            ],
            Kind::Product => &[
                Column {
                    sort: "name",
                    label: "Name",
                },
                Column {
                    sort: "organization",
                    label: "Organization",
                },
                Column {
                    sort: "display_name",
                    label: "Display name",
                },
                Column {
                    sort: "state",
                    label: "State",
                },
            ],
            Kind::Deployable => &[
                Column {
                    sort: "name",
                    label: "Name",
                },
                Column {
                    sort: "display_name",
                    label: "Display name",
                },
            ],
            Kind::Tenant => &[
                Column {
                    sort: "name",
                    label: "Name",
                },
                Column {
                    sort: "tier",
                    label: "Tier",
                },
                Column {
                    sort: "product",
                    label: "Product",
                },
                Column {
                    sort: "alias",
                    label: "Alias",
                },
                Column {
                    sort: "termination_protection",
                    label: "Protected",
                },
                Column {
                    sort: "state",
                    label: "State",
                },
            ],
            Kind::TierDeployable => &[
                Column {
                    sort: "tier",
                    label: "Tier",
                },
                Column {
                    sort: "deployable",
                    label: "Deployable",
                },
                Column {
                    sort: "active",
                    label: "Active",
                },
            ],
            Kind::ConfigLayer => &[
                Column {
                    sort: "deployable",
                    label: "Deployable",
                },
                Column {
                    sort: "scope_kind",
                    label: "Layer",
                },
            ],
            Kind::ApprovalPolicy => &[
                Column {
                    sort: "name",
                    label: "Name",
                },
                Column {
                    sort: "tier",
                    label: "Tier",
                },
                Column {
                    sort: "approvals",
                    label: "Approvals",
                },
                Column {
                    sort: "approver_role",
                    label: "Approver's role",
                },
                Column {
                    sort: "state",
                    label: "State",
                },
            ],
        }
    }
}

/// One row: the entity's key, a cell per column, and its state for the badge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListRow {
    pub key: String,
    pub cells: Vec<String>,
    pub state: Option<String>,
    pub version: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ListView {
    pub rows: Vec<ListRow>,
    /// How many entities match the search in all.
    pub total: i64,
}

#[server(endpoint = "list")]
pub async fn list_entities(kind: Kind, query: ListQuery) -> Result<ListView, ServerFnError> {
    use serde_json::Value;
    use strata_domain::listing::ListPage;
    use strata_domain::rules::Versioned;
    use strata_store::entity::Entity;

    use crate::ssr::Console;

    /// A column's cell: the entity's field of that name; a flag that is set shows as the
    /// column's label in lower case ("live", "protected"), one that is not as nothing.
    fn cell(entity: &Value, column: &Column) -> String {
        match entity.get(column.sort) {
            Some(Value::String(text)) => text.clone(),
            Some(Value::Bool(true)) => column.label.to_lowercase(),
            Some(Value::Bool(false) | Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        }
    }

    fn view<E: Entity>(
        kind: Kind,
        page: Result<ListPage<Versioned<E>>, strata_store::StoreError>,
    ) -> Result<ListView, ServerFnError> {
        let page = page.map_err(crate::ssr::store_failure)?;
        Ok(ListView {
            rows: page
                .items
                .iter()
                .map(|v| {
                    let entity = serde_json::to_value(&v.item).expect("entities serialize");
                    ListRow {
                        key: v.item.key(),
                        cells: kind.columns().iter().map(|c| cell(&entity, c)).collect(),
                        state: entity
                            .get("state")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        version: v.version,
                    }
                })
                .collect(),
            total: page.total,
        })
    }
    let console = Console::current()?;
    let actor = console.actor()?;
    strata_domain::with_kind!(kind, E => view(kind, console.store.as_actor(&actor).list_page::<E>(&query).await))
}
