//! Ctrl-C and SIGTERM as a run sees them: cancel the main future, or hand the signal to
//! [`ctrl_c`] or [`shutdown_signal`].
//!
//! The state belongs to the run that owns the signals (see `run.rs` and `unix.rs`): a new run starts with
//! no signal seen, and only the futures made inside that run hold its first signal back.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc;
use std::task::{Context, Poll};

use event_listener::EventListener;

use super::os::Signals;
use super::run::{RunSignals, WaitsFor};
use super::Signal;
use crate::debug::diagnostic::Diagnostic;
use crate::runner::current;
use crate::runner::error::RunError;
use crate::runner::shared::Shared;
use crate::sync::ShieldedWaker;

/// Signal handling for one `run`: owns SIGINT and/or SIGTERM, when it could take them, until
/// dropped.
pub(crate) struct Interrupt {
    owned: Option<(Signals, Arc<RunSignals>)>,
    /// The runner, while it keeps this run's signal state.
    shared: Option<Arc<Shared>>,
}

impl Interrupt {
    /// Takes the signals enabled for a run of the runner `shared`, if possible (see
    /// `Signals::take`); never fails. In debug mode a run that takes none keeps why, to say it.
    pub(crate) fn take(sigint: bool, sigterm: bool, shared: &Arc<Shared>) -> Interrupt {
        let (owned, run) = match Signals::take(sigint, sigterm) {
            Ok(signals) => {
                let run = Arc::new(RunSignals::new(signals.no_ctrl_c()));
                (Some((signals, run.clone())), Some(run))
            }
            Err(why) if shared.debug => (None, Some(Arc::new(RunSignals::unowned(why)))),
            Err(_) => (None, None),
        };
        let shared = run.map(|run| {
            shared.own_signals(Some(run));
            shared.clone()
        });
        Interrupt { owned, shared }
    }

    /// Whether this run took any signal: if not, `race` only awaits `main`.
    pub(crate) fn took_any(&self) -> bool {
        self.owned.is_some()
    }

    /// Runs `main` until it completes or a signal cancels it: the first signal ends this future
    /// with `Interrupted` or `Terminated`, unless a future made in this run waits for it.
    /// Dropping the returned future drops `main`.
    pub(crate) async fn race<F: Future>(&self, main: F) -> Result<F::Output, RunError> {
        let Some((signals, run)) = &self.owned else {
            return Ok(main.await);
        };
        let interrupted = async {
            let signal = signals.first_signal().await;
            // Counted before the waiters wake (and uncount themselves).
            let held_back = run.held_back(signal);
            run.fire(signal);
            if held_back {
                // The program handles this signal itself; the next one ends the process.
                std::future::pending::<()>().await;
            }
            Err(RunError::from(signal))
        };
        futures_lite::future::or(async { Ok(main.await) }, interrupted).await
    }
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        if let Some(shared) = &self.shared {
            shared.own_signals(None);
        }
        // Then `Signals` drops and puts the default dispositions back.
    }
}

