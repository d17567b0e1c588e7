//! `#[derive(Variables)]`: an object's `Variable` fields exported with it. The pipeline
//! in three stages, one file each: `attr.rs` reads the `#[variable(…)]` attributes,
//! `ast.rs` models the struct and refuses what cannot be exported, `expand.rs` generates
//! the `HasVariables` impl and the type's registration.

mod ast;
mod attr;
mod expand;

use proc_macro2::TokenStream;

use crate::errors::Errors;

/// The derive's output for `input`, or every error found in it.
pub(crate) fn derive(input: TokenStream) -> syn::Result<TokenStream> {
    let input: syn::DeriveInput = syn::parse2(input)?;
    let mut errors = Errors::default();
    let model = ast::Object::from_syn(&input, &mut errors);
    errors.finish()?;
    Ok(expand::expand(&model))
}
