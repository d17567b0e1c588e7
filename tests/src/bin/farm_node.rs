//! A farm node in a process of its own, for `test_farm_failures`, which kills it.
//!
//! `farm_node URL NODE LEASE_MS SESSIONS TARGET_USER`: joins the farm at URL as NODE, opens
//! SESSIONS sessions whose user is `doomed`, and prints `session ID` for each, then
//! `ready`. Then it posts `FarmChildSeq(NODE, K)` for K = 0, 1, 2, … to the sessions of
//! TARGET_USER in turn (K to the (K mod n)-th, in id order), printing `sent K` after each
//! post was queued, until it is killed. It prints `error …` and exits 1 on anything else.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use sessions_core::farm::{Farm, FarmError};
use sessions_core::{Engine, User, Value};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            println!("error {error}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [url, node, lease_ms, sessions, target_user] = args.as_slice() else {
        return Err("usage: farm_node URL NODE LEASE_MS SESSIONS TARGET_USER".into());
    };
    let engine = Engine::new();
    let farm = Farm::builder(&engine, url, node)
        .lease(Duration::from_millis(lease_ms.parse()?))
        .join()?;
    let mut out = std::io::stdout().lock();
    for _ in 0..sessions.parse::<usize>()? {
        let session = engine.open()?;
        session.set_user(Some(User::new("doomed")));
        writeln!(out, "session {}", session.id())?;
    }
    farm.flush()?;
    writeln!(out, "ready")?;
    out.flush()?;
    let mut targets: Vec<_> = farm
        .sessions_for_user(target_user)?
        .into_iter()
        .map(|s| s.id)
        .collect();
    targets.sort();
    if targets.is_empty() {
        return Err(format!("no session of {target_user:?} in the farm").into());
    }
    for k in 0u64.. {
        let target = targets[(k % targets.len() as u64) as usize];
        let args = vec![Value::from(node.as_str()), Value::from(k)];
        loop {
            match farm.post(target, "FarmChildSeq", args.clone()) {
                Ok(()) => break,
                // The inbox is full: wait for it, as a sender should.
                Err(FarmError::InboxFull { .. }) => std::thread::sleep(Duration::from_millis(5)),
                Err(error) => return Err(error.into()),
            }
        }
        writeln!(out, "sent {k}")?;
        out.flush()?;
        // Slow enough that the kill lands mid-stream.
        std::thread::sleep(Duration::from_micros(200));
    }
    Ok(())
}
