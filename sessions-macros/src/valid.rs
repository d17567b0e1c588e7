//! The refusals: everything a host could not call, each an error at the offending token
//! that says what to write instead.

use quote::ToTokens;
use syn::Type;

use crate::ast::{self, Kind, Method};
use crate::attr::Policy;
use crate::errors::Errors;

/// Records in `errors` every reason `method` cannot be exported.
pub(crate) fn check(method: &Method, errors: &mut Errors) {
    check_signature(method, errors);
    for receiver in &method.receivers {
        errors.push(syn::Error::new_spanned(
            receiver,
            "#[export_method] exports a free function, and this one takes `self`: to export the \
             methods of a type, put #[export_methods] on its `impl` block (and remove \
             #[export_method]); a host then calls them on an object exported with \
             `Engine::export_object`",
        ));
    }
    for param in &method.params {
        check_param(method, param, errors);
    }
    check_return(method, errors);
    check_rule(method, errors);
    if let (Some(blocking), true) = (method.attr.blocking, method.is_async()) {
        errors.push(syn::Error::new(
            blocking,
            "`blocking` runs a plain fn on the host's blocking pool, and this fn is `async`: an \
             `async fn` gives its worker back at each `.await`; remove `blocking`, or make it a \
             plain fn (and move its blocking work into it)",
        ));
    }
    if let Some(sentinel) = &method.attr.sentinel {
        if method.outs().next().is_none() {
            errors.push(syn::Error::new_spanned(
                sentinel,
                "`sentinel` is written into out parameters, and this method has none; \
                 add a `&mut T` parameter or remove `sentinel`",
            ));
        }
    }
}

/// `engine` only with `impersonate`; `role` only where a session is consulted.
fn check_rule(method: &Method, errors: &mut Errors) {
    if let Some(engine) = &method.attr.engine {
        if method.policy() != Policy::Impersonate {
            errors.push(syn::Error::new_spanned(
                engine,
                "`engine = \"…\"` names the engine whose root session `session = impersonate` runs in; \
                 add `session = impersonate`, or remove `engine` (a `require` method runs in the caller's session)",
            ));
        }
    }
    if let Some(role) = &method.attr.role {
        if method.policy() == Policy::None {
            errors.push(syn::Error::new_spanned(
                role,
                "`role` is checked against the user of the session the call runs in, and `session = none` \
                 consults no session; use `session = require` (the default) or `session = impersonate`",
            ));
        }
    }
}

fn check_signature(method: &Method, errors: &mut Errors) {
    let sig = &method.func.sig;
    if let Some(token) = &sig.constness {
        errors.push(syn::Error::new_spanned(
            token,
            "an exported method cannot be a `const fn`: it is called at run time through a table; remove `const`",
        ));
    }
    if let Some(token) = &sig.unsafety {
        errors.push(syn::Error::new_spanned(
            token,
            "an exported method cannot be `unsafe`: a host calling it by name cannot uphold a safety contract; \
             make the function safe and put `unsafe` blocks inside it",
        ));
    }
    if let Some(abi) = &sig.abi {
        errors.push(syn::Error::new_spanned(
            abi,
            "an exported method cannot have an `extern` ABI: hosts call it through the generated \
             trampoline; remove the ABI, and write a separate `extern` function if foreign code needs one",
        ));
    }
    let generics = &sig.generics;
    if !generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &generics.params,
            "an exported method cannot be generic: a host calls one concrete function by name; \
             use concrete types (write one exported method per type if you need several)",
        ));
    } else if let Some(where_clause) = &generics.where_clause {
        errors.push(syn::Error::new_spanned(
            where_clause,
            "an exported method cannot have a `where` clause; use concrete types",
        ));
    }
    if let Some(variadic) = &sig.variadic {
        errors.push(syn::Error::new_spanned(
            variadic,
            "an exported method cannot be variadic; take a `Vec<T>` parameter instead",
        ));
    }
}

fn check_param(method: &Method, param: &ast::Param, errors: &mut Errors) {
    if param.ident.is_none() {
        errors.push(syn::Error::new_spanned(
            param.pat,
            "an exported method's parameters must be plain names, which hosts see; \
             write `name: Type` and destructure inside the body",
        ));
    }
    let ty_text = param.ty.to_token_stream();
    match &param.kind {
        Kind::In | Kind::Out { .. } | Kind::Receiver => {}
        Kind::Injected { .. } => {
            if method.policy() == Policy::None {
                errors.push(syn::Error::new_spanned(
                    param.ty,
                    "`session = none` touches no session context, so there is no session to inject here; \
                     use `session = require` or `session = impersonate`, or remove this parameter",
                ));
            }
        }
        Kind::SessionMut => errors.push(syn::Error::new_spanned(
            &ty_text,
            "the session is injected, not written back; take it as `&Session` (or `Session`)",
        )),
        Kind::Borrowed => errors.push(syn::Error::new_spanned(
            &ty_text,
            "an in parameter is converted from a host value and owned by the call; take it by value \
             (e.g. `String` for `&str`), or as `&mut T` for an out parameter",
        )),
        Kind::ImplTrait => errors.push(syn::Error::new_spanned(
            &ty_text,
            "an exported method cannot take `impl Trait`: a host calls one concrete function; \
             use a concrete type that implements `FromValue`",
        )),
    }
    if let Some(out) = &param.out_attr {
        if !matches!(param.kind, Kind::Out { .. }) {
            errors.push(syn::Error::new_spanned(
                &out.tokens,
                "`#[out]` marks an out parameter, which must be a `&mut T`; \
                 change this parameter's type to `&mut T` or remove `#[out]`",
            ));
        }
    }
}

fn check_return(method: &Method, errors: &mut Errors) {
    let Some(ty) = method.ret.ty else { return };
    let refusal = match ast::strip(ty) {
        // Whether a path, tuple or array is a host value is for `Serialize` to say.
        Type::Path(_) | Type::Tuple(_) | Type::Array(_) => return,
        Type::ImplTrait(_) => "`impl Trait` cannot cross to a host",
        Type::Reference(_) => "a borrowed value cannot outlive the call",
        Type::Never(_) => "a method that never returns cannot report to a host",
        _ => "this type is not a host value",
    };
    errors.push(syn::Error::new_spanned(
        ty,
        format!(
            "unsupported return type for an exported method: {refusal}; return `()`, a type that \
             implements `serde::Serialize` (e.g. `i64`, `String`, `Vec<T>`, a struct that derives \
             it), or `Result<T, E>` with `E: Display`"
        ),
    ));
}
