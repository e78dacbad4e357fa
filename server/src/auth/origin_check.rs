//! Cross-site request forgery: a request that changes something must come from a page of this
//! console. Browsers name the page's origin in the `Origin` header of every such request;
//! another site cannot forge it. (The session cookie is SameSite=Strict as well.)

use axum::http::{HeaderMap, Method, header};

/// Whether `method` changes nothing, so it needs no origin check.
pub fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Accepts a request whose Origin (or, lacking one, Referer) is this console: the configured
/// public origin, or else the origin whose host and port are the request's Host.
pub fn check(headers: &HeaderMap, public_origin: Option<&str>) -> Result<(), String> {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let from = match text(header::ORIGIN).filter(|o| *o != "null") {
        Some(origin) => origin.to_owned(),
        None => match text(header::REFERER).and_then(origin_of) {
            Some(origin) => origin,
            None => {
                return Err(
                    "refused: the request does not say which page sent it (no Origin header)"
                        .to_owned(),
                );
            }
        },
    };
    let matches = match public_origin {
        Some(public) => from.eq_ignore_ascii_case(public.trim_end_matches('/')),
        None => {
            let host = text(header::HOST).unwrap_or_default();
            authority(&from).is_some_and(|a| !host.is_empty() && a.eq_ignore_ascii_case(host))
        }
    };
    if matches {
        Ok(())
    } else {
        Err(format!(
            "refused: the request comes from {from}, not from this console's pages{}",
            if public_origin.is_none() {
                " (behind a proxy, set STRATA_PUBLIC_URL to the address people use)"
            } else {
                ""
            }
        ))
    }
}

/// `scheme://authority` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    Some(format!("{scheme}://{authority}"))
}

/// The host and port of an origin.
fn authority(origin: &str) -> Option<&str> {
    origin.split_once("://").map(|(_, authority)| authority)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn the_console_s_own_origin_passes_and_others_do_not() {
        let own = headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "http://127.0.0.1:3000"),
        ]);
        assert!(check(&own, None).is_ok());
        let other = headers(&[
            (header::HOST, "127.0.0.1:3000"),
            (header::ORIGIN, "http://evil.example"),
        ]);
        let why = check(&other, None).unwrap_err();
        assert!(why.contains("http://evil.example"), "{why}");
        let none = headers(&[(header::HOST, "127.0.0.1:3000")]);
        assert!(check(&none, None).unwrap_err().contains("no Origin"));
        let opaque = headers(&[(header::HOST, "127.0.0.1:3000"), (header::ORIGIN, "null")]);
        assert!(check(&opaque, None).is_err());
    }

    #[test]
    fn a_referer_stands_in_for_a_missing_origin() {
        let referred = headers(&[
            (header::HOST, "console.example"),
            (header::REFERER, "https://console.example/tenants?page=2"),
        ]);
        assert!(check(&referred, None).is_ok());
        let elsewhere = headers(&[
            (header::HOST, "console.example"),
            (header::REFERER, "https://console.example.evil.example/x"),
        ]);
        assert!(check(&elsewhere, None).is_err());
    }

    #[test]
    fn behind_a_proxy_the_public_origin_is_what_counts() {
        let proxied = headers(&[
            (header::HOST, "10.0.0.5:3000"),
            (header::ORIGIN, "https://config.example.com"),
        ]);
        assert!(check(&proxied, None).is_err());
        assert!(check(&proxied, Some("https://config.example.com/")).is_ok());
        assert!(check(&proxied, Some("http://config.example.com")).is_err());
    }
}
