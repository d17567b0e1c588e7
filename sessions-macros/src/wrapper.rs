//! The function as users call it from Rust: the same name, visibility, attributes,
//! parameters and return type, its body replaced by the session policy (resolved once, by
//! the runtime's one implementation) and a call of the nested body function. The body and
//! the registration are nested inside it.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{FnArg, Pat};

use crate::ast::Method;
use crate::attr::Policy;
use crate::tokens::{
    hidden, local, private, ret_span, ret_type, rule, strip_out_attrs, write_sentinels,
};
use crate::{body, log};

/// The wrapped function, with `nested` (the body function, the trampoline, the
/// registration) inside it.
pub(crate) fn wrapper(method: &Method, nested: TokenStream) -> TokenStream {
    let func = method.func;
    let attrs = &func.attrs;
    let vis = &func.vis;
    // A `&self` method keeps its signature as written; its receiver goes to the body
    // function first, as the `__self` parameter that took its place there.
    let mut sig = method
        .method_sig
        .clone()
        .unwrap_or_else(|| func.sig.clone());
    strip_out_attrs(&mut sig);
    let mut params = forward_params(&mut sig);
    if method.has_receiver() {
        params.insert(0, syn::Ident::new("self", proc_macro2::Span::call_site()));
    }
    let locals: Vec<_> = (0..params.len()).map(local).collect();
    let run = body::name(method);
    let call = quote!(#run(#(#locals),*));
    let private = private(method);
    let (log, rule) = (log::name(), rule(method));
    let error = hidden("__error");
    // `require`, `engine` and `role` can refuse the call: the sentinels are written and the
    // failure returned. A plain `impersonate` always runs; `none` has nothing to resolve.
    let refusable = method.attr.can_refuse();
    let body = if method.is_async() {
        let session = hidden("__session");
        match method.policy() {
            Policy::None if !refusable => quote!(#call.await),
            _ if refusable => {
                let refuse = refuse(method, &error);
                quote! {
                    let #session = match #private::resolve(#log, #rule) {
                        ::core::result::Result::Ok(#session) => #session,
                        ::core::result::Result::Err(#error) => { #refuse }
                    };
                    #private::run_in(#session, #call).await
                }
            }
            _ => quote! {
                let #session = #private::resolve(#log, #rule).unwrap_or_default();
                #private::run_in(#session, #call).await
            },
        }
    } else {
        let boundary = hidden("__boundary");
        let enter = match method.policy() {
            // Nothing to resolve: the call is just the body (and inlines as one).
            Policy::None if !refusable => quote!(),
            _ if refusable => {
                let refuse = refuse(method, &error);
                quote! {
                    let #boundary = match #private::enter(#log, #rule) {
                        ::core::result::Result::Ok(#boundary) => #boundary,
                        ::core::result::Result::Err(#error) => { #refuse }
                    };
                }
            }
            // The boundary holds an impersonation until the end.
            _ => quote! {
                let #boundary = #private::enter(#log, #rule);
            },
        };
        quote! {
            #enter
            #call
        }
    };
    // The nested items are in an inner block: there the function's name is the body
    // function, which would hide a parameter of the same name (`fn total(total: &mut i32)`),
    // so the parameters are taken into the generated code's own names first.
    quote! {
        #(#attrs)*
        #vis #sig {
            #(let #locals = #params;)*
            {
                #nested
                #body
            }
        }
    }
}

/// The parameters' names, one per parameter, which the wrapper passes on to the body
/// function. A `mut` on a
/// parameter belongs to the body, which keeps it; the wrapper only forwards the value.
fn forward_params(sig: &mut syn::Signature) -> Vec<syn::Ident> {
    let mut args = Vec::new();
    for input in &mut sig.inputs {
        if let FnArg::Typed(typed) = input {
            if let Pat::Ident(pat) = &mut *typed.pat {
                pat.mutability = None;
                args.push(pat.ident.clone());
            }
        }
    }
    args
}

/// A call refused at the boundary (already logged by the runtime): write the sentinels and
/// return the failure built from `error`; the body does not run.
fn refuse(method: &Method, error: &proc_macro2::Ident) -> TokenStream {
    let private = private(method);
    let ret = ret_type(method);
    let sentinels = write_sentinels(method, |index, _| {
        let local = local(index);
        quote!(*#local)
    });
    let policy_failure = quote_spanned! {ret_span(method)=>
        <#ret as #private::PolicyFailure>::policy_failure(#error)
    };
    quote! {
        #sentinels
        return #policy_failure;
    }
}
