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

/// `fn __sessions_log(error: &dyn Display)`: one `tracing::error!` event, `exported method
/// failed`, with the fields `method`, `session` and `error`.
pub(crate) fn log_fn(method: &Method) -> TokenStream {
    let private = private(method);
    let export_name = &method.export_name;
    let log = name();
    let error = hidden("__error");
    quote! {
        fn #log(#error: &dyn ::core::fmt::Display) {
            #private::tracing::error!(
                target: #private::module_path!(),
                method = #export_name,
                session = #private::current_id().map(#private::tracing::field::display),
                error = %#error,
                "exported method failed",
            );
        }
    }
}
