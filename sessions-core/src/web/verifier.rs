//! A resume token's verifier: what the farm keeps in Redis so any node can check a token it
//! did not give, never the token itself. It is a SHA-256 of the token's secret half; the
//! secret is 128 random bits, so the hash cannot be turned back into it.

use sha2::{Digest, Sha256};

use crate::SessionId;

/// The verifier of a resume token's secret half: SHA-256 of a domain tag and the secret, as
/// 64 lowercase hex digits.
pub(super) fn verifier(secret: &SessionId) -> String {
    let mut hash = Sha256::new();
    hash.update(b"sessions resume token v1:");
    hash.update(secret.to_string().as_bytes());
    hash.finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}
