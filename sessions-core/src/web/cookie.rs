//! The `sessions_client` cookie and the browser's [`ClientId`].
//!
//! The cookie is one the host issued: `SECRET.TAG`, where `SECRET` is 128 random bits that
//! only the browser has (`HttpOnly`, so no script on the page reads it) and `TAG` an
//! HMAC-SHA256 of it under the host's [`CookieKey`] (its first 128 bits). A cookie whose tag
//! does not verify, made up by a client or issued under another key, is as if there were
//! none: the request gets a new cookie, and so a new client. So a client cannot choose its
//! [`ClientId`] (cookie fixation with a chosen secret), and cannot be as many browsers as it
//! likes by making secrets up while keeping a browser's tabs under one limit.
//!
//! The browser's `ClientId`, which tabs of one browser share and which the page is told in
//! `session.opened`, is another HMAC of the secret under the same key (with another label):
//! it names the browser, the same on every host that shares the key (a farm's nodes), and
//! telling it to a page (or to a script that got into the page) gives away neither the
//! secret nor the tag, so nobody else can act as that browser.

use std::fmt;

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{ClientId, SessionId};

/// The cookie's name.
pub const CLIENT_COOKIE: &str = "sessions_client";

/// The label of the cookie's tag, so a tag is never a client id and the reverse.
const TAG_LABEL: &[u8] = b"sessions_client tag v1\0";
/// The label of the public client id.
const CLIENT_LABEL: &[u8] = b"sessions_client id v1\0";
/// Bytes of the tag and of the client id kept from the 32 of HMAC-SHA256.
const KEPT: usize = 16;

/// The key a web host signs its client cookies with (HMAC-SHA256), and derives each
/// browser's public [`ClientId`] from.
///
/// By default each host draws its own at random ([`CookieKey::random`]), so a cookie is
/// taken only by the process that issued it. Nodes of a farm that must take each other's
/// cookies, and give a browser the same `ClientId` on every node, share one key: read it
/// from the application's secret store and give it to each node's
/// [`WebHostBuilder::cookie_key`](super::WebHostBuilder::cookie_key). Whoever has the key
/// can make cookies for any client: keep it as secret as a TLS private key. Changing it
/// makes every browser a new client (their next request gets a new cookie).
///
/// ```
/// use sessions_core::web::{CookieKey, WebHost};
/// use sessions_core::Engine;
///
/// // In production: 32 bytes or more from a secret store, the same on every node.
/// let key = CookieKey::new(b"0123456789abcdef0123456789abcdef")?;
/// let engine = Engine::builder().name("CookieKeyDoc").build()?;
/// let app: axum::Router = WebHost::builder(engine).cookie_key(key).build();
/// # drop(app);
/// assert!(CookieKey::new(b"too short").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct CookieKey {
    /// The HMAC with the key set up, cloned for each use.
    mac: Hmac<Sha256>,
}

/// A key given to [`CookieKey::new`] is shorter than [`CookieKey::MIN_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a cookie key must have at least {min} bytes (256 random bits), this one has {len}: \
     draw one from a secure generator (e.g. `openssl rand 32`) and keep it secret"
)]
pub struct CookieKeyTooShort {
    /// The length of the key given.
    pub len: usize,
    /// The least length taken.
    pub min: usize,
}

impl CookieKey {
    /// The shortest key taken, in bytes.
    pub const MIN_BYTES: usize = 32;

    /// A key of `bytes`, which must be at least [`MIN_BYTES`](Self::MIN_BYTES) long and
    /// should be random.
    ///
    /// # Errors
    /// [`CookieKeyTooShort`] when `bytes` is shorter.
    pub fn new(bytes: impl AsRef<[u8]>) -> Result<CookieKey, CookieKeyTooShort> {
        let bytes = bytes.as_ref();
        if bytes.len() < Self::MIN_BYTES {
            return Err(CookieKeyTooShort {
                len: bytes.len(),
                min: Self::MIN_BYTES,
            });
        }
        // HMAC takes a key of any length: this cannot fail.
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(bytes).map_err(|_| CookieKeyTooShort {
            len: bytes.len(),
            min: Self::MIN_BYTES,
        })?;
        Ok(CookieKey { mac })
    }

