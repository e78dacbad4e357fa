//! What a change did to an entity, as history records it.

use crate::StoreError;

/// What a change did to an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Operation {
    Create,
    Update,
    Delete,
    Rollback,
    Restore,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
            Operation::Rollback => "rollback",
            Operation::Restore => "restore",
        }
    }

    pub(crate) fn parse(text: &str) -> Result<Operation, StoreError> {
        Ok(match text {
            "create" => Operation::Create,
            "update" => Operation::Update,
            "delete" => Operation::Delete,
            "rollback" => Operation::Rollback,
            "restore" => Operation::Restore,
            other => return Err(StoreError::Corrupt(format!("unknown operation {other:?}"))),
        })
    }
}
