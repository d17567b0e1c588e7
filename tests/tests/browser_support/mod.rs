//! What a browser test needs outside Rust, started by the test and stopped with it:
//! Chromium and chromedriver (Debian's `chromium` and `chromium-driver`), and the
//! `web_host` example serving the page on 127.0.0.1.
//!
//! Following DESIGN.md "External parts in tests": where Chromium or chromedriver is
//! missing, [`parts_or_skip`] says why on stderr and the test returns, unless
//! `SESSIONS_EXTERNAL_TESTS=require` (what `.ci/run` sets), under which it fails.
//! `SESSIONS_CHROMIUM` and `SESSIONS_CHROMEDRIVER` name other programs than the ones
//! found on `PATH`.
//!
//! Every process started here runs in a process group of its own, killed whole when its
//! handle drops (on a failed assertion too) and by a watchdog when the test process dies
//! without dropping it ([`group`]).

#![allow(dead_code)] // Each test file compiles this module for itself.

pub mod driver;
pub mod group;
pub mod server;

use std::io::Write;
use std::path::{Path, PathBuf};

/// The programs a browser test runs.
#[derive(Debug, Clone)]
pub struct Parts {
    /// Chromium itself.
    pub chromium: PathBuf,
    /// The WebDriver server that drives it.
    pub chromedriver: PathBuf,
}

/// The browser programs, or `None` after saying on stderr why the test is skipped.
///
/// # Panics
/// When a program is missing and `SESSIONS_EXTERNAL_TESTS=require`.
pub fn parts_or_skip(test: &str) -> Option<Parts> {
    let found = find("SESSIONS_CHROMIUM", &["chromium", "chromium-browser"]).and_then(|chromium| {
        let chromedriver = find("SESSIONS_CHROMEDRIVER", &["chromedriver"])?;
        Ok(Parts {
            chromium,
            chromedriver,
        })
    });
    match found {
        Ok(parts) => Some(parts),
        Err(why) if std::env::var("SESSIONS_EXTERNAL_TESTS").as_deref() == Ok("require") => {
            panic!("{test}: {why}, and SESSIONS_EXTERNAL_TESTS=require")
        }
        Err(why) => {
            // libtest captures `eprintln!` of a passing test; a write to stderr itself shows.
            let _ = writeln!(
                std::io::stderr().lock(),
                "{test}: skipped: {why} (install Debian's chromium and chromium-driver, or \
                 name them with SESSIONS_CHROMIUM and SESSIONS_CHROMEDRIVER)"
            );
            None
        }
    }
}

/// The program `variable` names, or the first of `names` on `PATH`.
fn find(variable: &str, names: &[&str]) -> Result<PathBuf, String> {
    if let Some(path) = std::env::var_os(variable) {
        let path = PathBuf::from(path);
        return if is_executable(&path) {
            Ok(path)
        } else {
            Err(format!(
                "{variable}={} is not an executable file",
                path.display()
            ))
        };
    }
    let search = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&search)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|path| is_executable(path))
        .ok_or_else(|| format!("no {} on PATH", names.join(" or ")))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// Cargo's target directory: the nearest folder above this test program that holds
/// `CACHEDIR.TAG`, as cargo's target folder does.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test program's path");
    exe.ancestors()
        .find(|dir| dir.join("CACHEDIR.TAG").is_file())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| {
            exe.ancestors()
                .nth(3)
                .unwrap_or(Path::new("."))
                .to_path_buf()
        })
}

/// A folder of the test's own under the target directory (browser profiles, logs,
/// chromedriver's `TMPDIR`): removed when dropped, kept when the test failed so its logs
/// can be read.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Makes `target/browser-tests/NAME-PID`, empty, and removes those of earlier runs
    /// whose process is gone (a killed test cannot remove its own).
    pub fn new(name: &str) -> TempDir {
        let parent = target_dir().join("browser-tests");
        let earlier = std::fs::read_dir(&parent).into_iter().flatten().flatten();
        for entry in earlier {
            let file_name = entry.file_name();
            let pid = file_name.to_str().and_then(|dir| {
                dir.strip_prefix(name)?
                    .strip_prefix('-')?
                    .parse::<u32>()
                    .ok()
            });
            if pid.is_some_and(|pid| !Path::new(&format!("/proc/{pid}")).exists()) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        let path = parent.join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|error| panic!("cannot make {}: {error}", path.display()));
        TempDir { path }
    }

    /// Where it is.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = writeln!(
                std::io::stderr().lock(),
                "the test failed: its logs and browser profiles are kept in {}",
                self.path.display()
            );
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
