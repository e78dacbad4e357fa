//! The console's edit forms: for each kind of entity, the fields a person fills in and how
//! each is entered, and the checks that run in the browser as they type. The checks are the
//! domain's own rules (`strata-domain`, compiled into the browser bundle), the same ones the
//! store enforces when the form is saved — but those that need the schema checker, which the
//! server runs as the person pauses ([`checked_on_server`]); rules that need the database (a product's name
//! begins with its organization's short name, an alias is unique) answer from the server and
//! show next to the field they name.

use serde::de::DeserializeOwned;
use serde_json::Value;
use strata_domain::access::Role;
use strata_domain::approval_policy::{ApprovalPolicy, MAX_APPROVALS};
use strata_domain::deployable::Deployable;
use strata_domain::layer::ConfigLayer;
use strata_domain::names::{
    DeployableName, OrganizationName, PolicyName, ProductName, TenantAlias, TenantName, TierName,
};
use strata_domain::organization::Organization;
use strata_domain::product::Product;
use strata_domain::rules::{EntityState, FieldError, display_name};
use strata_domain::tenant::{Tenant, TenantState};
use strata_domain::tier::Tier;
use strata_domain::tier_deployable::TierDeployable;

use strata_domain::kind::Kind;

/// How a field is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// One line of text.
    Text,
    /// One line of text; left empty, the field is unset (`null`).
    OptionalText,
    Checkbox,
    /// `active` or `disabled`.
    State,
    /// A tenant's life-cycle state: when editing, the current state and only the states it
    /// may move to; when creating, the states a new tenant starts in.
    TenantState,
    /// The key of an existing entity of that kind.
    Reference(Kind),
    /// Any number of existing entities of that kind, as a set of keys.
    References(Kind),
    /// The key of an existing entity of that kind, or none (`null`).
    OptionalReference(Kind),
    /// One of these words.
    Choice(&'static [&'static str]),
    /// A whole number from 1 to this.
    Count(u8),
    /// A JSON document, edited as text.
    Json,
}

/// One field of a form.
#[derive(Debug, Clone, Copy)]
pub struct FormField {
    /// The entity's field, as stored and as named by the store's errors (`/display_name`).
    pub name: &'static str,
    pub label: &'static str,
    pub input: Input,
    /// The field's rule in words, where the domain states one (a name's length and
    /// alphabet): the hint says it first, as a refusal would.
    pub rule: Option<&'static str>,
    /// A line under the field saying what it is for and what else it takes.
    pub help: &'static str,
    /// The rule of this field alone; the whole entity's rules run once every field passes.
    pub check: fn(&Value) -> Result<(), String>,
}

impl FormField {
    /// The pointer the store's errors use for this field.
    pub fn pointer(&self) -> String {
        format!("/{}", self.name)
    }

    /// Whether an error at `pointer` belongs to this field (the field itself or inside it,
    /// such as `/config_schema/properties`).
    pub fn owns(&self, pointer: &str) -> bool {
        let own = self.pointer();
        pointer == own || pointer.starts_with(&format!("{own}/"))
    }
}

/// The field's value deserializes as `T`: the type's own rule (a name's pattern, a state's
/// spelling) is the check.
fn typed<T: DeserializeOwned>(value: &Value) -> Result<(), String> {
    serde_json::from_value::<T>(value.clone())
        .map(drop)
        .map_err(|e| e.to_string())
}

fn optional<T: DeserializeOwned>(value: &Value) -> Result<(), String> {
    match value {
        Value::Null => Ok(()),
        other => typed::<T>(other),
    }
}

fn visible_text(value: &Value) -> Result<(), String> {
    match value {
        Value::String(text) => display_name("", text).map_err(|e| e.rule),
        _ => Err("must be text".to_owned()),
    }
}

/// Whether some of the rules of a `kind` need the schema checker, which only the server
/// holds: the form asks the server ([`crate::changes::check_entity`]) once the browser's
/// own checks pass.
pub fn checked_on_server(kind: Kind) -> bool {
    kind == Kind::Deployable
}

fn json_object(value: &Value) -> Result<(), String> {
    match value {
        Value::Object(_) => Ok(()),
        _ => Err("a JSON object: { … }".to_owned()),
    }
}

const DISPLAY_NAME: FormField = FormField {
    name: "display_name",
    label: "Display name",
    input: Input::Text,
    rule: None,
    help: "What people read: up to 80 characters on one line.",
    check: visible_text,
};

