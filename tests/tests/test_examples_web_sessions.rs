//! The `web_sessions` example, run as the README tells a newcomer to run it: it exits 0
//! and its trace shows each step of the tour.

mod examples_support;

#[test]
fn the_tour_runs_and_prints_every_step() {
    let output = examples_support::run_example("web_sessions", &[]);
    let trace = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{trace}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );

    for expected in [
        // 1. a dozen tabs, tabs of one browser found by their cookie, some logged in
        "ada-laptop    3 tabs  logged in as ada",
        "12 sessions open, 7 with a user",
        // 2. the Optix method: the count, then -1 and the logged error
        "  -> active = 7",
        "ERROR sessions_examples::optix: exported method failed method=\"GetActiveWebSessionsNumber\" session=carol-office error=no engine is named \"NoSuchEngine\"",
        "  -> active = -1, error: no engine is named \"NoSuchEngine\"",
        // 3. background work as root
        "a plain thread sets SomeVariable: refused: no session is current",
        "a plain thread runs DoSomethingAsynchronously: ok",
        "GetVariable(\"SomeVariable\"): true",
        // 4. WebThread vs Thread
        "sessions_core::thread::spawn sees bob-desktop/1",
        "std::thread::spawn sees no session",
        // 5. the timer, until its session closes
        "tick 3 runs in ada-phone",
        "the timer is active: false",
        "the timer dropped its closure by itself",
        // 6. the push
        "  -> sent = 0, error: the method needs the role \"admin\", which the session's user does not have",
        "  -> sent = 3",
        "ada-laptop/3  inbox: [\"carol: The server restarts at 18:00\"], pushed to its page: 1",
        "bob-desktop/1 inbox: [], pushed to its page: 0",
        // 7. everything closed
        "0 sessions open, 0 with a user",
    ] {
        assert!(trace.contains(expected), "missing {expected:?} in\n{trace}");
    }
    let lines = trace.lines().count();
    assert!((40..=70).contains(&lines), "{lines} lines:\n{trace}");
}
