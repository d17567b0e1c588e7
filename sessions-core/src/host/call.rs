//! [`Call`]: one call as a host decodes it from its wire.

use std::future::Future;

use crate::block_on::block_on;
use crate::engine::carrier::Carrier;
use crate::methods::Answer;
use crate::{methods, Args, Session};

/// One call, as a host decodes it from its wire: the method's name, its arguments, and the
/// session of the connection it came on (none for a request that names none, such as a
/// POST without the `Sessions-Session` header).
///
/// It runs in that session's context (or with no session current), under the method's
/// session rule, exactly as [`Session::call_async`] or
/// [`MethodTable::call_async`](crate::MethodTable::call_async) would: every host runs
/// calls through here, so every host behaves alike.
#[derive(Debug)]
#[must_use = "a call does nothing until it is run"]
pub struct Call<'a> {
    method: &'a str,
    args: Args,
    session: Option<&'a Session>,
    #[cfg(feature = "metrics")]
    metered: Option<(&'a crate::metrics::Metrics, &'static str)>,
}

impl<'a> Call<'a> {
    /// A call of `method` with `args` (a `Vec<Value>` by position, or [`Args::named`]), with
    /// no session until [`in_session`](Self::in_session) gives one.
    pub fn new(method: &'a str, args: impl Into<Args>) -> Call<'a> {
        Call {
            method,
            args: args.into(),
            session: None,
            #[cfg(feature = "metrics")]
            metered: None,
        }
    }

    /// Runs the call in `session` (the connection's), or with no session current for
    /// `None`.
    pub fn in_session(mut self, session: Option<&'a Session>) -> Call<'a> {
        self.session = session;
        self
    }

    /// Counts the call in `metrics` (`sessions_calls_total`, `sessions_call_duration_seconds`)
    /// under the host label `host` (`"web"`, `"opcua"`, `"farm"`, or a host's own name)
    /// when it runs; with `None`, the call is not counted.
    #[cfg(feature = "metrics")]
    pub fn metered(
        mut self,
        metrics: impl Into<Option<&'a crate::metrics::Metrics>>,
        host: &'static str,
    ) -> Call<'a> {
        self.metered = metrics.into().map(|metrics| (metrics, host));
        self
    }

    /// The method's name.
    pub fn method(&self) -> &str {
        self.method
    }

    /// The session the call runs in, if any.
    pub fn session(&self) -> Option<&Session> {
        self.session
    }

    /// Runs the call from async code: a plain `fn` at the first poll, an `async fn` across
    /// polls. The future is `Send` and `'static`: spawn it to keep a slow method from
    /// holding up the connection.
    pub fn run(self) -> impl Future<Output = Answer> + Send + 'static {
        #[cfg(feature = "metrics")]
        let meter = self
            .metered
            .map(|(metrics, host)| metrics.meter(self.method, self.session, host));
        let call = match self.session {
            Some(session) => session.start_call(self.method, self.args),
            None => methods().start(self.method, self.args, Carrier::Hidden),
        };
        async move {
            let answer = Answer::from(call.await);
            #[cfg(feature = "metrics")]
            if let Some(meter) = meter {
                meter.finish(answer.verdict());
            }
            answer
        }
    }

    /// Runs the call on this thread, blocking it until an `async fn` is done: for a host
    /// that serves each connection on a thread of its own.
    pub fn run_blocking(self) -> Answer {
        block_on(self.run())
    }
}
