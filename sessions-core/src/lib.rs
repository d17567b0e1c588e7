// The crate's front page is the README. Its links to SECURITY.md and BENCHMARKS.md are
// reference links: on docs.rs they lead to the files this package ships (docs.rs shows a
// package's source), by these definitions, which come first and so win over the README's
// own (relative, for a clone of the repository).
#![doc = concat!(
    "[security]: https://docs.rs/crate/sessions-core/",
    env!("CARGO_PKG_VERSION"),
    "/source/SECURITY.md\n[benchmarks]: https://docs.rs/crate/sessions-core/",
    env!("CARGO_PKG_VERSION"),
    "/source/BENCHMARKS.md\n"
)]
#![doc = include_str!("../README.md")]
// The README's examples are whole programs (`fn main`), so that they paste as they are.
#![allow(clippy::needless_doctest_main)]
#![forbid(unsafe_code)]

mod block_on;
mod client;
mod clock;
mod ct;
mod error;
mod hash;
mod id;
mod link;
mod lock;
mod panic;
mod user;
mod value;

mod methods;
mod model;
mod topic;
#[cfg(feature = "schema")]
mod typescript;
mod variable;

mod engine;

pub mod audit;
#[cfg(feature = "auth")]
pub mod auth;
#[cfg(feature = "farm")]
pub mod farm;
pub mod host;
#[cfg(feature = "metrics")]
pub mod metrics;
#[cfg(feature = "opcua")]
pub mod opcua;
#[cfg(feature = "tokio")]
pub mod task;
pub mod thread;
pub mod timer;
#[cfg(feature = "web")]
pub mod web;

#[doc(hidden)]
pub mod __private;

pub use client::ClientId;
pub use clock::{Clock, ManualClock};
pub use engine::carrier::{InSession, SessionClosed, SessionFutureExt};
pub use engine::{current, current_id, require, with_current, SessionGuard};
pub use engine::{DispatchReport, Dispatcher, Session, WeakSession};
pub use engine::{Engine, EngineBuilder, DEFAULT_MAILBOX_CAPACITY};
pub use engine::{NextNotification, Notification, DEFAULT_OUTBOX_CAPACITY};
pub use engine::{ObjectError, ObjectHandle, ObjectInfo};
pub use engine::{VariableHandle, VariableInfo};
pub use error::SessionError;
pub use id::{ParseSessionIdError, SessionId};
pub use model::{
    AnyVariable, Change, HasVariables, NamedVariables, ToAnyVariable, ValueWatch, VariableError,
    WatchValues, WrittenBy,
};
pub use topic::{topics, Topic, TopicInfo, TopicPayload};
#[cfg(feature = "schema")]
pub use typescript::{typescript, typescript_with_variables};
pub use user::User;
pub use variable::{Variable, VariableBuilder, VariableValue, Watch};

#[cfg(feature = "schema")]
pub use methods::MethodSchema;
pub use methods::{
    methods, Args, CallError, CallOutcome, Direction, Failure, MethodInfo, MethodTable, ParamInfo,
    Policy,
};
pub use value::{
    from_value, to_value, FromValue, IntoValue, Value, ValueError, ValueMap, ValueMapIter,
};

/// The schemars crate this crate describes types with (feature `schema`): derive
/// `schemars::JsonSchema` from the same major version (schemars 1) for a type's full
/// schema, or through this re-export with `#[schemars(crate = "sessions_core::schemars")]`.
#[cfg(feature = "schema")]
pub use schemars;

pub use sessions_macros::{export_method, export_methods, Variables};
