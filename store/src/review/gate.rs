//! No way around a policy. Every change set passes [`Needs::of`] before it commits: the
//! configs its writes change — before the writes and after them, so a tenant moved off a tier
//! or a deployable dropped from a product counts where it was — matched against the active
//! approval policies in force when it began (a policy it writes counts as it stood before;
//! writing a policy is guarded by the policies of its tier). A change set that is not a change
//! request's, approved as the policies ask, is refused, whichever path made it: the console,
//! the API, the command line, an import, a roll back or a restore.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::AnyConnection;
use strata_domain::access::{Grants, Person, Role};
use strata_domain::approval_policy::{ApprovalPolicy, Covered};
use strata_domain::names::{DeployableName, TierName};
use strata_domain::rules::EntityState;

use crate::StoreError;
use crate::entity::{Entity, fetch_all};
use crate::resolution::{Proposed, Target, Touch, affected};

/// A change request's approvals, carried by the change set that applies it.
#[derive(Debug, Clone)]
pub(crate) struct Approval {
    /// The people who approved the request's current content, with what they hold now; the
    /// author is never among them.
    pub approvers: Vec<Person>,
}

/// What a change set's writes need before they may apply.
#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Needs {
    /// Each active policy that covers a config the writes change.
    pub policies: Vec<PolicyNeed>,
    /// The organizations owning what the writes write ("" for what the domain shares): an
    /// approver holds the policy's role in each of them, or is a domain admin.
    pub owners: BTreeSet<String>,
}

/// One policy a change needs approved.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PolicyNeed {
    pub policy: String,
    /// What it covers and what it asks, in words.
    pub covering: String,
    pub asks: String,
    pub approvals: u8,
    /// The least role an approver holds in every organization owning what is written.
    pub approver_role: Role,
    /// A config it covers that the writes change, for the message: "tier LIVE, tenant …".
    pub example: String,
    /// A deployable whose schema the writes change, where the policy asks a domain admin's
    /// approval of that too.
    pub schema_change: Option<String>,
}

impl PolicyNeed {
    /// What it asks, in words: "tier LIVE needs 1 approval from … (approval policy "…")".
    pub fn describe(&self) -> String {
        format!(
            "{} needs {} (approval policy {:?})",
            self.covering, self.asks, self.policy
        )
    }
}

/// One write of a change set, as its change record has it.
pub(crate) struct Record {
    pub kind: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Whether any approval policy is active: where none is (and a change set writes none),
/// nothing needs judging.
pub(crate) async fn any_in_force(conn: &mut AnyConnection) -> Result<bool, StoreError> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM approval_policies WHERE state = 'active' LIMIT 1")
            .fetch_optional(&mut *conn)
            .await?;
    Ok(found.is_some())
}

impl Needs {
    /// What the change set whose writes are `records`, touching `touched` (whose configs after
    /// the writes are `after`), needs: read in the change set's own transaction.
    pub(crate) async fn of(
        conn: &mut AnyConnection,
        records: &[Record],
        touched: &BTreeSet<Touch>,
        after: &BTreeSet<Target>,
        owners: &BTreeSet<String>,
    ) -> Result<Needs, StoreError> {
        // The policies in force when the change set began: those it writes are judged as
        // they stood before it, so disabling a policy and writing under it in one change set
        // does not get past it, and a policy written with what it covers (an import into an
        // empty domain) asks nothing of that change set.
        let mut in_force: BTreeMap<String, ApprovalPolicy> = fetch_all::<ApprovalPolicy>(conn)
            .await?
            .into_iter()
            .map(|p| (p.item.name.to_string(), p.item))
            .collect();
        // Tiers whose policies the change set writes: a policy is guarded by the policies of
        // its tier.
        let mut policy_tiers: BTreeSet<TierName> = BTreeSet::new();
        for record in records.iter().filter(|r| r.kind == ApprovalPolicy::KIND) {
            let parse = |image: &Option<Value>| {
                image
                    .clone()
                    .map(serde_json::from_value::<ApprovalPolicy>)
                    .transpose()
                    .map_err(|e| StoreError::corrupt(format!("a written approval policy: {e}")))
            };
            let (before, after) = (parse(&record.before)?, parse(&record.after)?);
            policy_tiers.extend(before.iter().chain(after.iter()).map(|p| p.tier.clone()));
            let Some(name) = before
                .as_ref()
                .or(after.as_ref())
                .map(|p| p.name.to_string())
            else {
                continue;
            };
            match before {
                Some(before) => in_force.insert(name, before),
                None => in_force.remove(&name),
            };
        }
        let policies: Vec<ApprovalPolicy> = in_force
            .into_values()
            .filter(|p| p.state == EntityState::Active)
            .collect();
        if policies.is_empty() {
            return Ok(Needs {
                policies: Vec::new(),
                owners: owners.clone(),
            });
        }
        // The configs as they were: the same touches, read with the written tenants and
        // products as they stood before.
        let mut before_writes = Proposed::default();
        for record in records {
            before_writes.take(&record.kind, record.after.clone(), record.before.clone())?;
        }
        let before = affected(conn, touched, &before_writes).await?;
        // A deployable's presence on a tier is no resolved config, yet what the tier serves.
        let mut presences: BTreeSet<(TierName, DeployableName)> = BTreeSet::new();
        let mut schemas: BTreeSet<DeployableName> = BTreeSet::new();
        for record in records {
            let images = [&record.before, &record.after];
            match record.kind.as_str() {
                "tier deployable" => {
                    for image in images.into_iter().flatten() {
                        let text = |f: &str| image.get(f).and_then(Value::as_str).unwrap_or("");
                        if let (Ok(t), Ok(d)) = (
                            TierName::parse(text("tier")),
                            DeployableName::parse(text("deployable")),
                        ) {
                            presences.insert((t, d));
                        }
                    }
                }
                "deployable" => {
                    let schema = |image: &Option<Value>| {
                        image.as_ref().and_then(|i| i.get("config_schema")).cloned()
                    };
                    if schema(&record.before) != schema(&record.after) {
                        let name = images
                            .into_iter()
                            .flatten()
                            .find_map(|i| i.get("name").and_then(Value::as_str));
                        if let Some(Ok(name)) = name.map(DeployableName::parse) {
                            schemas.insert(name);
                        }
                    }
                }
                _ => {}
            }
        }
        let configs = after.iter().chain(&before);
        let mut needs = Needs {
            policies: Vec::new(),
            owners: owners.clone(),
        };
        for policy in policies {
            // Named without a tenant: whoever sees the request may not see every tenant the
            // change reaches.
            let example = configs
                .clone()
                .find(|t| policy.covers(&covered(t)))
                .map(|t| format!("deployable {} on tier {}", t.deployable, t.tier))
                .or_else(|| {
                    presences
                        .iter()
                        .find(|(tier, deployable)| {
                            policy.covers(&Covered {
                                tier,
                                product: None,
                                deployable,
                            })
                        })
                        .map(|(t, d)| format!("deployable {d} on tier {t}"))
                })
                .or_else(|| {
                    (policy.state == EntityState::Active && policy_tiers.contains(&policy.tier))
                        .then(|| format!("the approval policies of tier {}", policy.tier))
                });
            let Some(example) = example else {
                continue;
            };
            let schema_change = policy
                .schema_needs_domain_admin
                .then(|| {
                    schemas.iter().find(|d| {
                        configs
                            .clone()
                            .any(|t| &t.deployable == *d && policy.covers(&covered(t)))
                    })
                })
                .flatten()
                .map(ToString::to_string);
            // What the domain shares is a domain admin's to approve, whatever the role named.
            let asks = match owners.contains("") {
                true => match policy.approvals {
                    1 => "1 approval from a domain admin".to_owned(),
                    n => format!("{n} approvals from domain admins"),
                },
                false => policy.asks_of(schema_change.is_some()),
            };
            needs.policies.push(PolicyNeed {
                policy: policy.name.to_string(),
                covering: policy.covering(),
                asks,
                approvals: policy.approvals,
                example,
                schema_change,
                approver_role: policy.approver_role,
            });
        }
        Ok(needs)
    }

