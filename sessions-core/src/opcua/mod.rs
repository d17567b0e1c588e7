//! The OPC UA host (feature `opcua`): an OPC UA server ([async-opcua]) whose address space
//! holds the exported methods, objects and variables, as Optix's runtime does, and whose
//! every session is a [`Session`](crate::Session) of the host's engine.
//!
//! ```no_run
//! use sessions_core::opcua::OpcUaHost;
//! use sessions_core::Engine;
//!
//! # async fn serve() -> Result<(), sessions_core::opcua::OpcUaError> {
//! let engine = Engine::builder().name("WebPresentationEngine").build().expect("a fresh name");
//! let host = OpcUaHost::builder(engine)
//!     .user("operator", "secret", ["operator"])
//!     .start()
//!     .await?;
//! println!("listening on {}", host.endpoint_url()); // opc.tcp://127.0.0.1:4840/
//! host.wait().await
//! # }
//! ```
//!
//! What a client sees (the whole of it; the types are [below](self#data-types)):
//! - **The address space.** In the namespace `urn:sessions:methods`, an object `Methods`
//!   in the Objects folder holds a Method node per exported free function, NodeId
//!   `s=<name>`, browse name its name, description its doc comment. Its `InputArguments`
//!   are its in parameters; its `OutputArguments` its return value (named `return`, first)
//!   and its out parameters. Types map as [the table below](self#data-types) says.
//!   Each exported object (see [`Engine::export_object`](crate::Engine::export_object)) is
//!   an Object node `s=<path>` in the Objects folder, with its methods
//!   `s=<path>.<method>`; objects exported or dropped while the server runs appear and go
//!   at once: the host observes the engine's events
//!   ([`EngineEvent::ObjectExported`](crate::host::EngineEvent::ObjectExported)), so an
//!   object is browsable before `export_object` returns.
//! - **Variables.** Each exported variable
//!   ([`Engine::export_variable`](crate::Engine::export_variable), or an exported object's
//!   `Variable` field) is a Variable node `s=<path>` (browse name its path) organized by an
//!   object [`VARIABLES_OBJECT`] (`Variables`) in the Objects folder, and a component of
//!   its object's node when it is an object's (`<object path>/<field>`). Its data type and
//!   value rank are its Rust type's, [as for arguments](self#data-types); `AccessLevel` is
//!   CurrentRead | CurrentWrite, and the `UserAccessLevel` a client reads has no write bit
//!   when the variable has a write role its user lacks (or it has no user). Variables
//!   exported or dropped while the server runs appear and go at once, as objects do.
//!   - *Read* answers the current value, with the time of the change that made it as the
//!     source timestamp.
//!   - *Write* runs in the client's session, through the variable's session rule
//!     ([`Variable::set`](crate::Variable::set)'s): status codes [below](self#writes);
//!     each write leaves one audit record (host `opcua`, the session, its user, `ok`,
//!     `refused` or `invalid`), as the web host's `variable.write` does.
//!   - *MonitoredItems* on the node get each change as a data change (async-opcua's
//!     `SubscriptionCache::notify_data_change`), from one task per exported variable that
//!     ends when the variable is unexported or the host stops. A slow client gets what its
//!     items' queues hold (async-opcua's bounds); the variable's own watcher keeps only
//!     the latest value, so a burst of changes may reach a client as its last values.
//!     A change made while a MonitoredItem is being created reaches it within 250 ms.
//! - **Sessions.** Each OPC UA session is one session of the engine, opened when the OPC
//!   UA session is activated and closed when it closes or expires (seen within 200 ms: a
//!   sweep). A user name token logs that user in, with the roles the host gives them
//!   ([`OpcUaHostBuilder::user`], [`OpcUaHostBuilder::authenticate`]); a re-activation with
//!   another user changes it; an anonymous session has no user. So
//!   [`Engine::active_count`](crate::Engine::active_count) counts the OPC UA clients with a
//!   user, as Optix counts web sessions.
//! - **Calls** run in the caller's session. A method with `role = "…"` is not executable
//!   (`UserExecutable` false, and refused) for a user without the role, and the boundary
//!   enforces the role anyway.
//! - **Where a call runs.** A plain `fn` runs on the runtime worker that serves the
//!   request, at once (no task, no thread hop: the cheapest call); an `async fn` on it
//!   across its `.await`s. A plain fn that blocks (a slow password hash, blocking I/O) would
//!   hold that worker and every client it serves: export it with `blocking`
//!   (`#[export_method(blocking)]`), and the host runs it on tokio's blocking pool
//!   (`spawn_blocking`), in the caller's session, as jsonrpsee's `register_blocking_method`
//!   does. A plain fn not so marked that holds a worker longer than
//!   [`SLOW_SYNC_CALL`](crate::host::SLOW_SYNC_CALL) is named in a WARN event. Both hosts
//!   decide this in one place, [`host::Call::run`](crate::host::Call::run).
//!
//! # Status codes
//! | what happened | status | outputs |
//! | --- | --- | --- |
//! | the method ran, succeeded or failed | Good | return value, then out parameters (a failure's sentinels; the failure is logged, and its reason is the call result's diagnostic info when the request asks for operation-level additional info) |
//! | an argument of the wrong type | BadInvalidArgument | per-argument results: BadTypeMismatch (or BadInvalidArgument: out of range, JSON of the wrong shape) |
//! | too few arguments | BadArgumentsMissing | |
//! | too many arguments | BadTooManyArguments | |
//! | no such method or object | BadMethodInvalid | |
//! | the user lacks the method's role | BadUserAccessDenied | |
//! | the method panicked (caught, logged), or its result cannot be written | BadInternalError | |
//! | the application closed the session | BadSessionClosed | |
//! | the engine opened no session (its `max_sessions`) | BadTooManySessions | |
//!
//! The status is decided by the answer's types ([`host::Answer`](crate::host::Answer),
//! [`Failure`](crate::Failure)), never by a message's text: a method whose own error reads
//! `panicked: …` answers Good with its sentinels.
//!
//! # Writes
//! | what happened to a Write of a variable's value | status | audit outcome |
//! | --- | --- | --- |
//! | written | Good | ok |
//! | the variable has a write role the session's user lacks, or the session has no user | BadUserAccessDenied | refused |
//! | the application closed the session | BadSessionClosed | refused |
//! | a value of another type (checked by variant type as arguments are; out of range; JSON of the wrong shape) | BadTypeMismatch | invalid |
//! | an index range | BadWriteNotSupported | (none) |
//! | any attribute but the value, or a node that is not a variable's | BadNotWritable | (none) |
//!
//! As for calls, the status is decided by the error's type
//! ([`VariableError`](crate::VariableError), [`SessionError`](crate::SessionError)).
//!
//! # Data types
//! | Rust | OPC UA |
//! | --- | --- |
//! | `bool` | Boolean |
//! | `i8` `u8` `i16` `u16` `i32` `u32` `i64` `u64` (`isize` `usize`) | SByte Byte Int16 UInt16 Int32 UInt32 Int64 UInt64 |
//! | `f32` `f64` | Float Double |
//! | `String`, `&str`, `char` | String |
//! | `Vec<T>`, `[T; N]`, `&[T]` of the above | an array of it (value rank 1) |
//! | `Option<T>` | `T`; an empty variant is `None`, and trailing ones may be left out |
//! | any other type | String: the value as JSON text |
//!
//! An argument's variant type is checked, never converted: a Boolean parameter takes a
//! Boolean, a float one a Float or Double, an integer one any integer variant whose value
//! fits (Python's `asyncua` sends a plain `int` as Int64); the String `"5"` is not an
//! integer.
//!
//! # Guards
//! At most [`DEFAULT_MAX_SESSIONS`] sessions (configurable), of which at most half are
//! anonymous by default ([`max_anonymous_sessions`](OpcUaHostBuilder::max_anonymous_sessions):
//! one more anonymous activation is `BadTooManySessions`, while users still log in),
//! session timeouts capped (a client that vanishes holds its session until then), and async-opcua's limits on message
//! size, string and array lengths, and calls per request. Passwords are compared in
//! constant time. Without a certificate only the `None` security policy is offered, and a
//! password travels in plain text: give the host a [certificate](OpcUaHostBuilder::certificate)
//! wherever the network is not trusted.
//!
//! [async-opcua]: https://docs.rs/async-opcua

mod address_space;
mod anonymous;
mod auth;
mod builder;
mod config;
mod error;
mod node_manager;
mod pki;
mod server;
mod sessions;
mod status;
mod types;
mod variable_nodes;
mod variable_values;

pub use address_space::{METHODS_OBJECT, NAMESPACE_URI};
pub use builder::{
    OpcUaHost, OpcUaHostBuilder, DEFAULT_APPLICATION_NAME, DEFAULT_APPLICATION_URI,
    DEFAULT_MAX_SESSIONS, DEFAULT_MAX_SESSION_TIMEOUT, DEFAULT_PORT,
};
pub use error::OpcUaError;
pub use server::OpcUaHandle;
pub use sessions::SWEEP_INTERVAL;
pub use variable_nodes::VARIABLES_OBJECT;
