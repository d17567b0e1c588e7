//! The registration emitted beside the function, inside `const _: () = { ... };`: the host
//! trampoline (`Vec<Value>` in, `CallOutcome` out) and the `MethodInfo` submitted to
//! `inventory`. The trampoline of an `async fn` is in `register_async.rs`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{GenericArgument, PathArguments, Type};

use crate::ast::{self, Kind, Method};
use crate::attr::Policy;
use crate::expand::{hidden, private, ret_span, ret_type, write_sentinels};
use crate::register_async;
use crate::text::source_text;

/// The trampoline and the `inventory::submit!` of the method's `MethodInfo`.
pub(crate) fn registration(method: &Method) -> TokenStream {
    let private = private(method);
    let (trampoline, call) = if method.is_async() {
        let call = hidden("__sessions_call_async");
        (
            register_async::trampoline(method),
            quote!(#private::Trampoline::Async(#call)),
        )
    } else {
        let call = hidden("__sessions_call");
        (
            trampoline(method),
            quote!(#private::Trampoline::Sync(#call)),
        )
    };
    let name = &method.export_name;
    let rust_name = method.func.sig.ident.to_string();
    let doc = &method.doc;
    let policy = policy_tokens(method);
    let params = method.params.iter().map(|param| param_info(method, param));
    let returns = method.ret.ty.map_or_else(|| "()".to_owned(), source_text);
    let value_type = value_type(method);
    quote! {
        #trampoline
        #private::inventory::submit! {
            #private::method_info(#private::MethodSpec {
                name: #name,
                rust_name: #rust_name,
                module_path: #private::module_path!(),
                file: #private::file!(),
                line: #private::line!(),
                doc: #doc,
                policy: #policy,
                params: &[#(#params),*],
                returns: #returns,
                value_type: #value_type,
                call: #call,
            })
        }
    }
}

