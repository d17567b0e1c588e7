// The browser side of the sessions web host: an ES module with no dependencies.
//
//   import { connect } from "/sessions/client.js";
//   const tab = await connect();                  // this tab's session
//   tab.on("notice", (notice) => show(notice));   // Session::notify("notice", …)
//   const { value, outs } = await tab.call("Add", { a: 1, b: 2 });
//   const { user, roles } = await tab.login("alice", password); // the host's accounts
//   tab.on("session.user", (who) => show(who));    // null after a log-out
//   await tab.logout();
//   tab.watch("Line1/Oven/Actual", (value, change) => show(value)); // an exported variable
//   await tab.write("Line1/Oven/Target", 200);   // in this tab's session, under its role
//
// The socket reconnects by itself and resumes the same session; calls made while it is
// down wait for it. The resume token lives in memory while the page does, and in
// sessionStorage (per tab) only from `pagehide` on, so that a reload, a restored tab or a
// page come back from the back/forward cache finds it; a tab opened from this one
// (`window.open`, "Duplicate tab"), which gets a copy of its sessionStorage, does not, and
// gets a session of its own instead of taking this tab's over.
//
// A server that drains for a restart closes its tabs' sockets with 1012 ("service
// restart"): the tab reconnects at once (after a random delay of at most
// `restartJitterMs`, so the tabs of one server do not all arrive in the same
// millisecond), through the load balancer, to another server, with its resume token.

const base = new URL(".", import.meta.url);
const TOKEN_KEY = "sessions.resume:" + base.pathname;
const SEEN_KEY = "sessions.seen:" + base.pathname;

/** A failed call: `code` is the JSON-RPC error code, `data` its data (e.g. `outs`). */
export class CallError extends Error {
  constructor(error) {
    super(error.message);
    this.name = "CallError";
    this.code = error.code;
    this.data = error.data;
  }
}

/**
 * Opens this tab's session. Resolves once the host has sent `session.opened`, with a
 * `Tab`: `session`, `client`, `user` (`{user, roles}` or null), `call(name, params)`,
 * `login(user, password)`, `logout()`, `on(topic, fn)`, `watch(path, fn)`, `unwatch(path)`,
 * `read(path)`, `write(path, value)`, `close()`.
 */
export function connect(options = {}) {
  const tab = new Tab(options);
  return tab.opened.then(() => tab);
}

class Tab {
  constructor({ retryMs = 500, maxRetryMs = 10000, restartJitterMs = 250 } = {}) {
    this.session = null;
    this.client = null;
    this.user = null; // { user, roles } while someone is logged in on this tab
    this.resumed = false;
    this.retryMs = retryMs;
    this.maxRetryMs = maxRetryMs;
    this.restartJitterMs = restartJitterMs;
    this.nextId = 1;
    this.pending = new Map(); // id -> { resolve, reject, text }
    this.handlers = new Map(); // topic -> [fn]
    this.watches = new Map(); // variable path -> { fns: [fn], version }
    this.wasAttached = false;
    this.unsent = []; // texts waiting for the socket
    this.closed = false;
    // Claimed: the token is this page's alone from now on (see the top of the file).
    this.token = sessionStorage.getItem(TOKEN_KEY);
    // Pushes received in this session, told to the host on resume. A reloaded page counts
    // those its previous page saw: they are not sent again.
    this.seen = Number(sessionStorage.getItem(SEEN_KEY)) || 0;
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(SEEN_KEY);
    addEventListener("pagehide", () => {
      if (this.token && !this.closed) {
        sessionStorage.setItem(TOKEN_KEY, this.token);
        sessionStorage.setItem(SEEN_KEY, String(this.seen));
      }
    });
    addEventListener("pageshow", (event) => {
      if (event.persisted) {
        sessionStorage.removeItem(TOKEN_KEY);
        sessionStorage.removeItem(SEEN_KEY);
      }
    });
    this.opened = new Promise((resolve, reject) => {
      this.resolveOpened = resolve;
      this.rejectOpened = reject;
    });
    this.open(retryMs);
  }

