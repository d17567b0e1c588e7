//! [`CatchUnwind`]: a panic while a future is polled becomes its output, so an async host
//! call can write its sentinels and report, as a synchronous one does.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::panic::panic_message;

/// Polls the inner future under `catch_unwind`: resolves to `Ok` with its output, or to
/// `Err("panicked: …")` at the poll where it panicked (it must not be polled again then;
/// its guards have restored the context while unwinding).
///
/// The inner future is `Unpin` (pin it with `pin!` or a `Box` first), so no pin
/// projection, and no `unsafe`, is needed.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct CatchUnwind<F> {
    inner: F,
}

impl<F: Future + Unpin> CatchUnwind<F> {
    /// Wraps `inner`.
    pub fn new(inner: F) -> CatchUnwind<F> {
        CatchUnwind { inner }
    }
}

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = Result<F::Output, String>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.get_mut().inner;
        match catch_unwind(AssertUnwindSafe(|| Pin::new(inner).poll(cx))) {
            Ok(poll) => poll.map(Ok),
            Err(payload) => Poll::Ready(Err(format!("panicked: {}", panic_message(&*payload)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::pin::pin;
    use std::task::Waker;

    fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
        let mut cx = Context::from_waker(Waker::noop());
        pin!(future).poll(&mut cx)
    }

    #[test]
    fn output_or_the_panic_message() {
        assert_eq!(
            poll_once(CatchUnwind::new(pin!(async { 7 }))),
            Poll::Ready(Ok(7))
        );
        let panics = async {
            if true {
                panic!("boom");
            }
        };
        assert_eq!(
            poll_once(CatchUnwind::new(pin!(panics))),
            Poll::Ready(Err("panicked: boom".to_owned()))
        );
        assert_eq!(
            poll_once(CatchUnwind::new(pin!(std::future::pending::<()>()))),
            Poll::Pending
        );
    }
}