pub(crate) fn policy_tokens(method: &Method) -> TokenStream {
    let private = private(method);
    match method.policy() {
        Policy::Require => quote!(#private::Policy::Require),
        Policy::Impersonate => quote!(#private::Policy::Impersonate),
        Policy::None => quote!(#private::Policy::None),
    }
}

/// `ParamInfo` for one parameter: name, type text, direction, sentinel text.
fn param_info(method: &Method, param: &ast::Param) -> TokenStream {
    let private = private(method);
    let name = param.ident.map(ToString::to_string).unwrap_or_default();
    let (ty, direction) = match &param.kind {
        Kind::Out { inner } => (source_text(inner), quote!(Out)),
        Kind::Injected { .. } => (source_text(param.ty), quote!(Injected)),
        _ => (source_text(param.ty), quote!(In)),
    };
    let sentinel = match (&param.kind, param.sentinel(method.attr)) {
        (Kind::Out { .. }, Some(expr)) => {
            let text = source_text(expr);
            quote!(#private::Option::Some(#text))
        }
        _ => quote!(#private::Option::None),
    };
    quote!(#private::param(#name, #ty, #private::Direction::#direction, #sentinel))
}

/// The type of the value a host receives: `T` of `Result<T, E>` (or of a one-argument
/// `Result<T>` alias), otherwise the return type; `()` without one. Display text only:
/// what the call does with the type is decided by traits in the runtime crate.
fn value_type(method: &Method) -> String {
    let Some(ty) = method.ret.ty else {
        return "()".to_owned();
    };
    if let Type::Path(path) = ast::strip(ty) {
        if let Some(last) = path.path.segments.last() {
            if last.ident == "Result" {
                if let PathArguments::AngleBracketed(args) = &last.arguments {
                    if let Some(GenericArgument::Type(ok)) = args.args.first() {
                        return source_text(ok);
                    }
                }
            }
        }
    }
    source_text(ty)
}

/// The trampoline's local for the parameter at `index`.
fn local(index: usize) -> proc_macro2::Ident {
    hidden(&format!("__param{index}"))
}

/// What both trampolines do with the parameters: the arity check, one local per in and
/// out parameter, the call's arguments, and the outs collected afterwards.
pub(crate) struct HostArgs {
    /// `Args::new(...)?`: the count of in parameters, checked first.
    pub arity: TokenStream,
    /// `let __paramN = ...;`: in parameters converted, out parameters at their initial value.
    pub locals: Vec<TokenStream>,
    /// The arguments of the call of the function.
    pub call_args: Vec<TokenStream>,
    /// `(name, value)` of each out parameter, after the call.
    pub outs: Vec<TokenStream>,
    /// Whether a parameter is the injected session (`__session`).
    pub injects: bool,
    /// `if __ran.is_err() { sentinels }`: a call that did not run to the end.
    pub on_failure: TokenStream,
    /// `|__value: Ret| ExportReturn::into_outcome(__value)`.
    pub into_outcome: TokenStream,
}

pub(crate) fn host_args(method: &Method) -> HostArgs {
    let private = private(method);
    let name = &method.export_name;
    let (args, session, ran) = (hidden("__args"), hidden("__session"), hidden("__ran"));

    let in_count = method
        .params
        .iter()
        .filter(|p| matches!(p.kind, Kind::In))
        .count();
    let arity = if in_count == 0 {
        quote!(#private::Args::new(#name, 0, #args)?;)
    } else {
        quote!(let mut #args = #private::Args::new(#name, #in_count, #args)?;)
    };

    let mut locals = Vec::new();
    let mut call_args = Vec::new();
    let mut outs = Vec::new();
    let mut injects = false;
    for (index, param) in method.params.iter().enumerate() {
        // The trampoline's own names, not the parameters': a parameter may share the
        // function's name (`fn total(total: &mut i32)`), which a local would shadow.
        let local = local(index);
        let pname = param.ident.map(ToString::to_string).unwrap_or_default();
        let ty = param.ty;
        match &param.kind {
            Kind::In => {
                let text = source_text(ty);
                locals.push(quote_spanned! {ty.span()=>
                    let #local = #args.next(#pname, #text, <#ty as #private::InParam>::from_arg)?;
                });
                call_args.push(quote!(#local));
            }
            Kind::Out { inner } => {
                locals.push(quote_spanned! {inner.span()=>
                    let mut #local = <#inner as #private::OutParam>::initial();
                });
                call_args.push(quote!(&mut #local));
                outs.push(quote_spanned! {inner.span()=>
                    (#pname, <#inner as #private::OutParam>::into_out(#local))
                });
            }
            Kind::Injected { by_ref } => {
                injects = true;
                call_args.push(if *by_ref {
                    quote!(&#session)
                } else {
                    quote!(#session.clone())
                });
            }
            Kind::SessionMut | Kind::Borrowed | Kind::ImplTrait => {}
        }
    }

    let sentinels = write_sentinels(method, |index, _| {
        let local = local(index);
        quote!(#local)
    });
    let on_failure = if sentinels.is_empty() {
        quote!()
    } else {
        quote!(if #ran.is_err() { #sentinels })
    };
    let ret = ret_type(method);
    // Written like the wrapper's `failure` call, so a return type that is not a host value
    // is reported once, at the type.
    let value = hidden("__value");
    let into_outcome = quote_spanned! {ret_span(method)=>
        |#value: #ret| <#ret as #private::ExportReturn>::into_outcome(#value)
    };
    HostArgs {
        arity,
        locals,
        call_args,
        outs,
        injects,
        on_failure,
        into_outcome,
    }
}

/// `fn __sessions_call(Vec<Value>) -> Result<CallOutcome, CallError>`: checks the arguments,
/// applies the policy, runs the function with panics caught, and collects the outs.
fn trampoline(method: &Method) -> TokenStream {
    let private = private(method);
    let name = &method.export_name;
    let func = &method.func.sig.ident;
    let call = hidden("__sessions_call");
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

    let policy = policy_tokens(method);
    let enter = if injects {
        quote! {
            match #private::HostCall::enter_with_session(#name, #policy) {
                ::core::result::Result::Ok((#host, #session)) => #host.run(|| #func(#(#call_args),*)),
                ::core::result::Result::Err(#error) => ::core::result::Result::Err(#error),
            }
        }
    } else {
        quote! {
            match #private::HostCall::enter(#name, #policy) {
                ::core::result::Result::Ok(#host) => #host.run(|| #func(#(#call_args),*)),
                ::core::result::Result::Err(#error) => ::core::result::Result::Err(#error),
            }
        }
    };
    quote! {
        fn #call(
            #args: #private::Vec<#private::Value>,
        ) -> #private::Result<#private::CallOutcome, #private::CallError> {
            #arity
            #(#locals)*
            let #ran = #enter;
            #on_failure
            ::core::result::Result::Ok(#private::outcome(
                #ran.map(#into_outcome),
                #private::Vec::from([#(#outs),*]),
            ))
        }
    }
}
