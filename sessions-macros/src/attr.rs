//! The arguments of `#[export_method(...)]` and of a parameter's `#[out(...)]`.

use proc_macro2::{Span, TokenStream};
use quote::ToTokens;
use syn::meta::ParseNestedMeta;
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Expr, LitStr, Path, Token};

use crate::errors::Errors;

/// `name = "..."`: the name hosts call.
pub(crate) const NAME: &str = "name";
/// `session = require | impersonate | none`.
pub(crate) const SESSION: &str = "session";
/// `sentinel = EXPR`: written into out parameters on failure.
pub(crate) const SENTINEL: &str = "sentinel";
/// `crate = path`: where `sessions_core` is.
pub(crate) const CRATE: &str = "crate";
/// `engine = "..."`: the engine whose root `session = impersonate` runs in.
pub(crate) const ENGINE: &str = "engine";
/// `role = "..."`: the role the session's user must have.
pub(crate) const ROLE: &str = "role";
/// `audit = "args"`: the audit trail keeps the call's arguments.
pub(crate) const AUDIT: &str = "audit";
/// The one value of `audit`.
pub(crate) const AUDIT_ARGS: &str = "args";
/// `skip` (in `#[export(skip)]` only): the fn of an `#[export_methods]` block stays Rust-only.
pub(crate) const SKIP: &str = "skip";
/// `blocking`: a plain fn that blocks (I/O, a slow hash); hosts run it on a blocking pool.
pub(crate) const BLOCKING: &str = "blocking";

const KEYS: &str = "`name`, `session`, `sentinel`, `engine`, `role`, `blocking`, `audit`, `crate`";

/// The attribute on a parameter that marks it as an out parameter.
pub(crate) const OUT: &str = "out";

/// `session = require`.
pub(crate) const REQUIRE: &str = "require";
/// `session = impersonate`.
pub(crate) const IMPERSONATE: &str = "impersonate";
/// `session = none`.
pub(crate) const NONE: &str = "none";

/// What a method does about the session context; mirrors `sessions_core::Policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Policy {
    Require,
    Impersonate,
    None,
}

/// The parsed `#[export_method(...)]` arguments. Each keeps the span of its key or value so
/// later stages can point at it.
#[derive(Default)]
pub(crate) struct Attr {
    pub name: Option<LitStr>,
    pub session: Option<(Policy, Span)>,
    pub sentinel: Option<Expr>,
    pub engine: Option<LitStr>,
    pub role: Option<LitStr>,
    pub krate: Option<Path>,
    /// `audit = "args"`, with the value's span.
    pub audit_args: Option<Span>,
    /// `skip`, with its span.
    pub skip: Option<Span>,
    /// `blocking`, with its span.
    pub blocking: Option<Span>,
}

impl Attr {
    /// This fn's attribute (`#[export(...)]` in a block) over the block's: each key the fn
    /// does not give is the block's.
    pub(crate) fn over(self, block: &Attr) -> Attr {
        Attr {
            name: self.name,
            session: self.session.or(block.session),
            sentinel: self.sentinel,
            engine: self.engine.or_else(|| block.engine.clone()),
            role: self.role.or_else(|| block.role.clone()),
            krate: self.krate.or_else(|| block.krate.clone()),
            audit_args: self.audit_args.or(block.audit_args),
            skip: self.skip,
            blocking: self.blocking,
        }
    }

    /// Whether a call can be refused at the boundary, before the body runs: without a
    /// session (`require`), with no engine of the name (`engine`), for the user's roles
    /// (`role`). The return type must then be able to report it.
    pub(crate) fn can_refuse(&self) -> bool {
        self.policy() == Policy::Require || self.engine.is_some() || self.role.is_some()
    }

    /// The policy in force: `require` unless the attribute says otherwise.
    pub(crate) fn policy(&self) -> Policy {
        self.session.map_or(Policy::Require, |(policy, _)| policy)
    }
}

/// Parses `args`, recording every problem in `errors` rather than stopping at the first.
pub(crate) fn parse(args: TokenStream, errors: &mut Errors) -> Attr {
    let mut attr = Attr::default();
    let parser = syn::meta::parser(|meta| {
        parse_key(&mut attr, &meta, errors)?;
        Ok(())
    });
    if let Err(err) = parser.parse2(args) {
        errors.push(err);
    }
    attr
}

