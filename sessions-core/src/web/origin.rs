//! The origin guard: a browser's WebSocket upgrade or POST from another site is refused,
//! so a page elsewhere cannot act with this browser's cookie (cross-site WebSocket
//! hijacking, CSRF), and neither can a page whose host name was made to resolve to this
//! server (DNS rebinding).
//!
//! The guard does not trust `Host` to say what this host is: the client sets it. A
//! rebinding page at `http://evil.example:8080`, once `evil.example` resolves to this
//! server, sends `Host: evil.example:8080` and `Origin: http://evil.example:8080`, which
//! agree. So `Host` itself must name this host: one of its public origins
//! ([`WebHostBuilder::public_origin`](super::WebHostBuilder::public_origin)) or a loopback
//! name (`localhost`, `127.0.0.1`, `[::1]`), which no other site's page can send. Then
//! `Origin`, when there is one, must be a public origin, an allowed one
//! ([`WebHostBuilder::allow_origin`](super::WebHostBuilder::allow_origin)), or, for a
//! loopback `Host`, `http://` and that very host and port. Origins are compared by
//! scheme, host and port (a missing port is the scheme's default).

use std::fmt;

use axum::http::header::{HOST, ORIGIN};
use axum::http::HeaderMap;

/// The host names that only this machine's own pages and programs send.
const LOOPBACK: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// `http` or `https`: the schemes of a web origin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// A web origin as the guard compares them: scheme, host (lowercase; an IPv6 address in
/// brackets) and port.
#[derive(Clone, PartialEq, Eq)]
pub(super) struct SiteOrigin {
    scheme: Scheme,
    host: String,
    port: u16,
}

impl SiteOrigin {
    /// Reads `scheme://host[:port]` (a trailing `/` is taken), as a browser's `Origin`
    /// header or a configured origin gives it; `None` for anything else (`null`, a path,
    /// another scheme).
    pub(super) fn parse(text: &str) -> Option<SiteOrigin> {
        let text = text.trim().to_ascii_lowercase();
        let (scheme, rest) = if let Some(rest) = text.strip_prefix("http://") {
            (Scheme::Http, rest)
        } else if let Some(rest) = text.strip_prefix("https://") {
            (Scheme::Https, rest)
        } else {
            return None;
        };
        let (host, port) = authority(rest.strip_suffix('/').unwrap_or(rest))?;
        Some(SiteOrigin {
            scheme,
            host: host.to_owned(),
            port: port.unwrap_or(scheme.default_port()),
        })
    }

    /// Whether a `Host` header of `host` and `port` names this origin.
    fn is_host(&self, host: &str, port: Option<u16>) -> bool {
        self.host == host && self.port == port.unwrap_or(self.scheme.default_port())
    }
}

impl fmt::Debug for SiteOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        write!(f, "{scheme}://{}:{}", self.host, self.port)
    }
}

/// The host and port of `host[:port]` (lowercase already), an IPv6 host in brackets;
/// `None` when it is not one (empty, user info, a path, a bad port).
fn authority(text: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if text.starts_with('[') {
        let end = text.find(']')?;
        let (host, rest) = text.split_at(end + 1);
        match rest {
            "" => (host, None),
            _ => (host, Some(rest.strip_prefix(':')?)),
        }
    } else {
        match text.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        }
    };
    let valid = |c: char| c.is_ascii_alphanumeric() || "-._[]:".contains(c);
    if host.is_empty() || !host.chars().all(valid) {
        return None;
    }
    let port = match port {
        Some(port) if port.bytes().all(|b| b.is_ascii_digit()) => Some(port.parse().ok()?),
        Some(_) => return None,
        None => None,
    };
    Some((host, port))
}

