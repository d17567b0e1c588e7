//! The text of a method's failure, with its causes: `reading config: No such file or
//! directory`. Generated code picks the way by the error's type, at compile time:
//!
//! - an error that implements `std::error::Error` (a `thiserror` type, `io::Error`, …): its
//!   message, then each `source()` after `": "`;
//! - any other `Display` type: its alternate form (`{:#}`), which is how `anyhow::Error`
//!   writes its whole `.context()` chain (and the plain message for types that ignore `#`).
//!
//! The choice is made by method resolution on `(&FailureText(&result)).text_or(error)`:
//! the `ErrorChain` impl applies to `FailureText<Result<T, E>>` itself and wins when
//! `E: Error`; the `DisplayText` impl applies to `&FailureText`, one autoref further.

use std::error::Error;
use std::fmt::{Display, Write as _};

/// At most this many causes are written, so a cyclic `source()` chain cannot loop forever.
const MAX_CAUSES: usize = 32;

/// A method's return value, whose failure is to be written with its causes
/// (`.text_or(error)`, where `error` is what `ExportReturn::failure` gave).
pub struct FailureText<'a, R>(pub &'a R);

/// The text of a `Result`'s error that is an `Error`: with its `source()` chain.
pub trait ErrorChain {
    /// `message: cause: cause of the cause`.
    fn text_or(&self, error: &dyn Display) -> String;
}

impl<T, E: Error> ErrorChain for FailureText<'_, Result<T, E>> {
    fn text_or(&self, error: &dyn Display) -> String {
        let Err(failure) = self.0 else {
            return error.to_string();
        };
        let mut text = failure.to_string();
        let mut source = failure.source();
        for _ in 0..MAX_CAUSES {
            let Some(cause) = source else { break };
            // Writing to a `String` cannot fail.
            let _ = write!(text, ": {cause}");
            source = cause.source();
        }
        text
    }
}

/// The text of any other failure: the error's alternate form.
pub trait DisplayText {
    /// `{:#}` of `error`.
    fn text_or(&self, error: &dyn Display) -> String;
}

// No bound on `R`: a return type that is no `ExportReturn` is reported once, where
// `ExportReturn::failure` is called, and not again here.
impl<R> DisplayText for &FailureText<'_, R> {
    fn text_or(&self, error: &dyn Display) -> String {
        format!("{error:#}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt;

    #[derive(Debug)]
    struct Outer(std::io::Error);

    impl Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("reading config")
        }
    }

    impl Error for Outer {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&self.0)
        }
    }

    /// Not an `Error`: writes its chain in its alternate form, as `anyhow::Error` does.
    struct Contextual;

    impl Display for Contextual {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            if f.alternate() {
                f.write_str("loading: reading config: gone")
            } else {
                f.write_str("loading")
            }
        }
    }

    /// Its own source: a cycle.
    #[derive(Debug)]
    struct Cyclic;

    impl Display for Cyclic {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("again")
        }
    }

    impl Error for Cyclic {
        fn source(&self) -> Option<&(dyn Error + 'static)> {
            Some(&Cyclic)
        }
    }

    // Written as the generated code writes it: the borrow is what lets the `Display` case
    // be found one autoref further.
    #[allow(clippy::needless_borrow)]
    #[test]
    fn an_error_is_written_with_its_sources_and_a_display_type_in_its_alternate_form() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file or directory");
        let failed: Result<(), Outer> = Err(Outer(io));
        let error = Outer(std::io::Error::other("unused"));
        assert_eq!(
            (&FailureText(&failed)).text_or(&error),
            "reading config: No such file or directory"
        );
        let contextual: Result<(), Contextual> = Err(Contextual);
        assert_eq!(
            (&FailureText(&contextual)).text_or(&Contextual),
            "loading: reading config: gone"
        );
        let cyclic: Result<(), Cyclic> = Err(Cyclic);
        let text = (&FailureText(&cyclic)).text_or(&Cyclic);
        assert_eq!(text.matches("again").count(), MAX_CAUSES + 1, "bounded");
        // An `Ok` has no failure of its own: the given error's text.
        let ok: Result<(), Outer> = Ok(());
        assert_eq!((&FailureText(&ok)).text_or(&"given"), "given");
    }
}
