//! Every refusal of the HTTP API as one JSON shape:
//! `{"error": {"code": "...", "message": "...", "details": [...]}}`, with the status that says
//! what kind of refusal it is.

use axum::Json;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
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

    /// A rule the request breaks, at the JSON pointer `field` of what was sent (the whole of
    /// it when empty, and then the message is the rule alone).
    pub fn invalid(field: &str, rule: impl Into<String>) -> ApiError {
        let rule = rule.into();
        let message = match field.is_empty() {
            true => rule.clone(),
            false => format!("{field}: {rule}"),
        };
        ApiError {
            details: vec![json!({"field": field, "rule": rule})],
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
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
    /// The status is the store's ([`StoreError::status`]); the API adds a code and details.
    fn from(error: StoreError) -> ApiError {
        let status = StatusCode::from_u16(error.status()).expect("the store answers HTTP statuses");
        let message = error.to_string();
        let (code, details) = match error {
            StoreError::Invalid { field, rule } => {
                return ApiError {
                    status,
                    ..ApiError::invalid(&field, rule)
                };
            }
            StoreError::NotFound { .. } => ("not_found", Vec::new()),
            StoreError::Duplicate { .. } => ("duplicate", Vec::new()),
            StoreError::Conflict {
                expected, current, ..
            } => (
                "conflict",
                vec![json!({
                    "expected_version": expected,
                    "current_version": current.version,
                    "changed_by": current.actor,
                    "changed_at": format_rfc3339_millis(current.at_ms),
                })],
            ),
            StoreError::InUse {
                dependents, total, ..
            } => (
                "in_use",
                vec![json!({"used_by": dependents, "total": total})],
            ),
            StoreError::Forbidden(_) => ("forbidden", Vec::new()),
            StoreError::ApprovalRequired { policy, .. } => (
                "approval_required",
                vec![json!({"policy": policy, "propose": "/api/v1/change-requests"})],
            ),
            StoreError::Unresolvable(violations) => (
                "breaks_configs",
                violations
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
            ),
            other if status == StatusCode::SERVICE_UNAVAILABLE => {
                tracing::warn!(error = %other, "the API could not reach the database");
                return ApiError::new(status, "unavailable", other.told());
            }
            other => {
                tracing::error!(error = %other, "the API could not answer");
                return ApiError::new(status, "internal", other.told());
            }
        };
        ApiError {
            details,
            ..ApiError::new(status, code, message)
        }
    }
}

/// Keeps every `/api/v1/` refusal in the API's shape: an answer of 400 or more that is not
/// JSON (a path the router cannot read, a method a route does not take, no such route) is
/// rewritten as `{"error": …}` with its text as the message.
pub async fn always_json(request: Request, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/v1/");
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !is_api || status.as_u16() < 400 || is_json {
        return response;
    }
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        s if s.is_server_error() => "internal",
        _ => "refused",
    };
    let text = axum::body::to_bytes(response.into_body(), 16 * 1024)
        .await
        .ok()
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        // A page (the console's "not found") is no message.
        .filter(|t| !t.is_empty() && !t.starts_with('<'));
    let message = text.unwrap_or_else(|| {
        format!(
            "{} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("refused")
        )
    });
    ApiError::new(status, code, message).into_response()
}