/// Whether a request with these headers may go on.
///
/// - Its `Host` is a loopback name or the host of one of `public` (with its port);
/// - and it has no `Origin` (not a browser's request: a script, curl), or its origin is
///   one of `public`, one of `allowed` (`scheme://host[:port]`), or, for a loopback
///   `Host`, `http://` and that same host and port.
pub(super) fn origin_allowed(
    headers: &HeaderMap,
    allowed: &[String],
    public: &[SiteOrigin],
) -> bool {
    let host = headers
        .get(HOST)
        .and_then(|host| host.to_str().ok())
        .map(str::to_ascii_lowercase);
    let Some((host, port)) = host.as_deref().and_then(authority) else {
        return false;
    };
    let loopback = LOOPBACK.contains(&host);
    if !loopback && !public.iter().any(|origin| origin.is_host(host, port)) {
        return false;
    }
    let Some(origin) = headers.get(ORIGIN) else {
        return true;
    };
    let Some(origin) = origin.to_str().ok().and_then(SiteOrigin::parse) else {
        return false;
    };
    public.contains(&origin)
        || allowed
            .iter()
            .filter_map(|allowed| SiteOrigin::parse(allowed))
            .any(|allowed| allowed == origin)
        || (loopback && origin.scheme == Scheme::Http && origin.is_host(host, port))
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

    fn allowed(origin: Option<&'static str>, host: &'static str, public: &[&str]) -> bool {
        let public: Vec<SiteOrigin> = public
            .iter()
            .map(|origin| SiteOrigin::parse(origin).expect("a valid origin"))
            .collect();
        let extra = ["https://partner.example".to_owned()];
        origin_allowed(&headers(origin, host), &extra, &public)
    }

    #[test]
    fn loopback_same_origin_passes_and_others_do_not() {
        assert!(allowed(None, "127.0.0.1:8080", &[]));
        assert!(allowed(
            Some("http://127.0.0.1:8080"),
            "127.0.0.1:8080",
            &[]
        ));
        assert!(allowed(
            Some("http://LOCALHOST:8080/"),
            "localhost:8080",
            &[]
        ));
        assert!(allowed(Some("http://[::1]:8080"), "[::1]:8080", &[]));
        assert!(allowed(Some("http://localhost"), "localhost", &[]));
        assert!(allowed(Some("http://localhost:80"), "localhost", &[]));
        assert!(!allowed(Some("http://evil.example"), "127.0.0.1:8080", &[]));
        assert!(!allowed(
            Some("http://127.0.0.1:9999"),
            "127.0.0.1:8080",
            &[]
        ));
        assert!(!allowed(
            Some("http://localhost:8080"),
            "127.0.0.1:8080",
            &[]
        ));
        assert!(!allowed(
            Some("https://127.0.0.1:8080"),
            "127.0.0.1:8080",
            &[]
        ));
        assert!(!allowed(Some("null"), "127.0.0.1:8080", &[]));
        assert!(!allowed(Some("ws://127.0.0.1:8080"), "127.0.0.1:8080", &[]));
        // An allowed other site may call from its pages.
        assert!(allowed(
            Some("https://partner.example:443"),
            "127.0.0.1:8080",
            &[]
        ));
        assert!(!allowed(
            Some("http://partner.example"),
            "127.0.0.1:8080",
            &[]
        ));
    }

    #[test]
    fn dns_rebinding_is_refused_whatever_the_origin() {
        for origin in [None, Some("http://evil.example:8080")] {
            assert!(!allowed(origin, "evil.example:8080", &[]));
            assert!(!allowed(
                origin,
                "evil.example:8080",
                &["http://hmi.example:8080"]
            ));
        }
        assert!(!allowed(
            Some("http://127.0.0.1.evil.example"),
            "127.0.0.1.evil.example",
            &[]
        ));
    }

    #[test]
    fn public_origins_are_compared_by_scheme_host_and_port() {
        let public = ["https://hmi.example.com", "http://10.0.0.5:8080"];
        assert!(allowed(
            Some("https://hmi.example.com"),
            "hmi.example.com",
            &public
        ));
        assert!(allowed(
            Some("https://hmi.example.com:443"),
            "hmi.example.com:443",
            &public
        ));
        assert!(allowed(None, "10.0.0.5:8080", &public));
        assert!(allowed(
            Some("http://10.0.0.5:8080"),
            "10.0.0.5:8080",
            &public
        ));
        // Behind a proxy that forwards to loopback, the browser's origin is a public one.
        assert!(allowed(
            Some("https://hmi.example.com"),
            "127.0.0.1:8080",
            &public
        ));
        assert!(!allowed(
            Some("http://hmi.example.com"),
            "hmi.example.com",
            &public
        ));
        assert!(!allowed(
            Some("https://hmi.example.com:8443"),
            "hmi.example.com",
            &public
        ));
        assert!(!allowed(
            Some("https://hmi.example.com"),
            "hmi.example.com:8443",
            &public
        ));
        assert!(!allowed(
            Some("http://10.0.0.5:8081"),
            "10.0.0.5:8080",
            &public
        ));
    }

    #[test]
    fn malformed_hosts_and_origins_are_refused() {
        let mut no_host = HeaderMap::new();
        no_host.insert(ORIGIN, HeaderValue::from_static("http://127.0.0.1:8080"));
        assert!(!origin_allowed(&no_host, &[], &[]));
        for host in [
            "",
            "127.0.0.1:",
            "127.0.0.1:x",
            "127.0.0.1:99999",
            "u@127.0.0.1",
            "[::1",
        ] {
            let mut headers = HeaderMap::new();
            headers.insert(HOST, HeaderValue::from_str(host).expect("ascii"));
            assert!(!origin_allowed(&headers, &[], &[]), "{host:?}");
        }
        for origin in ["http://", "http://a/b", "http://a:b", "https://[::1"] {
            assert!(SiteOrigin::parse(origin).is_none(), "{origin:?}");
        }
    }
}
