//! The pipeline (`parse → model → check → generate`) and the wrapper around the user's body.
//! The registration (`MethodInfo` and the host trampoline) is in `register.rs`.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::{FnArg, ItemFn};

use crate::ast::Method;
use crate::attr::{self, Policy};
use crate::errors::Errors;
use crate::{register, valid};

/// The whole macro: the wrapped function and its registration, or every error found.
pub(crate) fn export_method(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let attr = attr::parse(args, &mut errors);
    let func: ItemFn = match syn::parse2(item) {
        Ok(func) => func,
        Err(err) => {
            errors.push(syn::Error::new(
                err.span(),
                "#[export_method] goes on a free function, e.g. `fn add(a: i64, b: i64) -> i64`",
            ));
            // `finish` is an `Err` here: it holds the error just pushed.
            return errors.finish().map(|()| TokenStream::new());
        }
    };
    let method = Method::from_syn(&attr, &func, &mut errors);
    valid::check(&method, &mut errors);
    errors.finish()?;
    Ok(expand(&method))
}

/// The user's function, unchanged but for its `#[out]` parameter attributes, emitted beside
/// compile errors so the rest of the crate still type-checks (and IDEs keep working).
pub(crate) fn fallback(item: TokenStream, errors: &syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    match syn::parse2::<ItemFn>(item.clone()) {
        Ok(mut func) => {
            strip_out_attrs(&mut func.sig);
            quote!(#func #errors)
        }
        Err(_) => quote!(#item #errors),
    }
}

fn expand(method: &Method) -> TokenStream {
    let wrapper = wrapper(method);
    let registration = register::registration(method);
    let cfgs = method
        .func
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"));
    quote! {
        #wrapper
        #(#cfgs)*
        #[allow(deprecated)]
        const _: () = { #registration };
    }
}

/// `#krate::__private`, the only path generated code names in the runtime crate.
pub(crate) fn private(method: &Method) -> TokenStream {
    match &method.attr.krate {
        Some(path) => quote!(#path::__private),
        None => quote!(::sessions_core::__private),
    }
}

/// The return type as written, or `()`.
pub(crate) fn ret_type(method: &Method) -> TokenStream {
    match method.ret.ty {
        Some(ty) => ty.to_token_stream(),
        None => quote_spanned!(method.func.sig.ident.span()=> ()),
    }
}

/// Where errors about the return type point: the type, or the function's name without one.
pub(crate) fn ret_span(method: &Method) -> Span {
    method
        .ret
        .ty
        .map_or_else(|| method.func.sig.ident.span(), Spanned::span)
}

/// A local of the generated code that the user's body cannot see or shadow.
pub(crate) fn hidden(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// `{ let __sentinel: T = EXPR; PLACE = __sentinel; }` for each out parameter that has a
/// sentinel, `PLACE` given by `place(position, name)`. The typed `let` makes a wrong-type
/// sentinel an error at the expression, and it is written the same way in the wrapper and
/// the trampoline so the compiler reports it once.
pub(crate) fn write_sentinels(
    method: &Method,
    place: impl Fn(usize, &Ident) -> TokenStream,
) -> TokenStream {
    let local = hidden("__sentinel");
    let writes = method.outs().filter_map(|(index, ident, ty, sentinel)| {
        let sentinel = sentinel?;
        let place = place(index, ident);
        Some(quote! {
            {
                let #local: #ty = #sentinel;
                #place = #local;
            }
        })
    });
    quote!(#(#writes)*)
}

/// The function with its body wrapped: policy, body, failure handling, return.
fn wrapper(method: &Method) -> TokenStream {
    let func = method.func;
    let attrs = &func.attrs;
    let vis = &func.vis;
    let mut sig = func.sig.clone();
    strip_out_attrs(&mut sig);
    let body = if method.is_async() {
        async_body(method)
    } else {
        sync_body(method)
    };
    quote! {
        #(#attrs)*
        #vis #sig {
            #body
        }
    }
}

/// A plain `fn`: the policy (a guard for `impersonate`), then the body in a closure so
/// `return` and `?` keep their meaning.
fn sync_body(method: &Method) -> TokenStream {
    let private = private(method);
    let body = &method.func.block;
    let ret = ret_type(method);
    let (result, error, guard) = (hidden("__result"), hidden("__error"), hidden("__guard"));
    let enter = match method.policy() {
        Policy::Require => {
            let refuse = refuse(method, &error);
            quote! {
                if let ::core::result::Result::Err(#error) = #private::require_session() {
                    #refuse
                }
            }
        }
        Policy::Impersonate => quote!(let #guard = #private::impersonate();),
        Policy::None => quote!(),
    };
    let on_failure = on_failure(method, &result);
    quote! {
        #enter
        #[allow(clippy::redundant_closure_call, clippy::let_unit_value)]
        let #result: #ret = (|| -> #ret #body)();
        #on_failure
        #result
    }
}

/// An `async fn`: the policy is resolved once, at the first poll (in the caller's context
/// when awaited directly), and the body, with its failure handling, then runs in that
/// session at every poll. No guard is held across an `.await`. `session = none` runs the
/// body as it is, in whatever context each poll has.
fn async_body(method: &Method) -> TokenStream {
    let private = private(method);
    let body = &method.func.block;
    let ret = ret_type(method);
    let (result, error, session) = (hidden("__result"), hidden("__error"), hidden("__session"));
    let on_failure = on_failure(method, &result);
    let run = quote! {
        #[allow(clippy::let_unit_value, clippy::redundant_async_block)]
        let #result: #ret = #private::body::<#ret, _>(async #body).await;
        #on_failure
        #result
    };
    let resolve = match method.policy() {
        Policy::Require => {
            let refuse = refuse(method, &error);
            quote! {
                let #session = match #private::require_current() {
                    ::core::result::Result::Ok(#session) => #session,
                    ::core::result::Result::Err(#error) => { #refuse }
                };
            }
        }
        Policy::Impersonate => quote!(let #session = #private::impersonated();),
        Policy::None => return run,
    };
    quote! {
        #resolve
        #private::in_session(#session, async { #run }).await
    }
}

/// `session = require` without a session: log, write the sentinels, and return the
/// policy failure built from `error` (the function's body does not run).
fn refuse(method: &Method, error: &Ident) -> TokenStream {
    let private = private(method);
    let name = &method.export_name;
    let ret = ret_type(method);
    let sentinels = write_sentinels(method, |_, ident| quote!(*#ident));
    let policy_failure = quote_spanned! {ret_span(method)=>
        <#ret as #private::PolicyFailure>::policy_failure(#error)
    };
    quote! {
        #private::log_failure(#name, &#error);
        #sentinels
        return #policy_failure;
    }
}

/// When `result` is a failure: log it and write the sentinels.
fn on_failure(method: &Method, result: &Ident) -> TokenStream {
    let private = private(method);
    let name = &method.export_name;
    let ret = ret_type(method);
    let error = hidden("__error");
    let sentinels = write_sentinels(method, |_, ident| quote!(*#ident));
    let failure = quote_spanned! {ret_span(method)=>
        <#ret as #private::ExportReturn>::failure(&#result)
    };
    quote! {
        if let ::core::option::Option::Some(#error) = #failure {
            #private::log_failure(#name, #error);
            #sentinels
        }
    }
}

/// Removes `#[out]` from the parameters: it is this macro's, not the compiler's.
fn strip_out_attrs(sig: &mut syn::Signature) {
    for input in &mut sig.inputs {
        if let FnArg::Typed(typed) = input {
            typed.attrs.retain(|attr| !attr.path().is_ident(attr::OUT));
        }
    }
}