    /// A key of 256 bits from the operating system's generator: the default, so a host
    /// takes only the cookies it issued itself.
    ///
    /// # Panics
    /// Only if the operating system cannot give random bytes at all (as
    /// [`SessionId::random`]): a host that cannot make unguessable keys must not go on.
    pub fn random() -> CookieKey {
        let mut bytes = [0u8; 32];
        for (chunk, id) in bytes
            .chunks_mut(16)
            .zip([SessionId::random(), SessionId::random()])
        {
            chunk.copy_from_slice(&id.as_u128().to_le_bytes());
        }
        match CookieKey::new(bytes) {
            Ok(key) => key,
            // 32 bytes is MIN_BYTES.
            Err(error) => unreachable!("{error}"),
        }
    }

    /// The first [`KEPT`] bytes of the HMAC of `label` and `secret`.
    fn sign(&self, label: &[u8], secret: &str) -> [u8; KEPT] {
        let full = self
            .mac
            .clone()
            .chain_update(label)
            .chain_update(secret.as_bytes())
            .finalize()
            .into_bytes();
        let mut kept = [0u8; KEPT];
        kept.copy_from_slice(&full[..KEPT]);
        kept
    }

    /// Whether `tag` is the tag of `secret`, compared in constant time.
    fn verifies(&self, secret: &str, tag: &[u8; KEPT]) -> bool {
        self.mac
            .clone()
            .chain_update(TAG_LABEL)
            .chain_update(secret.as_bytes())
            .verify_truncated_left(tag)
            .is_ok()
    }
}

impl fmt::Debug for CookieKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CookieKey(..)")
    }
}

/// A browser's cookie that this host issued (or one to issue): what the
/// `sessions_client` cookie carries, `SECRET.TAG`.
pub(super) struct Secret {
    /// The 32 hex digits of the secret.
    secret: String,
    /// The whole cookie value.
    value: String,
}

impl Secret {
    /// A fresh cookie: 128 bits from the operating system's generator, signed with `key`.
    pub fn new(key: &CookieKey) -> Secret {
        let secret = SessionId::random().to_string();
        let value = format!("{secret}.{}", hex(&key.sign(TAG_LABEL, &secret)));
        Secret { secret, value }
    }

    /// The browser's public id, derived from the secret with `key`.
    pub fn client(&self, key: &CookieKey) -> ClientId {
        ClientId::new(hex(&key.sign(CLIENT_LABEL, &self.secret)))
    }
}

/// The first cookie of the request that this host issued (its tag verifies under `key`);
/// any other is as if there were none.
fn secret_of(headers: &HeaderMap, key: &CookieKey) -> Option<Secret> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|header| header.to_str().ok())
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter(|(name, _)| *name == CLIENT_COOKIE)
        .find_map(|(_, value)| {
            let (secret, tag) = value.split_once('.')?;
            secret.parse::<SessionId>().ok()?;
            let tag = unhex(tag)?;
            key.verifies(secret, &tag).then(|| Secret {
                secret: secret.to_owned(),
                value: value.to_owned(),
            })
        })
}

/// The client of the request's cookie, if this host issued it.
pub(super) fn client_of(headers: &HeaderMap, key: &CookieKey) -> Option<ClientId> {
    secret_of(headers, key).map(|secret| secret.client(key))
}

/// The request's client, and the new cookie its response must set when it had none that
/// this host issued.
pub(super) fn client_or_new(headers: &HeaderMap, key: &CookieKey) -> (ClientId, Option<Secret>) {
    match secret_of(headers, key) {
        Some(secret) => (secret.client(key), None),
        None => {
            let secret = Secret::new(key);
            (secret.client(key), Some(secret))
        }
    }
}