const STATE: FormField = FormField {
    name: "state",
    label: "State",
    input: Input::State,
    rule: None,
    help: "Disabled entities stay in place but are not in use.",
    check: typed::<EntityState>,
};

/// The console's forms.
pub trait Form {
    /// The form's fields, the key first. The key names the entity and is fixed once it exists.
    fn form(self) -> &'static [FormField];
}

impl Form for Kind {
    /// The form's fields, the key first. The key names the entity and is fixed once it exists.
    fn form(self) -> &'static [FormField] {
        match self {
            Kind::Tier => &[
                FormField {
                    name: "name",
                    label: "Name",
                    input: Input::Text,
                    rule: Some(TierName::RULE_WORDS),
                    help: "For example LIVE, STAGING, DEV.",
                    check: typed::<TierName>,
                },
                DISPLAY_NAME,
                FormField {
                    name: "is_live",
                    label: "Serves live traffic",
                    input: Input::Checkbox,
                    rule: None,
                    help: "Live tiers carry real customers' traffic.",
                    check: typed::<bool>,
                },
                STATE,
            ],
            Kind::Organization => &[
                FormField {
                    name: "name",
                    label: "Name",
                    input: Input::Text,
                    rule: Some(OrganizationName::RULE_WORDS),
                    help: "The organization's name in the domain; unique.",
                    check: typed::<OrganizationName>,
                },
                FormField {
                    name: "short_name",
                    label: "Short name",
                    input: Input::Text,
                    rule: Some(OrganizationName::RULE_WORDS),
                    help: "Prefixes the names of the organization's products and tenants; unique.",
                    check: typed::<OrganizationName>,
                },
                DISPLAY_NAME,
                STATE,
            ],
            Kind::Product => &[
                FormField {
                    name: "name",
                    label: "Name",
                    input: Input::Text,
                    rule: Some(ProductName::RULE_WORDS),
                    help: "For example acme-shop.",
                    check: typed::<ProductName>,
                },
                FormField {
                    name: "organization",
                    label: "Organization",
                    input: Input::Reference(Kind::Organization),
                    rule: None,
                    help: "Who offers the product.",
                    check: typed::<OrganizationName>,
                },
                DISPLAY_NAME,
                FormField {
                    name: "deployables",
                    label: "Deployables",
                    input: Input::References(Kind::Deployable),
                    rule: None,
                    help: "What the product is made of: each tenant gets a config for each.",
                    check: typed::<std::collections::BTreeSet<DeployableName>>,
                },
                STATE,
            ],
            Kind::Deployable => &[
                FormField {
                    name: "name",
                    label: "Name",
                    input: Input::Text,
                    rule: Some(DeployableName::RULE_WORDS),
                    help: "The service or application, as its tenants' configs name it: web-api.",
                    check: typed::<DeployableName>,
                },
                DISPLAY_NAME,
                FormField {
                    name: "config_schema",
                    label: "Config schema",
                    input: Input::Json,
                    rule: None,
                    help: "JSON Schema (draft 2020-12) every resolved config must follow. A schema that existing configs break is refused, with the list of tenants.",
                    // An object here; whether it compiles is the whole deployable's rule,
                    // checked on the server (see `checked_on_server`).
                    check: json_object,
                },
                FormField {
                    name: "default_config",
                    label: "Default config",
                    input: Input::Json,
                    rule: None,
                    help: "The layer every tier, product and tenant starts from: a JSON object that follows the schema.",
                    check: json_object,
                },
            ],
            Kind::Tenant => &[
                FormField {
                    name: "name",
                    label: "Name",
                    input: Input::Text,
                    rule: Some(TenantName::RULE_WORDS),
                    help: "Unique across tiers: acme-eu.",
                    check: typed::<TenantName>,
                },
                FormField {
                    name: "product",
                    label: "Product",
                    input: Input::Reference(Kind::Product),
                    rule: None,
                    help: "What the tenant runs.",
                    check: typed::<ProductName>,
                },
                FormField {
                    name: "tier",
                    label: "Tier",
                    input: Input::Reference(Kind::Tier),
                    rule: None,
                    help: "Where it runs.",
                    check: typed::<TierName>,
                },
                FormField {
                    name: "alias",
                    label: "Alias",
                    input: Input::OptionalText,
                    rule: Some(TenantAlias::RULE_WORDS),
                    help: "Another name services may use for the tenant; unique, and no other tenant's name. Optional.",
                    check: optional::<TenantAlias>,
                },
                FormField {
                    name: "termination_protection",
                    label: "Termination protection",
                    input: Input::Checkbox,
                    rule: None,
                    help: "While on, the tenant cannot be deleted.",
                    check: typed::<bool>,
                },
                FormField {
                    name: "state",
                    label: "State",
                    input: Input::TenantState,
                    rule: None,
                    help: "initializing → active → disabled or uninitializing → deleted; a disabled tenant may become active again.",
                    check: typed::<TenantState>,
                },
            ],
            Kind::ApprovalPolicy => &[
                FormField {
                    name: "name",
                    label: "Name",
                    input: Input::Text,
                    rule: Some(PolicyName::RULE_WORDS),
                    help: "For example live-review.",
                    check: typed::<PolicyName>,
                },
                DISPLAY_NAME,
                FormField {
                    name: "tier",
                    label: "Tier",
                    input: Input::Reference(Kind::Tier),
                    rule: None,
                    help: "Changes to this tier's configs need approval before they apply.",
                    check: typed::<TierName>,
                },
                FormField {
                    name: "product",
                    label: "Only the product",
                    input: Input::OptionalReference(Kind::Product),
                    rule: None,
                    help: "Only this product's configs on the tier. Optional.",
                    check: optional::<ProductName>,
                },
                FormField {
                    name: "deployable",
                    label: "Only the deployable",
                    input: Input::OptionalReference(Kind::Deployable),
                    rule: None,
                    help: "Only this deployable's configs on the tier. Optional; not with a product.",
                    check: optional::<DeployableName>,
                },
                FormField {
                    name: "approvals",
                    label: "Approvals",
                    input: Input::Count(MAX_APPROVALS),
                    rule: None,
                    help: "How many people approve, the author never among them.",
                    check: typed::<u8>,
                },
                FormField {
                    name: "approver_role",
                    label: "Approver's role",
                    input: Input::Choice(&["editor", "publisher", "admin"]),
                    rule: None,
                    help: "The least role an approver holds in the organization that owns what the change writes; a domain admin always counts.",
                    check: typed::<Role>,
                },
                FormField {
                    name: "schema_needs_domain_admin",
                    label: "Schema changes need a domain admin",
                    input: Input::Checkbox,
                    rule: None,
                    help: "A change to the schema of a deployable this policy covers also needs a domain admin's approval.",
                    check: typed::<bool>,
                },
                STATE,
            ],
            // A layer is edited in the config editor, from its deployable's schema.
            Kind::ConfigLayer | Kind::TierDeployable => &[],
        }
    }
}
/// The states a tenant's form offers: when editing, `current` and where it may go next; a new
/// tenant starts initializing or active.
pub fn tenant_states(current: Option<TenantState>) -> Vec<TenantState> {
    match current {
        Some(state) => std::iter::once(state)
            .chain(state.next().iter().copied())
            .collect(),
        None => vec![TenantState::Initializing, TenantState::Active],
    }
}