fn parse_key(attr: &mut Attr, meta: &ParseNestedMeta, errors: &mut Errors) -> syn::Result<()> {
    if meta.path.is_ident(NAME) {
        let lit: LitStr = meta.value()?.parse()?;
        let value = lit.value();
        if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            errors.push(syn::Error::new(
                lit.span(),
                "the exported name must be non-empty and contain no whitespace, e.g. `name = \"GetCount\"`",
            ));
        }
        set(&mut attr.name, lit, meta, errors);
    } else if meta.path.is_ident(SESSION) {
        let value = meta.value()?;
        let policy = match value.parse::<syn::Ident>() {
            Ok(ident) if ident == REQUIRE => Some((Policy::Require, ident.span())),
            Ok(ident) if ident == IMPERSONATE => Some((Policy::Impersonate, ident.span())),
            Ok(ident) if ident == NONE => Some((Policy::None, ident.span())),
            Ok(ident) => {
                errors.push(bad_session(ident.span(), &format!("`{ident}`")));
                None
            }
            Err(_) => {
                // Consume whatever was written so the following keys are still checked.
                let expr: Expr = value.parse()?;
                errors.push(bad_session(expr.span(), "this"));
                None
            }
        };
        if let Some(policy) = policy {
            set(&mut attr.session, policy, meta, errors);
        }
    } else if meta.path.is_ident(SENTINEL) {
        let expr: Expr = meta.value()?.parse()?;
        set(&mut attr.sentinel, expr, meta, errors);
    } else if meta.path.is_ident(SKIP) && meta.input.is_empty()
        || meta.path.is_ident(SKIP) && meta.input.peek(Token![,])
    {
        set(&mut attr.skip, meta.path.span(), meta, errors);
    } else if meta.path.is_ident(BLOCKING) && meta.input.is_empty()
        || meta.path.is_ident(BLOCKING) && meta.input.peek(Token![,])
    {
        set(&mut attr.blocking, meta.path.span(), meta, errors);
    } else if meta.path.is_ident(ENGINE) || meta.path.is_ident(ROLE) {
        let is_engine = meta.path.is_ident(ENGINE);
        let key = if is_engine { ENGINE } else { ROLE };
        let example = if is_engine { "Plant" } else { "admin" };
        let value = meta.value()?;
        let Ok(lit) = value.parse::<LitStr>() else {
            let expr: Expr = value.parse()?;
            errors.push(syn::Error::new(
                expr.span(),
                format!("`{key}` takes a string literal, e.g. `{key} = \"{example}\"`"),
            ));
            return Ok(());
        };
        if lit.value().trim().is_empty() {
            errors.push(syn::Error::new(
                lit.span(),
                format!("`{key}` must name one, e.g. `{key} = \"{example}\"`"),
            ));
        }
        let slot = if is_engine {
            &mut attr.engine
        } else {
            &mut attr.role
        };
        set(slot, lit, meta, errors);
    } else if meta.path.is_ident(AUDIT) {
        let value = meta.value()?;
        let expected = format!(
            "`audit` takes one value, \"{AUDIT_ARGS}\": `audit = \"{AUDIT_ARGS}\"` keeps the call's arguments in the audit trail (leave `audit` out to keep them out)"
        );
        match value.parse::<LitStr>() {
            Ok(lit) if lit.value() == AUDIT_ARGS => {
                set(&mut attr.audit_args, lit.span(), meta, errors)
            }
            Ok(lit) => errors.push(syn::Error::new(lit.span(), expected)),
            Err(_) => {
                let expr: Expr = value.parse()?;
                errors.push(syn::Error::new(expr.span(), expected));
            }
        }
    } else if meta.path.is_ident(CRATE) {
        let value = meta.value()?;
        let path = if value.peek(LitStr) {
            value.parse::<LitStr>()?.parse::<Path>()?
        } else {
            value.call(Path::parse_mod_style)?
        };
        set(&mut attr.krate, path, meta, errors);
    } else {
        let key = meta.path.to_token_stream().to_string().replace(' ', "");
        errors.push(meta.error(format!(
            "unknown export_method attribute `{key}`; expected one of {KEYS}"
        )));
        skip_value(meta)?;
    }
    Ok(())
}

fn bad_session(span: Span, found: &str) -> syn::Error {
    syn::Error::new(
        span,
        format!(
            "expected `session = require`, `session = impersonate` or `session = none`, found {found}"
        ),
    )
}

/// Stores `value` unless the key was already given; a repeat is an error at the second key.
fn set<T>(slot: &mut Option<T>, value: T, meta: &ParseNestedMeta, errors: &mut Errors) {
    if slot.is_some() {
        let key = meta
            .path
            .get_ident()
            .map(ToString::to_string)
            .unwrap_or_default();
        errors.push(meta.error(format!("`{key}` is given twice; keep one `{key} = ...`")));
    } else {
        *slot = Some(value);
    }
}

/// Consumes `= value` or `(...)` after an unknown key so parsing can go on.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        let _: Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| skip_value(&inner))?;
    }
    Ok(())
}

/// The arguments of one `#[out]` / `#[out(sentinel = EXPR)]` parameter attribute.
pub(crate) struct OutAttr {
    /// The attribute's tokens, for errors that point at it.
    pub tokens: TokenStream,
    pub sentinel: Option<Expr>,
}

