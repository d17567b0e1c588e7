//! The declarations of the web host's `client.js` (`connect`, `Tab`, `CallError`), typed
//! by the generated `Methods`, `Topics` and `Variables`: the same text for every table.

/// `client.js`'s API; appended after the generated interfaces.
pub(super) const DECLARATIONS: &str = r#"/** Who wrote a variable's value: null for its initial value. */
export type WrittenBy = { session: string; root: boolean; user: string | null } | null;

/** A variable's value as `tab.read` answers it: the value, its version, its writer. */
export interface VariableValue<T> {
  value: T;
  version: number;
  by: WrittenBy;
}

/** A change of a watched variable (`variable.changed`). */
export interface VariableChange<T> extends VariableValue<T> {
  path: string;
}

/** What `session.opened` tells the page: its session, its browser, and a resume token. */
export interface SessionOpened {
  session: string;
  client: string;
  resume: string;
  /** True when the socket came back to the same session. */
  resumed: boolean;
  /** Who is logged in on the session (a tab of a browser that logged in opens logged in). */
  user?: LoggedIn | null;
}

/** Who a tab is logged in as: the user and the roles the host's accounts store gives. */
export interface LoggedIn {
  user: string;
  roles: string[];
}

/** A method's name, as the table lists it. */
export type MethodName = keyof Methods;

/** The parameters of method `M`: by position (a tuple) or by name (an object). */
export type Params<M extends MethodName> = Methods[M]["params"] | Methods[M]["named"];

/** What follows the name in `tab.call(name, …)`: the parameters, which may be left out
 * when the method requires none. */
export type CallArgs<M extends MethodName> = [] extends Methods[M]["params"]
  ? [params?: Params<M>]
  : [params: Params<M>];

/** The answer to a call of `M` that ran: its value and its out parameters. */
export interface Answer<M extends MethodName> {
  value: Methods[M]["result"];
  outs: Methods[M]["outs"];
}

/** A failed call: `code` is the JSON-RPC error code, `data` its data (e.g. `outs`). */
export declare class CallError extends Error {
  constructor(error: { message: string; code: number; data?: unknown });
  readonly code: number;
  readonly data: unknown;
}

/** Options of `connect`: the first and the longest wait before reconnecting, in ms. */
export interface ConnectOptions {
  retryMs?: number;
  maxRetryMs?: number;
  /**
   * After a close with 1012 (the server restarts), the tab reconnects at once after a
   * random delay of at most this many ms (default 250).
   */
  restartJitterMs?: number;
  /**
   * After a close with 4003 (another server holds the session until its lease ends: its
   * server died a moment ago), the tab tries again about every `retryMs` with its token,
   * for at most this many ms (default 30000), then takes a new session.
   */
  heldWaitMs?: number;
}

/** This tab's session, as `connect` resolves it. */
export interface Tab {
  /** The session's id (null until `session.opened`). */
  readonly session: string | null;
  /** The browser's public client id (null until `session.opened`). */
  readonly client: string | null;
  /** Whether the last socket resumed the session it had. */
  readonly resumed: boolean;
  /** Who is logged in on this tab, or null. */
  readonly user: LoggedIn | null;
  /** Calls the exported method `name`; rejects with a `CallError` when it failed. */
  call<M extends MethodName>(name: M, ...params: CallArgs<M>): Promise<Answer<M>>;
  /** Logs `user` in with `password` (the host's accounts; by default for every tab of this
   * browser); rejects with a `CallError`: -32010 wrong user name or password, -32011
   * throttled (`data.retry_after_ms`), -32012 the host has no accounts store. */
  login(user: string, password: string): Promise<LoggedIn>;
  /** Logs the user out (by default on every tab of this browser). */
  logout(): Promise<void>;
  /** Calls `fn(payload)` for each notification of `topic`. */
  on<T extends keyof Topics>(topic: T, fn: (payload: Topics[T]) => void): Tab;
  /**
   * Calls `fn(value, change)` with the variable at `path`, then with each change (see
   * `Variables`); resolves with the current change.
   */
  watch<P extends keyof Variables>(
    path: P,
    fn: (value: Variables[P], change: VariableChange<Variables[P]>) => void,
  ): Promise<VariableChange<Variables[P]>>;
  /** Stops every watch of `path`; resolves with whether the host had it watched. */
  unwatch<P extends keyof Variables>(path: P): Promise<boolean>;
  /** Reads the variable at `path`. */
  read<P extends keyof Variables>(path: P): Promise<VariableValue<Variables[P]>>;
  /** Writes the variable at `path` in this tab's session; resolves with the new version. */
  write<P extends keyof Variables>(path: P, value: Variables[P]): Promise<{ version: number }>;
  /** Closes the socket for good: the session closes after the host's grace period. */
  close(): void;
}

/** Opens this tab's session; resolves once the host has sent `session.opened`. */
export declare function connect(options?: ConnectOptions): Promise<Tab>;
"#;
