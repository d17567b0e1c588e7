//! The registration emitted beside the function, inside `const _: () = { ... };`: the host
//! trampoline (`Vec<Value>` in, `CallOutcome` out) and the `MethodInfo` submitted to
//! `inventory`. The trampoline of an `async fn` is in `register_async.rs`.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{GenericArgument, PathArguments, Type};

use crate::ast::{self, Kind, Method};
use crate::text::source_text;
use crate::tokens::{policy, private};
use crate::trampoline;

/// The `inventory::submit!` of the method's `MethodInfo`.
pub(crate) fn registration(method: &Method) -> TokenStream {
    let private = private(method);
    let trampoline = trampoline::name();
    let call = if method.is_async() {
        quote!(#private::Trampoline::Async(#trampoline))
    } else {
        quote!(#private::Trampoline::Sync(#trampoline))
    };
    let name = &method.export_name;
    let rust_name = method.func.sig.ident.to_string();
    let doc = &method.doc;
    let policy = policy(method);
    let params = method.params.iter().map(|param| param_info(method, param));
    let returns = method.ret.ty.map_or_else(|| "()".to_owned(), source_text);
    let value_type = value_type(method);
    quote! {
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
