//! Headers every answer carries, whatever sent it: no framing by other sites, no guessing of
//! content types, no full addresses in the Referer to other sites, and a Content-Security-Policy
//! that allows nothing where the answer did not set its own (console pages set
//! [`page_content_security_policy`] with their nonce; the API's documentation page one for its
//! inline style).

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    response
}

/// A console page's Content-Security-Policy: scripts only from this server's files and the
/// inline ones its render marked with `nonce` (the hydration script), and WebAssembly; styles,
/// images and requests only from this server; no plugins, no `<base>`, forms only to this
/// server, and no framing by any page.
pub fn page_content_security_policy(nonce: &str) -> HeaderValue {
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    HeaderValue::from_str(&policy).expect("a nonce is base64, valid in a header")
}
