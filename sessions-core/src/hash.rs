//! The crate's one cheap hasher, for keys that come from the program or the OS, not from an
//! attacker: method names, random session ids.

use std::hash::Hasher;

/// FNV-1a: a few multiplications for a short name, where SipHash costs tens of
/// nanoseconds. Names come from the program's own code, not from an attacker, so
/// hash flooding is not a concern.
#[derive(Clone, Copy)]
pub(crate) struct Fnv1a(u64);

impl Fnv1a {
    /// A hasher whose state is `state`: for a key that is its own hash (random bits).
    pub(crate) fn with_state(state: u64) -> Fnv1a {
        Fnv1a(state)
    }
}

impl Default for Fnv1a {
    fn default() -> Self {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv1a {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 ^= u64::from(*byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        let hash = |bytes: &[u8]| {
            let mut h = Fnv1a::default();
            h.write(bytes);
            h.finish()
        };
        assert_eq!(hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
