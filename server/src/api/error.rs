//! Every refusal of the HTTP API as one JSON shape:
//! `{"error": {"code": "...", "message": "...", "details": [...]}}`, with the status that says
//! what kind of refusal it is.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use strata_domain::time::format_rfc3339_millis;
use strata_store::StoreError;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable, for programs: `invalid`, `not_found`, `conflict`, …
    pub code: &'static str,
    /// For people.
    pub message: String,
    pub details: Vec<Value>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// A rule the request breaks, at the JSON pointer `field` of what was sent.
    pub fn invalid(field: &str, rule: impl Into<String>) -> ApiError {
        let rule = rule.into();
        ApiError {
            details: vec![json!({"field": field, "rule": rule})],
            ..ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("{field}: {rule}"),
            )
        }
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {
            "code": self.code,
            "message": self.message,
            "details": self.details,
        }});
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        let message = error.to_string();
        match error {
            StoreError::Invalid { field, rule } => ApiError::invalid(&field, rule),
            StoreError::NotFound { .. } => ApiError::not_found(message),
            StoreError::Duplicate { .. } => {
                ApiError::new(StatusCode::CONFLICT, "duplicate", message)
            }
            StoreError::Conflict {
                expected, current, ..
            } => ApiError {
                details: vec![json!({
                    "expected_version": expected,
                    "current_version": current.version,
                    "changed_by": current.actor,
                    "changed_at": format_rfc3339_millis(current.at_ms),
                })],
                ..ApiError::new(StatusCode::CONFLICT, "conflict", message)
            },
            StoreError::InUse {
                dependents, total, ..
            } => ApiError {
                details: vec![json!({"used_by": dependents, "total": total})],
                ..ApiError::new(StatusCode::CONFLICT, "in_use", message)
            },
            StoreError::Forbidden(_) => ApiError::new(StatusCode::FORBIDDEN, "forbidden", message),
            StoreError::Unresolvable(violations) => ApiError {
                details: violations
                    .first
                    .iter()
                    .map(|v| {
                        json!({
                            "tier": v.target.tier,
                            "tenant": v.target.tenant,
                            "deployable": v.target.deployable,
                            "field": v.field,
                            "rule": v.rule,
                        })
                    })
                    .collect(),
                ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "breaks_configs", message)
            },
            other => {
                tracing::error!(error = %other, "the API could not answer");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the server could not do this; its log says why",
                )
            }
        }
    }
}
