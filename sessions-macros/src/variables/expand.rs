//! The generated code: `HasVariables` for the struct (each field's erased view, with the
//! JSON Schema probed at its value type) and the type's registration, so that
//! `Engine::export_object` finds the fields by the object's type.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::ast::Object;

/// `impl HasVariables` and the registration, in `const _: () = { … };`.
pub(super) fn expand(object: &Object<'_>) -> TokenStream {
    let private = match &object.krate {
        Some(path) => quote!(#path::__private),
        None => quote!(::sessions_core::__private),
    };
    let ident = object.ident;
    let fields = object.fields.iter().map(|field| {
        let member = field.member;
        let name = &field.name;
        let ty = field.ty;
        // A field that is not a `Variable` fails `VariableType` here, at its own type (the
        // schema's probe accepts any type, so that it is said once).
        let erased = quote_spanned!(ty.span()=> #private::variable_field::<#ty>);
        quote! {
            (#name, #erased(&self.#member, #private::__field_schema!(#ty)))
        }
    });
    quote! {
        const _: () = {
            impl #private::HasVariables for #ident {
                fn variables(&self) -> #private::NamedVariables {
                    #private::Vec::from([#(#fields),*])
                }
            }
            #private::inventory::submit! {
                #private::VariableFields::of::<#ident>()
            }
        };
    }
}
