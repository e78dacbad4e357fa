//! What the console's server functions (`POST /api/{endpoint}`) refuse before Leptos reads
//! their arguments, and how an argument Leptos could not read is answered: a form over
//! [`MAX_FORM_BYTES`] is 413, a NUL character anywhere in it 422 (PostgreSQL keeps no text that
//! holds one), and arguments that do not read (a missing field, text where a number goes, an
//! unknown kind) 400 with what was wrong, instead of the 500 Leptos gives them.

use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The largest form a server function takes: a schema (512 KiB of JSON) form-encoded, with room.
pub const MAX_FORM_BYTES: usize = 4 * 1024 * 1024;

/// How large an error answer of Leptos may be to be read back here.
const MAX_ERROR_BYTES: usize = 64 * 1024;

fn is_server_fn(path: &str) -> bool {
    path.starts_with("/api/") && !path.starts_with("/api/v1/")
}

pub async fn arguments(request: Request, next: Next) -> Response {
    if !is_server_fn(request.uri().path()) {
        return next.run(request).await;
    }
    let nul = |text: &str| text.to_ascii_lowercase().contains("%00");
    if request.uri().query().is_some_and(nul) {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the query may not hold the NUL character (%00)",
        );
    }
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_FORM_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                &format!(
                    "the arguments are larger than {} MiB",
                    MAX_FORM_BYTES / 1024 / 1024
                ),
            );
        }
    };
    if bytes.contains(&0) || nul(&String::from_utf8_lossy(&bytes)) {
        return refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            "the arguments may not hold the NUL character, which Strata does not store",
        );
    }
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_ERROR_BYTES)
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    // Leptos's encoding of an error: "Args|…" or "Deserialization|…" for arguments it could
    // not read. The same text stays in the body, so the console still reads the error.
    if text.starts_with("Args|") || text.starts_with("Deserialization|") {
        let mut response = Response::from_parts(parts, Body::from(bytes));
        *response.status_mut() = StatusCode::BAD_REQUEST;
        return response;
    }
    Response::from_parts(parts, Body::from(bytes))
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, format!("Args|{message}")).into_response()
}
