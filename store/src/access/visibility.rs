//! What an actor may read: everything (the operator, a domain admin), or the rows of their
//! organizations and what the domain shares (a person with a role somewhere), or nothing.

use strata_domain::access::Person;

use super::Actor;
use crate::entity::Entity;

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

    /// A condition to AND onto a query of `E`'s table, with placeholders numbered from
    /// `first`, and the values to bind to them in order.
    pub(crate) fn condition<E: Entity>(&self, first: usize) -> (String, Vec<String>) {
        let organizations = match self {
            Visibility::All => return ("1 = 1".to_owned(), Vec::new()),
            Visibility::Organizations(organizations) if organizations.is_empty() => {
                return ("1 = 0".to_owned(), Vec::new());
            }
            Visibility::Organizations(organizations) => organizations,
        };
        let Some(owner) = E::ORGANIZATION else {
            return ("1 = 1".to_owned(), Vec::new());
        };
        let placeholders: Vec<String> = (first..first + organizations.len())
            .map(|n| format!("${n}"))
            .collect();
        (
            format!(
                "({owner} IS NULL OR {owner} IN ({}))",
                placeholders.join(", ")
            ),
            organizations.clone(),
        )
    }
}
