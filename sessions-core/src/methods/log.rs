//! How a method's failures are logged: the generated log function's type ([`LogFailure`]),
//! its [`Severity`], and the name it gives the method ([`method_label`]): an object's
//! method is named by the object's path (`Line1/Oven.set_target`), set for the length of the
//! call by the engine that found the object ([`in_object`]).

use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Display;
use std::sync::Arc;

/// Logs a failure of one exported method: one event with the fields `method`, `session`
/// (the current session's id, absent when there is none) and `error`; at WARN, `exported
/// method refused`, for a [`Severity::Refused`] call, at ERROR, `exported method failed`,
/// for a method that failed or panicked. Generated beside each method, so that the event's
/// target is the exporting crate's module, where a subscriber's filter expects it; the
/// runtime logs every failure of the method through it.
pub type LogFailure = fn(Severity, &dyn Display);

/// How bad a logged failure is: what level its event has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The session rule or a role refused the call before the body ran: the caller's
    /// mistake, or an attempt; WARN.
    Refused,
    /// The method failed or panicked: ERROR.
    Failed,
}

thread_local! {
    /// The path of the object whose method runs on this thread now, if any.
    static OBJECT: RefCell<Option<Arc<str>>> = const { RefCell::new(None) };
}

/// Runs `f` (a call, or one poll of it) with `path` as the object whose method runs: its
/// failures are logged as `path.method`. Restores what was set before, on panic too.
pub(crate) fn in_object<R>(path: &Arc<str>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Arc<str>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let previous = self.0.take();
            OBJECT.with(|object| *object.borrow_mut() = previous);
        }
    }
    let previous = OBJECT.with(|object| object.borrow_mut().replace(path.clone()));
    let _restore = Restore(previous);
    f()
}

/// The name a failure event gives the method exported as `export_name`: that name, or for
/// a method called on an exported object, `<object path>.<method>` (a type-level name is
/// `Type.method`; on an object, the path takes the type's place). Text, so that the event's
/// field is a plain string whatever the subscriber; only an object's method allocates.
pub fn method_label(export_name: &'static str) -> Cow<'static, str> {
    let object = OBJECT.with(|object| object.borrow().clone());
    match (object, export_name.split_once('.')) {
        (Some(path), Some((_, member))) => Cow::Owned(format!("{path}.{member}")),
        _ => Cow::Borrowed(export_name),
    }
}
