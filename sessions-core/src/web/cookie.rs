//! The `sessions_client` cookie: the browser's [`ClientId`], 128 random bits that tabs of
//! one browser share.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};

use crate::{ClientId, SessionId};

/// The cookie's name.
pub const CLIENT_COOKIE: &str = "sessions_client";

/// The client id a request's cookie carries, if it carries a well-formed one (32 hex
/// digits, as this host writes them); anything else is as if there were none.
pub(super) fn client_of(headers: &HeaderMap) -> Option<ClientId> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|header| header.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == CLIENT_COOKIE && value.parse::<SessionId>().is_ok())
        .map(|(_, value)| ClientId::new(value))
}

/// A fresh client id: 128 bits from the operating system's generator.
pub(super) fn new_client() -> ClientId {
    ClientId::new(SessionId::random().to_string())
}

/// The request's client, and whether it is new (its response must set the cookie).
pub(super) fn client_or_new(headers: &HeaderMap) -> (ClientId, bool) {
    match client_of(headers) {
        Some(client) => (client, false),
        None => (new_client(), true),
    }
}

/// Adds the `Set-Cookie` header that gives the browser `client`: `HttpOnly` (no script
/// reads it), `SameSite=Lax`, for every path, `Secure` when asked.
pub(super) fn set_client_cookie(headers: &mut HeaderMap, client: &ClientId, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!("{CLIENT_COOKIE}={client}; Path=/; HttpOnly; SameSite=Lax{secure}");
    // The id is hex digits: always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        headers.append(SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_only_a_well_formed_client_cookie() {
        let id = SessionId::random().to_string();
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_str(&format!("a=1; {CLIENT_COOKIE}={id}; b=2"))
                .expect("as the test set it up"),
        );
        assert_eq!(client_of(&headers), Some(ClientId::new(id)));

        let mut forged = HeaderMap::new();
        forged.insert(
            COOKIE,
            HeaderValue::from_static("sessions_client=../../etc"),
        );
        assert_eq!(client_of(&forged), None);
        assert!(
            client_or_new(&forged).1,
            "a malformed cookie gets a new client"
        );
    }

    #[test]
    fn the_cookie_is_http_only_and_secure_when_asked() {
        let client = new_client();
        let mut headers = HeaderMap::new();
        set_client_cookie(&mut headers, &client, true);
        let cookie = headers
            .get(SET_COOKIE)
            .expect("as the test set it up")
            .to_str()
            .expect("as the test set it up");
        assert_eq!(
            cookie,
            format!("sessions_client={client}; Path=/; HttpOnly; SameSite=Lax; Secure")
        );
    }
}