  /** Calls the exported method `name` with `params` (an array, or an object by name). */
  call(name, params = []) {
    const id = this.nextId++;
    const text = JSON.stringify({ jsonrpc: "2.0", method: name, params, id });
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, text });
      this.send(text);
    });
  }

  /**
   * Logs `user` in with `password` (the host's accounts store): resolves with
   * `{ user, roles }`, the roles the store gives. By default the log-in holds for every tab
   * of this browser. Rejects with a `CallError`: code -32010 (wrong user name or password),
   * -32011 (too many failures: `data.retry_after_ms`), -32012 (the host has no accounts).
   */
  async login(user, password) {
    const { value } = await this.call("session.login", { user, password });
    this.user = value;
    return value;
  }

  /** Logs the user out (by default on every tab of this browser). */
  async logout() {
    await this.call("session.logout", {});
    this.user = null;
  }

  /** Calls `fn(params)` for each notification of `topic` (and `session.opened`). */
  on(topic, fn) {
    if (!this.handlers.has(topic)) this.handlers.set(topic, []);
    this.handlers.get(topic).push(fn);
    return this;
  }

  /**
   * Calls `fn(value, change)` with the current value of the exported variable at `path`,
   * then with each change (`change`: `{path, value, version, by}`); a slow page gets the
   * latest value. Resolves with the current change; rejects with a `CallError` (-32601: no
   * such variable, -32006: the tab watches as many variables as the host allows). Watches
   * are made again on a new socket.
   */
  watch(path, fn) {
    let entry = this.watches.get(path);
    if (!entry) {
      entry = { fns: [], version: -1 };
      this.watches.set(path, entry);
    }
    entry.fns.push(fn);
    return this.call("variable.watch", { path }).then(
      (current) => {
        const change = { path, ...current };
        // Another watch of the path may have had this value already: this one gets it too.
        if (change.version > entry.version) this.changed(change);
        else fn(change.value, change);
        return change;
      },
      (error) => {
        // Refused by the host: no such variable, or too many watches. A socket that dropped
        // before the answer is not a refusal: the watch is made again on the new one.
        if (error instanceof CallError) this.watches.delete(path);
        throw error;
      },
    );
  }

  /** Stops every watch of `path`. Resolves with whether the host had it watched. */
  unwatch(path) {
    this.watches.delete(path);
    return this.call("variable.unwatch", { path });
  }

  /** The exported variable at `path`: resolves with `{value, version, by}`. */
  read(path) {
    return this.call("variable.read", { path });
  }

  /**
   * Writes `value` to the exported variable at `path` in this tab's session, under its
   * write role: resolves with `{version}`; rejects with a `CallError` (-32004: the user
   * lacks the role, -32602: a value of another type).
   */
  write(path, value) {
    return this.call("variable.write", { path, value });
  }

  /** Closes the socket for good: the session closes after the host's grace period. */
  close() {
    this.closed = true;
    this.token = null;
    if (this.socket) this.socket.close(1000, "closed by the page");
  }

  open(delay) {
    const url = new URL("ws", base);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    if (this.token) {
      url.searchParams.set("resume", this.token);
      // The host sends again the pushes after the first `seen`, which this page has.
      url.searchParams.set("seen", String(this.seen));
    }
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onmessage = (event) => this.receive(event.data);
    socket.onclose = (event) => {
      this.socket = null;
      this.ready = false;
      if (this.closed) return;
      // 1008: too many tabs; 1009: a message too large; 4001: the session is closed;
      // 1013: try again later (e.g. the tab's session is still held by a server of the
      // farm whose lease has not ended): the usual backoff, with the same token.
      if (event.code === 4001) this.token = null;
      if (event.code === 1008 || event.code === 4002) {
        this.fail(new Error(event.reason || "refused by the host"));
        return;
      }
      // 1012: the server restarts: at once, jittered, and the backoff starts over.
      if (event.code === 1012) {
        setTimeout(() => this.open(this.retryMs), Math.random() * this.restartJitterMs);
        return;
      }
      setTimeout(() => this.open(Math.min(delay * 2, this.maxRetryMs)), delay);
    };
  }

  receive(text) {
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (Array.isArray(message)) {
      message.forEach((one) => this.receive(JSON.stringify(one)));
      return;
    }
    if (message.method !== undefined) {
      if (message.method === "session.opened") this.attached(message.params);
      // Variables' changes are not queued for a resumed tab (it watches again): not counted.
      else if (message.method === "variable.changed") this.changed(message.params);
      else this.seen++;
      if (message.method === "session.user") this.user = message.params;
      for (const fn of this.handlers.get(message.method) || []) fn(message.params);
      return;
    }
    const call = this.pending.get(message.id);
    if (!call) return;
    this.pending.delete(message.id);
    if (message.error) call.reject(new CallError(message.error));
    else call.resolve(message.result);
  }

  attached({ session, client, resume, resumed, user }) {
    if (!resumed) this.seen = 0;
    this.user = user || null;
    this.session = session;
    this.client = client;
    this.resumed = resumed;
    this.token = resume;
    this.ready = true;
    // Calls whose answers were lost with the old socket are sent again only if the
    // session is new: a resumed session may have run them already.
    if (!resumed) {
      for (const call of this.pending.values()) this.unsent.push(call.text);
    } else {
      for (const [id, call] of this.pending) {
        if (!this.unsent.includes(call.text)) {
          this.pending.delete(id);
          call.reject(new Error("the connection dropped before the answer came"));
        }
      }
    }
    const unsent = this.unsent;
    this.unsent = [];
    unsent.forEach((text) => this.socket.send(text));
    // A new socket has no watches: watched again, the current values come at once.
    if (this.wasAttached) {
      for (const path of this.watches.keys()) {
        this.call("variable.watch", { path }).then(
          (current) => this.changed({ path, ...current }),
          () => this.watches.delete(path),
        );
      }
    }
    this.wasAttached = true;
    this.resolveOpened();
  }

  /** Gives a variable's change to its watchers, once each version, in order. */
  changed(change) {
    const entry = this.watches.get(change.path);
    if (!entry || change.version <= entry.version) return;
    entry.version = change.version;
    for (const fn of entry.fns) fn(change.value, change);
  }

  send(text) {
    if (this.ready && this.socket) this.socket.send(text);
    else this.unsent.push(text);
  }

  fail(error) {
    this.closed = true;
    this.rejectOpened(error);
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
  }
}
