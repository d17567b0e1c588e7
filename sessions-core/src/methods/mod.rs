//! Exported methods: what `#[export_method]` registers, the table hosts list and call them
//! from, and the results of a call.
//!
//! - `info.rs`: [`MethodInfo`], [`ParamInfo`], [`Policy`], [`Direction`];
//! - `table.rs`: [`MethodTable`] and [`methods()`];
//! - `call.rs`: [`CallOutcome`] and [`CallError`];
//! - `boundary.rs`: panics that escape a trampoline become outcomes;
//! - `call_async.rs`: the future of a call from async code (`MethodTable::call_async`);
//! - `host.rs`: `Session::call{,_async}` and `Engine::call_as_root{,_async}`.
//!
//! What the generated code calls at run time is in `crate::__private`.

mod boundary;
mod call;
mod call_async;
mod host;
mod info;
mod table;

pub use call::{CallError, CallOutcome};
pub(crate) use info::CallFn;
pub use info::{CallFuture, Direction, MethodInfo, ParamInfo, Policy, Trampoline};
pub use table::{methods, MethodTable};
