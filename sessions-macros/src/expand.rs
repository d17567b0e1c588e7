//! The pipeline, and nothing else: parse the attribute, model the function, check it,
//! generate. Each stage is its own file; on any error the user's function is emitted
//! unchanged beside every error found ([`fallback`]).

use proc_macro2::TokenStream;
use quote::quote;
use syn::ItemFn;

use crate::ast::Method;
use crate::attr;
use crate::errors::Errors;
use crate::tokens::strip_out_attrs;
use crate::{body, krate, log, register, trampoline, valid, wrapper};

/// The whole macro: the wrapped function and its registration, or every error found.
pub(crate) fn export_method(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let mut attr = attr::parse(args, &mut errors);
    if let Some(skip) = attr.skip {
        errors.push(syn::Error::new(
            skip,
            "`skip` keeps a fn of an `#[export_methods]` block Rust-only (`#[export(skip)]`); \
             on a free function, remove `#[export_method]` instead",
        ));
    }
    find_core(&mut attr, &mut errors);
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

/// Where `sessions_core` is, when the attribute does not say (`crate = …`): a renamed
/// dependency (`sessions = { package = "sessions-core" }`) is found in the manifest, so
/// that `crate = …` is needed only where that fails, and then said.
pub(crate) fn find_core(attr: &mut attr::Attr, errors: &mut Errors) {
    if attr.krate.is_none() {
        // A renamed dependency (`sessions = { package = "sessions-core" }`) is found in the
        // manifest, so that `crate = …` is needed only where that fails, and then said.
        match krate::dependency() {
            krate::Dependency::Plain => {}
            krate::Dependency::Renamed(name) => {
                attr.krate = syn::parse_str(&format!("::{name}")).ok();
            }
            krate::Dependency::Missing => errors.push(syn::Error::new(
                proc_macro2::Span::call_site(),
                "this crate's Cargo.toml does not name `sessions-core` as a dependency, so \
                 `::sessions_core` cannot be found: add `crate = <path>` to the attribute with the \
                 name it has here, e.g. `#[export_method(crate = ::sessions)]` for a dependency \
                 renamed in the workspace's manifest, or the path of a crate that re-exports it",
            )),
        }
    }
}

/// The wrapper with the log function, the body function, the trampoline and the
/// registration nested in it.
pub(crate) fn wrapped(method: &Method) -> TokenStream {
    let nested = [
        log::log_fn(method),
        body::run_fn(method),
        trampoline::trampoline(method),
        register::registration(method),
    ];
    wrapper::wrapper(method, quote!(#(#nested)*))
}

/// The wrapped function, and a use of it: a method only hosts call is not dead code.
fn expand(method: &Method) -> TokenStream {
    let wrapper = wrapped(method);
    let func = &method.func.sig.ident;
    let cfgs = method
        .func
        .attrs
        .iter()
        .filter(|attr| attr.path().is_ident("cfg"));
    quote! {
        #wrapper
        #(#cfgs)*
        #[allow(deprecated)]
        const _: () = {
            let _ = #func;
        };
    }
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
