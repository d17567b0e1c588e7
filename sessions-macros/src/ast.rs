//! A typed model of the annotated function: what each parameter is for, what it returns,
//! and the text `MethodInfo` shows. Building it refuses nothing; `valid.rs` does that.

use syn::{Expr, FnArg, Ident, ItemFn, Pat, ReturnType, Type};

use crate::attr::{self, Attr, OutAttr, Policy};
use crate::errors::Errors;

/// The function and its attribute, as the later stages see them.
pub(crate) struct Method<'a> {
    pub attr: &'a Attr,
    pub func: &'a ItemFn,
    /// The name hosts call.
    pub export_name: String,
    /// The `///` lines, joined with `\n` and trimmed.
    pub doc: String,
    pub params: Vec<Param<'a>>,
    /// Receivers (`self`, `&self`), kept only to be refused.
    pub receivers: Vec<&'a syn::Receiver>,
    pub ret: Return<'a>,
    /// For a fn of an `#[export_methods]` block: its type and own name.
    pub owner: Option<Owner>,
    /// For a `&self` method of a block: its signature as written (with `&self`), which the
    /// wrapper keeps; `func` then has `__self: &Type` in its place, for the body function.
    pub method_sig: Option<syn::Signature>,
}

/// The type of an `#[export_methods]` block, for one of its fns.
pub(crate) struct Owner {
    /// The type as written: `Oven`.
    pub name: String,
    /// The fn's own export name: `set_target` (or its `name = …`).
    pub member: String,
    /// The type.
    pub ty: Type,
}

/// One typed parameter.
pub(crate) struct Param<'a> {
    /// The binding, when the pattern is a plain identifier.
    pub ident: Option<&'a Ident>,
    pub pat: &'a Pat,
    /// The type as written.
    pub ty: &'a Type,
    pub kind: Kind<'a>,
    /// The parameter's own `#[out]` attribute, if any.
    pub out_attr: Option<OutAttr>,
}

/// What a parameter is for, read from its type.
pub(crate) enum Kind<'a> {
    /// Converted from a host value with `FromValue`.
    In,
    /// `&mut T`: written by the function, returned to the host.
    Out { inner: &'a Type },
    /// `&Session` (`by_ref`) or `Session`: the current session, passed by the host call.
    Injected { by_ref: bool },
    /// `&mut Session`: refused (a session is injected, never written back).
    SessionMut,
    /// `&T` for anything but `Session`: refused (a host value is owned).
    Borrowed,
    /// `impl Trait`: refused (one concrete function is called by name).
    ImplTrait,
    /// `__self: &Type`: the receiver of a `&self` method of a block, moved into the body
    /// function's parameters; the object a host calls the method on.
    Receiver,
}

/// The return type, if one is written.
pub(crate) struct Return<'a> {
    pub ty: Option<&'a Type>,
}

impl<'a> Method<'a> {
    /// Builds the model, recording malformed `#[out]` attributes in `errors`.
    pub(crate) fn from_syn(attr: &'a Attr, func: &'a ItemFn, errors: &mut Errors) -> Self {
        let mut params = Vec::new();
        let mut receivers = Vec::new();
        for input in &func.sig.inputs {
            match input {
                FnArg::Receiver(receiver) => receivers.push(receiver),
                FnArg::Typed(typed) => params.push(Param::from_syn(typed, errors)),
            }
        }
        let ret = Return {
            ty: match &func.sig.output {
                ReturnType::Default => None,
                ReturnType::Type(_, ty) => Some(&**ty),
            },
        };
        Method {
            attr,
            func,
            export_name: attr
                .name
                .as_ref()
                .map_or_else(|| func.sig.ident.to_string(), syn::LitStr::value),
            doc: doc_text(&func.attrs),
            params,
            receivers,
            ret,
            owner: None,
            method_sig: None,
        }
    }

    /// The model of a fn of an `#[export_methods]` block of type `owner`: `func` is the fn
    /// rewritten for the body function (`Self` spelled out; `&self` as `__self: &Type`),
    /// `method_sig` its signature as written when it takes `&self`.
    pub(crate) fn in_block(
        attr: &'a Attr,
        func: &'a ItemFn,
        owner: Owner,
        method_sig: Option<syn::Signature>,
        errors: &mut Errors,
    ) -> Self {
        let mut method = Method::from_syn(attr, func, errors);
        if method_sig.is_some() {
            if let Some(first) = method.params.first_mut() {
                first.kind = Kind::Receiver;
            }
        }
        method.export_name = format!("{}.{}", owner.name, owner.member);
        method.owner = Some(owner);
        method.method_sig = method_sig;
        method
    }

    /// Whether it is a `&self` method, called on an object.
    pub(crate) fn has_receiver(&self) -> bool {
        self.method_sig.is_some()
    }

    /// The policy in force.
    pub(crate) fn policy(&self) -> Policy {
        self.attr.policy()
    }

    /// Whether the function is an `async fn`.
    pub(crate) fn is_async(&self) -> bool {
        self.func.sig.asyncness.is_some()
    }

