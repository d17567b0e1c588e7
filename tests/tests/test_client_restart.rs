//! `client.js` on a close with 1012 ("service restart", a draining server): it reconnects
//! at once (within its `restartJitterMs`), with its resume token, while any other close
//! keeps the usual backoff (`retryMs`). On 4003 (another server holds the session until
//! its killed owner's lease ends) it tries again about every `retryMs` with its token, and
//! after `heldWaitMs` of that without it; a socket that resumed on another server takes
//! that server's values of the watched variables, whatever their versions. Run under Node
//! with a stand-in `WebSocket` that records each connection and what is sent on it, so the
//! test drives the closes and the answers itself. Without `node` the test says why and
//! returns, unless `SESSIONS_EXTERNAL_TESTS=require`.

mod process_support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use process_support::{run_bounded, scratch, write};

/// The module the web host serves at `GET {base}/client.js`.
const CLIENT_JS: &str = include_str!("../../sessions-core/src/web/client.js");

/// What every script starts with: a stand-in WebSocket (each one recorded, with the texts
/// sent on it) and sessionStorage, and helpers to answer as the host.
const PRELUDE: &str = r#"
const sockets = [];
class FakeSocket {
  constructor(url) { this.url = String(url); this.at = Date.now(); this.sent = []; sockets.push(this); }
  send(text) { this.sent.push(JSON.parse(text)); }
  close() {}
}
globalThis.WebSocket = FakeSocket;
const store = new Map();
globalThis.sessionStorage = {
  getItem: (key) => (store.has(key) ? store.get(key) : null),
  setItem: (key, value) => store.set(key, String(value)),
  removeItem: (key) => store.delete(key),
};
globalThis.addEventListener = () => {};
const wait = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const push = (socket, message) =>
  socket.onmessage({ data: JSON.stringify({ jsonrpc: "2.0", ...message }) });
const opened = (socket, session, token, resumed = false) =>
  push(socket, { method: "session.opened",
    params: { session, client: "C", resume: token, resumed, user: null } });
const fail = (message) => { console.log("FAIL " + message); process.exit(1); };
"#;

/// The page's side: a stand-in WebSocket and sessionStorage, then `connect()`, a 1012 and
/// a 1006. The backoff (`retryMs`, 3 s) is far longer than the jitter bound (100 ms) and
/// the 600 ms the script waits after each close, so each outcome is plain.
const SCRIPT: &str = r#"
const { connect } = await import("./client.js");
const connecting = connect({ retryMs: 3000, restartJitterMs: 100 });
if (sockets.length !== 1) fail("connect opened " + sockets.length + " sockets");
opened(sockets[0], "S1", "TOKEN1");
await connecting;

const closed = Date.now();
sockets[0].onclose({ code: 1012, reason: "this server is restarting" });
await wait(600);
if (sockets.length !== 2) fail("after 1012: " + sockets.length + " sockets, want 2");
if (!sockets[1].url.includes("resume=TOKEN1")) fail("after 1012 without its token: " + sockets[1].url);
console.log("1012 reconnected after " + (sockets[1].at - closed) + " ms");
// Far from the 3 s backoff, with room for a busy machine.
if (sockets[1].at - closed > 1000) fail("1012 waited " + (sockets[1].at - closed) + " ms");

opened(sockets[1], "S2", "TOKEN2");
sockets[1].onclose({ code: 1006, reason: "" });
await wait(600);
if (sockets.length !== 2) fail("after 1006 the backoff was skipped: " + sockets.length + " sockets");
console.log("OK");
process.exit(0);
"#;

/// A tab whose server was killed: its socket drops (1006), the next server refuses it with
/// 4003 while the dead server's lease runs, twice; it tries again each time within about
/// `retryMs` (no doubling backoff), with its token, and is adopted (`resumed`). It watched
/// a variable at version 8 on the dead server; the new one's versions are its own (2, 3):
/// the tab takes them. Then 4003 for longer than `heldWaitMs`: it takes a new session.
const HELD: &str = r#"
const { connect } = await import("./client.js");
const connecting = connect({ retryMs: 100, maxRetryMs: 60000, heldWaitMs: 1500 });
opened(sockets[0], "S1", "TOKEN1");
const tab = await connecting;
const values = [];
const watching = tab.watch("Sessions/Active", (value) => values.push(value));
const watch = sockets[0].sent.find((call) => call.method === "variable.watch");
push(sockets[0], { id: watch.id, result: { value: 1, version: 7, by: null } });
await watching;
push(sockets[0], { method: "variable.changed",
  params: { path: "Sessions/Active", value: 2, version: 8, by: null } });
if (values.join() !== "1,2") fail("on the first server: " + values.join());

