//! The host boundary: the one shape every host uses to reach the exported methods, and the
//! shape an application uses to write a host of its own (a serial line, gRPC, a CLI).
//!
//! A host is a codec and a transport around these pieces:
//! - **The call in**: [`Call`]: the method's name, its [`Args`](crate::Args) (by position or
//!   by name, the same form from every host), and the connection's session, if any.
//! - **The answer out**: [`Answer`]: the method ran ([`CallOutcome`](crate::CallOutcome),
//!   whose [`failure`](crate::CallOutcome::failure) says as a type why it failed), or it
//!   could not be called ([`CallError`](crate::CallError)). [`Answer::verdict`] sorts it into
//!   the five [`Verdict`]s that logs, audit records and metrics count. A host maps the answer
//!   to its wire in one exhaustive `match`, never by reading a message's text.
//! - **Connections and their sessions**: [`Connections`], one registry for a host's
//!   connections (web tabs, OPC UA sessions, a serial port's peers): open one with its user,
//!   change the user, close one, close all at shutdown.
//! - **Who the client is**: [`Credentials`] and [`Authenticate`], one shape for every host.
//! - **What changed in the engine**: [`EngineEvent`], told to an [`EngineObserver`]
//!   registered with [`Engine::observe`](crate::Engine::observe): a session opened, closed
//!   or changed user; an object exported or dropped. Hosts observe; none polls.
//!
//! ```
//! use sessions_core::host::{Answer, Call, Verdict};
//! use sessions_core::{export_method, Engine, Failure, SessionError, Value};
//!
//! /// Divides, in a session.
//! #[export_method]
//! fn divide(a: i64, b: i64) -> Result<i64, SessionError> {
//!     Ok(a.checked_div(b).unwrap_or(0))
//! }
//!
//! // A host of its own: a line of text in, a line out.
//! fn serve_line(session: Option<&sessions_core::Session>, line: &str) -> String {
//!     let mut words = line.split_whitespace();
//!     let method = words.next().unwrap_or_default();
//!     let args: Vec<Value> = words.map(|w| w.parse::<i64>().map_or(Value::from(w), Value::from)).collect();
//!     match Call::new(method, args).in_session(session).run_blocking() {
//!         Answer::Ran(outcome) => match outcome.failure() {
//!             None => format!("ok {}", outcome.value),
//!             Some(Failure::Refused(_)) => format!("refused: {}", outcome.error.unwrap_or_default()),
//!             Some(_) => format!("failed: {}", outcome.error.unwrap_or_default()),
//!         },
//!         Answer::NotRun(error) => format!("error {}: {error}", error.code()),
//!     }
//! }
//!
//! let engine = Engine::new();
//! let session = engine.open()?;
//! assert_eq!(serve_line(Some(&session), "divide 7 2"), "ok 3");
//! assert!(serve_line(None, "divide 7 2").starts_with("refused: "));
//! assert!(serve_line(Some(&session), "divide 7").starts_with("error -32602"));
//! # Ok::<(), SessionError>(())
//! ```

mod auth;
mod call;
mod connections;

pub use crate::methods::{Answer, Verdict};
pub use auth::{Authenticate, Credentials, HeaderLookup};
pub use call::{Call, SLOW_SYNC_CALL};
pub use connections::Connections;

pub use crate::engine::{EngineEvent, EngineObserver, ObserverHandle};
