//! The lists of the console's sections: which entities are listed, their columns (each one a
//! sort key the store accepts), and the server function that reads one page of them through
//! the store, searched, sorted and paged in SQL.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use strata_domain::access::{Grants, Role};
use strata_domain::listing::ListQuery;

/// The kinds of entity the console shows and edits. All but config layers have a list and a
/// form of their own; a layer has its editor under Configs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Tier,
    Organization,
    Product,
    Deployable,
    Tenant,
    ConfigLayer,
}

impl EntityKind {
    /// Whether someone with `grants` may create one of these somewhere: what all
    /// organizations share is the domain admin's; products and tenants, any editor's.
    pub fn may_create(self, grants: &Grants) -> bool {
        match self {
            EntityKind::Product | EntityKind::Tenant => grants.holds_somewhere(Role::Editor),
            _ => grants.domain_admin,
        }
    }
}

/// A column of a list: the entity's field it shows and the stored column it sorts by (the
/// same name), and its heading.
pub struct Column {
    pub sort: &'static str,
    pub label: &'static str,
}

impl EntityKind {
    pub const LISTED: [EntityKind; 5] = [
        EntityKind::Tier,
        EntityKind::Organization,
        EntityKind::Product,
        EntityKind::Deployable,
        EntityKind::Tenant,
    ];

    /// The section's path: `/tiers`, `/tenants`, …
    pub fn section(self) -> &'static str {
        match self {
            EntityKind::Tier => "tiers",
            EntityKind::Organization => "organizations",
            EntityKind::Product => "products",
            EntityKind::Deployable => "deployables",
            EntityKind::Tenant => "tenants",
            EntityKind::ConfigLayer => "configs",
        }
    }

    /// The kind as history, audit and errors name it: `tier`, `tenant`, …
    pub fn store_kind(self) -> &'static str {
        match self {
            EntityKind::Tier => "tier",
            EntityKind::Organization => "organization",
            EntityKind::Product => "product",
            EntityKind::Deployable => "deployable",
            EntityKind::Tenant => "tenant",
            EntityKind::ConfigLayer => "config layer",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            EntityKind::Tier => "Tiers",
            EntityKind::Organization => "Organizations",
            EntityKind::Product => "Products",
            EntityKind::Deployable => "Deployables",
            EntityKind::Tenant => "Tenants",
            EntityKind::ConfigLayer => "Configs",
        }
    }

    /// What a search matches, in words.
    pub fn searched(self) -> &'static str {
        match self {
            EntityKind::Tier => "name, display name or state",
            EntityKind::Organization => "name, short name, display name or state",
            EntityKind::Product => "name, organization, display name or state",
            EntityKind::Deployable => "name or display name",
            EntityKind::Tenant => "name, product, tier, alias or state",
            EntityKind::ConfigLayer => "deployable, tier, product or tenant",
        }
    }

    pub fn columns(self) -> &'static [Column] {
        match self {
            EntityKind::Tier => &[
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
            EntityKind::Organization => &[
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
            EntityKind::Product => &[
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
            EntityKind::Deployable => &[
                Column {
                    sort: "name",
                    label: "Name",
                },
                Column {
                    sort: "display_name",
                    label: "Display name",
                },
            ],
            EntityKind::Tenant => &[
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
            EntityKind::ConfigLayer => &[
                Column {
                    sort: "deployable",
                    label: "Deployable",
                },
                Column {
                    sort: "scope_kind",
                    label: "Layer",
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
pub async fn list_entities(kind: EntityKind, query: ListQuery) -> Result<ListView, ServerFnError> {
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
        kind: EntityKind,
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
    crate::with_entity_type!(kind, E => view(kind, console.store.as_actor(&actor).list_page::<E>(&query).await))
}
