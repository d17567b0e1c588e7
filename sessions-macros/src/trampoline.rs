//! The host trampoline, one generator for plain and `async` functions: the arguments
//! checked and converted, the policy applied once by the runtime's `HostCall`, the nested
//! body function called directly (not the wrapper, which would apply the policy again), and
//! the outcome built with the out parameters. The runtime catches each panic once: in the
//! function (out parameters kept, sentinels written), or in a conversion around it.
//!
//! - plain: `fn __sessions_call(Args) -> Result<CallOutcome, CallError>`;
//! - `async`: `fn __sessions_call(Args) -> Result<CallFuture, CallError>`: the
//!   arguments are converted now, and the future resolves the policy at its first poll.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use crate::ast::{Kind, Method};
use crate::text::source_text;
use crate::tokens::{
    failure_text, hidden, local, private, ret_span, ret_type, rule, write_sentinels,
};
use crate::{body, log};

/// The name of the nested trampoline.
pub(crate) fn name() -> proc_macro2::Ident {
    hidden("__sessions_call")
}

/// `fn __sessions_call(...)`, for a plain or an `async` function.
pub(crate) fn trampoline(method: &Method) -> TokenStream {
    let private = private(method);
    let (export_name, rule, log) = (&method.export_name, rule(method), log::name());
    let (args, host, ran, session, error) = (
        hidden("__args"),
        hidden("__host"),
        hidden("__ran"),
        hidden("__session"),
        hidden("__error"),
    );
    let params = Params::of(method);
    let Params {
        in_names,
        locals,
        call_args,
        outs,
        injects,
    } = &params;
    // Too many arguments, or an unknown or repeated name: refused before anything else.
    let arity = if in_names.is_empty() {
        quote!(#private::ArgReader::new(#export_name, &[], #args)?;)
    } else {
        quote!(let mut #args = #private::ArgReader::new(#export_name, &[#(#in_names),*], #args)?;)
    };
    let run = body::name(method);
    let call = quote!(#run(#(#call_args),*));
    // Written like the body's `failure` call, so a return type that is not a host value is
    // reported once, at the type.
    let ret = ret_type(method);
    let value = hidden("__value");
    let kind = body::return_kind(method);
    let (failure, outcome_of) = (
        quote_spanned! {ret_span(method)=> <#ret as #private::ExportReturn<_>>::failure(&#value, #kind) },
        quote_spanned! {ret_span(method)=> <#ret as #private::ExportReturn<_>>::into_outcome(#value, #kind) },
    );
    let text = failure_text(method, &value, &error);
    // The failure's text with its causes is taken before the value is consumed.
    let into_outcome = quote! {
        |#value: #ret| {
            let #error = #failure.map(|#error| #text);
            #outcome_of.map(|(#value, #ran)| (#value, #error.or(#ran)))
        }
    };
    // The out parameters' final values, after their sentinels when the call failed: the
    // runtime asks again when an out parameter cannot be written.
    let sentinels = write_sentinels(method, |index, _| {
        let local = local(index);
        quote!(#local)
    });
    let failed = hidden("__failed");
    let take_outs = if sentinels.is_empty() {
        quote!(|_: bool| [#(#outs),*])
    } else {
        quote!(|#failed: bool| {
            if #failed { #sentinels }
            [#(#outs),*]
        })
    };
    let outcome = quote! {
        #private::outcome(#log, #ran.map(#into_outcome), #take_outs)
    };
    let trampoline = name();

    if method.is_async() {
        // A future that is not `Send` is reported at `async`, with the value held across
        // an `.await` that makes it so.
        let send_span = method
            .func
            .sig
            .asyncness
            .map_or_else(|| method.func.sig.ident.span(), |token| token.span);
        let future = quote_spanned! {send_span=>
            #private::exported_async_fn_must_be_send(#run(#(#call_args),*))
        };
        let resolve = if *injects {
            quote! {
                match #host.resolve_session() {
                    ::core::result::Result::Ok(#session) => {
                        #host.run(::core::option::Option::Some(#session.clone()), #future).await
                    }
                    ::core::result::Result::Err(#error) => ::core::result::Result::Err(#error),
                }
            }
        } else {
            quote! {
                match #host.resolve() {
                    ::core::result::Result::Ok(#session) => #host.run(#session, #future).await,
                    ::core::result::Result::Err(#error) => ::core::result::Result::Err(#error),
                }
            }
        };
        let (object_param, object, object_in_future) = object_for_async(method);
        quote! {
            fn #trampoline(
                #object_param
                #args: #private::Args,
            ) -> #private::Result<#private::CallFuture, #private::CallError> {
                #object
                #arity
                #private::HostCall::start(#log, #rule, |#host| {
                    #(#locals)*
                    ::core::result::Result::Ok(async move {
                        #object_in_future
                        let #ran = #resolve;
                        #outcome
                    })
                })
            }
        }
    } else {
        let enter = if *injects {
            quote!(#host.call_injected(|#session| #call))
        } else {
            quote!(#host.call(|| #call))
        };
        let (object_param, object) = object_for_sync(method);
        quote! {
            fn #trampoline(
                #object_param
                #args: #private::Args,
            ) -> #private::Result<#private::CallOutcome, #private::CallError> {
                #object
                #arity
                #private::HostCall::run(#log, #rule, |#host| {
                    #(#locals)*
                    let #ran = #enter;
                    ::core::result::Result::Ok(#outcome)
                })
            }
        }
    }
}

/// For a `&self` method: the trampoline's object parameter, and its downcast to the block's
/// type. The engine found the method by that type, so the downcast cannot fail; if it did,
/// the answer is `NeedsObject`, not a panic.
fn object_for_sync(method: &Method) -> (TokenStream, TokenStream) {
    let private = private(method);
    match &method.owner {
        Some(owner) if method.has_receiver() => {
            let (object, ty) = (hidden("__object"), &owner.ty);
            let refused = needs_object(method);
            (
                quote!(#object: &#private::ObjectRef,),
                quote! {
                    let #object: &#ty = match #object.downcast_ref::<#ty>() {
                        ::core::option::Option::Some(#object) => #object,
                        ::core::option::Option::None => return #refused,
                    };
                },
            )
        }
        _ => (quote!(), quote!()),
    }
}

/// [`object_for_sync`] for an `async` method: the trampoline takes the object's `Arc`,
/// which the future owns; inside the future, `__object` borrows it.
fn object_for_async(method: &Method) -> (TokenStream, TokenStream, TokenStream) {
    let private = private(method);
    match &method.owner {
        Some(owner) if method.has_receiver() => {
            let (object, held, ty) = (hidden("__object"), hidden("__object_held"), &owner.ty);
            let refused = needs_object(method);
            (
                quote!(#object: #private::ObjectRef,),
                quote! {
                    let #held: #private::Arc<#ty> = match #object.downcast::<#ty>() {
                        ::core::result::Result::Ok(#held) => #held,
                        ::core::result::Result::Err(_) => return #refused,
                    };
                },
                quote!(let #object: &#ty = &*#held;),
            )
        }
        _ => (quote!(), quote!(), quote!()),
    }
}

fn needs_object(method: &Method) -> TokenStream {
    let private = private(method);
    let export_name = &method.export_name;
    quote! {
        ::core::result::Result::Err(#private::CallError::NeedsObject {
            method: ::core::convert::From::from(#export_name),
        })
    }
}

/// What the trampoline does with each parameter.
struct Params {
    /// The names of the in parameters, in order: the arguments a host passes.
    in_names: Vec<String>,
    /// `let __paramN = ...;`: in parameters converted, out parameters at their initial value.
    locals: Vec<TokenStream>,
    /// The arguments of the call of the body function.
    call_args: Vec<TokenStream>,
    /// `(name, has a sentinel, value)` of each out parameter, after the call.
    outs: Vec<TokenStream>,
    /// Whether a parameter is the injected session (`__session`).
    injects: bool,
}

impl Params {
    fn of(method: &Method) -> Params {
        let private = private(method);
        let (args, session, object) = (hidden("__args"), hidden("__session"), hidden("__object"));
        let mut params = Params {
            in_names: Vec::new(),
            locals: Vec::new(),
            call_args: Vec::new(),
            outs: Vec::new(),
            injects: false,
        };
        for (index, param) in method.params.iter().enumerate() {
            let local = local(index);
            let pname = param.ident.map(ToString::to_string).unwrap_or_default();
            let ty = param.ty;
            match &param.kind {
                Kind::In => {
                    params.in_names.push(pname.clone());
                    let text = source_text(ty);
                    params.locals.push(quote_spanned! {ty.span()=>
                        let #local = #args.next(#pname, #text, <#ty as #private::InParam>::from_arg)?;
                    });
                    params.call_args.push(quote!(#local));
                }
                Kind::Out { inner } => {
                    params.locals.push(quote_spanned! {inner.span()=>
                        let mut #local = <#inner as #private::OutParam>::initial();
                    });
                    params.call_args.push(quote!(&mut #local));
                    let has_sentinel = param.sentinel(method.attr).is_some();
                    params.outs.push(quote_spanned! {inner.span()=>
                        (#pname, #has_sentinel, <#inner as #private::OutParam>::take_out(&mut #local))
                    });
                }
                Kind::Injected { by_ref } => {
                    params.injects = true;
                    params.call_args.push(if *by_ref {
                        quote!(&#session)
                    } else {
                        quote!(#session.clone())
                    });
                }
                // The object the method is called on, downcast by the trampoline.
                Kind::Receiver => params.call_args.push(quote!(#object)),
                Kind::SessionMut | Kind::Borrowed | Kind::ImplTrait => {}
            }
        }
        params
    }
}