    /// The out parameters, each with its position among all parameters and the sentinel
    /// that applies to it (its own, else the method-wide one).
    pub(crate) fn outs(&self) -> impl Iterator<Item = (usize, &Ident, &Type, Option<&Expr>)> {
        self.params
            .iter()
            .enumerate()
            .filter_map(move |(index, param)| match (&param.kind, param.ident) {
                (Kind::Out { inner }, Some(ident)) => {
                    Some((index, ident, *inner, param.sentinel(self.attr)))
                }
                _ => None,
            })
    }
}

impl<'a> Param<'a> {
    fn from_syn(typed: &'a syn::PatType, errors: &mut Errors) -> Self {
        let mut out_attr: Option<OutAttr> = None;
        for attr in &typed.attrs {
            if attr.path().is_ident(attr::OUT) {
                let parsed = attr::parse_out(attr, errors);
                if out_attr.is_some() {
                    errors.push(syn::Error::new_spanned(
                        &parsed.tokens,
                        "`#[out]` is given twice on this parameter; keep one",
                    ));
                } else {
                    out_attr = Some(parsed);
                }
            }
        }
        let ident = match &*typed.pat {
            Pat::Ident(pat) if pat.by_ref.is_none() && pat.subpat.is_none() => Some(&pat.ident),
            _ => None,
        };
        Param {
            ident,
            pat: &typed.pat,
            ty: &typed.ty,
            kind: classify(&typed.ty),
            out_attr,
        }
    }

    /// The sentinel written into this out parameter on failure.
    pub(crate) fn sentinel<'b>(&'b self, attr: &'b Attr) -> Option<&'b Expr> {
        self.out_attr
            .as_ref()
            .and_then(|out| out.sentinel.as_ref())
            .or(attr.sentinel.as_ref())
    }
}

/// Reads the parameter kind from its type. This is the one place the macro looks at type
/// tokens to decide something: which parameters the host passes at all.
fn classify(ty: &Type) -> Kind<'_> {
    match strip(ty) {
        Type::Reference(reference) => {
            match (reference.mutability.is_some(), is_session(&reference.elem)) {
                (true, true) => Kind::SessionMut,
                (true, false) => Kind::Out {
                    inner: &reference.elem,
                },
                (false, true) => Kind::Injected { by_ref: true },
                (false, false) => Kind::Borrowed,
            }
        }
        Type::ImplTrait(_) => Kind::ImplTrait,
        other if is_session(other) => Kind::Injected { by_ref: false },
        _ => Kind::In,
    }
}

/// Removes invisible groups and parentheses around a type.
pub(crate) fn strip(mut ty: &Type) -> &Type {
    loop {
        match ty {
            Type::Group(group) => ty = &group.elem,
            Type::Paren(paren) => ty = &paren.elem,
            _ => return ty,
        }
    }
}

/// `Session`, `sessions_core::Session`, ...: a path whose last segment is `Session`.
fn is_session(ty: &Type) -> bool {
    match strip(ty) {
        Type::Path(path) if path.qself.is_none() => path
            .path
            .segments
            .last()
            .is_some_and(|last| last.ident == "Session" && last.arguments.is_none()),
        _ => false,
    }
}

/// The `///` lines of `attrs`, joined with `\n`, each without the one space rustdoc drops,
/// and the whole trimmed. `#[doc = ...]` with a non-literal value is skipped.
pub(crate) fn doc_text(attrs: &[syn::Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &attr.meta {
            if let Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(lit),
                ..
            }) = &nv.value
            {
                let text = lit.value();
                for line in text.split('\n') {
                    lines.push(line.strip_prefix(' ').unwrap_or(line).trim_end().to_owned());
                }
            }
        }
    }
    lines.join("\n").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(src: &str) -> &'static str {
        let ty: Type = syn::parse_str(src).expect("a type");
        match classify(&ty) {
            Kind::In => "in",
            Kind::Out { .. } => "out",
            Kind::Injected { by_ref: true } => "&session",
            Kind::Injected { by_ref: false } => "session",
            Kind::SessionMut => "&mut session",
            Kind::Borrowed => "borrowed",
            Kind::ImplTrait => "impl",
            Kind::Receiver => "receiver",
        }
    }

    #[test]
    fn parameters_are_classified_by_type() {
        assert_eq!(kind("i64"), "in");
        assert_eq!(kind("Vec<String>"), "in");
        assert_eq!(kind("&mut i32"), "out");
        assert_eq!(kind("&mut Vec<u8>"), "out");
        assert_eq!(kind("&Session"), "&session");
        assert_eq!(kind("&sessions_core::Session"), "&session");
        assert_eq!(kind("Session"), "session");
        assert_eq!(kind("::sessions_core::Session"), "session");
        assert_eq!(kind("&mut Session"), "&mut session");
        assert_eq!(kind("&str"), "borrowed");
        assert_eq!(kind("impl Into<String>"), "impl");
        assert_eq!(kind("SessionId"), "in");
    }

    #[test]
    fn doc_lines_are_joined_and_trimmed() {
        let func: ItemFn = syn::parse_quote! {
            /// Number of sessions.
            ///
            ///   Indented stays indented.
            #[doc = " Last line. "]
            fn f() {}
        };
        assert_eq!(
            doc_text(&func.attrs),
            "Number of sessions.\n\n  Indented stays indented.\nLast line."
        );
    }
}