    /// Whether nothing needs approving.
    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// Whether someone holding `grants` counts as an approver of `need`: a domain admin, or
    /// one who holds the policy's role in every organization owning what the writes write.
    pub fn qualifies(&self, need: &PolicyNeed, grants: &Grants) -> bool {
        grants.domain_admin
            || (!self.owners.contains("")
                && self
                    .owners
                    .iter()
                    .all(|o| grants.at_least(o, need.approver_role)))
    }

    /// Whether someone holding `grants` may approve for at least one of the policies.
    pub fn may_approve(&self, grants: &Grants) -> bool {
        self.policies
            .iter()
            .any(|need| self.qualifies(need, grants))
    }

    /// What `approvers` leave unmet, in words; none when every policy is satisfied.
    pub fn unmet(&self, approvers: &[Person]) -> Option<String> {
        let mut unmet = Vec::new();
        for need in &self.policies {
            let counted = approvers
                .iter()
                .filter(|a| self.qualifies(need, &a.grants))
                .count();
            if counted < usize::from(need.approvals) {
                unmet.push(format!("{}; {counted} given", need.describe()));
            } else if let Some(deployable) = &need.schema_change
                && !approvers.iter().any(|a| a.grants.domain_admin)
            {
                unmet.push(format!(
                    "the schema of deployable {deployable} changes: {} asks a domain admin's \
                     approval (approval policy {:?})",
                    need.covering, need.policy
                ));
            }
        }
        (!unmet.is_empty()).then(|| unmet.join("; "))
    }

    /// What the first policy asks, in words.
    pub fn summary(&self) -> Option<String> {
        self.policies.first().map(PolicyNeed::describe)
    }

    /// The refusal of a write made directly that these needs cover.
    pub(crate) fn refusal(&self) -> Option<StoreError> {
        let need = self.policies.first()?;
        Some(StoreError::ApprovalRequired {
            policy: need.policy.clone(),
            need: self.summary()?,
            message: format!(
                "{} needs {} before it changes (approval policy {:?}; this change reaches {}): \
                 propose it for review instead — \"Propose\" in the console, POST \
                 /api/v1/change-requests, or --propose on the command line",
                need.covering, need.asks, need.policy, need.example
            ),
        })
    }
}

/// A resolved config as a policy matches it.
fn covered(t: &Target) -> Covered<'_> {
    Covered {
        tier: &t.tier,
        product: Some(&t.product),
        deployable: &t.deployable,
    }
}

impl crate::access::Reader<'_> {
    /// The approval policies any change to one layer of `deployable` would need, judged over
    /// the configs it reaches now: where the layer's editor offers "Propose" instead of "Save".
    pub async fn layer_needs(
        &self,
        deployable: &strata_domain::names::DeployableName,
        scope: &strata_domain::layer::Layer,
    ) -> Result<Needs, StoreError> {
        use strata_domain::layer::Layer;
        let touch = match scope {
            Layer::Default => Touch::Deployable(deployable.clone()),
            scope => Touch::Layer(deployable.clone(), scope.clone()),
        };
        let touched = BTreeSet::from([touch]);
        let mut read = self.store().snapshot().await?;
        let after = affected(&mut read, &touched, &Proposed::default()).await?;
        let needs = Needs::of(&mut read, &[], &touched, &after, &BTreeSet::new()).await;
        read.rollback().await?;
        needs
    }
}
