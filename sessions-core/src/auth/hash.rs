//! Argon2id password hashes as PHC strings: making one, and checking a password against one.
//!
//! Argon2 is slow on purpose (tens of milliseconds and 19 MiB with the default parameters):
//! async code runs [`hash_password`] and every verification off its runtime's workers
//! (`tokio::task::spawn_blocking`), so that one log-in never delays other calls.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::auth::AccountsError;

/// The cost parameters of Argon2id: memory, iterations and lanes.
///
/// The default is OWASP's recommendation for Argon2id (19 MiB, 2 iterations, 1 lane), which
/// is also RustCrypto's default. Lower costs are for tests only: a hash made with them is
/// cheap to guess.
///
/// ```
/// use sessions_core::auth::HashParams;
///
/// assert_eq!(HashParams::default(), HashParams::OWASP);
/// let fast = HashParams::new(64, 1, 1)?; // tests only
/// assert_eq!(fast.memory_kib(), 64);
/// # Ok::<(), sessions_core::auth::AccountsError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HashParams {
    memory_kib: u32,
    iterations: u32,
    lanes: u32,
}

impl HashParams {
    /// OWASP's recommended Argon2id parameters: 19 MiB of memory (19456 KiB), 2 iterations,
    /// 1 lane.
    pub const OWASP: HashParams = HashParams {
        memory_kib: Params::DEFAULT_M_COST,
        iterations: Params::DEFAULT_T_COST,
        lanes: Params::DEFAULT_P_COST,
    };

    /// Parameters with this memory (in KiB, at least 8 per lane), number of iterations (at
    /// least 1) and of lanes (1 to 2²⁴ − 1).
    pub fn new(memory_kib: u32, iterations: u32, lanes: u32) -> Result<HashParams, AccountsError> {
        let params = HashParams {
            memory_kib,
            iterations,
            lanes,
        };
        params.argon2()?;
        Ok(params)
    }

    /// The memory cost, in KiB.
    pub fn memory_kib(&self) -> u32 {
        self.memory_kib
    }

    /// The number of iterations.
    pub fn iterations(&self) -> u32 {
        self.iterations
    }

    /// The number of lanes (parallelism).
    pub fn lanes(&self) -> u32 {
        self.lanes
    }

    /// The parameters a PHC string was made with, if it is an Argon2id hash.
    pub fn of_hash(phc: &str) -> Result<HashParams, AccountsError> {
        let hash = parse_argon2id(phc)?;
        let params = Params::try_from(&hash).map_err(|source| AccountsError::BadHash {
            reason: source.to_string(),
        })?;
        Ok(HashParams {
            memory_kib: params.m_cost(),
            iterations: params.t_cost(),
            lanes: params.p_cost(),
        })
    }

    /// The hasher for these parameters.
    fn argon2(&self) -> Result<Argon2<'static>, AccountsError> {
        let params =
            Params::new(self.memory_kib, self.iterations, self.lanes, None).map_err(|source| {
                AccountsError::BadParams {
                    reason: source.to_string(),
                }
            })?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

impl Default for HashParams {
    fn default() -> HashParams {
        HashParams::OWASP
    }
}

/// The Argon2id hash of `password` with the default ([OWASP](HashParams::OWASP)) parameters
/// and a random salt, as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`): what an
/// accounts file's `password_hash` holds.
///
/// Slow on purpose: run it off an async runtime's workers.
///
/// ```
/// use sessions_core::auth::{hash_password_with, HashParams};
///
/// let phc = hash_password_with("s3cret", HashParams::new(64, 1, 1)?)?;
/// assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
/// # Ok::<(), sessions_core::auth::AccountsError>(())
/// ```
pub fn hash_password(password: &str) -> Result<String, AccountsError> {
    hash_password_with(password, HashParams::OWASP)
}

/// The Argon2id hash of `password` with these parameters and a random salt, as a PHC string.
///
/// Fails only when the system has no randomness for the salt, or the password is longer
/// than Argon2 takes (4 GiB).
pub fn hash_password_with(password: &str, params: HashParams) -> Result<String, AccountsError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|source| AccountsError::Random {
        reason: source.to_string(),
    })?;
    let salt = SaltString::encode_b64(&salt).map_err(|source| AccountsError::BadHash {
        reason: source.to_string(),
    })?;
    let hash = params
        .argon2()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|source| AccountsError::BadParams {
            reason: source.to_string(),
        })?;
    Ok(hash.to_string())
}

