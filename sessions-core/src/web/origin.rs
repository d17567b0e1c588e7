//! The origin guard: a browser's WebSocket upgrade or POST from another site is refused,
//! so a page elsewhere cannot act with this browser's cookie (cross-site WebSocket
//! hijacking, CSRF).

use axum::http::header::{HOST, ORIGIN};
use axum::http::HeaderMap;

/// Whether a request with these headers may go on: it has no `Origin` (not a browser's
/// cross-site request), or its origin is the host's own (its authority is the `Host`
/// header) or one of `allowed` (lowercase `scheme://host[:port]`).
pub(super) fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let Ok(origin) = origin.to_str() else {
        return false;
    };
    let origin = origin.to_ascii_lowercase();
    if allowed.contains(&origin) {
        return true;
    }
    let authority = origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"));
    let host = headers.get(HOST).and_then(|host| host.to_str().ok());
    matches!((authority, host), (Some(authority), Some(host)) if authority.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static(host));
        if let Some(origin) = origin {
            headers.insert(ORIGIN, HeaderValue::from_static(origin));
        }
        headers
    }

    #[test]
    fn same_origin_and_allowed_origins_pass_others_do_not() {
        let none: &[String] = &[];
        assert!(origin_allowed(&headers(None, "127.0.0.1:8080"), none));
        assert!(origin_allowed(
            &headers(Some("http://127.0.0.1:8080"), "127.0.0.1:8080"),
            none
        ));
        assert!(!origin_allowed(
            &headers(Some("http://evil.example"), "127.0.0.1:8080"),
            none
        ));
        assert!(!origin_allowed(
            &headers(Some("http://127.0.0.1:9999"), "127.0.0.1:8080"),
            none
        ));
        assert!(!origin_allowed(
            &headers(Some("null"), "127.0.0.1:8080"),
            none
        ));
        let allowed = ["https://hmi.example.com".to_owned()];
        assert!(origin_allowed(
            &headers(Some("https://HMI.example.com"), "127.0.0.1:8080"),
            &allowed
        ));
    }
}