/// Adds the `Set-Cookie` header that gives the browser `secret`: `HttpOnly` (no script
/// reads it), `SameSite=Lax`, for every path, `Secure` when asked.
pub(super) fn set_client_cookie(headers: &mut HeaderMap, secret: &Secret, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{CLIENT_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax{secure}",
        secret.value
    );
    // The value is hex digits and a dot: always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        headers.append(SET_COOKIE, value);
    }
}

/// Lowercase hex digits of `bytes`.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut out, byte| {
        let _ = write!(out, "{byte:02x}");
        out
    })
}

/// The [`KEPT`] bytes that `text` spells in hex digits, if it spells exactly that many.
fn unhex(text: &str) -> Option<[u8; KEPT]> {
    let text = text.as_bytes();
    if text.len() != 2 * KEPT {
        return None;
    }
    let mut bytes = [0u8; KEPT];
    for (byte, pair) in bytes.iter_mut().zip(text.chunks(2)) {
        let digit = |c: u8| char::from(c).to_digit(16);
        *byte = u8::try_from(digit(pair[0])? * 16 + digit(pair[1])?).ok()?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cookie(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let cookie = format!("a=1; {CLIENT_COOKIE}={value}; b=2");
        headers.insert(COOKIE, HeaderValue::from_str(&cookie).expect("ascii"));
        headers
    }

    #[test]
    fn takes_only_a_cookie_it_issued_and_derives_the_same_client_from_it() {
        let key = CookieKey::random();
        let issued = Secret::new(&key);
        let client = client_of(&with_cookie(&issued.value), &key).expect("an issued cookie");
        assert_eq!(client, issued.client(&key));
        assert_eq!(client.as_str().len(), 32);
        assert!(
            !issued.value.contains(client.as_str()),
            "the id is neither secret nor tag"
        );
        assert_ne!(client, Secret::new(&key).client(&key));

        let (secret, tag) = issued.value.split_once('.').expect("SECRET.TAG");
        let chosen = SessionId::random().to_string();
        for forged in [
            "../../etc".to_owned(),
            secret.to_owned(),
            format!("{chosen}.{tag}"),
            format!("{secret}.{}", "0".repeat(32)),
            format!("{secret}.{}", &tag[..30]),
            format!("{secret}.{tag}00"),
        ] {
            assert!(client_of(&with_cookie(&forged), &key).is_none(), "{forged}");
            let (new_client, new) = client_or_new(&with_cookie(&forged), &key);
            assert!(new.is_some(), "{forged} gets a new cookie");
            assert_ne!(new_client, client);
        }
        // Another host's key does not take it; the same key (another node) does.
        assert!(client_of(&with_cookie(&issued.value), &CookieKey::random()).is_none());
        let shared = CookieKey::new([7u8; 32]).expect("32 bytes");
        let on_a = Secret::new(&shared);
        let on_b = CookieKey::new([7u8; 32]).expect("32 bytes");
        assert_eq!(
            client_of(&with_cookie(&on_a.value), &on_b),
            Some(on_a.client(&shared))
        );
    }

    #[test]
    fn a_forged_cookie_does_not_hide_an_issued_one() {
        let key = CookieKey::random();
        let issued = Secret::new(&key);
        let mut headers = HeaderMap::new();
        let cookie = format!(
            "{CLIENT_COOKIE}={}.{}; {CLIENT_COOKIE}={}",
            SessionId::random(),
            "a".repeat(32),
            issued.value
        );
        headers.insert(COOKIE, HeaderValue::from_str(&cookie).expect("ascii"));
        assert_eq!(client_of(&headers, &key), Some(issued.client(&key)));
    }

    #[test]
    fn a_short_key_is_refused() {
        assert_eq!(
            CookieKey::new([1u8; 31]).map(|_| ()),
            Err(CookieKeyTooShort { len: 31, min: 32 })
        );
        assert_eq!(format!("{:?}", CookieKey::random()), "CookieKey(..)");
    }

    #[test]
    fn the_cookie_is_http_only_and_secure_when_asked() {
        let secret = Secret::new(&CookieKey::random());
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
                secret.value
            )
        );
    }
}
