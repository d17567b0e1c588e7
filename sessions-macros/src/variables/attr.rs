//! The `#[variable(…)]` attributes: on a field `#[variable]`, `#[variable(name = "Target")]`
//! or `#[variable(skip)]`; on the struct `#[variable(crate = path)]`. An unknown key is an
//! error at that key, a repeated key at the second one.

use proc_macro2::Span;
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned;
use syn::{Attribute, LitStr, Path};

use crate::errors::Errors;

/// The attribute's name.
pub(super) const VARIABLE: &str = "variable";
const NAME: &str = "name";
const SKIP: &str = "skip";
const CRATE: &str = "crate";

/// What a field's `#[variable…]` attributes say.
#[derive(Default)]
pub(super) struct FieldAttr {
    /// Whether it has one: the field is exported whatever its type looks like.
    pub(super) marked: Option<Span>,
    /// `name = "…"`: the name under the object's path.
    pub(super) name: Option<LitStr>,
    /// `skip`: not exported though it is a `Variable`.
    pub(super) skip: Option<Span>,
}

/// Reads a field's `#[variable…]` attributes.
pub(super) fn field(attrs: &[Attribute], errors: &mut Errors) -> FieldAttr {
    let mut out = FieldAttr::default();
    for attr in attrs.iter().filter(|a| a.path().is_ident(VARIABLE)) {
        out.marked.get_or_insert(attr.span());
        if let syn::Meta::Path(_) = attr.meta {
            continue;
        }
        let result =
            attr.parse_nested_meta(|meta| {
                if meta.path.is_ident(NAME) {
                    let name: LitStr = meta.value()?.parse()?;
                    once(&mut out.name, name, &meta, errors);
                } else if meta.path.is_ident(SKIP) {
                    once(&mut out.skip, meta.path.span(), &meta, errors);
                } else if meta.path.is_ident(CRATE) {
                    errors.push(meta.error(
                        "`crate = …` goes on the struct: `#[variable(crate = path)]` above it",
                    ));
                    skip_value(&meta)?;
                } else {
                    errors.push(unknown(
                        &meta,
                        "`#[variable]`, `#[variable(name = \"…\")]` or `#[variable(skip)]`",
                    ));
                    skip_value(&meta)?;
                }
                Ok(())
            });
        if let Err(error) = result {
            errors.push(error);
        }
    }
    out
}

/// Reads the struct's `#[variable(crate = path)]`.
pub(super) fn container(attrs: &[Attribute], errors: &mut Errors) -> Option<Path> {
    let mut krate = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident(VARIABLE)) {
        let result = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident(CRATE) {
                let path: Path = meta.value()?.parse()?;
                once(&mut krate, path, &meta, errors);
            } else {
                errors.push(unknown(
                    &meta,
                    "`#[variable(crate = path)]` on the struct; `name` and `skip` go on a field",
                ));
                skip_value(&meta)?;
            }
            Ok(())
        });
        if let Err(error) = result {
            errors.push(error);
        }
    }
    krate
}

/// Sets `slot` once; a second time is an error at the repeated key.
fn once<T>(slot: &mut Option<T>, value: T, meta: &ParseNestedMeta<'_>, errors: &mut Errors) {
    if slot.is_some() {
        let key = meta.path.to_token_stream().to_string();
        errors.push(meta.error(format!("`{key}` is given twice: keep one")));
    } else {
        *slot = Some(value);
    }
}

/// The error for an unknown key, saying what is expected.
fn unknown(meta: &ParseNestedMeta<'_>, expected: &str) -> syn::Error {
    let key = meta.path.to_token_stream().to_string().replace(' ', "");
    meta.error(format!(
        "unknown variable attribute `{key}`; expected {expected}"
    ))
}

/// Skips the value of an unknown key, so parsing goes on to the next key.
fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip_value(&inner))?;
    }
    Ok(())
}
