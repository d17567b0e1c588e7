//! The body function: the user's body with its failure handling (one log event, sentinels),
//! and no session policy. Both paths into a method call it after resolving the policy once:
//! the wrapper (a direct Rust call) and the trampoline (a host call). It is nested in the
//! wrapper under the function's own name, so it adds no name to the user's module, the
//! compiler names the user's function in errors about it (an `async fn` that is not `Send`),
//! and a recursive call in the body calls the body, the policy being resolved already.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use crate::ast::Method;
use crate::log;
use crate::tokens::{
    failure_text, hidden, private, ret_span, ret_type, strip_out_attrs, write_sentinels,
};

/// The name of the nested body function: the function's own.
pub(crate) fn name(method: &Method) -> proc_macro2::Ident {
    method.func.sig.ident.clone()
}

/// `fn NAME(<the parameters>) -> <the return type> { body; on failure: log, sentinels }`,
/// `async` for an `async fn`.
pub(crate) fn run_fn(method: &Method) -> TokenStream {
    let private = private(method);
    let user_body = &method.func.block;
    let ret = ret_type(method);
    let result = hidden("__result");
    let mut sig = method.func.sig.clone();
    strip_out_attrs(&mut sig);
    // `return` and `?` in the body keep their meaning: the body is a closure (or an async
    // block), so its failure is still handled below.
    let run = if method.is_async() {
        quote! {
            #[allow(clippy::let_unit_value, clippy::redundant_async_block)]
            let #result: #ret = #private::body::<#ret, _>(async #user_body).await;
        }
    } else {
        quote! {
            #[allow(clippy::redundant_closure_call, clippy::let_unit_value)]
            let #result: #ret = (|| -> #ret #user_body)();
        }
    };
    let on_failure = on_failure(method, &result);
    quote! {
        #[inline]
        #sig {
            #run
            #on_failure
            #result
        }
    }
}

/// The kind of the return type, `ResultReturn` or `ValueReturn`, chosen by method
/// resolution (`ReturnKind`): the argument that picks the `ExportReturn` impl.
pub(crate) fn return_kind(method: &Method) -> TokenStream {
    let private = private(method);
    let ret = ret_type(method);
    quote_spanned! {ret_span(method)=>
        {
            #[allow(unused_imports)]
            use #private::{ResultKind as _, ValueKind as _};
            (&#private::ReturnKind::<#ret>::new()).kind()
        }
    }
}

/// When `result` is a failure: log it, with its causes, and write the sentinels.
fn on_failure(method: &Method, result: &proc_macro2::Ident) -> TokenStream {
    let private = private(method);
    let log = log::name();
    let ret = ret_type(method);
    let error = hidden("__error");
    let sentinels = write_sentinels(method, |_, ident| quote!(*#ident));
    let kind = return_kind(method);
    let failure = quote_spanned! {ret_span(method)=>
        <#ret as #private::ExportReturn<_>>::failure(&#result, #kind)
    };
    let text = failure_text(method, result, &error);
    quote! {
        if let ::core::option::Option::Some(#error) = #failure {
            #log(#private::Severity::Failed, &#text);
            #sentinels
        }
    }
}
