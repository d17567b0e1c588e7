//! [`Call`]: one call as a host decodes it from its wire.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use crate::audit::AuditHost;
use crate::block_on::block_on;
use crate::engine::audit::CallAudit;
use crate::engine::call::Audited;
use crate::engine::carrier::Carrier;
use crate::methods::{Answer, MethodInfo};
use crate::{methods, Args, Engine, Session};

/// One call, as a host decodes it from its wire: the method's name, its arguments, the
/// session of the connection it came on (none for a request that names none, such as a
/// POST without the `Sessions-Session` header), and where it came from.
///
/// It runs in that session's context (or with no session current), under the method's
/// session rule, exactly as [`Session::call_async`] or
/// [`MethodTable::call_async`](crate::MethodTable::call_async) would: every host runs
/// calls through here, so every host behaves alike.
///
/// **Audit.** When the engine keeps an audit trail
/// ([`EngineBuilder::audit`](crate::EngineBuilder::audit)), the call leaves exactly one
/// [`AuditRecord`](crate::audit::AuditRecord) when it ends: the host and peer given with
/// [`via`](Self::via) ([`AuditHost::Rust`] and no peer without it), the session and its
/// user when the call was made, the verdict as outcome, the duration, and the arguments
/// for a method marked `audit = "args"`. It goes to the engine of the call's session; a
/// call with no session goes to the engine given with [`audit_on`](Self::audit_on) (the
/// host's), else to [`Engine::global`]. A call dropped before it ends (its connection
/// gone) leaves none.
#[derive(Debug)]
#[must_use = "a call does nothing until it is run"]
pub struct Call<'a> {
    method: &'a str,
    args: Args,
    session: Option<&'a Session>,
    #[cfg(feature = "metrics")]
    metered: Option<(&'a crate::metrics::Metrics, &'static str)>,
    host: AuditHost,
    peer: Option<String>,
    engine: Option<&'a Engine>,
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
            host: AuditHost::Rust,
            peer: None,
            engine: None,
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

    /// Says where the call came from, for its audit record: the `host` it came through
    /// and the `peer` (a client's address), when the host knows it.
    pub fn via(mut self, host: AuditHost, peer: Option<String>) -> Call<'a> {
        self.host = host;
        self.peer = peer;
        self
    }

    /// The engine whose audit trail records this call when it has no session: the engine
    /// the host serves. A call in a session is recorded by its session's engine.
    pub fn audit_on(mut self, engine: &'a Engine) -> Call<'a> {
        self.engine = Some(engine);
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
    ///
    /// A method exported with `blocking` ([`MethodInfo::is_blocking`]) runs on tokio's
    /// blocking pool (`spawn_blocking`) when a tokio runtime is current, in the same session
    /// (the call carries it), so it holds no runtime worker. Any other plain `fn` runs at
    /// the first poll, on the polling thread: one that holds it longer than
    /// [`SLOW_SYNC_CALL`] is named in a WARN event, so it can be marked `blocking`.
    pub fn run(self) -> impl Future<Output = Answer> + Send + 'static {
        #[cfg(feature = "metrics")]
        let meter = self
            .metered
            .map(|(metrics, host)| metrics.meter(self.method, self.session, host));
        let audit = self.audit();
        // A name that is not a method's (an object's `path.member`) runs where it is polled.
        let found = methods().lookup(self.method);
        let method = found.as_ref().ok().copied();
        let call = match self.session {
            Some(session) => session.start_call(self.method, found, self.args),
            None => methods().start_found(self.method, found, self.args, Carrier::Hidden),
        };
        let running = running(Audited::new(call, audit), method);
        Metered {
            running,
            meter: {
                #[cfg(feature = "metrics")]
                {
                    meter
                }
            },
        }
    }

    /// Runs the call on this thread, blocking it until an `async fn` is done: for a host
    /// that serves each connection on a thread of its own.
    pub fn run_blocking(self) -> Answer {
        block_on(self.run())
    }

    /// The start of the call's audit record, when the engine it belongs to keeps one.
    fn audit(&self) -> Option<CallAudit> {
        let begin = |engine: &Engine| {
            CallAudit::begin(
                engine,
                self.host,
                self.peer.as_deref(),
                self.session,
                self.method,
                &self.args,
            )
        };
        match (self.session, self.engine) {
            (Some(session), _) => session.engine().and_then(|engine| begin(&engine)),
            (None, Some(engine)) => begin(engine),
            (None, None) => begin(Engine::global()),
        }
    }
}

