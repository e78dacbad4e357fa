//! What an actor may read: everything (the operator, a domain admin), or the rows of their
//! organizations and what the domain shares (a person with a role somewhere), or nothing.

use serde_json::Value;
use strata_domain::access::Person;

use super::Actor;
use crate::entity::Entity;
use crate::history::State;

/// Which rows an actor may read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Visibility {
    All,
    /// These organizations' rows and the shared ones; none at all when empty.
    Organizations(Vec<String>),
}

impl Visibility {
    pub(crate) fn of(actor: &Actor) -> Visibility {
        match actor {
            Actor::Operator(_) => Visibility::All,
            Actor::Person(Person { grants, .. }) if grants.domain_admin => Visibility::All,
            Actor::Person(Person { grants, .. }) => {
                Visibility::Organizations(grants.roles.keys().cloned().collect())
            }
        }
    }

    /// Whether this actor may read nothing at all (a person with no role anywhere).
    pub(crate) fn sees_nothing(&self) -> bool {
        matches!(self, Visibility::Organizations(organizations) if organizations.is_empty())
    }

    /// A condition to AND onto a query of `E`'s table, with placeholders numbered from
    /// `first`, and the values to bind to them in order.
    pub(crate) fn condition<E: Entity>(&self, first: usize) -> (String, Vec<String>) {
        let mut next = first;
        let placeholder = || {
            let p = format!("${next}");
            next += 1;
            p
        };
        match E::ORGANIZATION {
            Some(owner) => self.restrict(owner, &format!("{owner} IS NULL"), placeholder),
            // Every row is shared: all of them, to anyone who may read anything.
            None if self.sees_nothing() => ("1 = 0".to_owned(), Vec::new()),
            None => ("1 = 1".to_owned(), Vec::new()),
        }
    }

    /// A condition keeping the rows whose owner (the SQL `owner`) is one of these
    /// organizations, or that the SQL `shared` says the domain shares; with the organizations
    /// to bind, in order, to the placeholders `placeholder` gives.
    pub(crate) fn restrict(
        &self,
        owner: &str,
        shared: &str,
        mut placeholder: impl FnMut() -> String,
    ) -> (String, Vec<String>) {
        match self {
            Visibility::All => ("1 = 1".to_owned(), Vec::new()),
            Visibility::Organizations(organizations) if organizations.is_empty() => {
                ("1 = 0".to_owned(), Vec::new())
            }
            Visibility::Organizations(organizations) => {
                let placeholders: Vec<String> =
                    organizations.iter().map(|_| placeholder()).collect();
                (
                    format!("({shared} OR {owner} IN ({}))", placeholders.join(", ")),
                    organizations.clone(),
                )
            }
        }
    }
}

/// The part of a whole domain's `state` that `visibility` lets one read: every entity for
/// [`Visibility::All`]; else the shared ones and those of the listed organizations, each
/// entity's organization read off the state itself (a tenant's through its product, a
/// layer's through its product or tenant), so an older revision is judged as it was.
pub(crate) fn visible_state(visibility: &Visibility, state: State) -> State {
    let organizations = match visibility {
        Visibility::All => return state,
        nothing if nothing.sees_nothing() => return State::new(),
        Visibility::Organizations(organizations) => organizations,
    };
    let field =
        |image: &Value, name: &str| image.get(name).and_then(Value::as_str).map(str::to_owned);
    let owner_of = |kind: &str, key: &str| -> Option<String> {
        state
            .get(kind)?
            .get(key)
            .and_then(|image| field(image, "organization"))
    };
    let product_owner = |product: &str| owner_of("product", product);
    let tenant_owner = |tenant: &str| {
        let product = state
            .get("tenant")?
            .get(tenant)
            .and_then(|t| field(t, "product"))?;
        product_owner(&product)
    };
    // None: shared by the domain. Some(org): that organization's (unknown counts as no one's).
    let owner = |kind: &str, key: &str, image: &Value| -> Option<Option<String>> {
        match kind {
            "organization" => Some(Some(key.to_owned())),
            "product" => Some(field(image, "organization")),
            "tenant" => Some(field(image, "product").and_then(|p| product_owner(&p))),
            "config layer" => {
                let scope = image.get("scope")?;
                let name = field(scope, "name").unwrap_or_default();
                match field(scope, "kind").as_deref() {
                    Some("product") => Some(product_owner(&name)),
                    Some("tenant") => Some(tenant_owner(&name)),
                    _ => None,
                }
            }
            _ => None,
        }
    };
    state
        .iter()
        .map(|(kind, entities)| {
            let seen = entities
                .iter()
                .filter(|(key, image)| match owner(kind, key, image) {
                    None => true,
                    Some(Some(organization)) => organizations.contains(&organization),
                    Some(None) => false,
                })
                .map(|(key, image)| (key.clone(), image.clone()))
                .collect();
            (kind.clone(), seen)
        })
        .collect()
}
