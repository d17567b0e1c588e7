//! Session identifiers: 128 random bits, written as 32 lowercase hex digits.

use std::cell::RefCell;
use std::fmt;
use std::str::FromStr;

const POOL_BYTES: usize = 512;

thread_local! {
    /// Bytes from the operating system's generator not yet handed out, and how many of the
    /// buffer's bytes are used up.
    static POOL: RefCell<([u8; POOL_BYTES], usize)> =
        const { RefCell::new(([0; POOL_BYTES], POOL_BYTES)) };
}

/// The identifier of a session: 128 bits from the operating system's random number
/// generator, never a counter, so one user cannot guess another's.
///
/// Its text form (`Display`) is exactly 32 lowercase hexadecimal digits, and `FromStr`
/// accepts exactly that form and nothing else: this is what a host stores in a cookie or a
/// URL and hands back later.
///
/// ```
/// use sessions_core::SessionId;
///
/// let id = SessionId::random();
/// let text = id.to_string();
/// assert_eq!(text.len(), 32);
/// assert_eq!(text.parse::<SessionId>(), Ok(id));
/// assert!("not-an-id".parse::<SessionId>().is_err());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(u128);

impl SessionId {
    /// A fresh identifier from the operating system's random number generator.
    ///
    /// Each thread reads the operating system's generator 512 bytes at a time (one system
    /// call per 32 ids) and wipes each id's bytes from its buffer as it hands them out.
    /// A process that forks should open sessions only in the parent or only in the child:
    /// both would hold the same unread bytes.
    ///
    /// # Panics
    /// Panics only if the operating system cannot provide random bytes at all. A session
    /// framework without a source of unguessable ids must not go on silently.
    pub fn random() -> SessionId {
        loop {
            let id = SessionId::draw();
            // 0 marks "no session" in the current-session cell; it comes up once in 2^128.
            if id.0 != 0 {
                return id;
            }
        }
    }

    fn draw() -> SessionId {
        POOL.with(|pool| {
            let mut pool = pool.borrow_mut();
            let (bytes, used) = &mut *pool;
            if *used == bytes.len() {
                if let Err(err) = getrandom::fill(bytes) {
                    panic!("the operating system could not provide random bytes for a session id: {err}");
                }
                *used = 0;
            }
            let mut id = [0u8; 16];
            id.copy_from_slice(&bytes[*used..*used + 16]);
            bytes[*used..*used + 16].fill(0);
            *used += 16;
            SessionId(u128::from_le_bytes(id))
        })
    }

    /// The id whose bits are `raw`, or `None` for 0, which no session has.
    #[inline]
    pub(crate) fn from_raw(raw: u128) -> Option<SessionId> {
        (raw != 0).then_some(SessionId(raw))
    }

    /// The 128 bits of the identifier.
    #[inline]
    pub fn as_u128(self) -> u128 {
        self.0
    }

    /// The 16 bytes of the identifier, most significant first (the order of the text form).
    pub fn to_bytes(self) -> [u8; 16] {
        self.0.to_be_bytes()
    }

    /// Compares two identifiers in time that does not depend on how many bits match.
    ///
    /// Use this where an identifier that came from outside (a cookie, a URL) is checked
    /// against one the server holds, so the time taken reveals nothing about the secret.
    pub fn ct_eq(&self, other: &SessionId) -> bool {
        crate::ct::eq(&self.0.to_le_bytes(), &other.0.to_le_bytes())
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:032x}", self.0)
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({self})")
    }
}

/// The text was not a session id: exactly 32 lowercase hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseSessionIdError {
    /// The text does not have 32 characters.
    #[error("a session id has 32 characters, got {len}")]
    Length {
        /// How many characters the text had.
        len: usize,
    },
    /// A character is not a lowercase hexadecimal digit.
    #[error("a session id has only the digits 0-9 and a-f, got {found:?} at position {position}")]
    Character {
        /// The first character that is not `0-9` or `a-f`.
        found: char,
        /// Its position, counted in characters from 0.
        position: usize,
    },
}

impl FromStr for SessionId {
    type Err = ParseSessionIdError;

    fn from_str(text: &str) -> Result<SessionId, ParseSessionIdError> {
        let len = text.chars().count();
        if len != 32 {
            return Err(ParseSessionIdError::Length { len });
        }
        let mut value: u128 = 0;
        for (position, found) in text.chars().enumerate() {
            let digit = match found {
                '0'..='9' => found as u32 - '0' as u32,
                'a'..='f' => found as u32 - 'a' as u32 + 10,
                _ => return Err(ParseSessionIdError::Character { found, position }),
            };
            value = (value << 4) | u128::from(digit);
        }
        Ok(SessionId(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_pads_to_32_digits() {
        assert_eq!(SessionId(1).to_string(), format!("{:0>32}", "1"));
        assert_eq!(SessionId(u128::MAX).to_string(), "f".repeat(32));
    }

    #[test]
    fn errors_name_what_was_wrong() {
        let upper = "A".repeat(32);
        assert_eq!(
            upper.parse::<SessionId>(),
            Err(ParseSessionIdError::Character {
                found: 'A',
                position: 0
            })
        );
        assert_eq!(
            "abc".parse::<SessionId>(),
            Err(ParseSessionIdError::Length { len: 3 })
        );
    }

    #[test]
    fn ct_eq_agrees_with_eq() {
        let a = SessionId::random();
        let b = SessionId(a.0 ^ (1 << 100));
        assert!(a.ct_eq(&a));
        assert!(!a.ct_eq(&b));
        assert!(!SessionId(1).ct_eq(&SessionId(0)));
    }
}
