//! Approval policies as stored: the `approval_policies` table.

use sqlx::Row;
use sqlx::any::AnyRow;
use strata_domain::access::Role;
use strata_domain::approval_policy::ApprovalPolicy;
use strata_domain::deployable::Deployable;
use strata_domain::kind::Kind;
use strata_domain::names::{DeployableName, PolicyName, ProductName, TierName};
use strata_domain::product::Product;
use strata_domain::rules::FieldError;
use strata_domain::tier::Tier;

use crate::StoreError;
use crate::entity::{AnyQuery, Entity, name_at, referenced, state_from_row};
use crate::seen::Reads;

impl Entity for ApprovalPolicy {
    const OF: Kind = Kind::ApprovalPolicy;
    const KEY_COLUMN: &'static str = "name";
    const COLUMNS: &'static [&'static str] = &[
        "display_name",
        "tier",
        "product",
        "deployable",
        "approvals",
        "approver_role",
        "schema_needs_domain_admin",
        "state",
    ];
    const SEARCHED: &'static [&'static str] = &["display_name", "tier", "product", "deployable"];

    fn key(&self) -> String {
        self.name.to_string()
    }

    fn check(&self) -> Result<(), FieldError> {
        ApprovalPolicy::check(self)
    }

    fn bind<'q>(&'q self, query: AnyQuery<'q>) -> AnyQuery<'q> {
        query
            .bind(&self.display_name)
            .bind(self.tier.as_str())
            .bind(self.product.as_ref().map(|p| p.as_str().to_owned()))
            .bind(self.deployable.as_ref().map(|d| d.as_str().to_owned()))
            .bind(i64::from(self.approvals))
            .bind(self.approver_role.as_str())
            .bind(i64::from(self.schema_needs_domain_admin))
            .bind(self.state.as_str())
    }

    fn from_row(row: &AnyRow) -> Result<ApprovalPolicy, StoreError> {
        let optional = |column: &str| -> Result<Option<String>, StoreError> {
            Ok(row.try_get::<Option<String>, _>(column)?)
        };
        let approvals: i64 = row.try_get("approvals")?;
        let role: String = row.try_get("approver_role")?;
        Ok(ApprovalPolicy {
            name: name_at(row, "name", PolicyName::parse)?,
            display_name: row.try_get("display_name")?,
            tier: name_at(row, "tier", TierName::parse)?,
            product: optional("product")?
                .map(|p| ProductName::parse(&p))
                .transpose()
                .map_err(|e| StoreError::corrupt(format!("an approval policy's product: {e}")))?,
            deployable: optional("deployable")?
                .map(|d| DeployableName::parse(&d))
                .transpose()
                .map_err(|e| {
                    StoreError::corrupt(format!("an approval policy's deployable: {e}"))
                })?,
            approvals: u8::try_from(approvals)
                .map_err(|_| StoreError::corrupt(format!("{approvals} approvals")))?,
            approver_role: Role::parse(&role)
                .map_err(|_| StoreError::corrupt(format!("approver role {role:?}")))?,
            schema_needs_domain_admin: row.try_get::<i64, _>("schema_needs_domain_admin")? != 0,
            state: state_from_row::<ApprovalPolicy>(row)?,
        })
    }

    /// Its tier, and its product or deployable, exist.
    async fn check_in_store(
        &self,
        reads: &mut Reads<'_>,
        _before: Option<&ApprovalPolicy>,
    ) -> Result<(), StoreError> {
        referenced::<Tier>(reads, "/tier", self.tier.as_str()).await?;
        if let Some(product) = &self.product {
            referenced::<Product>(reads, "/product", product.as_str()).await?;
        }
        if let Some(deployable) = &self.deployable {
            referenced::<Deployable>(reads, "/deployable", deployable.as_str()).await?;
        }
        Ok(())
    }
}
