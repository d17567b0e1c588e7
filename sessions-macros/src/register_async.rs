//! The host trampoline of an `async fn`: the arguments are checked and converted when the
//! call is made, and the rest (policy, the function's future with panics caught, sentinels,
//! outs) is a boxed `Send` future a host awaits.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};

use crate::ast::Method;
use crate::expand::{hidden, private};
use crate::register::{host_args, policy_tokens, HostArgs};

/// `fn __sessions_call_async(Vec<Value>) -> Result<CallFuture, CallError>`.
///
/// `Err` (arity, argument type) is returned before any future exists. The future applies
/// the policy at its first poll, in the context it is polled in (the caller's, which
/// `call_async` re-enters at every poll), then awaits the function in that context.
pub(crate) fn trampoline(method: &Method) -> TokenStream {
    let private = private(method);
    let name = &method.export_name;
    let func = &method.func.sig.ident;
    let call = hidden("__sessions_call_async");
    let (args, host, session, ran, error) = (
        hidden("__args"),
        hidden("__host"),
        hidden("__session"),
        hidden("__ran"),
        hidden("__error"),
    );
    let HostArgs {
        arity,
        locals,
        call_args,
        outs,
        injects,
        on_failure,
        into_outcome,
    } = host_args(method);

    // A future that is not `Send` is reported at `async`, with the value held across an
    // `.await` that makes it so.
    let send_span = method
        .func
        .sig
        .asyncness
        .map_or_else(|| func.span(), |token| token.span);
    let future = quote_spanned! {send_span=>
        #private::exported_async_fn_must_be_send(#func(#(#call_args),*))
    };
    let policy = policy_tokens(method);
    let enter = if injects {
        quote! {
            match #private::AsyncHostCall::enter_with_session(#name, #policy) {
                ::core::result::Result::Ok((#host, #session)) => #host.run(#future).await,
                ::core::result::Result::Err(#error) => ::core::result::Result::Err(#error),
            }
        }
    } else {
        quote! {
            match #private::AsyncHostCall::enter(#name, #policy) {
                ::core::result::Result::Ok(#host) => #host.run(#future).await,
                ::core::result::Result::Err(#error) => ::core::result::Result::Err(#error),
            }
        }
    };
    quote! {
        fn #call(
            #args: #private::Vec<#private::Value>,
        ) -> #private::Result<#private::CallFuture, #private::CallError> {
            #arity
            #(#locals)*
            ::core::result::Result::Ok(#private::call_future(async move {
                let #ran = #enter;
                #on_failure
                #private::outcome(
                    #ran.map(#into_outcome),
                    #private::Vec::from([#(#outs),*]),
                )
            }))
        }
    }
}