// The server dies; the next one holds the tab off twice, then adopts it.
sockets[0].onclose({ code: 1006, reason: "" });
for (let n = 1; n <= 3; n++) {
  for (let tries = 0; sockets.length <= n && tries < 50; tries++) await wait(20);
  if (sockets.length <= n) fail("no socket " + n + " within 1 s");
  if (!sockets[n].url.includes("resume=TOKEN1")) fail("socket " + n + " without its token: " + sockets[n].url);
  if (n < 3) {
    const since = Date.now();
    sockets[n].onclose({ code: 4003, reason: "held" });
    for (let tries = 0; sockets.length <= n + 1 && tries < 50; tries++) await wait(20);
    const waited = Date.now() - since;
    console.log("4003: tried again after " + waited + " ms");
    // About `retryMs` (100 ms, jittered to at most 150), never a doubled backoff (which
    // would wait 400 ms by the second).
    if (waited > 300) fail("after 4003 the tab waited " + waited + " ms");
  }
}
opened(sockets[3], "S1", "TOKEN3", true);
if (!tab.resumed || tab.session !== "S1") fail("not resumed: " + tab.session);
const again = sockets[3].sent.find((call) => call.method === "variable.watch");
if (!again) fail("the variable was not watched again on the new socket");
push(sockets[3], { id: again.id, result: { value: 5, version: 2, by: null } });
await wait(20);
push(sockets[3], { method: "variable.changed",
  params: { path: "Sessions/Active", value: 6, version: 3, by: null } });
if (values.join() !== "1,2,5,6") fail("on the new server: " + values.join());

// Held off for longer than `heldWaitMs`: a new session (no token) at last.
const holding = Date.now();
sockets[3].onclose({ code: 1006, reason: "" });
let gaveUp = null;
for (let tries = 0; gaveUp === null && tries < 200; tries++) {
  await wait(20);
  const last = sockets[sockets.length - 1];
  if (last.onclose === undefined || last.closedByTest) continue;
  if (!last.url.includes("resume=")) { gaveUp = Date.now() - holding; break; }
  last.closedByTest = true;
  last.onclose({ code: 4003, reason: "held" });
}
if (gaveUp === null) fail("still trying with the token after 4 s");
console.log("took a new session " + gaveUp + " ms after the first 4003");
if (gaveUp < 1500) fail("gave up after " + gaveUp + " ms, before heldWaitMs");
console.log("OK");
process.exit(0);
"#;

/// A restarting server answers a call -32014 ("did not run"), then closes with 1012: the
/// call stays pending and is made again on the resumed session, while a call whose answer
/// was lost with the socket is rejected, never sent again (it may have run).
const NOT_RUN: &str = r#"
const { connect } = await import("./client.js");
const connecting = connect({ retryMs: 3000, restartJitterMs: 10 });
opened(sockets[0], "S1", "TOKEN1");
const client = await connecting;

const refused = client.call("Count", []);
const lost = client.call("Count", []);
let lostError = null;
lost.catch((error) => { lostError = error; });
const [first, second] = sockets[0].sent;
push(sockets[0], { id: first.id,
  error: { code: -32014, message: "this server is restarting and did not run the call" } });
sockets[0].onclose({ code: 1012, reason: "this server is restarting" });
await wait(300);
if (sockets.length !== 2) fail("after 1012: " + sockets.length + " sockets, want 2");
opened(sockets[1], "S1", "TOKEN1", true);
await wait(50);
const again = sockets[1].sent;
if (again.length !== 1 || again[0].id !== first.id) fail("sent again: " + JSON.stringify(again));
if (!lostError) fail("the call whose answer was lost was not rejected");
push(sockets[1], { id: first.id, result: { value: 1 } });
const answer = await refused;
if (answer.value !== 1) fail("the call made again got " + JSON.stringify(answer));
if (second.id === first.id) fail("two calls with one id");
console.log("OK");
process.exit(0);
"#;

#[test]
fn client_js_reconnects_at_once_on_1012_and_backs_off_on_other_closes() {
    run_under_node(
        "client_js_reconnects_at_once_on_1012_and_backs_off_on_other_closes",
        "1012",
        SCRIPT,
    );
}

#[test]
fn client_js_waits_for_a_held_session_and_takes_the_new_servers_values() {
    run_under_node(
        "client_js_waits_for_a_held_session_and_takes_the_new_servers_values",
        "4003",
        HELD,
    );
}

#[test]
fn client_js_makes_a_call_the_server_did_not_run_again_and_never_one_whose_answer_was_lost() {
    run_under_node(
        "client_js_makes_a_call_the_server_did_not_run_again_and_never_one_whose_answer_was_lost",
        "not-run",
        NOT_RUN,
    );
}

/// Runs `script` (after [`PRELUDE`]) under Node beside `client.js`, in a scratch directory
/// named `name`; fails unless it prints `OK`. Returns at once without `node`, unless
/// `SESSIONS_EXTERNAL_TESTS=require`.
fn run_under_node(test: &str, name: &str, script: &str) {
    let has_node = Command::new("node")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !has_node {
        let required = std::env::var("SESSIONS_EXTERNAL_TESTS").as_deref() == Ok("require");
        assert!(
            !required,
            "{test}: node is not installed, and SESSIONS_EXTERNAL_TESTS=require \
             (install it: apt-get install -y nodejs)"
        );
        let _ = writeln!(
            std::io::stderr(),
            "{test}: skipped: node is not installed (apt-get install -y nodejs; \
             SESSIONS_EXTERNAL_TESTS=require makes this a failure)"
        );
        return;
    }
    let dir = scratch("client-restart", name);
    write(&dir.join("client.js"), CLIENT_JS);
    write(&dir.join("page.mjs"), &format!("{PRELUDE}{script}"));
    let mut node = Command::new("node");
    node.arg(dir.join("page.mjs")).current_dir(&dir);
    let output = run_bounded(node, Duration::from_secs(30), "node page.mjs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}");
    assert!(
        output.status.success() && stdout.contains("OK"),
        "node: {}\n{stdout}\n{stderr}",
        output.status
    );
}
