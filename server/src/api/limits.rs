//! What the API refuses before any handler looks at a request: a body over
//! [`MAX_BODY_BYTES`](super::MAX_BODY_BYTES) (413, from the body limit), and a NUL character
//! anywhere in the path or query (422) — no name holds one, and PostgreSQL keeps no text that
//! does, so such a request could only fail deeper down.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;

pub async fn no_nul(request: Request, next: Next) -> Response {
    let uri = request.uri();
    let nul = |text: &str| text.to_ascii_lowercase().contains("%00");
    if nul(uri.path()) {
        return ApiError::invalid("/path", "a path may not hold the NUL character (%00)")
            .into_response();
    }
    if uri.query().is_some_and(nul) {
        return ApiError::invalid("/query", "a query may not hold the NUL character (%00)")
            .into_response();
    }
    next.run(request).await
}
