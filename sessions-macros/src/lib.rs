//! The `#[export_method]` attribute of [`sessions-core`](https://docs.rs/sessions-core).
//!
//! Depend on `sessions-core`, which re-exports it as `sessions_core::export_method`; the
//! generated code names only `sessions_core::__private`, so nothing else is needed.
//!
//! The stages, one file each: `attr.rs` parses the attribute, `ast.rs` models the function,
//! `valid.rs` refuses what a host cannot call, and `expand.rs` runs them and generates:
//! `wrapper.rs` the function as Rust calls it, `body.rs` the body with its failure
//! handling, `trampoline.rs` the host call (plain and `async`), `register.rs` the
//! `MethodInfo`; `tokens.rs` holds the helpers they share. Every error is collected and
//! reported at its token, beside the unchanged function.

mod ast;
mod attr;
mod block;
mod body;
mod errors;
mod expand;
mod krate;
mod log;
mod register;
mod text;
mod tokens;
mod trampoline;
mod valid;
mod variables;
mod wrapper;

use proc_macro::TokenStream;

/// Exports a function: hosts can list it and call it by name, and it runs under a session
/// policy with failures logged and turned into out-parameter sentinels.
///
/// # Example
///
/// ```
/// use sessions_core::{export_method, Engine, SessionError};
///
/// /// Number of sessions with a logged-in user on the named engine.
/// #[export_method(name = "GetActiveWebSessionsNumber", sentinel = -1)]
/// pub fn get_active_web_sessions_number(
///     engine: String,
///     active: &mut i32,
/// ) -> Result<(), SessionError> {
///     let engine = Engine::find(&engine).ok_or(SessionError::UnknownEngine(engine))?;
///     *active = engine.active_count() as i32;
///     Ok(())
/// }
///
/// let engine = Engine::builder().name("main").build()?;
/// let session = engine.open()?;
/// session.set_user(Some(sessions_core::User::new("alice")));
///
/// // A host calls it by name, in a session's context:
/// let outcome = session.call("GetActiveWebSessionsNumber", vec!["main".into()])?;
/// assert_eq!(outcome.out("active"), Some(&1.into()));
///
/// // Outside any session, `session = require` fails: -1 is written and the error logged.
/// let outcome = sessions_core::methods()
///     .call("GetActiveWebSessionsNumber", vec!["main".into()])?;
/// assert_eq!(outcome.out("active"), Some(&(-1).into()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The function is still an ordinary Rust function (`get_active_web_sessions_number(...)`
/// can be called directly) and keeps its name, visibility, attributes, docs, parameters and
/// return type; only its body is wrapped.
///
/// # Attribute arguments (all optional)
///
/// - `name = "..."`: the name hosts call; default: the function's own name.
/// - `session = require | impersonate | none`: `require` (the default) fails when no session
///   is current; `impersonate` runs in the current session, or else in the root session of
///   the engine the call goes through (`Engine::call_as_root`; `Engine::global()` for a
///   bare `methods().call` or a direct call) for the duration of the call; `none` touches no
///   session context. `engine` and `role` below can refuse a call too: a method with
///   either (or `require`) must return `()` or `Result<_, E>` with `E: From<SessionError>`.
/// - `sentinel = EXPR`: written into every out parameter when the call fails. A parameter's
///   own `#[out(sentinel = EXPR)]` overrides it. A sentinel of the wrong type is a compile
///   error at the expression.
/// - `engine = "Name"` (with `session = impersonate`): impersonate the root of the engine of
///   that name instead of `Engine::global()`'s (a session of that engine that is current is
///   used as it is). No live engine of that name: the call fails (`UnknownEngine`, logged,
///   sentinels written).
/// - `role = "admin"`: the call runs only in a session whose user has the role, or in a
///   root session; otherwise it fails before the body runs (`SessionError::Forbidden`,
///   logged, sentinels written). Not with `session = none`.
/// - `blocking`: the fn blocks its thread (a slow hash, blocking I/O): the web and OPC UA
///   hosts run it on tokio's blocking pool (`spawn_blocking`), in the caller's session, so
///   it holds up no runtime worker and no other tab. Not on an `async fn`.
/// - `audit = "args"`: the engine's audit trail keeps each call's arguments
///   (`AuditRecord::args`); without it a record has none, so a password or a recipe passed
///   to a method stays out of the trail unless its author opts in. `"args"` is the only value.
/// - `crate = path`: where `sessions_core` is. Not needed for a renamed dependency
///   (`sessions = { package = "sessions-core" }` in this crate's `Cargo.toml`: the macro
///   reads the rename); needed when the crate gets it through another crate's re-export or a
///   rename in the workspace's manifest, which the macro says.
///
/// # Parameters
///
/// - `&mut T` is an **out** parameter (`T: Default + IntoValue`: a host call starts it at
///   `T::default()` and returns its final value in `CallOutcome::outs`);
/// - `&Session` or `Session` is **injected**: a host call passes the current session (not
///   allowed with `session = none`);
/// - anything else is an **in** parameter converted from a host value with `FromValue`.
///
/// # Return types
///
/// `()`, any `T: IntoValue`, or `Result<T, E>` with `T: IntoValue` and `E: Display`.
/// `session = require` must be able to report a missing session: it needs `()` or
/// `Result<T, E>` with `E: From<SessionError>`.
///
/// # `async fn`
///
/// An exported function may be `async`; the wrapper stays an `async fn` with the same
/// signature. The policy is resolved once, when the future is first polled (in the caller's
/// context when it is awaited directly), and the body then runs in that session at *every*
/// poll, whichever executor thread polls it: `current()` is the same after each `.await`.
/// No guard is held across an `.await`. `session = none` runs the body as it is.
///
/// ```
/// use sessions_core::{export_method, Engine, Session, SessionError, User, Value};
///
/// /// The caller's user name, once the profile service answered.
/// #[export_method(name = "FetchUserName", sentinel = false)]
/// pub async fn fetch_user_name(session: &Session, found: &mut bool) -> Result<String, SessionError> {
///     profile_service_ready().await; // any await: the session is still current after it
///     assert_eq!(sessions_core::current_id(), Some(session.id()));
///     let name = session.user().map(|user| user.name().to_owned());
///     *found = name.is_some();
///     Ok(name.unwrap_or_default())
/// }
/// # async fn profile_service_ready() {}
///
/// let engine = Engine::new();
/// let session = engine.open()?;
/// session.set_user(Some(User::new("ada")));
/// // A host awaits it in the session's context, on any executor (tokio, a UI loop…):
/// let call = session.call_async("FetchUserName", vec![]);
/// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
/// #     let mut future = std::pin::pin!(future);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop {
/// #         if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
/// #             return output;
/// #         }
/// #     }
/// # }
/// let outcome = block_on(call)?;
/// assert_eq!(outcome.value, Value::from("ada"));
/// assert_eq!(outcome.out("found"), Some(&Value::Bool(true)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// A host calls it with `MethodTable::call_async` or `Session::call_async` (`call` answers
/// `CallError::NeedsAsync`); arguments are checked when the call is made, panics while
/// polling are caught, logged once and turned into sentinels. Its future must be `Send`
/// (hosts poll on multi-thread executors): a value that is not `Send` held across an
/// `.await` is a compile error at `async fn`. Out parameters are supported: the future
/// borrows them, and the sentinels are written when the body's future has resolved.
///
/// # Refused
///
/// Generic functions, `self` receivers, `unsafe`, `extern` and `const fn`, patterns other
/// than plain names, `impl Trait` and borrowed (`&T`) in parameters, return types other than
/// the above. Each is a compile error at the offending token.
///
/// # Equivalent code without the macro
///
/// The example above expands to (paths shortened; `__` names are hidden from the body):
///
/// ```text
/// /// Number of sessions with a logged-in user on the named engine.
/// pub fn get_active_web_sessions_number(
///     engine: String,
///     active: &mut i32,
/// ) -> Result<(), SessionError> {
///     // The parameters in the generated code's own names: in the block below, the
///     // function's name is the body function's.
///     let __param0 = engine;
///     let __param1 = active;
///     {
///         // 0. The failure log, in the exporting crate, so the event's target is this
///         //    module: `tracing::error!(method, session, error, "exported method failed")`.
///         fn __sessions_log(__error: &dyn Display) { /* … */ }
///
///         // 1. The body function: the body, in a closure so `return` and `?` keep their
///         //    meaning; on `Err`, one `tracing::error!` event (method, session id, error)
///         //    and the sentinels. No session policy: its callers resolve it first.
///         fn get_active_web_sessions_number(engine: String, active: &mut i32) -> Result<(), SessionError> {
///             let __result: Result<(), SessionError> = (|| -> Result<(), SessionError> {
///                 let engine = Engine::find(&engine).ok_or(SessionError::UnknownEngine(engine))?;
///                 *active = engine.active_count() as i32;
///                 Ok(())
///             })();
///             // The return type's kind (a `Result`, or a plain value) is chosen by type:
///             // `__kind` is `(&ReturnKind::<Result<(), SessionError>>::new()).kind()`.
///             if let Some(__error) = <Result<(), SessionError> as __private::ExportReturn<_>>::failure(&__result, __kind) {
///                 __sessions_log(&/* the error's text, with its causes */);
///                 { let __sentinel: i32 = -1; *active = __sentinel; }
///             }
///             __result
///         }
///
///         // 2. The host trampoline: arity and argument types are checked before anything
///         //    runs; `HostCall::call` resolves the policy once and calls the body function
///         //    (a panic there is caught once, logged in the call's session, and reported).
///         fn __sessions_call(__args: Args) -> Result<CallOutcome, CallError> {
///             let mut __args = __private::ArgReader::new("GetActiveWebSessionsNumber", &["engine"], __args)?;
///             __private::HostCall::run(__sessions_log, Policy::Require, |__host| {
///                 let __param0 = __args.next("engine", "String", <String as __private::InParam>::from_arg)?;
///                 let mut __param1 = <i32 as __private::OutParam>::initial();
///                 let __ran = __host.call(|| get_active_web_sessions_number(__param0, &mut __param1));
///                 // The value and the out parameters are written with `serde::Serialize`;
///                 // one that cannot be written fails the call (logged, sentinels written),
///                 // as does a failure of the function (`failed`: sentinels first).
///                 Ok(__private::outcome(
///                     __sessions_log,
///                     __ran.map(|__value| /* (value, error text with its causes) */),
///                     |__failed: bool| {
///                         if __failed { { let __sentinel: i32 = -1; __param1 = __sentinel; } }
///                         Vec::from([("active", true, <i32 as __private::OutParam>::take_out(&mut __param1))])
///                     },
///                 ))
///             })
///         }
///
///         // 3. The registration.
///         __private::inventory::submit! {
///             __private::method_info(__private::MethodSpec {
///                 name: "GetActiveWebSessionsNumber",
///                 rust_name: "get_active_web_sessions_number",
///                 module_path: module_path!(),
///                 file: file!(),
///                 line: line!(),
///                 doc: "Number of sessions with a logged-in user on the named engine.",
///                 policy: __private::Policy::Require,
///                 audit_args: false,
///                 params: &[
///                     // `optional`: an `Option` a host may leave out; `schema`: the type's
///                     // JSON Schema, generated on demand (feature `schema`).
///                     __private::param(ParamSpec { name: "engine", ty: "String", direction: Direction::In,
///                         sentinel: None, optional: false, schema: __private::__type_schema!(String) }),
///                     __private::param(ParamSpec { name: "active", ty: "i32", direction: Direction::Out,
///                         sentinel: Some("-1"), optional: false, schema: __private::__type_schema!(i32) }),
///                 ],
///                 returns: "Result<(), SessionError>",
///                 value_type: "()",
///                 value_schema: __private::__value_schema!(Result<(), SessionError>),
///                 // `Trampoline::Async(__sessions_call)` for an `async fn`
///                 call: __private::Trampoline::Sync(__sessions_call),
///             })
///         }
///
///         // 4. A direct Rust call: the policy, resolved once by the same implementation
///         //    (`require` fails without a current session: logged there, sentinels
///         //    written, the body not run), then the body function.
///         let __boundary = match __private::enter(__sessions_log, Policy::Require) {
///             Ok(__boundary) => __boundary,
///             Err(__error) => {
///                 { let __sentinel: i32 = -1; *__param1 = __sentinel; }
///                 return <Result<(), SessionError> as __private::PolicyFailure>::policy_failure(__error);
///             }
///         };
///         get_active_web_sessions_number(__param0, __param1)
///     }
/// }
///
/// // A method only hosts call is not dead code.
/// const _: () = { let _ = get_active_web_sessions_number; };
/// ```
///
/// An `async fn` is wrapped the same way: its body function is an `async fn`; the wrapper
/// resolves the policy once (`__private::resolve`, at the first poll) and runs the body
/// function's future in that session at every poll (`__private::run_in`); its trampoline,
/// `fn(Args) -> Result<CallFuture, CallError>`, converts the arguments first and
/// returns a boxed `Send` future that resolves the policy at its first poll
/// (`AsyncCall::resolve`) and runs the body function there (`AsyncCall::run`).
#[proc_macro_attribute]
pub fn export_method(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    expand::export_method(args.into(), item.clone())
        .unwrap_or_else(|errors| expand::fallback(item, &errors))
        .into()
}

