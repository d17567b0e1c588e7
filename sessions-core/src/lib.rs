//! Run code in the context of a user session, and export plain Rust functions that a host
//! lists and calls by name.
#![forbid(unsafe_code)]

mod client;
mod context;
mod engine;
mod error;
mod id;
mod panic;
mod session;
mod user;

mod methods;
mod value;

#[doc(hidden)]
pub mod __private;

pub use client::ClientId;
pub use context::{current, current_id, require, with_current, SessionGuard};
pub use engine::{Engine, EngineBuilder, DEFAULT_MAILBOX_CAPACITY};
pub use error::SessionError;
pub use id::{ParseSessionIdError, SessionId};
pub use session::{Session, WeakSession};
pub use user::User;

pub use methods::{
    methods, CallError, CallOutcome, Direction, MethodInfo, MethodTable, ParamInfo, Policy,
};
pub use value::{FromValue, IntoValue, Value, ValueError};

pub use sessions_macros::export_method;
