//! `__sessions_log`: the method's failure event, logged from the exporting crate, so the
//! event's target is the user's module (`my_crate::api`), where a subscriber's filter
//! expects it. Nested in the wrapper; the body logs through it, and the runtime gets it as
//! a `LogFailure` for the failures it finds (a refused policy, a panic).

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use crate::ast::Method;
use crate::tokens::{hidden, private};

/// The name of the nested log function.
pub(crate) fn name() -> Ident {
    hidden("__sessions_log")
}

/// `fn __sessions_log(severity: Severity, error: &dyn Display)`: one event with the fields
/// `method` (an object's method named by the object's path, `Line1/Oven.set_target`),
/// `session` and `error`: `tracing::warn!` "exported method refused" for a call the session
/// rule or a role refused, `tracing::error!` "exported method failed" for a method that
/// failed or panicked.
pub(crate) fn log_fn(method: &Method) -> TokenStream {
    let private = private(method);
    let export_name = &method.export_name;
    let log = name();
    let (severity, error) = (hidden("__severity"), hidden("__error"));
    // The label is made inside each event's fields: only when the level is enabled.
    quote! {
        fn #log(#severity: #private::Severity, #error: &dyn ::core::fmt::Display) {
            match #severity {
                #private::Severity::Refused => #private::tracing::warn!(
                    target: #private::module_path!(),
                    method = &*#private::method_label(#export_name),
                    session = #private::current_id().map(#private::tracing::field::display),
                    error = %#error,
                    "exported method refused",
                ),
                #private::Severity::Failed => #private::tracing::error!(
                    target: #private::module_path!(),
                    method = &*#private::method_label(#export_name),
                    session = #private::current_id().map(#private::tracing::field::display),
                    error = %#error,
                    "exported method failed",
                ),
            }
        }
    }
}
