//! Collects every problem found in one attribute and function, so a single compile shows
//! them all (serde's `Ctxt`, PyO3's `combine_errors`).

/// An accumulator of `syn::Error`s.
#[derive(Default)]
pub(crate) struct Errors {
    first: Option<syn::Error>,
}

impl Errors {
    /// Records `error`.
    pub(crate) fn push(&mut self, error: syn::Error) {
        match &mut self.first {
            Some(first) => first.combine(error),
            None => self.first = Some(error),
        }
    }

    /// `Err` with every recorded error combined, or `Ok` when there were none.
    /// Whether no error was recorded.
    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    pub(crate) fn finish(self) -> syn::Result<()> {
        self.first.map_or(Ok(()), Err)
    }
}