/// Waits for Ctrl-C, so that the program can shut down its own way instead of being cancelled.
///
/// By default the first Ctrl-C during [`Runner::run`](crate::Runner::run) drops the main future
/// and `run` returns [`RunError::Interrupted`]. While a `CtrlC` made by this function inside
/// that run is alive (not dropped, not resolved yet), the first Ctrl-C resolves it instead and
/// the main future keeps running: stop accepting work, drain, flush, and return normally. A
/// second Ctrl-C still ends the process at once, as if no handler were installed, in case the
/// shutdown hangs. To handle SIGTERM the same way, use [`shutdown_signal`].
///
/// Make the `CtrlC` early and keep it across the loop it ends (or await it in a spawned task):
/// a Ctrl-C that comes while none is alive cancels the main future as usual. Once the current
/// run got its Ctrl-C, a new `CtrlC` made in it resolves at once.
///
/// A `CtrlC` belongs to the run it was made in (by the main future, a task, or a blocking job of
/// that run), and resolves only if that run owns SIGINT and gets a Ctrl-C. Made outside any
/// run, or in a run that does not own SIGINT, it never resolves and holds nothing back: Ctrl-C
/// handling switched off with [`Builder::handle_ctrl_c`](crate::Builder::handle_ctrl_c), a run
/// on a thread other than the main thread, SIGINT ignored or handled by the program itself, or
/// a platform other than Unix and Windows.
///
/// It never resolves in these cases, and in debug mode the run then says so once, naming the
/// line that called it and which case holds
/// ([`Diagnostic::CtrlCNeverFires`](crate::diagnostic::Diagnostic::CtrlCNeverFires)):
///
/// - SIGINT is ignored (inherited from the parent: `nohup`, `trap '' INT`, a program started
///   with `&` by a shell without job control); on Windows, the process's ignore-Ctrl-C flag is
///   set (`CREATE_NEW_PROCESS_GROUP`);
/// - the run is on a thread other than the main one;
/// - the runner was built with `handle_ctrl_c(false)`, as every `#[runner::test]` is;
/// - the program installed its own SIGINT handler before the run (Unix; on Windows the run's
///   handler pre-empts it, see [`Builder::handle_ctrl_c`](crate::Builder::handle_ctrl_c));
/// - the platform has neither SIGINT nor console control events.
///
/// On Windows Ctrl-C is the console's `CTRL_C_EVENT` or `CTRL_BREAK_EVENT`.
///
/// If the waker that last polled a `CtrlC` panics when the signal wakes it (a hand-written
/// combinator's bug), the panic hook prints the panic and it goes no further: the other
/// futures waiting for the signal wake, and the run goes on.
///
/// # Examples
///
/// A server that finishes its open connections on Ctrl-C (see `examples/echo_server.rs` for a
/// complete one):
///
/// ```no_run
/// use futures_lite::future;
///
/// # async fn accept_one() -> Option<runner::Task<()>> { None }
/// let served = runner::run(async {
///     let mut ctrl_c = runner::ctrl_c();
///     let mut open = Vec::new();
///     // Accept until Ctrl-C...
///     while let Some(connection) = future::or(accept_one(), async {
///         (&mut ctrl_c).await;
///         None
///     })
///     .await
///     {
///         open.push(connection);
///     }
///     // ...then let the open connections finish.
///     let count = open.len();
///     for connection in open {
///         connection.await;
///     }
///     count
/// });
/// println!("served {} connections", served.unwrap());
/// ```
#[track_caller]
pub fn ctrl_c() -> CtrlC {
    CtrlC(Waiter::new(WaitsFor::CtrlC, "ctrl_c", Location::caller()))
}

/// Waits for Ctrl-C or SIGTERM, so that a server can drain on either instead of being cancelled.
///
/// [`ctrl_c`] for both signals a service is stopped with: while a `ShutdownSignal` made by this
/// function inside a run is alive, the first Ctrl-C, or the first SIGTERM if the run handles it
/// ([`Builder::handle_sigterm`](crate::Builder::handle_sigterm), `#[runner::main(sigterm =
/// true)]`), resolves it with the [`Signal`] that came, and the main future keeps running. A
/// second Ctrl-C or SIGTERM ends the process at once, by that signal.
///
/// As for [`ctrl_c`]: it belongs to the run it was made in; made outside any run, or in a run
/// that owns no signal, it never resolves and holds nothing back. Once the run got its first
/// signal, a new `ShutdownSignal` made in it resolves at once.
///
/// # Examples
///
/// ```no_run
/// let mut runner = runner::Builder::new().handle_sigterm(true).build();
/// let served = runner.run(async {
///     let stop = runner::signal::shutdown_signal();
///     // ... serve until Ctrl-C or SIGTERM ...
///     let signal = stop.await;
///     // ... then finish the work in progress.
///     format!("stopped by {signal:?}")
/// });
/// println!("{}", served.unwrap());
/// ```
#[track_caller]
pub fn shutdown_signal() -> ShutdownSignal {
    ShutdownSignal(Waiter::new(
        WaitsFor::Any,
        "shutdown_signal",
        Location::caller(),
    ))
}

/// The future returned by [`ctrl_c`]: resolves on the first Ctrl-C of the run it was made in, if
/// that run owns SIGINT.
///
/// # Examples
///
/// ```no_run
/// runner::run(async {
///     let ctrl_c: runner::signal::CtrlC = runner::ctrl_c();
///     ctrl_c.await;
///     println!("shutting down");
/// })
/// .unwrap();
/// ```
#[must_use = "a CtrlC does nothing unless awaited, and while alive it stops Ctrl-C from \
              cancelling the main future"]
