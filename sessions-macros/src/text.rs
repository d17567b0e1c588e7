//! Source text of types and expressions as a person writes them (`Vec<String>`, not
//! `Vec < String >`), for `MethodInfo` and its `Display`.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::ToTokens;

/// The tokens of `node` printed with conventional Rust spacing.
pub(crate) fn source_text(node: &impl ToTokens) -> String {
    let mut out = Printer::default();
    out.stream(node.to_token_stream());
    out.text
}

/// What the last printed token was, which decides whether the next one needs a space.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Last {
    /// Start of a group or of the text: no space.
    Open,
    /// An identifier, literal or lifetime: a following word needs a space (`mut T`).
    Word,
    /// An operator after which nothing needs a space (`&`, `::`, `<`, `.`, `'`).
    Tight,
    /// An operator followed by a space (`,`, `;`, `->`, `=`, `+`, `:`).
    Spaced,
    /// A closing bracket or `>`.
    Close,
}

#[derive(Default)]
struct Printer {
    text: String,
    /// Characters of a multi-character operator still being joined (`-` of `->`).
    op: String,
    last: Option<Last>,
}

impl Printer {
    fn stream(&mut self, tokens: TokenStream) {
        for tree in tokens {
            self.tree(tree);
        }
        self.flush_op();
    }

    fn tree(&mut self, tree: TokenTree) {
        match tree {
            TokenTree::Punct(punct) => {
                self.op.push(punct.as_char());
                // A lifetime's quote is joint with the identifier that follows it.
                if punct.spacing() == Spacing::Alone || punct.as_char() == '\'' {
                    self.flush_op();
                }
            }
            TokenTree::Ident(ident) => self.word(&ident.to_string()),
            TokenTree::Literal(lit) => self.word(&lit.to_string()),
            TokenTree::Group(group) => {
                self.flush_op();
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => ("(", ")"),
                    Delimiter::Bracket => ("[", "]"),
                    Delimiter::Brace => ("{ ", " }"),
                    Delimiter::None => ("", ""),
                };
                if matches!(self.last, Some(Last::Word | Last::Close))
                    && group.delimiter() == Delimiter::Brace
                {
                    self.text.push(' ');
                }
                if matches!(self.last, Some(Last::Spaced)) {
                    self.text.push(' ');
                }
                self.text.push_str(open);
                self.last = Some(Last::Open);
                self.stream(group.stream());
                self.text.push_str(close);
                self.last = Some(Last::Close);
            }
        }
    }

    fn word(&mut self, word: &str) {
        self.flush_op();
        if matches!(self.last, Some(Last::Word | Last::Spaced)) {
            self.text.push(' ');
        }
        self.text.push_str(word);
        self.last = Some(Last::Word);
    }

    fn flush_op(&mut self) {
        if self.op.is_empty() {
            return;
        }
        let op = std::mem::take(&mut self.op);
        match op.as_str() {
            "," | ";" | ":" => {
                self.text.push_str(&op);
                self.last = Some(Last::Spaced);
            }
            "->" | "=" | "=>" | "+" | "*" | "/" | "==" | "!=" | "<=" | ">=" | "&&" | "||" => {
                if self.last.is_some() && self.last != Some(Last::Open) {
                    self.text.push(' ');
                }
                self.text.push_str(&op);
                self.last = Some(Last::Spaced);
            }
            ">" | ">>" => {
                self.text.push_str(&op);
                self.last = Some(Last::Close);
            }
            "'" => {
                if matches!(self.last, Some(Last::Word | Last::Spaced)) {
                    self.text.push(' ');
                }
                self.text.push_str(&op);
                // The identifier of the lifetime follows without a space.
                self.last = Some(Last::Tight);
            }
            _ => {
                if matches!(self.last, Some(Last::Spaced)) {
                    self.text.push(' ');
                }
                self.text.push_str(&op);
                self.last = Some(Last::Tight);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::source_text;

    fn ty(src: &str) -> String {
        let ty: syn::Type = syn::parse_str(src).expect("a type");
        source_text(&ty)
    }

    fn expr(src: &str) -> String {
        let expr: syn::Expr = syn::parse_str(src).expect("an expression");
        source_text(&expr)
    }

    #[test]
    fn paths_and_generics_have_no_inner_spaces() {
        assert_eq!(ty("Vec < String >"), "Vec<String>");
        assert_eq!(
            ty("std :: collections :: HashMap<String, Vec<u8>>"),
            "std::collections::HashMap<String, Vec<u8>>"
        );
        assert_eq!(ty("Option<Vec<Vec<u8>>>"), "Option<Vec<Vec<u8>>>");
        assert_eq!(ty("::sessions_core::Session"), "::sessions_core::Session");
        assert_eq!(ty("Result<(), SessionError>"), "Result<(), SessionError>");
    }

    #[test]
    fn references_lifetimes_and_keywords() {
        assert_eq!(ty("& mut i32"), "&mut i32");
        assert_eq!(ty("&Session"), "&Session");
        assert_eq!(ty("&'static str"), "&'static str");
        assert_eq!(ty("&'a mut Vec<u8>"), "&'a mut Vec<u8>");
        assert_eq!(
            ty("Box<dyn std::error::Error + Send + Sync>"),
            "Box<dyn std::error::Error + Send + Sync>"
        );
        assert_eq!(ty("Cow<'static, str>"), "Cow<'static, str>");
    }

    #[test]
    fn tuples_arrays_fns_and_projections() {
        assert_eq!(ty("(i32 , String)"), "(i32, String)");
        assert_eq!(ty("[u8 ; 4]"), "[u8; 4]");
        assert_eq!(ty("fn(i32) -> i32"), "fn(i32) -> i32");
        assert_eq!(ty("<T as Iterator>::Item"), "<T as Iterator>::Item");
        assert_eq!(
            ty("Box<dyn Iterator<Item = u8>>"),
            "Box<dyn Iterator<Item = u8>>"
        );
        assert_eq!(ty("()"), "()");
    }

    #[test]
    fn expressions_read_as_written() {
        assert_eq!(expr("-1"), "-1");
        assert_eq!(expr("i32 :: MIN"), "i32::MIN");
        assert_eq!(expr("String :: new ()"), "String::new()");
        assert_eq!(expr("\"none\" . to_string()"), "\"none\".to_string()");
        assert_eq!(expr("vec ! [1, 2]"), "vec![1, 2]");
        assert_eq!(expr("a + b"), "a + b");
        assert_eq!(expr("-1.5"), "-1.5");
        assert_eq!(expr("Some(-1)"), "Some(-1)");
    }
}
