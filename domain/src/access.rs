//! Who may do what: the roles a person holds per organization, the domain admin above them,
//! and the rule a password must follow. Shared with the browser so the console offers only
//! what the signed-in person may do; the store enforces the same rules on every call.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rules::FieldError;

/// A person's role in one organization. Each role may do everything the ones before it may.
#[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads the organization's products, tenants, configs and their history.
    Viewer,
    /// Also changes the organization's products, tenants and config layers.
    Editor,
    /// Also publishes and rolls back.
    Publisher,
    /// Also manages the organization's members.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Editor, Role::Publisher, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Publisher => "publisher",
            Role::Admin => "admin",
        }
    }

    /// A role, or `none` for no role at all (taking a membership away).
    pub fn parse_or_none(text: &str) -> Result<Option<Role>, FieldError> {
        match text {
            "none" => Ok(None),
            role => Role::parse(role).map(Some),
        }
    }

    pub fn parse(text: &str) -> Result<Role, FieldError> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| FieldError::new("/role", "one of viewer, editor, publisher, admin"))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a person holds: a role in some organizations, and perhaps the domain admin's rights
/// (tiers, deployables, schemas and users, everywhere).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grants {
    pub domain_admin: bool,
    /// Organization name → role.
    pub roles: BTreeMap<String, Role>,
}

impl Grants {
    /// The role held in `organization`; a domain admin is an admin of every organization.
    pub fn role_in(&self, organization: &str) -> Option<Role> {
        if self.domain_admin {
            return Some(Role::Admin);
        }
        self.roles.get(organization).copied()
    }

    /// What both these grants and `other` allow: a domain admin only if both are, and in each
    /// organization the lesser of the two roles (none where either holds none). A token's
    /// grants within its maker's.
    pub fn within(&self, other: &Grants) -> Grants {
        let roles = self
            .roles
            .keys()
            .chain(other.roles.keys())
            .filter_map(|organization| {
                let role = self
                    .role_in(organization)?
                    .min(other.role_in(organization)?);
                Some((organization.clone(), role))
            })
            .collect();
        Grants {
            domain_admin: self.domain_admin && other.domain_admin,
            roles,
        }
    }

    /// Whether the role held in `organization` is at least `role`.
    pub fn at_least(&self, organization: &str, role: Role) -> bool {
        self.role_in(organization).is_some_and(|held| held >= role)
    }
}

/// What an entity belongs to, which decides who may read or change it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Scope {
    /// Shared by every organization: tiers, deployables (their schemas and default configs),
    /// tier deployables and tier layers. Everyone signed in reads them; domain admins change
    /// them.
    Domain,
    /// One organization's: the organization itself, its products, their tenants, and the
    /// config layers of those.
    Organization(String),
}

/// What someone wants to do with something of a [`Scope`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Action {
    Read,
    /// Create, edit or delete.
    Change,
    /// Roll back (and publish).
    Publish,
    /// Give and take roles in the organization.
    ManageMembers,
    /// Change the organization itself: its short name (every tenant's prefix) and display name.
    Administer,
    /// See a secret value in plain text.
    RevealSecrets,
}

impl Action {
    /// The least role of an organization that may do this there.
    pub fn least_role(self) -> Role {
        match self {
            Action::Read => Role::Viewer,
            Action::Change => Role::Editor,
            Action::Publish | Action::RevealSecrets => Role::Publisher,
            Action::ManageMembers | Action::Administer => Role::Admin,
        }
    }

    /// In words, for refusals: "may not {verb} …".
    pub fn verb(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Change => "change",
            Action::Publish => "roll back or publish",
            Action::ManageMembers => "manage the members of",
            Action::Administer => "change",
            Action::RevealSecrets => "reveal the secrets of",
        }
    }
}

impl Grants {
    /// Whether these grants allow `action` on something of `scope`. Deny by default: an
    /// organization where no role was given is out of reach, and only domain admins change
    /// what all organizations share.
    pub fn may(&self, action: Action, scope: &Scope) -> bool {
        if self.domain_admin {
            return true;
        }
        match scope {
            // Someone with no role anywhere has no business reading even what is shared.
            Scope::Domain => action == Action::Read && !self.roles.is_empty(),
            Scope::Organization(organization) => self
                .role_in(organization)
                .is_some_and(|held| held >= action.least_role()),
        }
    }
}

/// What someone may do with one existing entity, so the console offers only that.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rights {
    pub edit: bool,
    pub delete: bool,
    pub roll_back: bool,
    /// See the secret values of its configs in plain text.
    pub reveal: bool,
}

impl Grants {
    /// Whether these grants hold at least `role` in some organization (a domain admin holds
    /// every role everywhere): may this person change, publish or manage members anywhere.
    pub fn holds_somewhere(&self, role: Role) -> bool {
        self.domain_admin || self.roles.values().any(|held| *held >= role)
    }
}

