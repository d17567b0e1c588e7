//! The host's default certificate store: a folder of its own per application, private to
//! the user that runs it, with a self-signed certificate made on first start when none is
//! configured (so secure channels can work and a normal start logs no error).

use std::hash::Hasher;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::hash::Fnv1a;

/// Held while a server is built: two hosts of one process that share a store would
/// otherwise both make its self-signed certificate at once, and one could read the other's
/// half-written files.
pub(super) static BUILDING: Mutex<()> = Mutex::new(());

/// `sessions-opcua/APP-HASH` in the system's temporary directory, where `APP` is the
/// application URI with its characters outside `A-Z a-z 0-9 . _ -` replaced, and `HASH`
/// tells apart URIs that read the same then. Made if missing, and both folders made
/// private (`0700`): a folder another user owns is refused, since whoever can write it
/// could put a client certificate in its `trusted/`. The error says why, for
/// `OpcUaError::Config`.
pub(super) fn default_pki_dir(application_uri: &str) -> Result<PathBuf, String> {
    let readable: String = application_uri
        .chars()
        .take(64)
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut hash = Fnv1a::default();
    hash.write(application_uri.as_bytes());
    let base = std::env::temp_dir().join("sessions-opcua");
    let dir = base.join(format!("{readable}-{:016x}", hash.finish()));
    std::fs::create_dir_all(&dir).map_err(|error| refused(&dir, &error.to_string()))?;
    for folder in [&base, &dir] {
        make_private(folder)?;
    }
    Ok(dir)
}

#[cfg(unix)]
fn make_private(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    // Only the owner may change a folder's mode: this fails on another user's folder.
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|error| refused(dir, &error.to_string()))
}

#[cfg(not(unix))]
fn make_private(_dir: &Path) -> Result<(), String> {
    Ok(())
}

fn refused(dir: &Path, why: &str) -> String {
    format!(
        "the default certificate folder {} cannot be made private to this user ({why}): \
         give the host a folder of its own with `pki_dir(…)`",
        dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_application_gets_a_private_folder_of_its_own() {
        let a = default_pki_dir("urn:sessions:test:a").expect("a folder");
        let b = default_pki_dir("urn:sessions:test/a").expect("a folder");
        assert_ne!(
            a, b,
            "URIs that read the same still get folders of their own"
        );
        assert_eq!(a, default_pki_dir("urn:sessions:test:a").expect("a folder"));
        assert!(a.starts_with(std::env::temp_dir().join("sessions-opcua")));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&a)
                .expect("it exists")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o700);
        }
    }
}
