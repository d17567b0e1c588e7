//! Run code in the context of a user session, and export plain Rust functions that a host
//! (a UI, a web page, an OPC UA client, a script) lists and calls by name.
//!
//! # Sessions and the current session
//! An [`Engine`] holds open [`Session`]s (Optix's `PresentationEngine`, Xojo's `App`). Each
//! thread has a current session, or none: [`current`], [`current_id`], [`require`]. Code
//! enters a session with [`Session::enter`] or [`Engine::enter`] under Xojo's
//! `WebSessionContext` rules, or steps into the engine's root session with
//! [`Engine::impersonate_root`] (Optix's `ImpersonateRootTemporary`). Each returns a
//! [`SessionGuard`]; the previous context comes back when it drops, also on panic.
//!
//! ```
//! use sessions_core::{current_id, Engine, User};
//!
//! let engine = Engine::new();
//! let session = engine.open()?;
//! session.set_user(Some(User::new("alice")));
//! {
//!     let _guard = session.enter()?;
//!     assert_eq!(current_id(), Some(session.id()));
//! }
//! assert_eq!(current_id(), None);
//! # Ok::<(), sessions_core::SessionError>(())
//! ```
//!
//! # Exported methods
//! [`macro@export_method`] wraps a function so that it checks its session rule, writes
//! sentinels into its out parameters and logs on failure, and registers it in the method
//! table ([`methods`]), where a host finds it by name, reads its signature and calls it with
//! [`Value`]s.
//!
//! # Context across threads, tasks and time
//! [`thread::spawn`], [`SessionFutureExt::in_session`] and [`timer::every`] carry the
//! current session to where the work runs; plain `std::thread::spawn` and `tokio::spawn`
//! carry nothing. [`Engine::post`] and [`Engine::dispatch`] send calls to other sessions.
//!
//! # Features
//! - `serde` (default): [`Value`] converts to and from `serde_json::Value`.
//! - `tokio`: `task::spawn` runs a future in the current session on tokio.
#![forbid(unsafe_code)]

mod block_on;
mod client;
mod clock;
mod error;
mod hash;
mod id;
mod lock;
mod panic;
mod user;
mod value;

mod methods;

mod engine;

#[cfg(feature = "tokio")]
pub mod task;
pub mod thread;
pub mod timer;

#[doc(hidden)]
pub mod __private;

pub use client::ClientId;
pub use clock::{Clock, ManualClock};
pub use engine::carrier::{InSession, SessionClosed, SessionFutureExt};
pub use engine::{current, current_id, require, with_current, SessionGuard};
pub use engine::{DispatchReport, Dispatcher, Session, WeakSession};
pub use engine::{Engine, EngineBuilder, DEFAULT_MAILBOX_CAPACITY};
pub use error::SessionError;
pub use id::{ParseSessionIdError, SessionId};
pub use user::User;

pub use methods::{
    methods, Args, CallError, CallOutcome, Direction, MethodInfo, MethodTable, ParamInfo, Policy,
};
pub use value::{FromValue, IntoValue, Value, ValueError};

pub use sessions_macros::export_method;

/// The README's examples, compiled and run as doc tests so they cannot go stale.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