/// Whether `password` matches the Argon2id PHC string `password_hash`: one full hash with
/// the parameters and salt the string names, compared in constant time. For stores of an
/// application's own; a string that is not a PHC hash matches nothing.
pub fn verify_password(password_hash: &str, password: &str) -> bool {
    matches(password_hash, password)
}

/// A hash of a random secret with these parameters: what a store checks an unknown name's
/// password against, so that it costs what a wrong password costs. Make it once, with the
/// parameters of the store's hashes.
pub fn dummy_hash(params: HashParams) -> Result<String, AccountsError> {
    let mut secret = [0u8; 24];
    getrandom::fill(&mut secret).map_err(|source| AccountsError::Random {
        reason: source.to_string(),
    })?;
    let secret: String = secret.iter().map(|byte| format!("{byte:02x}")).collect();
    hash_password_with(&secret, params)
}

/// Whether `password` matches the PHC string `phc` (see [`verify_password`]).
pub(crate) fn matches(phc: &str, password: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) => Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok(),
        Err(_) => false,
    }
}

/// `phc` parsed, if it is an Argon2id hash (not Argon2i or Argon2d, nor another algorithm).
fn parse_argon2id(phc: &str) -> Result<PasswordHash<'_>, AccountsError> {
    let hash = PasswordHash::new(phc).map_err(|source| AccountsError::BadHash {
        reason: format!("not a PHC string ({source})"),
    })?;
    if hash.algorithm != Algorithm::Argon2id.ident() {
        return Err(AccountsError::BadHash {
            reason: format!(
                "the algorithm is `{}`, not `argon2id`: make the entry with `accounts add`",
                hash.algorithm
            ),
        });
    }
    if hash.salt.is_none() || hash.hash.is_none() {
        return Err(AccountsError::BadHash {
            reason: "the PHC string has no salt or no hash".to_owned(),
        });
    }
    Ok(hash)
}

/// Checks that `phc` is a whole Argon2id hash with valid parameters.
pub(crate) fn check_phc(phc: &str) -> Result<HashParams, AccountsError> {
    HashParams::of_hash(phc)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fast() -> HashParams {
        HashParams::new(64, 1, 1).expect("valid parameters")
    }

    #[test]
    fn a_hash_matches_its_password_only() {
        let phc = hash_password_with("right", fast()).expect("hashes");
        assert!(matches(&phc, "right"));
        assert!(!matches(&phc, "wrong"));
        assert!(!matches(&phc, ""));
        assert_eq!(HashParams::of_hash(&phc).expect("argon2id"), fast());
    }

    #[test]
    fn two_hashes_of_one_password_differ_by_their_salt() {
        let a = hash_password_with("same", fast()).expect("hashes");
        let b = hash_password_with("same", fast()).expect("hashes");
        assert_ne!(a, b);
        assert!(matches(&a, "same") && matches(&b, "same"));
    }

    #[test]
    fn other_algorithms_and_junk_are_refused() {
        let argon2i = "$argon2i$v=19$m=64,t=1,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG";
        assert!(matches!(
            check_phc(argon2i),
            Err(AccountsError::BadHash { .. })
        ));
        assert!(matches!(
            check_phc("plain text"),
            Err(AccountsError::BadHash { .. })
        ));
        assert!(!matches("plain text", "plain text"));
    }

    #[test]
    fn parameters_below_argon2s_minimum_are_refused() {
        assert!(matches!(
            HashParams::new(1, 1, 1),
            Err(AccountsError::BadParams { .. })
        ));
        assert!(matches!(
            HashParams::new(64, 0, 1),
            Err(AccountsError::BadParams { .. })
        ));
    }
}
