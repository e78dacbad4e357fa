//! The console's built files (`/pkg/…`): sent compressed as the browser accepts (brotli, then
//! gzip), from the `.br` and `.gz` copies `scripts/build` made beside each file, so no CPU
//! goes to compressing per request. A file whose name carries its content's hash never changes
//! under that name: browsers keep it a year without asking again. Anything else (a build
//! without hashes, as in development) is checked with the server each time.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use tower_http::services::ServeDir;

/// What a hashed file is sent with.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// What every other built file is sent with: kept, but checked before each use.
const CHECK_FIRST: &str = "no-cache";

/// The file `scripts/build` writes beside the site naming each hashed file (`js: …`,
/// `wasm: …`, `css: …`); Leptos reads the script's and the module's names from it.
pub const HASH_FILE: &str = "hash.txt";

/// Serves `site_root/pkg` at `/pkg`.
pub fn router(site_root: &Path) -> Router {
    let files = ServeDir::new(site_root.join("pkg"))
        .precompressed_br()
        .precompressed_gzip();
    Router::new()
        .nest_service("/pkg", files)
        .layer(middleware::from_fn(cache_control))
}

async fn cache_control(request: Request, next: Next) -> Response {
    let hashed = hashed_name(request.uri().path());
    let mut response = next.run(request).await;
    if response.status().is_success() || response.status().as_u16() == 304 {
        let policy = if hashed { IMMUTABLE } else { CHECK_FIRST };
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
        // Which copy was sent depends on what the browser accepts: caches keep them apart.
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// Whether the last part of `path` reads `name.<16 hex digits>.ext`, as `scripts/build`
/// names a file after its content.
fn hashed_name(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or_default();
    let mut parts = file.rsplit('.');
    let (Some(_ext), Some(hash), Some(name)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    !name.is_empty() && hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The hash file of the site at `site_root`, if its build named files after their content.
pub fn hash_file(site_root: &Path) -> Option<PathBuf> {
    let path = site_root.join(HASH_FILE);
    path.is_file()
        .then(|| std::path::absolute(&path).unwrap_or(path))
}

#[cfg(test)]
mod tests {
    use super::hashed_name;

    #[test]
    fn only_names_with_a_content_hash_are_immutable() {
        assert!(hashed_name("/pkg/strata.0123456789abcdef.wasm"));
        assert!(hashed_name("/pkg/strata.0123456789abcdef.css"));
        // The module of pages fetched later, and the loader between it and the main one.
        assert!(hashed_name(
            "/pkg/split_page_4845938345633334296.0123456789abcdef.wasm"
        ));
        assert!(hashed_name("/pkg/__wasm_split.0123456789abcdef.js"));
        for other in [
            "/pkg/strata.js",
            "/pkg/strata_bg.wasm",
            "/pkg/strata.0123456789abcdeg.js",
            "/pkg/strata.0123456789abcde.js",
            "/pkg/.0123456789abcdef.js",
            "/pkg/",
        ] {
            assert!(!hashed_name(other), "{other}");
        }
    }
}
