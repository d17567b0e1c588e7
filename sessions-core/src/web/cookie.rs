//! The `sessions_client` cookie and the browser's [`ClientId`].
//!
//! The cookie holds a secret: 128 random bits that only the browser has (`HttpOnly`, so no
//! script on the page reads it). The browser's `ClientId`, which tabs of one browser share
//! and which the page is told in `session.opened`, is derived from it with a keyed hash
//! (SipHash with two random keys of this process): it names the browser, and telling it to
//! a page (or to a script that got into the page) gives away nothing that would let
//! anyone else act as that browser.

use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};

use crate::{ClientId, SessionId};

/// The cookie's name.
pub const CLIENT_COOKIE: &str = "sessions_client";

/// A browser's cookie secret: what the `sessions_client` cookie carries.
pub(super) struct Secret(String);

impl Secret {
    /// A fresh secret: 128 bits from the operating system's generator.
    pub fn new() -> Secret {
        Secret(SessionId::random().to_string())
    }

    /// The browser's public id, derived from the secret.
    pub fn client(&self) -> ClientId {
        static KEYS: OnceLock<(RandomState, RandomState)> = OnceLock::new();
        let (high, low) = KEYS.get_or_init(|| (RandomState::new(), RandomState::new()));
        let id = format!(
            "{:016x}{:016x}",
            high.hash_one(&self.0),
            low.hash_one(&self.0)
        );
        ClientId::new(id)
    }
}

/// The secret a request's cookie carries, if it carries a well-formed one (32 hex digits,
/// as this host writes them); anything else is as if there were none.
pub(super) fn secret_of(headers: &HeaderMap) -> Option<Secret> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|header| header.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == CLIENT_COOKIE && value.parse::<SessionId>().is_ok())
        .map(|(_, value)| Secret(value.to_owned()))
}

/// The request's client, and the new secret its response must set when it had none.
pub(super) fn client_or_new(headers: &HeaderMap) -> (ClientId, Option<Secret>) {
    match secret_of(headers) {
        Some(secret) => (secret.client(), None),
        None => {
            let secret = Secret::new();
            (secret.client(), Some(secret))
        }
    }
}

/// Adds the `Set-Cookie` header that gives the browser `secret`: `HttpOnly` (no script
/// reads it), `SameSite=Lax`, for every path, `Secure` when asked.
pub(super) fn set_client_cookie(headers: &mut HeaderMap, secret: &Secret, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{CLIENT_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax{secure}",
        secret.0
    );
    // The secret is hex digits: always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        headers.append(SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_a_well_formed_cookie_and_derives_the_same_client_from_it() {
        let secret = SessionId::random().to_string();
        let mut headers = HeaderMap::new();
        let cookie = format!("a=1; {CLIENT_COOKIE}={secret}; b=2");
        headers.insert(COOKIE, HeaderValue::from_str(&cookie).expect("ascii"));
        let client = secret_of(&headers).expect("a well-formed cookie").client();
        assert_eq!(client, Secret(secret.clone()).client());
        assert_eq!(client.as_str().len(), 32);
        assert_ne!(client.as_str(), secret, "the public id is not the secret");
        assert_ne!(client, Secret::new().client());

        let mut forged = HeaderMap::new();
        forged.insert(
            COOKIE,
            HeaderValue::from_static("sessions_client=../../etc"),
        );
        assert!(secret_of(&forged).is_none());
        assert!(
            client_or_new(&forged).1.is_some(),
            "a malformed cookie gets a new secret"
        );
    }

    #[test]
    fn the_cookie_is_http_only_and_secure_when_asked() {
        let secret = Secret::new();
        let mut headers = HeaderMap::new();
        set_client_cookie(&mut headers, &secret, true);
        let cookie = headers
            .get(SET_COOKIE)
            .and_then(|value| value.to_str().ok())
            .expect("a Set-Cookie header");
        assert_eq!(
            cookie,
            format!(
                "sessions_client={}; Path=/; HttpOnly; SameSite=Lax; Secure",
                secret.0
            )
        );
    }
}
