//! Exported methods as a registry: what `#[export_method]` registers, the table hosts list
//! and call them from, the shape of a call (arguments in, outcome or error out), and the
//! type rules generated code is checked against.
//!
//! - `info.rs`: [`MethodInfo`], [`ParamInfo`], [`Policy`], [`Direction`], and the
//!   trampoline types;
//! - `table.rs`: [`MethodTable`] and [`methods()`]; `names.rs`, its index by name;
//! - `args.rs`: [`Args`], a call's arguments by position or by name; `reader.rs`, the
//!   reader a trampoline takes them from;
//! - `outcome.rs`: [`CallOutcome`] and [`CallError`]; `answer.rs`, [`Answer`] (either)
//!   and its [`Verdict`];
//! - `log.rs`: how a method's failures are logged (level, and an object's path);
//! - `traits.rs`: behaviour chosen by type (return values, in and out parameters);
//! - `failure.rs`: [`Failure`], why a call that ran failed; `failure_text.rs`, the text of
//!   a method's failure with its causes;
//! - `serialize.rs`: the registry and a call's results as serde data;
//! - with the feature `schema`, `schema.rs` (JSON Schema of a method's parameters and
//!   result) and `openrpc.rs` (the OpenRPC document of the table).
//!
//! This module knows functions, not sessions: running a call in a session (the session
//! policy, `Session::call`, `call_async`) belongs to the session graph, `crate::engine`.

mod answer;
mod args;
mod failure;
mod failure_text;
mod info;
mod log;
mod names;
#[cfg(feature = "schema")]
mod openrpc;
mod outcome;
mod reader;
#[cfg(feature = "schema")]
mod schema;
mod serialize;
mod table;
mod traits;

pub use answer::{Answer, Verdict};
pub use args::Args;
pub use failure::Failure;
pub use failure_text::{DisplayText, ErrorChain, FailureText};
pub(crate) use info::CallFn;
pub use info::{
    method_info, param, CallFuture, Direction, MethodInfo, MethodSpec, ObjectRef, Owner, ParamInfo,
    ParamSpec, Policy, Rule, Trampoline,
};
pub(crate) use log::in_object;
pub use log::{method_label, LogFailure, Severity};
pub(crate) use outcome::panicked;
pub use outcome::{outcome, CallError, CallOutcome, OutValue};
pub use reader::{ArgError, ArgReader};
#[cfg(feature = "schema")]
pub use schema::MethodSchema;
#[cfg(feature = "web")]
pub(crate) use serialize::OutsMap;
pub use table::{methods, MethodTable};
pub use traits::{
    body, exported_async_fn_must_be_send, ExportReturn, InParam, OutParam, PolicyFailure,
    ResultKind, ResultReturn, ReturnKind, ValueKind, ValueReturn,
};
