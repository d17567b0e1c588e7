// @ts-check
// The web_host page: this tab's session, the live counts, logging in and out with a
// password (the host's accounts), notices, and the oven's variables (watched live; an
// operator sets the target).
// Plain JavaScript over the host's client module: no build step. Its calls are typed by the
// declarations generated from the exported methods (`list_methods --typescript`), which an
// editor or `tsc --checkJs` reads from `sessions/client.d.ts` beside `sessions/client.js`:
// a wrong method name or argument is marked before it runs.
import { connect } from "./sessions/client.js";

/** @typedef {import("./sessions/client.js").Tab} Tab */
/** @typedef {import("./sessions/client.js").Types.Notice} Notice */

/**
 * The element with id `id` (the page's own: it is there).
 * @param {string} id
 * @returns {any}
 */
const $ = (id) => document.getElementById(id);

/** The oven's exported variables, by path (the generated `Variables` interface types them). */
const TARGET = "Line1/Oven/Target";
const ACTUAL = "Line1/Oven/Actual";
/** The count of sessions with a user logged in, which the host's hooks keep current. */
const LOGGED_IN = "Sessions/Active";

/**
 * What a caught error says.
 * @param {unknown} error
 */
const messageOf = (error) => (error instanceof Error ? error.message : String(error));

/**
 * @param {string} text
 * @param {string} state
 */
function setStatus(text, state) {
  $("status").textContent = text;
  $("status").dataset.state = state;
}

/**
 * @param {string} id
 * @param {string} text
 * @param {boolean} ok
 */
function showResult(id, text, ok) {
  $(id).textContent = text;
  $(id).dataset.ok = ok;
}

/**
 * Shows who is logged in on this tab: the host says (the answer to a log-in, and the push
 * `session.user` when another tab of this browser logs in or out).
 * @param {import("./sessions/client.js").LoggedIn | null} user
 */
function showUser(user) {
  const roles = user && user.roles.length ? ` (${user.roles.join(", ")})` : "";
  $("user").textContent = user ? user.user + roles : "nobody";
  $("user").classList.toggle("nobody", !user);
  $("logout").disabled = !user;
}

/** @param {Tab} tab */
function showTab(tab) {
  $("session").textContent = tab.session;
  $("client").textContent = tab.client;
  document.title = `sessions · ${(tab.session ?? "").slice(0, 8)}`;
}

/** @param {Notice} notice */
function addNotice({ from, text }) {
  const item = document.createElement("li");
  const who = document.createElement("strong");
  who.textContent = from;
  const what = document.createElement("span");
  what.textContent = text;
  const when = document.createElement("time");
  when.textContent = new Date().toLocaleTimeString();
  item.append(who, what, when);
  $("notices").prepend(item);
  $("no-notices").hidden = true;
}

// This tab's connection to its session; the forms wait for it.
/** @type {Tab | null} */
let tab = null;

$("login-form").addEventListener("submit", async (/** @type {Event} */ event) => {
  event.preventDefault();
  if (!tab) return;
  const name = $("login-user").value.trim();
  const password = $("login-password").value;
  // The password leaves the field at once: it is sent once, and kept nowhere.
  $("login-password").value = "";
  try {
    // The roles are the host's accounts', never the page's.
    const user = await tab.login(name, password);
    showResult("login-result", `Logged in as ${user.user}.`, true);
  } catch (error) {
    showResult("login-result", messageOf(error), false);
  }
  showUser(tab.user);
});

$("logout").addEventListener("click", async () => {
  if (!tab) return;
  try {
    await tab.logout();
    showResult("login-result", "Logged out.", true);
  } catch (error) {
    showResult("login-result", messageOf(error), false);
  }
  showUser(tab.user);
});

$("notify-form").addEventListener("submit", async (/** @type {Event} */ event) => {
  event.preventDefault();
  if (!tab) return;
  const user = $("notify-user").value.trim();
  const text = $("notify-text").value;
  try {
    const { outs } = await tab.call("NotifyUser", { user, text });
    const sent = outs.sent === 1 ? "1 tab" : `${outs.sent} tabs`;
    showResult("notify-result", `Sent to ${sent} of ${user}.`, true);
  } catch (error) {
    showResult("notify-result", messageOf(error), false);
  }
});

$("target-form").addEventListener("submit", async (/** @type {Event} */ event) => {
  event.preventDefault();
  if (!tab) return;
  const celsius = Number($("target-value").value);
  try {
    const { version } = await tab.write(TARGET, celsius);
    showResult("target-result", `Target set to ${celsius} °C (version ${version}).`, true);
  } catch (error) {
    showResult("target-result", messageOf(error), false);
  }
});

/**
 * Shows a temperature.
 * @param {string} id
 * @returns {(value: number) => void}
 */
const showCelsius = (id) => (value) => ($(id).textContent = value.toFixed(1));

// Opens this tab's session, shows it, and asks for the live counts.
async function start() {
  const opened = await connect();
  opened.on("tabs", (count) => ($("tabs").textContent = count));
  opened.on("notice", addNotice);
  // Another tab of this browser logged in or out: so did this one.
  opened.on("session.user", (user) => showUser(user));
  // The socket came back: the same session (resumed), or a new one if this tab's had
  // closed meanwhile (idle, or past the grace period); the host says who is logged in.
  opened.on("session.opened", ({ resumed, user }) => {
    showTab(opened);
    showUser(user ?? null);
    setStatus(resumed ? "live · resumed" : "live · new session", "live");
    opened.call("WatchCounts").catch((error) => setStatus(messageOf(error), "error"));
  });
  // A reload keeps the tab's session and its user; a new tab of a browser that logged in
  // opens logged in.
  showTab(opened);
  showUser(opened.user);
  tab = opened;
  // For the browser's console, and a test's script: `await sessionsTab.call("ServerNode")`
  // says which server (on a farm, which node) answers this tab, in which session.
  Object.assign(window, { sessionsTab: opened });
  // Watched again by the client on a new socket.
  await opened.watch(TARGET, showCelsius("oven-target"));
  await opened.watch(ACTUAL, showCelsius("oven-actual"));
  await opened.watch(LOGGED_IN, (count) => ($("active").textContent = String(count)));
  await opened.call("WatchCounts");
  setStatus("live", "live");
}

start().catch((error) => setStatus(messageOf(error), "error"));
