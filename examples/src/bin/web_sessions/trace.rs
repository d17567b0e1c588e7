//! What the tour prints, and how it waits for background work: helpers, not the point.

use std::error::Error;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use sessions_core::{current, CallOutcome, Engine, Session, Value};
use sessions_examples::ENGINE_NAME;

/// A session's name in this trace (its browser, and its tab when there are several):
/// per-session state, like a property of a Xojo `Session` subclass.
pub struct Tab(pub String);

/// How long the trace waits for background work (a timer, the dispatcher) before failing.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// Prints the title of step `n`.
pub fn step(n: u32, title: &str) {
    println!("\n== {n}. {title}");
}

/// Prints how many sessions are open and how many have a user.
pub fn print_counts(engine: &Engine) {
    println!(
        "engine {ENGINE_NAME:?}: {} sessions open, {} with a user (len, active_count)",
        engine.len(),
        engine.active_count()
    );
}

/// Prints one out parameter of a host call, and its error if it failed.
pub fn print_outcome(outcome: &CallOutcome, out: &str) {
    let value = outcome
        .out(out)
        .map_or_else(|| "?".to_owned(), Value::to_string);
    match &outcome.error {
        None => println!("  -> {out} = {value}"),
        Some(error) => println!("  -> {out} = {value}, error: {error}"),
    }
}

/// `ok`, or the error's message.
pub fn describe(result: Result<(), impl std::fmt::Display>) -> String {
    result.map_or_else(|error| format!("refused: {error}"), |()| "ok".to_owned())
}

/// The name of `session` in this trace.
pub fn tab_name(session: &Session) -> String {
    session
        .get::<Tab>()
        .map_or_else(|| "?".to_owned(), |tab| tab.0.clone())
}

/// The tab of the current session, or "no session".
pub fn current_tab() -> String {
    current().map_or_else(|| "no session".to_owned(), |session| tab_name(&session))
}

/// Waits until the timer drops its closure, and with it the channel's sender. Ticks that
/// were already running when the session closed may still arrive first.
pub fn wait_for_disconnect(rx: &Receiver<String>) -> Result<(), Box<dyn Error>> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
            Ok(_) => continue,
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
            Err(RecvTimeoutError::Timeout) => return Err("the timer outlived its session".into()),
        }
    }
}

/// Polls `done` until it is true, for at most [`PATIENCE`].
pub fn wait_until(mut done: impl FnMut() -> bool) -> Result<(), Box<dyn Error>> {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        if Instant::now() > deadline {
            return Err("background work did not finish in time".into());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    Ok(())
}