fn whole<E: DeserializeOwned>(draft: &Value) -> Result<E, FieldError> {
    serde_json::from_value(draft.clone()).map_err(|e| FieldError::new("", e.to_string()))
}

/// Every rule `draft` breaks that can be checked without the database: each field's own rule,
/// then (once they all pass) the entity's rules across fields. Empty when the draft may be
/// sent. The server runs the same checks before the store's.
pub fn check_draft(kind: Kind, draft: &Value) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = kind
        .form()
        .iter()
        .filter_map(|field| {
            (field.check)(draft.get(field.name).unwrap_or(&Value::Null))
                .err()
                .map(|rule| FieldError::new(field.pointer(), rule))
        })
        .collect();
    if errors.is_empty() {
        let checked = match kind {
            Kind::Tier => whole::<Tier>(draft).and_then(|t| t.check()),
            Kind::Organization => whole::<Organization>(draft).and_then(|o| o.check()),
            Kind::Product => whole::<Product>(draft).and_then(|p| p.check()),
            // Its schema and its default config against it: on the server only.
            #[cfg(feature = "ssr")]
            Kind::Deployable => whole::<Deployable>(draft).and_then(|d| d.check().map(drop)),
            #[cfg(not(feature = "ssr"))]
            Kind::Deployable => whole::<Deployable>(draft).map(drop),
            Kind::Tenant => whole::<Tenant>(draft).map(drop),
            Kind::ConfigLayer => whole::<ConfigLayer>(draft).and_then(|l| l.check()),
            Kind::TierDeployable => whole::<TierDeployable>(draft).and_then(|t| t.check()),
            Kind::ApprovalPolicy => whole::<ApprovalPolicy>(draft).and_then(|p| p.check()),
        };
        errors.extend(checked.err());
    }
    errors
}

