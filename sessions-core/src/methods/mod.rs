//! Exported methods: what `#[export_method]` registers, the table hosts list and call them
//! from, and the results of a call.
//!
//! - `info.rs`: [`MethodInfo`], [`ParamInfo`], [`Policy`], [`Direction`];
//! - `table.rs`: [`MethodTable`] and [`methods()`];
//! - `call.rs`: [`CallOutcome`] and [`CallError`];
//! - `host.rs`: `Session::call` and `Engine::call_as_root`.
//!
//! What the generated code calls at run time is in `crate::__private`.

mod call;
mod host;
mod info;
mod table;

pub use call::{CallError, CallOutcome};
pub(crate) use info::CallFn;
pub use info::{Direction, MethodInfo, ParamInfo, Policy};
pub use table::{methods, MethodTable};
