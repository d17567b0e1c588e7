//! What `#[export_method]` registers about each function: [`MethodInfo`], [`ParamInfo`],
//! [`Policy`] and [`Direction`], and the readable signature they display as.

use std::any::{Any, TypeId};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::{Args, CallError, CallOutcome};
use crate::value::TypeSchema;

/// What an exported method does about the session context (`session = …`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Policy {
    /// The default: the call fails (and the function does not run) when no session is
    /// current.
    ///
    /// The function must be able to report that: it returns `()` or `Result<T, E>` with
    /// `E: From<SessionError>`. A plain value cannot carry the failure, so this does not
    /// compile (use `session = impersonate` or `session = none` for such a function):
    ///
    /// ```compile_fail
    /// #[sessions_core::export_method(session = require)]
    /// fn count() -> i64 {
    ///     1
    /// }
    /// ```
    Require,
    /// Runs in the current session, or else in the root session of
    /// [`Engine::global()`](crate::Engine::global) for the duration of the call.
    Impersonate,
    /// Touches no session context.
    None,
}

impl fmt::Display for Policy {
    /// `require`, `impersonate` or `none`, as written in the attribute.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Policy::Require => "require",
            Policy::Impersonate => "impersonate",
            Policy::None => "none",
        })
    }
}

/// Where and for whom an exported method may run, as its attribute says: the session
/// policy, the engine it impersonates (`engine = "…"`) and the role it needs
/// (`role = "…"`). Generated code passes it to the boundary, which decides each call by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    /// `session = …`.
    pub policy: Policy,
    /// `engine = "…"`: the engine whose root `impersonate` uses.
    pub engine: Option<&'static str>,
    /// `role = "…"`: the role the session's user must have.
    pub role: Option<&'static str>,
}

/// Which way a parameter's value travels in a host call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Direction {
    /// Passed by the host and converted with [`FromValue`](crate::FromValue).
    In,
    /// A `&mut T` the function writes; returned in [`CallOutcome::outs`].
    Out,
    /// A `&Session` or `Session` the host call fills with the current session.
    Injected,
}

impl fmt::Display for Direction {
    /// `in`, `out` or `injected`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::In => "in",
            Direction::Out => "out",
            Direction::Injected => "injected",
        })
    }
}

/// One parameter of an exported method.
#[derive(Clone, Copy)]
pub struct ParamInfo {
    pub(crate) name: &'static str,
    pub(crate) ty: &'static str,
    pub(crate) direction: Direction,
    pub(crate) sentinel: Option<&'static str>,
    pub(crate) optional: bool,
    #[cfg_attr(not(feature = "schema"), allow(dead_code))]
    pub(crate) schema: TypeSchema,
}

impl PartialEq for ParamInfo {
    /// Equal when name, type, direction, sentinel and optionality are (the schema follows
    /// from the type).
    fn eq(&self, other: &Self) -> bool {
        (
            self.name,
            self.ty,
            self.direction,
            self.sentinel,
            self.optional,
        ) == (
            other.name,
            other.ty,
            other.direction,
            other.sentinel,
            other.optional,
        )
    }
}

impl Eq for ParamInfo {}

impl fmt::Debug for ParamInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParamInfo")
            .field("name", &self.name)
            .field("ty", &self.ty)
            .field("direction", &self.direction)
            .field("sentinel", &self.sentinel)
            .field("optional", &self.optional)
            .finish_non_exhaustive()
    }
}

impl ParamInfo {
    /// The parameter's name, as hosts see it.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its Rust type as written (`Vec<String>`; for an out parameter the `T` of `&mut T`).
    pub fn ty(&self) -> &'static str {
        self.ty
    }

    /// Which way its value travels.
    pub fn direction(&self) -> Direction {
        self.direction
    }

    /// The source text of the sentinel written into it on failure (out parameters only).
    pub fn sentinel(&self) -> Option<&'static str> {
        self.sentinel
    }

    /// Whether a host may leave it out (an in parameter whose type is an `Option`): it is
    /// `None` then, by position (when it is trailing) or by name.
    pub fn is_optional(&self) -> bool {
        self.optional
    }
}

impl fmt::Display for ParamInfo {
    /// `engine: String`, `out active: i32 = -1 on failure`, `session: &Session (injected)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.direction {
            Direction::In => write!(f, "{}: {}", self.name, self.ty),
            Direction::Out => {
                write!(f, "out {}: {}", self.name, self.ty)?;
                match self.sentinel {
                    Some(sentinel) => write!(f, " = {sentinel} on failure"),
                    None => Ok(()),
                }
            }
            Direction::Injected => write!(f, "{}: {} (injected)", self.name, self.ty),
        }
    }
}

