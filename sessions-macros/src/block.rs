//! `#[export_methods]` on an `impl` block: every fn of the block exported as
//! `#[export_method]` exports a free function, with the same keys per fn
//! (`#[export(...)]`, and `skip`) over the block's.
//!
//! Each fn goes through the free functions' pipeline, rewritten so that its body can be a
//! nested function: `Self` is spelled out as the block's type (the block is not generic),
//! and a `&self` receiver becomes a `__self: &Type` parameter of the body function, which
//! the wrapper (keeping `&self`) and the trampoline (given the object by the engine) pass.

use proc_macro2::{Group, Ident, Span, TokenStream, TokenTree};
use quote::{quote, ToTokens};
use syn::spanned::Spanned;
use syn::{FnArg, ImplItem, ItemFn, ItemImpl, Type};

use crate::ast::{Method, Owner};
use crate::attr::{self, Attr};
use crate::errors::Errors;
use crate::expand::{find_core, wrapped};
use crate::text::source_text;
use crate::valid;

/// The attribute on a fn of the block.
const EXPORT: &str = "export";

/// The whole macro: the block with each exported fn wrapped, or every error found.
pub(crate) fn export_methods(args: TokenStream, item: TokenStream) -> syn::Result<TokenStream> {
    let mut errors = Errors::default();
    let mut block_attr = attr::parse(args, &mut errors);
    check_block_keys(&block_attr, &mut errors);
    find_core(&mut block_attr, &mut errors);
    let mut block: ItemImpl = match syn::parse2(item) {
        Ok(block) => block,
        Err(err) => {
            errors.push(syn::Error::new(
                err.span(),
                "#[export_methods] goes on an `impl` block, e.g. `impl Oven { pub fn target(&self) -> f64 { … } }`",
            ));
            return errors.finish().map(|()| TokenStream::new());
        }
    };
    if let Some((_, path, _)) = &block.trait_ {
        errors.push(syn::Error::new_spanned(
            path,
            "#[export_methods] goes on an inherent block (`impl Oven { … }`), not on a trait impl: \
             write the methods hosts call in an inherent block, which may call the trait's",
        ));
    }
    if !block.generics.params.is_empty() {
        errors.push(syn::Error::new_spanned(
            &block.generics,
            "an exported type is one concrete type, and a host cannot choose type parameters: \
             put #[export_methods] on a block for each concrete type (`impl Oven<Gas> { … }`)",
        ));
    }
    if !errors.is_empty() {
        return errors.finish().map(|()| TokenStream::new());
    }
    let ty = (*block.self_ty).clone();
    for item in &mut block.items {
        if let ImplItem::Fn(func) = item {
            if let Some(wrapped) = export_fn(func, &ty, &block_attr, &mut errors) {
                *item = ImplItem::Verbatim(wrapped);
            }
        }
    }
    errors.finish()?;
    Ok(block.into_token_stream())
}

