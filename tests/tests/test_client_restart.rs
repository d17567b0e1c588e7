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

/// The page's side: a stand-in WebSocket and sessionStorage, then `connect()`, a 1012 and
/// a 1006. The backoff (`retryMs`, 3 s) is far longer than the jitter bound (100 ms) and
/// the 600 ms the script waits after each close, so each outcome is plain.
const SCRIPT: &str = r#"
const sockets = [];
class FakeSocket {
  constructor(url) { this.url = String(url); this.at = Date.now(); sockets.push(this); }
  send() {}
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
const opened = (socket, session, token) =>
  socket.onmessage({ data: JSON.stringify({ jsonrpc: "2.0", method: "session.opened",
    params: { session, client: "C", resume: token, resumed: false, user: null } }) });
const fail = (message) => { console.log("FAIL " + message); process.exit(1); };

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

#[test]
fn client_js_reconnects_at_once_on_1012_and_backs_off_on_other_closes() {
    let test = "client_js_reconnects_at_once_on_1012_and_backs_off_on_other_closes";
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
    let dir = scratch("client-restart", "1012");
    write(&dir.join("client.js"), CLIENT_JS);
    write(&dir.join("page.mjs"), SCRIPT);
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