/// The host-call trampoline `#[export_method]` generates for a function.
pub(crate) type CallFn = fn(Args) -> Result<CallOutcome, CallError>;

/// A started call of an `async` exported method: its arguments already converted, its
/// policy not yet applied (that happens at the first poll).
pub type CallFuture = Pin<Box<dyn Future<Output = CallOutcome> + Send + 'static>>;

/// The host-call trampoline of an `async fn`: converts the arguments (`Err` when they do
/// not fit, and nothing was started) and returns the call as a future.
pub(crate) type AsyncCallFn = fn(Args) -> Result<CallFuture, CallError>;

/// An exported object, as the engine holds it (see `Engine::export_object`).
pub type ObjectRef = Arc<dyn Any + Send + Sync>;

/// The host-call trampoline of a `&self` method of an `#[export_methods]` block: the object
/// it is called on, then the arguments.
pub(crate) type InstanceCallFn = fn(&ObjectRef, Args) -> Result<CallOutcome, CallError>;

/// The host-call trampoline of an `async` `&self` method: the future holds the object.
pub(crate) type AsyncInstanceCallFn = fn(ObjectRef, Args) -> Result<CallFuture, CallError>;

/// How a method is called by a host: the one trampoline the macro generated for it.
#[derive(Clone, Copy)]
pub enum Trampoline {
    /// A plain `fn`: runs to completion in the caller's context.
    Sync(CallFn),
    /// An `async fn`: a future, run by [`MethodTable::call_async`](crate::MethodTable::call_async).
    Async(AsyncCallFn),
    /// A `&self` method of an exported type: called on an object, by its path.
    Instance(InstanceCallFn),
    /// An `async` `&self` method of an exported type.
    AsyncInstance(AsyncInstanceCallFn),
}

/// The type an `#[export_methods]` block belongs to, for each of its methods.
#[derive(Clone, Copy)]
pub struct Owner {
    /// The type as written on the block: `Oven`.
    pub name: &'static str,
    /// The method's own name: the export name without `Oven.` in front.
    pub member: &'static str,
    /// The type's `TypeId`, to find an object's methods.
    pub type_id: fn() -> TypeId,
}

/// Everything registered about one exported method; listed by
/// [`methods()`](crate::methods).
///
/// It displays as a signature a person can read:
/// `GetActiveWebSessionsNumber(engine: String, out active: i32 = -1 on failure) [session: require]`
/// (with `, engine: Plant` and `, role: admin` in the bracket when the attribute names them)
/// (a method whose host-visible value is not `()` shows ` -> T` before the bracket, and an
/// `async fn` starts with `async `).
#[derive(Clone, Copy)]
pub struct MethodInfo {
    pub(crate) name: &'static str,
    pub(crate) rust_name: &'static str,
    pub(crate) module_path: &'static str,
    pub(crate) file: &'static str,
    pub(crate) line: u32,
    pub(crate) doc: &'static str,
    pub(crate) rule: Rule,
    pub(crate) audit_args: bool,
    pub(crate) params: &'static [ParamInfo],
    pub(crate) returns: &'static str,
    pub(crate) value_type: &'static str,
    #[cfg_attr(not(feature = "schema"), allow(dead_code))]
    pub(crate) value_schema: TypeSchema,
    pub(crate) owner: Option<Owner>,
    pub(crate) call: Trampoline,
    pub(crate) blocking: bool,
}

impl MethodInfo {
    /// The name hosts call (`name = "…"`, or the function's name).
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Whether the audit trail keeps this method's arguments: the attribute says
    /// `audit = "args"`. Without it, an
    /// [`AuditRecord`](crate::audit::AuditRecord) of a call has no `args`.
    pub fn audits_args(&self) -> bool {
        self.audit_args
    }