pub struct CtrlC(Waiter);

impl Future for CtrlC {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.0.poll(cx).map(drop)
    }
}

impl fmt::Debug for CtrlC {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CtrlC")
            .field("resolved", &self.0.resolved())
            .finish()
    }
}

/// The future returned by [`shutdown_signal`]: resolves with the first signal (Ctrl-C, or
/// SIGTERM if handled) of the run it was made in.
///
/// # Examples
///
/// ```no_run
/// runner::run(async {
///     let stop: runner::signal::ShutdownSignal = runner::signal::shutdown_signal();
///     println!("stopping on {:?}", stop.await);
/// })
/// .unwrap();
/// ```
#[must_use = "a ShutdownSignal does nothing unless awaited, and while alive it stops Ctrl-C \
              and SIGTERM from cancelling the main future"]
pub struct ShutdownSignal(Waiter);

impl Future for ShutdownSignal {
    type Output = Signal;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Signal> {
        self.0.poll(cx)
    }
}

impl fmt::Debug for ShutdownSignal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ShutdownSignal")
            .field("resolved", &self.0.resolved())
            .finish()
    }
}

/// What [`CtrlC`] and [`ShutdownSignal`] share: the run they belong to, counted there until they
/// resolve or drop.
struct Waiter {
    /// The state of the run this was made in, if that run owns signals.
    run: Option<Arc<RunSignals>>,
    waits_for: WaitsFor,
    listener: Option<EventListener>,
    /// What the listener wakes: the poll's waker, whose panic stays out of the run's `fire`.
    waker: ShieldedWaker,
    /// Whether this is counted in its run's counter (until it resolves or drops).
    counted: bool,
}

impl Waiter {
    fn new(
        waits_for: WaitsFor,
        function: &'static str,
        called_at: &'static Location<'static>,
    ) -> Waiter {
        let Some((run, shared)) =
            current::with(|c| c.and_then(|c| Some((c.shared.signals_owned()?, c.shared.clone()))))
        else {
            return Waiter::unowned(waits_for);
        };
        if let Some(why) = run.never_fires(waits_for) {
            if shared.debug && run.first_report() {
                shared.report(Diagnostic::CtrlCNeverFires {
                    function,
                    called_at,
                    why,
                });
            }
        }
        if !run.owns_any() {
            return Waiter::unowned(waits_for);
        }
        // A run that lets the signals go between the look and the count reads its counters no
        // more: counting there is harmless.
        run.counter(waits_for).fetch_add(1, SeqCst);
        Waiter {
            run: Some(run),
            waits_for,
            listener: None,
            waker: ShieldedWaker::default(),
            counted: true,
        }
    }

    /// A waiter outside any run that owns signals: it never resolves.
    fn unowned(waits_for: WaitsFor) -> Waiter {
        Waiter {
            run: None,
            waits_for,
            listener: None,
            waker: ShieldedWaker::default(),
            counted: false,
        }
    }

    fn resolved(&self) -> bool {
        self.run.is_some() && !self.counted
    }

    fn uncount(&mut self) {
        if std::mem::take(&mut self.counted) {
            if let Some(run) = &self.run {
                run.counter(self.waits_for).fetch_sub(1, SeqCst);
            }
        }
    }

    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Signal> {
        let Some(run) = self.run.clone() else {
            // Never resolves: no signal of a run of ours will come.
            return Poll::Pending;
        };
        loop {
            match run.fired() {
                Some(signal) if self.waits_for == WaitsFor::Any || signal == Signal::Interrupt => {
                    self.listener = None;
                    self.uncount();
                    return Poll::Ready(signal);
                }
                // SIGTERM came first: a `CtrlC` waits for a Ctrl-C that the run no longer takes.
                Some(_) => return Poll::Pending,
                None => {}
            }
            match &mut self.listener {
                // Listen, then look again: a signal between the look and the listen is not lost.
                None => self.listener = Some(run.listen()),
                Some(listener) => {
                    let waker = self.waker.for_poll(cx.waker());
                    if Pin::new(listener)
                        .poll(&mut Context::from_waker(waker))
                        .is_pending()
                    {
                        return Poll::Pending;
                    }
                    self.listener = None;
                }
            }
        }
    }
}

impl Drop for Waiter {
    fn drop(&mut self) {
        self.uncount();
    }
}