/// The call as it will run: here, with its first poll timed when it is a plain `fn`, or a
/// `blocking` method's task on the blocking pool.
fn running(call: Audited, method: Option<&'static MethodInfo>) -> Running {
    let Some(method) = method.filter(|method| !method.is_async()) else {
        return Running::Here { call, sync: None };
    };
    #[cfg(feature = "tokio")]
    if method.is_blocking() {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let task = runtime.spawn_blocking(move || Answer::from(block_on(call)));
            return Running::Blocking {
                task: Box::pin(blocking_answer(task, method)),
            };
        }
    }
    Running::Here {
        call,
        sync: Some(method),
    }
}

/// What counts a call in the metrics when it ends (nothing without the feature).
#[cfg(feature = "metrics")]
type MeterSlot = Option<crate::metrics::CallMeter>;
#[cfg(not(feature = "metrics"))]
type MeterSlot = ();

pin_project! {
    /// A running call, counted in the metrics (when it is metered) as it ends.
    struct Metered {
        #[pin]
        running: Running,
        meter: MeterSlot,
    }
}

impl Future for Metered {
    type Output = Answer;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Answer> {
        let this = self.project();
        let answer = std::task::ready!(this.running.poll(cx));
        #[cfg(feature = "metrics")]
        if let Some(meter) = this.meter.take() {
            meter.finish(answer.verdict());
        }
        #[cfg(not(feature = "metrics"))]
        let _ = this.meter;
        Poll::Ready(answer)
    }
}

/// How long a plain `fn` not marked `blocking` may hold the thread that polls its call
/// before a WARN names it: a runtime worker held that long delays every other connection
/// it serves.
pub const SLOW_SYNC_CALL: Duration = Duration::from_millis(100);

pin_project! {
    /// A call running: the engine's call future (with its audit record), its output read
    /// as an [`Answer`]; or a
    /// `blocking` method's task on the blocking pool. A named type, not an `async` block,
    /// so that it is no larger than the call it wraps (a host keeps one per call in flight).
    #[project = RunningNow]
    enum Running {
        Here {
            #[pin]
            call: Audited,
            // A plain fn's method, whose first poll is timed.
            sync: Option<&'static MethodInfo>,
        },
        Blocking {
            task: Pin<Box<dyn Future<Output = Answer> + Send>>,
        },
    }
}

impl Future for Running {
    type Output = Answer;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Answer> {
        match self.project() {
            RunningNow::Here { call, sync } => match sync.take() {
                None => call.poll(cx).map(Answer::from),
                Some(method) => {
                    let started = Instant::now();
                    let polled = call.poll(cx).map(Answer::from);
                    let held = started.elapsed();
                    if held > SLOW_SYNC_CALL {
                        tracing::warn!(
                            method = method.name(),
                            held_ms = held.as_millis() as u64,
                            "a plain fn held the thread of its host's runtime for longer than {SLOW_SYNC_CALL:?}, \
                             delaying other connections: export it with `blocking` to run it on the blocking pool"
                        );
                    }
                    polled
                }
            },
            RunningNow::Blocking { task } => task.as_mut().poll(cx),
        }
    }
}

/// The answer of a `blocking` method's task. The trampoline catches the method's panics, so
/// the task fails only when the runtime shuts down under it: answered as a failure.
#[cfg(feature = "tokio")]
async fn blocking_answer(task: tokio::task::JoinHandle<Answer>, method: &MethodInfo) -> Answer {
    let name = method.name();
    match task.await {
        Ok(answer) => answer,
        Err(error) => {
            tracing::error!(method = name, %error, "a blocking method's task did not finish");
            Answer::Ran(crate::CallOutcome::failed(
                crate::Failure::Panicked(format!(
                    "`{name}` did not finish on the blocking pool: {error}"
                )),
                Vec::new(),
            ))
        }
    }
}
