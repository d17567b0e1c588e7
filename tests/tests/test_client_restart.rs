//! `client.js` on a close with 1012 ("service restart", a draining server): it reconnects
//! at once (within its `restartJitterMs`), with its resume token, while any other close
//! keeps the usual backoff (`retryMs`). Run under Node with a stand-in `WebSocket` that
//! records each connection, so the test drives the closes itself. Without `node` the test
//! says why and returns, unless `SESSIONS_EXTERNAL_TESTS=require`.

mod process_support;

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use process_support::{run_bounded, scratch, write};

/// The module the web host serves at `GET {base}/client.js`.
const CLIENT_JS: &str = include_str!("../../sessions-core/src/web/client.js");

/// The page's side: `connect()`, a 1012 and a 1006. The backoff (`retryMs`, 3 s) is far longer than the jitter bound (100 ms) and
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

/// The stand-in `WebSocket` and `sessionStorage` each script starts with, and its helpers.
const PRELUDE: &str = r#"
const sockets = [];
class FakeSocket {
  constructor(url) { this.url = String(url); this.at = Date.now(); this.sent = []; sockets.push(this); }
  send(text) { this.sent.push(text); }
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
const opened = (socket, session, token, resumed = false) =>
  socket.onmessage({ data: JSON.stringify({ jsonrpc: "2.0", method: "session.opened",
    params: { session, client: "C", resume: token, resumed, user: null } }) });
const fail = (message) => { console.log("FAIL " + message); process.exit(1); };
"#;

/// A restarting server answers a call -32014 ("did not run"), then closes with 1012: the
/// call stays pending and is made again on the resumed session, while a call whose answer
/// was lost with the socket is rejected, never sent again (it may have run).
const NOT_RUN_SCRIPT: &str = r#"
const { connect } = await import("./client.js");
const connecting = connect({ retryMs: 3000, restartJitterMs: 10 });
opened(sockets[0], "S1", "TOKEN1");
const client = await connecting;

const refused = client.call("Count", []);
const lost = client.call("Count", []);
let lostError = null;
lost.catch((error) => { lostError = error; });
const [first, second] = sockets[0].sent.map((text) => JSON.parse(text));
sockets[0].onmessage({ data: JSON.stringify({ jsonrpc: "2.0", id: first.id,
  error: { code: -32014, message: "this server is restarting and did not run the call" } }) });
sockets[0].onclose({ code: 1012, reason: "this server is restarting" });
await wait(300);
if (sockets.length !== 2) fail("after 1012: " + sockets.length + " sockets, want 2");
opened(sockets[1], "S1", "TOKEN1", true);
await wait(50);
const again = sockets[1].sent.map((text) => JSON.parse(text));
if (again.length !== 1 || again[0].id !== first.id) fail("sent again: " + JSON.stringify(again));
if (!lostError) fail("the call whose answer was lost was not rejected");
sockets[1].onmessage({ data: JSON.stringify({ jsonrpc: "2.0", id: first.id, result: { value: 1 } }) });
const answer = await refused;
if (answer.value !== 1) fail("the call made again got " + JSON.stringify(answer));
if (second.id === first.id) fail("two calls with one id");
console.log("OK");
process.exit(0);
"#;

/// Runs `script` (after [`PRELUDE`]) under Node next to `client.js`; it prints OK.
fn run_page(test: &str, script: &str) {
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
    let dir = scratch("client-restart", test);
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

#[test]
fn client_js_reconnects_at_once_on_1012_and_backs_off_on_other_closes() {
    run_page("1012", SCRIPT);
}

#[test]
fn client_js_makes_a_call_the_server_did_not_run_again_and_never_one_whose_answer_was_lost() {
    run_page("not-run", NOT_RUN_SCRIPT);
}
