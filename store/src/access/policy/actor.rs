//! Who makes a change or asks a question, as the store checks it on every call.

use std::fmt;

use strata_domain::access::{Action, Person, Role, Scope};
use strata_domain::kind::Kind;

use crate::StoreError;

/// Who is acting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in person: may do what their grants allow, nothing else.
    Person(Person),
    /// Someone holding the database itself: the `strata` command line on the server's machine
    /// (import, demo, user management). The database's own access control is theirs; the
    /// store records their name.
    Operator(String),
}

impl Actor {
    pub fn operator(name: impl Into<String>) -> Actor {
        Actor::Operator(name.into())
    }

    /// The name history records.
    pub fn name(&self) -> &str {
        match self {
            Actor::Person(person) => &person.name,
            Actor::Operator(name) => name,
        }
    }

    pub fn may(&self, action: Action, scope: &Scope) -> bool {
        match self {
            Actor::Person(person) => person.grants.may(action, scope),
            Actor::Operator(_) => true,
        }
    }

    /// Refuses unless this actor publishes somewhere: a publisher (or admin) of some
    /// organization, a domain admin, or the operator.
    pub fn check_publishes(&self) -> Result<(), StoreError> {
        match self {
            Actor::Person(person) if !person.grants.holds_somewhere(Role::Publisher) => {
                Err(StoreError::Forbidden(format!(
                    "{} may not publish: it needs the publisher role in an organization",
                    self.name()
                )))
            }
            _ => Ok(()),
        }
    }

    /// Refuses unless this actor may create or change entities of `kind` somewhere (what the
    /// console's forms are for): what the domain shares, a domain admin; products and
    /// tenants, an editor of some organization; the operator, anything.
    pub fn check_writes_some(&self, kind: Kind) -> Result<(), StoreError> {
        match self {
            Actor::Person(person) if !kind.may_create(&person.grants) => {
                Err(StoreError::Forbidden(format!(
                    "{} may not create or change any {}",
                    self.name(),
                    kind.name()
                )))
            }
            _ => Ok(()),
        }
    }

    /// Refuses unless this actor manages people everywhere: a domain admin, or the operator.
    pub fn check_manages_people(&self) -> Result<(), StoreError> {
        if self.may(Action::ManageMembers, &Scope::Domain) {
            return Ok(());
        }
        Err(StoreError::Forbidden(format!(
            "{} may not manage people: only a domain admin may",
            self.name()
        )))
    }

    /// Refuses, naming the person, the action, the thing and the role it needs, unless this
    /// actor may do `action` on `what`, which belongs to `scope`.
    pub fn check(
        &self,
        action: Action,
        scope: &Scope,
        what: impl fmt::Display,
    ) -> Result<(), StoreError> {
        if self.may(action, scope) {
            return Ok(());
        }
        let needs = match scope {
            Scope::Domain => "only a domain admin may".to_owned(),
            // Named only to those who may see it: a refusal reveals no other organization.
            Scope::Organization(organization) if self.may(Action::Read, scope) => format!(
                "it belongs to organization {organization:?}, where this needs the {} role",
                action.least_role()
            ),
            Scope::Organization(_) => {
                "it belongs to an organization where they have no role".to_owned()
            }
        };
        Err(StoreError::Forbidden(format!(
            "{} may not {} {what}: {needs}",
            self.name(),
            action.verb()
        )))
    }
}