    /// The Rust function's own name.
    pub fn rust_name(&self) -> &'static str {
        self.rust_name
    }

    /// The module the function is defined in (`module_path!()`), e.g. `my_crate::api`.
    pub fn module_path(&self) -> &'static str {
        self.module_path
    }

    /// The function's full Rust path: `my_crate::api::get_count`, or
    /// `my_crate::line::Oven::set_target` for a fn of an `#[export_methods]` block.
    pub fn path(&self) -> String {
        match self.owner {
            Some(owner) => format!("{}::{}::{}", self.module_path, owner.name, self.rust_name),
            None => format!("{}::{}", self.module_path, self.rust_name),
        }
    }

    /// The source file of the definition (`file!()`).
    pub fn file(&self) -> &'static str {
        self.file
    }

    /// The line of the `#[export_method]` attribute in [`file`](Self::file) (of the
    /// `#[export_methods]` attribute, for a fn of a block).
    pub fn line(&self) -> u32 {
        self.line
    }

    /// Where the method is defined: `my_crate::api::get_count at src/api.rs:12`.
    pub fn location(&self) -> String {
        format!("{} at {}:{}", self.path(), self.file, self.line)
    }

    /// The doc comment: its `///` lines joined with `\n`, trimmed; empty without one.
    pub fn doc(&self) -> &'static str {
        self.doc
    }

    /// The session policy.
    pub fn policy(&self) -> Policy {
        self.rule.policy
    }

    /// The role a session's user must have to call it (`role = "…"`); a root session may
    /// call it anyway.
    pub fn role(&self) -> Option<&'static str> {
        self.rule.role
    }

    /// The engine whose root `session = impersonate` uses (`engine = "…"`), when named.
    pub fn engine(&self) -> Option<&'static str> {
        self.rule.engine
    }

    /// Every parameter, in order, including out and injected ones.
    pub fn params(&self) -> &'static [ParamInfo] {
        self.params
    }

    /// The parameters a host passes, in order (those with [`Direction::In`]).
    pub fn inputs(&self) -> impl Iterator<Item = &'static ParamInfo> {
        self.params.iter().filter(|p| p.direction == Direction::In)
    }

    /// The return type as written, `()` when there is none.
    pub fn returns(&self) -> &'static str {
        self.returns
    }

    /// The type of [`CallOutcome::value`] on success: the `T` of a `Result<T, E>`,
    /// otherwise the return type.
    pub fn value_type(&self) -> &'static str {
        self.value_type
    }

    /// The type whose `#[export_methods]` block defines it (`Oven`), if any.
    pub fn owner(&self) -> Option<&'static str> {
        self.owner.map(|owner| owner.name)
    }

    /// Whether it is a `&self` method: a host calls it on an exported object,
    /// `"<path>.<member>"` (see `Engine::export_object`), not by this name.
    pub fn is_instance(&self) -> bool {
        matches!(
            self.call,
            Trampoline::Instance(_) | Trampoline::AsyncInstance(_)
        )
    }

    /// Its own name in its `#[export_methods]` block (the export name without `Oven.`).
    pub fn member(&self) -> Option<&'static str> {
        self.owner.map(|owner| owner.member)
    }

    /// Whether its block is of the type `type_id`.
    pub(crate) fn is_owned_by(&self, type_id: TypeId) -> bool {
        self.owner.is_some_and(|owner| (owner.type_id)() == type_id)
    }

    /// Calls this `&self` method on `object`.
    pub(crate) fn call_on(&self, object: &ObjectRef, args: Args) -> Result<CallOutcome, CallError> {
        match self.call {
            Trampoline::Instance(call) => call(object, args),
            Trampoline::AsyncInstance(_) => Err(CallError::NeedsAsync {
                method: self.name.to_owned(),
            }),
            _ => self.call(args),
        }
    }

    /// Starts this `async` `&self` method on `object`: the arguments converted now, the
    /// policy applied at the first poll. `None` for any other kind of method.
    pub(crate) fn start_on(
        &self,
        object: ObjectRef,
        args: Args,
    ) -> Option<Result<CallFuture, CallError>> {
        match self.call {
            Trampoline::AsyncInstance(start) => Some(start(object, args)),
            _ => None,
        }
    }

    /// Whether the function is `async`: a host calls it with
    /// [`call_async`](Self::call_async) (or [`MethodTable::call_async`](crate::MethodTable::call_async)).
    pub fn is_async(&self) -> bool {
        matches!(
            self.call,
            Trampoline::Async(_) | Trampoline::AsyncInstance(_)
        )
    }

    /// Whether it was exported with `blocking`: a plain fn that blocks its thread, which the
    /// web and OPC UA hosts ([`host::Call::run`](crate::host::Call::run)) run on tokio's
    /// blocking pool rather than on a runtime worker.
    pub fn is_blocking(&self) -> bool {
        self.blocking
    }

    /// Calls this method with `args` in the current context, like
    /// [`MethodTable::call`](crate::MethodTable::call) without the name lookup.
    ///
    /// No panic reaches the caller: the trampoline catches it once, logs it once, and
    /// reports it as [`CallOutcome::error`].
    ///
    /// An `async` method cannot run here: the answer is [`CallError::NeedsAsync`], and it
    /// did not run.
    #[inline]
    pub fn call(&self, args: impl Into<Args>) -> Result<CallOutcome, CallError> {
        match self.call {
            Trampoline::Sync(call) => call(args.into()),
            Trampoline::Async(_) => Err(CallError::NeedsAsync {
                method: self.name.to_owned(),
            }),
            Trampoline::Instance(_) | Trampoline::AsyncInstance(_) => Err(CallError::NeedsObject {
                method: self.name.to_owned(),
            }),
        }
    }
}