/// The block unchanged but for the attributes only this macro reads (`#[export]`,
/// `#[export_method]` on its fns, `#[out]` on their parameters), emitted beside compile
/// errors so that the rest of the crate still type-checks and each error is said once.
pub(crate) fn fallback(item: TokenStream, errors: &syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    let Ok(mut block) = syn::parse2::<ItemImpl>(item.clone()) else {
        return quote!(#item #errors);
    };
    for item in &mut block.items {
        if let ImplItem::Fn(func) = item {
            func.attrs.retain(|attr| {
                !attr.path().is_ident(EXPORT) && !attr.path().is_ident("export_method")
            });
            crate::tokens::strip_out_attrs(&mut func.sig);
        }
    }
    quote!(#block #errors)
}

/// `name` and `sentinel` name one fn: on the block, they would apply to every fn.
fn check_block_keys(attr: &Attr, errors: &mut Errors) {
    if let Some(name) = &attr.name {
        errors.push(syn::Error::new_spanned(
            name,
            "`name` names one method: put it on the fn, `#[export(name = \"…\")]`",
        ));
    }
    if let Some(sentinel) = &attr.sentinel {
        errors.push(syn::Error::new_spanned(
            sentinel,
            "`sentinel` is written into one method's out parameters: put it on the fn, \
             `#[export(sentinel = …)]`",
        ));
    }
    if let Some(skip) = attr.skip {
        errors.push(syn::Error::new(
            skip,
            "`skip` keeps one fn Rust-only: put it on the fn, `#[export(skip)]`",
        ));
    }
    if let Some(blocking) = attr.blocking {
        errors.push(syn::Error::new(
            blocking,
            "`blocking` says one plain fn blocks: put it on the fn, `#[export(blocking)]`",
        ));
    }
}

/// The fn wrapped for export, or `None` when it is skipped or refused (errors recorded).
fn export_fn(
    func: &mut syn::ImplItemFn,
    ty: &Type,
    block_attr: &Attr,
    errors: &mut Errors,
) -> Option<TokenStream> {
    let fn_attr = take_export_attr(func, errors);
    if let Some(skip) = fn_attr.skip {
        if fn_attr.name.is_some()
            || fn_attr.session.is_some()
            || fn_attr.sentinel.is_some()
            || fn_attr.engine.is_some()
            || fn_attr.role.is_some()
            || fn_attr.audit_args.is_some()
        {
            errors.push(syn::Error::new(
                skip,
                "`skip` keeps this fn Rust-only, so its other keys would do nothing: \
                 remove them, or remove `skip`",
            ));
        }
        return None;
    }
    let attr = fn_attr.over(block_attr);
    let receiver = match func.sig.inputs.first() {
        Some(FnArg::Receiver(receiver)) => Some(receiver.clone()),
        _ => None,
    };
    if let Some(receiver) = &receiver {
        if receiver.reference.is_none()
            || receiver.mutability.is_some()
            || receiver.colon_token.is_some()
        {
            errors.push(syn::Error::new_spanned(
                receiver,
                "an exported object is shared by every host that calls it (the engine holds an \
                 `Arc`), so its methods take `&self`: keep state that changes in a `Mutex` or an \
                 atomic field",
            ));
            return None;
        }
    }
    let this = Ident::new("__self", Span::mixed_site());
    let mut body_fn = ItemFn {
        attrs: func.attrs.clone(),
        vis: func.vis.clone(),
        sig: func.sig.clone(),
        block: Box::new(func.block.clone()),
    };
    body_fn.sig = reparse(spell_out(body_fn.sig.to_token_stream(), ty, None), errors)?;
    *body_fn.block = reparse(
        spell_out(
            func.block.to_token_stream(),
            ty,
            receiver.as_ref().map(|_| &this),
        ),
        errors,
    )?;
    let method_sig = receiver.as_ref().map(|_| body_fn.sig.clone());
    if receiver.is_some() {
        // The body function takes the object as its first parameter.
        let first: FnArg = syn::parse_quote!(#this: &#ty);
        body_fn.sig.inputs[0] = first;
    }
    let member = attr
        .name
        .as_ref()
        .map_or_else(|| func.sig.ident.to_string(), syn::LitStr::value);
    let owner = Owner {
        name: source_text(ty),
        member,
        ty: ty.clone(),
    };
    let method = Method::in_block(&attr, &body_fn, owner, method_sig, errors);
    valid::check(&method, errors);
    Some(wrapped(&method))
}

/// Removes the fn's `#[export(...)]` attribute and parses it (empty when there is none).
fn take_export_attr(func: &mut syn::ImplItemFn, errors: &mut Errors) -> Attr {
    let mut found = Attr::default();
    let mut seen = false;
    func.attrs.retain(|attr| {
        if attr.path().is_ident("export_method") {
            errors.push(syn::Error::new_spanned(
                attr,
                "inside #[export_methods], every fn is exported already: write its keys as \
                 `#[export(...)]`",
            ));
            return false;
        }
        if !attr.path().is_ident(EXPORT) {
            return true;
        }
        if seen {
            errors.push(syn::Error::new_spanned(
                attr,
                "`#[export(...)]` is given twice; keep one",
            ));
        }
        seen = true;
        let args = match &attr.meta {
            syn::Meta::List(list) => list.tokens.clone(),
            _ => TokenStream::new(),
        };
        found = attr::parse(args, errors);
        false
    });
    found
}

/// `tokens` with `Self` spelled out as `ty`, and, with `this`, the receiver `self` as
/// `this` (`self::path` stays: it is a module path).
fn spell_out(tokens: TokenStream, ty: &Type, this: Option<&Ident>) -> TokenStream {
    let mut out = Vec::new();
    let mut trees = tokens.into_iter().peekable();
    while let Some(tree) = trees.next() {
        let path_follows = matches!(trees.peek(), Some(TokenTree::Punct(p)) if p.as_char() == ':');
        match (tree, this) {
            // Before `::`, as a qualified path (`<Oven<Gas>>::new()` is valid where
            // `Oven<Gas>::new()` is not); elsewhere as the type itself.
            (TokenTree::Ident(ident), _) if ident == "Self" && path_follows => {
                out.extend(quote!(<#ty>));
            }
            (TokenTree::Ident(ident), _) if ident == "Self" => out.extend(ty.to_token_stream()),
            (TokenTree::Ident(ident), Some(this)) if ident == "self" && !path_follows => {
                let mut renamed = this.clone();
                renamed.set_span(ident.span().resolved_at(this.span()));
                out.push(TokenTree::Ident(renamed));
            }
            (TokenTree::Group(group), _) => {
                let mut inner = Group::new(group.delimiter(), spell_out(group.stream(), ty, this));
                inner.set_span(group.span());
                out.push(TokenTree::Group(inner));
            }
            (other, _) => out.push(other),
        }
    }
    out.into_iter().collect()
}

/// Parses rewritten tokens back. The rewriting keeps them valid; if it ever does not, the
/// error is reported at the tokens rather than the fn being dropped silently.
fn reparse<T: syn::parse::Parse>(tokens: TokenStream, errors: &mut Errors) -> Option<T> {
    match syn::parse2(tokens.clone()) {
        Ok(parsed) => Some(parsed),
        Err(err) => {
            errors.push(syn::Error::new(
                tokens.span(),
                format!(
                    "#[export_methods] could not rewrite this fn with `Self` spelled out: {err}"
                ),
            ));
            None
        }
    }
}