/// Parses a parameter's `#[out]` attribute.
pub(crate) fn parse_out(attr: &syn::Attribute, errors: &mut Errors) -> OutAttr {
    let mut out = OutAttr {
        tokens: attr.to_token_stream(),
        sentinel: None,
    };
    if let syn::Meta::Path(_) = attr.meta {
        return out;
    }
    let result = attr.parse_nested_meta(|meta| {
        if meta.path.is_ident(SENTINEL) {
            let expr: Expr = meta.value()?.parse()?;
            set(&mut out.sentinel, expr, &meta, errors);
        } else {
            let key = meta.path.to_token_stream().to_string().replace(' ', "");
            errors.push(meta.error(format!(
                "unknown out attribute `{key}`; expected `#[out]` or `#[out(sentinel = EXPR)]`"
            )));
            skip_value(&meta)?;
        }
        Ok(())
    });
    if let Err(err) = result {
        errors.push(err);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse_ok(tokens: TokenStream) -> Attr {
        let mut errors = Errors::default();
        let attr = parse(tokens, &mut errors);
        if let Err(err) = errors.finish() {
            panic!("unexpected error: {err}");
        }
        attr
    }

    fn parse_err(tokens: TokenStream) -> Vec<String> {
        let mut errors = Errors::default();
        let _ = parse(tokens, &mut errors);
        match errors.finish() {
            Ok(()) => panic!("expected an error"),
            Err(err) => err.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn audit_takes_only_args() {
        assert!(parse_ok(quote!(audit = "args")).audit_args.is_some());
        assert!(parse_ok(quote!()).audit_args.is_none());
        for wrong in [quote!(audit = "everything"), quote!(audit = args)] {
            let errors = parse_err(wrong);
            assert_eq!(errors.len(), 1);
            assert!(
                errors[0].contains(r#"`audit` takes one value, "args""#),
                "{errors:?}"
            );
        }
    }

    #[test]
    fn empty_means_defaults() {
        let attr = parse_ok(quote!());
        assert!(attr.name.is_none() && attr.sentinel.is_none() && attr.krate.is_none());
        assert_eq!(attr.policy(), Policy::Require);
    }

    #[test]
    fn every_key() {
        let attr = parse_ok(quote!(
            name = "GetCount",
            session = impersonate,
            sentinel = -1,
            crate = reexport::core2
        ));
        assert_eq!(
            attr.name.as_ref().map(LitStr::value).as_deref(),
            Some("GetCount")
        );
        assert_eq!(attr.policy(), Policy::Impersonate);
        assert_eq!(crate::text::source_text(&attr.sentinel), "-1");
        assert_eq!(crate::text::source_text(&attr.krate), "reexport::core2");
        assert_eq!(parse_ok(quote!(session = none)).policy(), Policy::None);
        assert_eq!(
            parse_ok(quote!(session = require)).policy(),
            Policy::Require
        );
        let quoted = parse_ok(quote!(crate = "::my_core"));
        assert_eq!(crate::text::source_text(&quoted.krate), "::my_core");
    }

    #[test]
    fn engine_and_role_take_non_empty_strings() {
        let attr = parse_ok(quote!(
            session = impersonate,
            engine = "Plant",
            role = "admin"
        ));
        assert_eq!(attr.engine.map(|lit| lit.value()).as_deref(), Some("Plant"));
        assert_eq!(attr.role.map(|lit| lit.value()).as_deref(), Some("admin"));
        assert_eq!(
            parse_err(quote!(role = admin, engine = "")),
            [
                "`role` takes a string literal, e.g. `role = \"admin\"`",
                "`engine` must name one, e.g. `engine = \"Plant\"`",
            ]
        );
    }

    #[test]
    fn unknown_keys_are_all_reported() {
        let errors = parse_err(quote!(nmae = "x", session = none, sesion = none, flag));
        assert_eq!(
            errors,
            [
                "unknown export_method attribute `nmae`; expected one of `name`, `session`, `sentinel`, `engine`, `role`, `blocking`, `audit`, `crate`",
                "unknown export_method attribute `sesion`; expected one of `name`, `session`, `sentinel`, `engine`, `role`, `blocking`, `audit`, `crate`",
                "unknown export_method attribute `flag`; expected one of `name`, `session`, `sentinel`, `engine`, `role`, `blocking`, `audit`, `crate`",
            ]
        );
    }

    #[test]
    fn repeated_and_bad_values() {
        assert_eq!(
            parse_err(quote!(sentinel = 1, sentinel = 2)),
            ["`sentinel` is given twice; keep one `sentinel = ...`"]
        );
        assert_eq!(
            parse_err(quote!(session = maybe)),
            ["expected `session = require`, `session = impersonate` or `session = none`, found `maybe`"]
        );
        assert_eq!(
            parse_err(quote!(session = "none")),
            ["expected `session = require`, `session = impersonate` or `session = none`, found this"]
        );
        assert_eq!(
            parse_err(quote!(name = "")),
            ["the exported name must be non-empty and contain no whitespace, e.g. `name = \"GetCount\"`"]
        );
    }
}