impl fmt::Display for MethodInfo {
    /// `GetCount(engine: String) -> i64 [session: require]`, with `async ` in front for an
    /// `async fn`: `async fetch(id: u64) -> String [session: require]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_async() {
            f.write_str("async ")?;
        }
        write!(f, "{}(", self.name)?;
        for (index, param) in self.params.iter().enumerate() {
            if index > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{param}")?;
        }
        f.write_str(")")?;
        if self.value_type != "()" {
            write!(f, " -> {}", self.value_type)?;
        }
        write!(f, " [session: {}", self.rule.policy)?;
        if let Some(engine) = self.rule.engine {
            write!(f, ", engine: {engine}")?;
        }
        if let Some(role) = self.rule.role {
            write!(f, ", role: {role}")?;
        }
        f.write_str("]")
    }
}

impl fmt::Debug for MethodInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MethodInfo")
            .field("name", &self.name)
            .field("path", &self.path())
            .field("file", &self.file)
            .field("line", &self.line)
            .field("rule", &self.rule)
            .field("params", &self.params)
            .field("returns", &self.returns)
            .field("is_async", &self.is_async())
            .field("is_blocking", &self.is_blocking())
            .finish_non_exhaustive()
    }
}

/// Every field of a [`MethodInfo`], as the macro writes them.
#[derive(Clone, Copy)]
pub struct MethodSpec {
    /// The name hosts call.
    pub name: &'static str,
    /// The function's own name.
    pub rust_name: &'static str,
    /// `module_path!()` at the definition.
    pub module_path: &'static str,
    /// `file!()` at the definition.
    pub file: &'static str,
    /// `line!()` at the definition.
    pub line: u32,
    /// The doc comment, joined and trimmed.
    pub doc: &'static str,
    /// `session = …`, `engine = …`, `role = …`.
    pub rule: Rule,
    /// `audit = "args"`: the audit trail keeps the call's arguments.
    pub audit_args: bool,
    /// The parameters, in order.
    pub params: &'static [ParamInfo],
    /// The return type as written.
    pub returns: &'static str,
    /// The type of the value a host receives on success.
    pub value_type: &'static str,
    /// Its schema (`__value_schema!(ReturnType)`).
    pub value_schema: TypeSchema,
    /// The type of its `#[export_methods]` block, for a method of one.
    pub owner: Option<Owner>,
    /// The generated host trampoline: `Trampoline::Async` for an `async fn`.
    pub call: Trampoline,
    /// `blocking`: a plain fn the hosts run on a blocking pool.
    pub blocking: bool,
}

/// Builds a `MethodInfo` in const context (for `inventory::submit!`).
pub const fn method_info(spec: MethodSpec) -> MethodInfo {
    MethodInfo {
        name: spec.name,
        rust_name: spec.rust_name,
        module_path: spec.module_path,
        file: spec.file,
        line: spec.line,
        doc: spec.doc,
        rule: spec.rule,
        audit_args: spec.audit_args,
        params: spec.params,
        returns: spec.returns,
        value_type: spec.value_type,
        value_schema: spec.value_schema,
        owner: spec.owner,
        call: spec.call,
        blocking: spec.blocking,
    }
}

/// Every field of a [`ParamInfo`], as the macro writes them.
#[derive(Clone, Copy)]
pub struct ParamSpec {
    /// The name hosts use.
    pub name: &'static str,
    /// The type as written (`T` of an out parameter's `&mut T`).
    pub ty: &'static str,
    /// Which way its value travels.
    pub direction: Direction,
    /// The sentinel's source text (out parameters).
    pub sentinel: Option<&'static str>,
    /// An in parameter whose type is an `Option`.
    pub optional: bool,
    /// Its type's schema (`__type_schema!(T)`; `TypeSchema::NONE` when injected).
    pub schema: TypeSchema,
}

/// Builds a `ParamInfo` in const context.
pub const fn param(spec: ParamSpec) -> ParamInfo {
    ParamInfo {
        name: spec.name,
        ty: spec.ty,
        direction: spec.direction,
        sentinel: spec.sentinel,
        optional: spec.optional,
        schema: spec.schema,
    }
}

inventory::collect!(MethodInfo);
