//! The struct as the derive sees it: its name, where the runtime is, and the fields it
//! exports, each under its name. Refuses, at the offending token, what cannot be exported:
//! an enum or union, a struct without named fields, a generic struct, a name a host cannot
//! use, two fields under one name, a struct with no variable at all.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Fields, Ident, Path, Type};

use super::attr;
use crate::errors::Errors;
use crate::krate;

/// The struct that derives `Variables`.
pub(super) struct Object<'a> {
    pub(super) ident: &'a Ident,
    /// `crate = path`, or the renamed dependency found in the manifest.
    pub(super) krate: Option<Path>,
    pub(super) fields: Vec<Field<'a>>,
}

/// One exported field.
pub(super) struct Field<'a> {
    pub(super) member: &'a Ident,
    pub(super) ty: &'a Type,
    /// The name under the object's path.
    pub(super) name: String,
}

impl<'a> Object<'a> {
    /// The model of `input`, with every problem recorded in `errors`.
    pub(super) fn from_syn(input: &'a DeriveInput, errors: &mut Errors) -> Object<'a> {
        let mut object = Object {
            ident: &input.ident,
            krate: attr::container(&input.attrs, errors),
            fields: Vec::new(),
        };
        find_core(&mut object.krate, errors);
        if !input.generics.params.is_empty() {
            errors.push(syn::Error::new(
                input.generics.span(),
                "`#[derive(Variables)]` cannot be used on a generic struct: an exported object's \
                 variables are found by its concrete type; remove the parameters (a struct per \
                 type, or a `Variable<T>` field of a concrete `T`)",
            ));
        }
        let named = match &input.data {
            Data::Struct(data) => match &data.fields {
                Fields::Named(named) => named,
                Fields::Unnamed(_) | Fields::Unit => {
                    errors.push(syn::Error::new(
                        input.ident.span(),
                        "`#[derive(Variables)]` needs a struct with named fields: each variable is \
                         exported as `<object path>/<field name>`; give the fields names",
                    ));
                    return object;
                }
            },
            Data::Enum(data) => {
                errors.push(syn::Error::new(
                    data.enum_token.span(),
                    "`#[derive(Variables)]` works on a struct, not an enum: an object's variables \
                     must be there whatever its state; put the `Variable` fields in a struct",
                ));
                return object;
            }
            Data::Union(data) => {
                errors.push(syn::Error::new(
                    data.union_token.span(),
                    "`#[derive(Variables)]` works on a struct, not a union; put the `Variable` \
                     fields in a struct",
                ));
                return object;
            }
        };
        for field in &named.named {
            let Some(member) = &field.ident else { continue };
            let attr = attr::field(&field.attrs, errors);
            if attr.skip.is_some() {
                if let Some(name) = &attr.name {
                    errors.push(syn::Error::new(
                        name.span(),
                        "a skipped field is not exported, so it has no name: remove `name` or `skip`",
                    ));
                }
                continue;
            }
            if attr.marked.is_none() && !looks_like_variable(&field.ty) {
                continue;
            }
            let name = match &attr.name {
                Some(name) => {
                    let text = name.value();
                    if let Some(why) = bad_name(&text) {
                        errors.push(syn::Error::new(
                            name.span(),
                            format!("`{text}` cannot name a variable: {why}"),
                        ));
                    }
                    text
                }
                None => unraw(member),
            };
            if object.fields.iter().any(|other| other.name == name) {
                let span = attr.name.as_ref().map_or(member.span(), |name| name.span());
                errors.push(syn::Error::new(
                    span,
                    format!("two fields are exported as `{name}`: give one another `#[variable(name = \"…\")]`"),
                ));
            }
            object.fields.push(Field {
                member,
                ty: &field.ty,
                name,
            });
        }
        if object.fields.is_empty() && errors.is_empty() {
            errors.push(syn::Error::new(
                input.ident.span(),
                "`#[derive(Variables)]` found no field of type `Variable<_>` to export: add one, or \
                 mark a field whose type is an alias of one with `#[variable]`",
            ));
        }
        object
    }
}

/// Whether `ty` is written `Variable<…>` (any path ending so): such a field is exported
/// without an attribute. An alias needs `#[variable]`; a field marked so that is not a
/// `Variable` is a type error at its type, from the runtime's trait.
fn looks_like_variable(ty: &Type) -> bool {
    let Type::Path(path) = ty else { return false };
    path.qself.is_none()
        && path.path.segments.last().is_some_and(|last| {
            last.ident == "Variable"
                && matches!(last.arguments, syn::PathArguments::AngleBracketed(_))
        })
}

/// Why `name` cannot be a segment of a path, if it cannot.
fn bad_name(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("it is empty")
    } else if name.contains('/') {
        Some("`/` separates the segments of a path: give one segment")
    } else if name.contains('.') {
        Some("`.` separates a method from its path")
    } else if name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        Some("it holds whitespace or a control character")
    } else {
        None
    }
}

/// A field's name without `r#`.
fn unraw(ident: &Ident) -> String {
    let text = ident.to_string();
    text.strip_prefix("r#").map_or(text.clone(), str::to_owned)
}

/// Where `sessions_core` is when `crate = …` is not given: a renamed dependency is read from
/// the manifest; a missing one is an error that says to add `crate = …`.
fn find_core(krate: &mut Option<Path>, errors: &mut Errors) {
    if krate.is_some() {
        return;
    }
    match krate::dependency() {
        krate::Dependency::Plain => {}
        krate::Dependency::Renamed(name) => *krate = syn::parse_str(&format!("::{name}")).ok(),
        krate::Dependency::Missing => errors.push(syn::Error::new(
            Span::call_site(),
            "this crate's Cargo.toml does not name `sessions-core` as a dependency, so \
             `::sessions_core` cannot be found: add `#[variable(crate = <path>)]` to the struct \
             with the name it has here",
        )),
    }
}