/// The signed-in person, as the console shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    pub display_name: String,
    pub grants: Grants,
}

/// The least length of a password. Length is what makes a password hard to guess; no rules
/// about character classes (NIST SP 800-63B).
pub const PASSWORD_MIN_CHARS: usize = 12;

/// A password's rule: at least [`PASSWORD_MIN_CHARS`] characters, at most 256 (argon2 hashes
/// any length; a bound keeps a request from making the server hash a megabyte).
pub fn check_password(field: &str, password: &str) -> Result<(), FieldError> {
    let chars = password.chars().count();
    if chars < PASSWORD_MIN_CHARS {
        return Err(FieldError::new(
            field,
            format!("at least {PASSWORD_MIN_CHARS} characters"),
        ));
    }
    if chars > 256 {
        return Err(FieldError::new(field, "at most 256 characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_within_others_keep_the_lesser_of_each() {
        let admin = Grants {
            domain_admin: true,
            roles: BTreeMap::new(),
        };
        let publisher = Grants {
            domain_admin: false,
            roles: BTreeMap::from([("acme".to_owned(), Role::Publisher)]),
        };
        let editor_here_and_there = Grants {
            domain_admin: false,
            roles: BTreeMap::from([
                ("acme".to_owned(), Role::Editor),
                ("globex".to_owned(), Role::Admin),
            ]),
        };
        // A domain admin's token acting as acme's publisher: acme's publisher, no more.
        assert_eq!(publisher.within(&admin), publisher);
        assert_eq!(admin.within(&publisher), publisher);
        let both = publisher.within(&editor_here_and_there);
        assert!(!both.domain_admin);
        assert_eq!(
            both.roles,
            BTreeMap::from([("acme".to_owned(), Role::Editor)])
        );
    }

    #[test]
    fn roles_are_ordered_and_a_domain_admin_is_admin_everywhere() {
        assert!(Role::Viewer < Role::Editor && Role::Editor < Role::Publisher);
        assert!(Role::Publisher < Role::Admin);
        let mut grants = Grants::default();
        grants.roles.insert("acme".into(), Role::Editor);
        assert!(grants.at_least("acme", Role::Viewer));
        assert!(grants.at_least("acme", Role::Editor));
        assert!(!grants.at_least("acme", Role::Publisher));
        assert!(!grants.at_least("globex", Role::Viewer));
        grants.domain_admin = true;
        assert_eq!(grants.role_in("globex"), Some(Role::Admin));
    }

    /// The whole rule as a table: each role (and none) × each action, in an organization and
    /// on what the domain shares.
    #[test]
    fn what_each_role_may_do_is_one_table() {
        let acme = Scope::Organization("acme".into());
        let globex = Scope::Organization("globex".into());
        let actions = [
            Action::Read,
            Action::Change,
            Action::Publish,
            Action::RevealSecrets,
            Action::ManageMembers,
        ];
        // Read, Change, Publish, RevealSecrets, ManageMembers in acme.
        let table: [(Option<Role>, [bool; 5]); 5] = [
            (None, [false, false, false, false, false]),
            (Some(Role::Viewer), [true, false, false, false, false]),
            (Some(Role::Editor), [true, true, false, false, false]),
            (Some(Role::Publisher), [true, true, true, true, false]),
            (Some(Role::Admin), [true, true, true, true, true]),
        ];
        for (role, allowed) in table {
            let mut grants = Grants::default();
            if let Some(role) = role {
                grants.roles.insert("acme".into(), role);
            }
            for (action, allowed) in actions.into_iter().zip(allowed) {
                assert_eq!(grants.may(action, &acme), allowed, "{role:?} {action:?}");
                assert!(
                    !grants.may(action, &globex),
                    "{role:?} {action:?} elsewhere"
                );
                assert_eq!(
                    grants.may(action, &Scope::Domain),
                    role.is_some() && action == Action::Read,
                    "{role:?} {action:?} on the domain"
                );
            }
        }
        let admin = Grants {
            domain_admin: true,
            roles: BTreeMap::new(),
        };
        for action in actions {
            assert!(admin.may(action, &Scope::Domain) && admin.may(action, &globex));
        }
    }

    #[test]
    fn roles_parse_from_their_names_only() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        let error = Role::parse("owner").unwrap_err();
        assert_eq!(error.field, "/role");
    }

    #[test]
    fn passwords_need_twelve_characters() {
        assert!(check_password("/password", "short").is_err());
        assert!(check_password("/password", "correct horse battery").is_ok());
        assert!(check_password("/password", &"x".repeat(257)).is_err());
    }
}
