//! Token helpers every generating stage shares: where the runtime is, hidden names, the
//! return type and where errors about it point, the policy, and how sentinels are written.
//! A leaf: it reads the model (`ast.rs`, `attr.rs`) and generates nothing on its own.

use proc_macro2::{Ident, Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::spanned::Spanned;
use syn::FnArg;

use crate::ast::Method;
use crate::attr::{self, Policy};

/// `#krate::__private`, the only path generated code names in the runtime crate.
pub(crate) fn private(method: &Method) -> TokenStream {
    match &method.attr.krate {
        Some(path) => quote!(#path::__private),
        None => quote!(::sessions_core::__private),
    }
}

/// A name of the generated code that the user's body cannot see or shadow.
pub(crate) fn hidden(name: &str) -> Ident {
    Ident::new(name, Span::mixed_site())
}

/// The trampoline's local for the parameter at `index`: its own name, not the parameter's,
/// since a parameter may share the function's name (`fn total(total: &mut i32)`).
pub(crate) fn local(index: usize) -> Ident {
    hidden(&format!("__param{index}"))
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

/// The method's `Rule { policy, engine, role }`, as the runtime names it.
pub(crate) fn rule(method: &Method) -> TokenStream {
    let private = private(method);
    let policy = match method.policy() {
        Policy::Require => quote!(#private::Policy::Require),
        Policy::Impersonate => quote!(#private::Policy::Impersonate),
        Policy::None => quote!(#private::Policy::None),
    };
    let text = |lit: &Option<syn::LitStr>| match lit {
        Some(lit) => quote!(#private::Option::Some(#lit)),
        None => quote!(#private::Option::None),
    };
    let (engine, role) = (text(&method.attr.engine), text(&method.attr.role));
    quote!(#private::Rule { policy: #policy, engine: #engine, role: #role })
}

/// `{ let __sentinel: T = EXPR; PLACE = __sentinel; }` for each out parameter that has a
/// sentinel, `PLACE` given by `place(position, name)`. The typed `let` makes a wrong-type
/// sentinel an error at the expression; every place that writes sentinels writes them this
/// same way, so the compiler reports such an error once.
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

/// The text of the failure of `result` (the return value; `error` is what
/// `ExportReturn::failure` gave for it) with its causes: the `source()` chain when it is a
/// `Result` whose error is an `Error`, else the error's alternate form (`anyhow`'s chain).
/// Chosen by method resolution on the concrete type, at compile time.
pub(crate) fn failure_text(method: &Method, result: &Ident, error: &Ident) -> TokenStream {
    let private = private(method);
    quote! {
        {
            #[allow(unused_imports)]
            use #private::{DisplayText as _, ErrorChain as _};
            (&#private::FailureText(&#result)).text_or(#error)
        }
    }
}

/// Removes `#[out]` from the parameters: it is this macro's, not the compiler's.
pub(crate) fn strip_out_attrs(sig: &mut syn::Signature) {
    for input in &mut sig.inputs {
        if let FnArg::Typed(typed) = input {
            typed.attrs.retain(|attr| !attr.path().is_ident(attr::OUT));
        }
    }
}
