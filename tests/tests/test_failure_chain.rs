//! A failure is reported with its causes, in the log event and in `CallOutcome::error`:
//! `anyhow`'s `.context()` chain and a `thiserror` error's `#[source]` chain, through a host
//! call and a direct call alike.

mod export_support;

use std::io;

use anyhow::Context as _;
use export_support::capture;
use sessions_core::{export_method, methods, Value};

/// Reads a file that is not there, with context: an `anyhow` chain.
#[export_method(name = "ChainAnyhow", session = none, sentinel = -1)]
fn chain_anyhow(path: String, size: &mut i64) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&path).context("reading config")?;
    *size = i64::try_from(text.len())?;
    Ok(())
}

/// Loading a plugin failed because of an I/O error.
#[derive(Debug, thiserror::Error)]
#[error("loading plugin {name}")]
struct LoadError {
    name: String,
    #[source]
    cause: io::Error,
}

/// Fails with a `thiserror` error whose source is an I/O error.
#[export_method(name = "ChainThiserror", session = none, sentinel = -1)]
async fn chain_thiserror(name: String, loaded: &mut i32) -> Result<(), LoadError> {
    std::future::ready(()).await;
    *loaded = 1;
    Err(LoadError {
        name,
        cause: io::Error::new(io::ErrorKind::PermissionDenied, "permission denied"),
    })
}

/// Fails with a plain message: no causes to add.
#[export_method(name = "ChainPlain", session = none)]
fn chain_plain() -> Result<i64, String> {
    Err("just this".to_owned())
}

/// A path that does not exist on any machine the tests run on.
const MISSING: &str = "/nonexistent-sessions-test-dir/config.toml";

fn os_not_found() -> String {
    std::fs::read_to_string(MISSING)
        .expect_err("the path does not exist")
        .to_string()
}

#[test]
fn an_anyhow_context_chain_is_in_the_log_and_the_outcome() {
    export_support::init();
    let expected = format!("reading config: {}", os_not_found());
    let (outcome, logged) = capture(|| methods().call("ChainAnyhow", vec![Value::from(MISSING)]));
    let outcome = outcome.expect("called");
    assert_eq!(outcome.error.as_deref(), Some(expected.as_str()));
    assert_eq!(outcome.out("size"), Some(&Value::from(-1)));
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0].field("error"), Some(expected.as_str()));
    assert_eq!(
        logged[0].target, "test_failure_chain",
        "the exporting crate's module"
    );

    // A direct call logs the same text; the error it returns is the caller's to format.
    let mut size = 0;
    let (result, logged) = capture(|| chain_anyhow(MISSING.to_owned(), &mut size));
    assert_eq!(result.map_err(|e| format!("{e:#}")), Err(expected.clone()));
    assert_eq!(size, -1);
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0].field("error"), Some(expected.as_str()));
}

#[test]
fn a_thiserror_source_chain_is_in_the_log_and_the_outcome() {
    export_support::init();
    let expected = "loading plugin reports: permission denied";
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let (outcome, logged) = capture(|| {
        runtime.block_on(methods().call_async("ChainThiserror", vec![Value::from("reports")]))
    });
    let outcome = outcome.expect("called");
    assert_eq!(outcome.error.as_deref(), Some(expected));
    assert_eq!(
        outcome.out("loaded"),
        Some(&Value::from(-1)),
        "the sentinel"
    );
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0].field("error"), Some(expected));
}

#[test]
fn a_plain_message_is_reported_as_it_is() {
    export_support::init();
    let (outcome, logged) = capture(|| methods().call("ChainPlain", vec![]));
    assert_eq!(outcome.expect("called").error.as_deref(), Some("just this"));
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].field("error"), Some("just this"));
}