/// Exports every fn of an `impl` block: Optix's NetLogic object methods, PyO3's
/// `#[pymethods]`.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use sessions_core::{export_methods, Engine, SessionError, Value};
///
/// /// An oven of a production line.
/// #[derive(Default)]
/// pub struct Oven {
///     target: Mutex<f64>,
/// }
///
/// #[export_methods(session = impersonate)]
/// impl Oven {
///     /// Sets the target temperature; the previous one goes into `previous`.
///     #[export(sentinel = -1.0)]
///     pub fn set_target(&self, celsius: f64, previous: &mut f64) -> Result<(), SessionError> {
///         let mut target = self.target.lock().unwrap_or_else(|p| p.into_inner());
///         *previous = std::mem::replace(&mut *target, celsius);
///         Ok(())
///     }
///
///     /// The target temperature.
///     pub fn target(&self) -> f64 {
///         *self.target.lock().unwrap_or_else(|p| p.into_inner())
///     }
///
///     /// The temperature an oven starts at: an associated fn, `Oven.default_target`.
///     pub fn default_target() -> f64 {
///         180.0
///     }
///
///     /// Rust-only.
///     #[export(skip)]
///     pub fn reset(&self) {
///         *self.target.lock().unwrap_or_else(|p| p.into_inner()) = Self::default_target();
///     }
/// }
///
/// let engine = Engine::new();
/// let oven = Arc::new(Oven::default());
/// let _exported = engine.export_object("Line1/Oven", oven.clone())?;
/// let outcome = engine.call_as_root("Line1/Oven.set_target", vec![Value::Float(200.0)])?;
/// assert_eq!(outcome.out("previous"), Some(&Value::Float(0.0)));
/// assert_eq!(oven.target(), 200.0); // the same object, called from Rust
/// let outcome = engine.call_as_root("Oven.default_target", vec![])?;
/// assert_eq!(outcome.value, Value::Float(180.0));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// - `&self` methods are called on an object the engine exports under a path
///   ([`Engine::export_object`](../sessions_core/struct.Engine.html#method.export_object)):
///   a host calls `"<path>.<method>"`. The type must be `Send + Sync + 'static`.
/// - Associated fns (no `self`) are exported as `"<Type>.<fn>"`.
/// - The block's attribute takes `session`, `engine`, `role` and `crate`, for every fn;
///   `#[export(...)]` on a fn takes the keys of `#[export_method]` for that fn (its own
///   override the block's, and `blocking` is taken on a fn only), or `skip` to keep it
///   Rust-only.
/// - `async` methods and associated fns work as `async` free functions do: a host awaits
///   them (`call_async`), and the call holds the object until it completes.
/// - Refused, each at its token: a trait impl, a generic impl, `&mut self` or `self` by
///   value (an object is shared by every host: keep changing state in a `Mutex`).
#[proc_macro_attribute]
pub fn export_methods(args: TokenStream, item: TokenStream) -> TokenStream {
    let item = proc_macro2::TokenStream::from(item);
    block::export_methods(args.into(), item.clone())
        .unwrap_or_else(|errors| block::fallback(item, &errors))
        .into()
}

