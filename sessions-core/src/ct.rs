//! The crate's one constant-time comparison, for secrets a client sends (a resume token's
//! half, a password): the time it takes depends on the lengths only, never on where the
//! first difference is.

/// Whether `a == b`, in a time that depends on their lengths only.
pub(crate) fn eq(a: &[u8], b: &[u8]) -> bool {
    let mut differ = u8::from(a.len() != b.len());
    for index in 0..a.len().max(b.len()) {
        let x = a.get(index).copied().unwrap_or(0);
        let y = b.get(index).copied().unwrap_or(0);
        differ |= x ^ y;
    }
    std::hint::black_box(differ) == 0
}

#[cfg(test)]
mod tests {
    use super::eq;

    #[test]
    fn compares_whole() {
        assert!(eq(b"secret", b"secret"));
        assert!(!eq(b"secret", b"secreT"));
        assert!(!eq(b"secret", b"secret2"));
        assert!(!eq(b"", b"x"));
        assert!(eq(b"", b""));
    }
}
