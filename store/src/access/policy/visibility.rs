//! What an actor may read: everything (the operator, a domain admin), or the rows of their
//! organizations and what the domain shares (a person with a role somewhere), or nothing.

use serde_json::Value;
use strata_domain::access::Person;
use strata_domain::kind::{Kind, OwnedBy, Owner};

use crate::access::Actor;
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
        match organization_sql(E::OF) {
            Some(owner) => self.restrict(&owner, &format!("{owner} IS NULL"), placeholder),
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

/// SQL over the table of `kind` (its columns qualified by the table's name) naming the
/// organization a row belongs to, NULL for a row the whole domain shares; `None` when every row
/// of the kind is shared. [`Kind::owned_by`] as SQL.
pub(crate) fn organization_sql(kind: Kind) -> Option<String> {
    let table = kind.table();
    match kind.owned_by() {
        OwnedBy::Domain => None,
        OwnedBy::Itself => Some(format!(
            "{table}.{}",
            strata_domain::with_kind!(kind, E => E::KEY_COLUMN)
        )),
        OwnedBy::Member { field, of } => through(table, field.trim_start_matches('/'), of),
        OwnedBy::Scope => Some(format!(
            "COALESCE({}, {})",
            through(table, "product", Kind::Product)?,
            through(table, "tenant", Kind::Tenant)?
        )),
    }
}

/// SQL naming the organization that owns the entity of kind `of` whose key `table.column`
/// holds.
fn through(table: &str, column: &str, of: Kind) -> Option<String> {
    if of == Kind::Organization {
        return Some(format!("{table}.{column}"));
    }
    let key = strata_domain::with_kind!(of, E => E::KEY_COLUMN);
    Some(format!(
        "(SELECT {} FROM {} WHERE {}.{key} = {table}.{column})",
        organization_sql(of)?,
        of.table(),
        of.table()
    ))
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
    // Whose an entity is, read off the state itself: None for the domain's, Some(None) for
    // what no organization can be found for (nobody's but a domain admin's).
    fn owner(state: &State, kind: &str, key: &str, image: &Value) -> Option<Option<String>> {
        match Kind::from_name(kind)?.owner(key, image) {
            Owner::Domain => None,
            Owner::Organization(organization)
            | Owner::Through {
                kind: Kind::Organization,
                key: organization,
                ..
            } => Some(Some(organization)),
            // What the referred entity's owner is, if the state holds it; else no one's.
            Owner::Through { kind, key, .. } => Some(
                state
                    .get(kind.name())
                    .and_then(|entities| entities.get(&key))
                    .and_then(|image| owner(state, kind.name(), &key, image).flatten()),
            ),
            Owner::Unknown => Some(None),
        }
    }
    state
        .iter()
        .map(|(kind, entities)| {
            let seen = entities
                .iter()
                .filter(|(key, image)| match owner(&state, kind, key, image) {
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