/// Exports a struct's `Variable` fields with it: when an engine exports an object of the
/// type (`Engine::export_object`), each `Variable<_>` field is exported too, as
/// `<object path>/<field name>`, and unexported with the object. No code per field.
///
/// ```
/// use std::sync::Arc;
/// use sessions_core::{Engine, Variable, Variables};
///
/// /// An oven of a production line.
/// #[derive(Variables)]
/// pub struct Oven {
///     /// The temperature to reach: operators set it.
///     #[variable(name = "Target")]
///     target: Variable<f64>,
///     /// The temperature now.
///     #[variable(name = "Actual")]
///     actual: Variable<f64>,
///     /// Rust-only.
///     #[variable(skip)]
///     setpoint_history: Variable<Vec<f64>>,
/// }
///
/// let oven = Arc::new(Oven {
///     target: Variable::builder(180.0).write_role("operator").build(),
///     actual: Variable::new(20.0),
///     setpoint_history: Variable::new(Vec::new()),
/// });
/// let engine = Engine::new();
/// let exported = engine.export_object("Line1/Oven", oven.clone())?;
/// let paths: Vec<_> = engine.variables().into_iter().map(|v| v.path).collect();
/// assert_eq!(paths, ["Line1/Oven/Actual", "Line1/Oven/Target"]);
/// drop(exported);
/// assert!(engine.variables().is_empty());
/// # Ok::<(), sessions_core::ObjectError>(())
/// ```
///
/// - A field is exported when its type is written `Variable<…>`; a field whose type is an
///   alias of one needs `#[variable]`.
/// - `#[variable(name = "Target")]` exports it under another name (default: the field's);
///   `#[variable(skip)]` keeps a `Variable` field Rust-only.
/// - `#[variable(crate = path)]` on the struct says where `sessions_core` is, as `crate = …`
///   does on `#[export_method]`.
/// - The type is registered by its `TypeId`, so `export_object` finds its fields whatever
///   else it has (`#[export_methods]` blocks, or none).
/// - Refused, each at its token: an enum or union, a tuple or unit struct, a generic
///   struct, `#[variable]` on a field that is not a `Variable`, a name with `/`, `.` or
///   whitespace, two fields under one name, a struct with no `Variable` field.
#[proc_macro_derive(Variables, attributes(variable))]
pub fn derive_variables(item: TokenStream) -> TokenStream {
    variables::derive(item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
