//! Who gets in: sessions in the database, the sign-in, sign-out and first-admin forms, and the
//! guard every console request passes (signed in, from this console's own origin).

mod bearer;
pub mod client_address;
mod guard;
mod origin_check;
pub mod sessions;
mod setup;
mod sign_in;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use strata_store::Store;
use strata_store::access::SignInLimits;

pub use bearer::{Bearer, KEEP as TOKEN_KEEP};
pub use guard::guard;
pub use setup::announce_setup_link;

/// What the auth routes and the guard share.
#[derive(Clone)]
pub struct Auth {
    pub store: Store,
    pub policy: Arc<AuthPolicy>,
    pub bearer: Bearer,
}

/// How sign-in works on this server.
#[derive(Debug, Clone)]
pub struct AuthPolicy {
    /// The origin browsers reach the console at (scheme://host[:port]), when it differs from
    /// what the Host header says (behind a reverse proxy). Unset: the request's own Host.
    pub public_origin: Option<String>,
    pub cookies: sessions::CookiePolicy,
    pub limits: SignInLimits,
    /// Reverse proxies whose `X-Forwarded-For` says who the client is.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

impl AuthPolicy {
    /// How often a session's expiry is pushed forward while it is used: often enough that a
    /// session in use never expires, rarely enough that reads do not write on every request.
    pub fn touch_every(&self) -> Duration {
        (self.cookies.idle / 4).min(Duration::from_secs(60))
    }
}

/// The session keys.
pub(crate) const USER_KEY: &str = "user";
pub(crate) const TOUCHED_KEY: &str = "touched_ms";

pub fn router(auth: Auth) -> Router {
    Router::new()
        .route("/auth/sign-in", post(sign_in::sign_in))
        .route("/auth/sign-out", post(sign_in::sign_out))
        .route("/auth/setup", post(setup::set_up))
        .with_state(auth)
}

/// A path inside this console to go to after signing in; anything else (another site, a
/// scheme-relative `//host`) becomes the home page. Read the way a browser reads a `Location`
/// (the WHATWG URL parser, which drops tabs and newlines and turns `\` into `/`), so what comes
/// back is exactly where the browser goes: `/\t/evil.example` is `//evil.example` to it, and so
/// is `/.//evil.example` once its dot segment is resolved: a path that starts `//` goes home.
pub(crate) fn local_path(next: Option<&str>) -> String {
    const HERE: &str = "http://console.invalid/";
    let home = || "/".to_owned();
    let Some(path) = next.filter(|p| p.starts_with('/')) else {
        return home();
    };
    let base = url::Url::parse(HERE).expect("a valid base");
    match base.join(path) {
        Ok(target)
            if target.origin() == base.origin()
                && target.username().is_empty()
                && !target.path().starts_with("//") =>
        {
            // Path, query and fragment, as the parser wrote them: percent-encoded, so the
            // answer is always a valid header value.
            target[url::Position::BeforePath..].to_owned()
        }
        _ => home(),
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(local_path(Some("/tenants?page=2")), "/tenants?page=2");
        for elsewhere in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            " //evil.example",
            "/\\/evil.example",
            "/.//evil.example",
            "/..//evil.example",
            "/%2e//evil.example",
            "/a/..//evil.example",
            "tenants",
            "",
        ] {
            assert_eq!(local_path(Some(elsewhere)), "/", "{elsewhere}");
        }
        assert_eq!(local_path(None), "/");
        // Control characters and text that is no header value come back encoded, never raw.
        assert_eq!(
            local_path(Some("/tenants\u{7}?q=é")),
            "/tenants%07?q=%C3%A9"
        );
        assert_eq!(local_path(Some("/a/../b")), "/b");
    }
}