/// Checks that nothing but the form's own fields can bring: a JSON field that does not parse
/// names the line and column.
pub fn parse_json_field(field: &FormField, text: &str) -> Result<Value, FieldError> {
    serde_json::from_str(text).map_err(|e| {
        FieldError::new(
            field.pointer(),
            format!(
                "not JSON: {} (line {}, column {})",
                e.to_string()
                    .split(" at line")
                    .next()
                    .unwrap_or("cannot read"),
                e.line(),
                e.column()
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn draft(kind: Kind, changes: Value) -> Value {
        let mut map = kind.blank();
        for (k, v) in changes.as_object().unwrap() {
            map.insert(k.clone(), v.clone());
        }
        Value::Object(map)
    }

    #[test]
    fn every_field_of_a_blank_form_that_needs_input_says_so() {
        let errors = check_draft(Kind::Tier, &Value::Object(Kind::Tier.blank()));
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["/name", "/display_name"]);
        assert!(errors[0].rule.contains("not valid"), "{errors:?}");
        assert_eq!(errors[1].rule, "must not be empty");
    }

    #[test]
    fn a_filled_in_form_of_each_kind_passes() {
        let cases = [
            (Kind::Tier, json!({"name": "LIVE", "display_name": "Live"})),
            (
                Kind::Organization,
                json!({"name": "acme", "short_name": "acme", "display_name": "Acme"}),
            ),
            (
                Kind::Product,
                json!({"name": "acme-shop", "organization": "acme", "display_name": "Shop", "deployables": ["web"]}),
            ),
            (
                Kind::Deployable,
                json!({"name": "web", "display_name": "Web"}),
            ),
            (
                Kind::Tenant,
                json!({"name": "acme-eu", "product": "acme-shop", "tier": "LIVE", "alias": "eu-main"}),
            ),
        ];
        for (kind, changes) in cases {
            assert_eq!(check_draft(kind, &draft(kind, changes)), [], "{kind:?}");
        }
    }

    #[test]
    fn cross_field_rules_name_the_field_inside_the_document() {
        let deployable = draft(
            Kind::Deployable,
            json!({
                "name": "web",
                "display_name": "Web",
                "config_schema": {"type": "object", "properties": {"port": {"type": "integer"}}},
                "default_config": {"port": "eighty"},
            }),
        );
        let errors = check_draft(Kind::Deployable, &deployable);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "/default_config/port");
        let field = &Kind::Deployable.form()[3];
        assert!(field.owns(&errors[0].field));
        assert!(!Kind::Deployable.form()[2].owns(&errors[0].field));
    }

    #[test]
    fn a_broken_schema_and_unparsable_json_are_reported_at_their_field() {
        let errors = check_draft(
            Kind::Deployable,
            &draft(
                Kind::Deployable,
                json!({"name": "web", "display_name": "Web", "config_schema": {"type": "nonsense"}}),
            ),
        );
        // At the broken keyword, inside the schema field.
        assert_eq!(errors[0].field, "/config_schema/type");
        let field = &Kind::Deployable.form()[2];
        assert!(field.owns(&errors[0].field));
        let error = parse_json_field(field, "{\"a\": }").unwrap_err();
        assert_eq!(error.field, "/config_schema");
        assert!(error.rule.contains("line 1, column 7"), "{}", error.rule);
    }

    #[test]
    fn a_tenant_s_form_offers_only_the_legal_next_states() {
        assert_eq!(
            tenant_states(Some(TenantState::Active)),
            [
                TenantState::Active,
                TenantState::Disabled,
                TenantState::Uninitializing
            ]
        );
        assert_eq!(
            tenant_states(Some(TenantState::Deleted)),
            [TenantState::Deleted]
        );
        assert_eq!(
            tenant_states(None),
            [TenantState::Initializing, TenantState::Active]
        );
    }
}
