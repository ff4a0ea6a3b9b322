//! Ctrl-C as a run sees it: cancel the main future, or hand the Ctrl-C to [`ctrl_c`].

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::task::{Context, Poll};

use event_listener::{Event, EventListener};

use crate::error::RunError;
use crate::signal::Sigint;

/// Live [`CtrlC`] futures that have not resolved: while there is one, Ctrl-C resolves them
/// instead of cancelling the main future.
static LISTENERS: AtomicUsize = AtomicUsize::new(0);
/// Whether the run that owns SIGINT got its first Ctrl-C (reset when a run takes SIGINT).
static FIRED: AtomicBool = AtomicBool::new(false);
static FIRED_EVENT: Event = Event::new();

/// Ctrl-C handling for one `run`: owns SIGINT, when it could take it, until dropped.
pub(crate) struct Interrupt {
    sigint: Option<Sigint>,
}

impl Interrupt {
    /// Takes SIGINT for a run if `enabled` and possible (see `Sigint::take`); never fails.
    pub(crate) fn take(enabled: bool) -> Interrupt {
        let sigint = if enabled { Sigint::take() } else { None };
        if sigint.is_some() {
            FIRED.store(false, SeqCst);
        }
        Interrupt { sigint }
    }

    /// Runs `main` until it completes or Ctrl-C cancels it: the first Ctrl-C ends this future
    /// with `Interrupted`, unless a [`CtrlC`] is waiting for it. Dropping the returned future
    /// drops `main`.
    pub(crate) async fn race<F: Future>(&self, main: F) -> Result<F::Output, RunError> {
        let Some(sigint) = &self.sigint else {
            return Ok(main.await);
        };
        let interrupted = async {
            sigint.first_ctrl_c().await;
            FIRED.store(true, SeqCst);
            FIRED_EVENT.notify(usize::MAX);
            if LISTENERS.load(SeqCst) > 0 {
                // The program handles this Ctrl-C itself; the next one ends the process.
                std::future::pending::<()>().await;
            }
            Err(RunError::Interrupted)
        };
        futures_lite::future::or(async { Ok(main.await) }, interrupted).await
    }
}

/// Waits for Ctrl-C, so that the program can shut down its own way instead of being cancelled.
///
/// By default the first Ctrl-C during [`Runner::run`](crate::Runner::run) drops the main future
/// and `run` returns [`RunError::Interrupted`]. While a `CtrlC` made by this function is alive
/// (not dropped, not resolved yet), the first Ctrl-C resolves it instead and the main future
/// keeps running: stop accepting work, drain, flush, and return normally. A second Ctrl-C
/// still ends the process at once, as if no handler were installed, in case the shutdown hangs.
///
/// Make the `CtrlC` early and keep it across the loop it ends (or await it in a spawned task):
/// a Ctrl-C that comes while none is alive cancels the main future as usual. Once the current
/// run got its Ctrl-C, a new `CtrlC` resolves at once.
///
/// Ctrl-C is process-wide: a `CtrlC` resolves when the run that owns SIGINT gets it. If none does
/// (Ctrl-C handling switched off with [`Builder::handle_ctrl_c`](crate::Builder::handle_ctrl_c),
/// SIGINT ignored or handled by the program itself, or a platform other than Unix), it never
/// resolves.
///
/// # Examples
///
/// A server that finishes its open connections on Ctrl-C (see `examples/echo_server.rs` for a
/// complete one):
///
/// ```no_run
/// use futures_lite::future;
///
/// # async fn accept_one() -> Option<runner_core::Task<()>> { None }
/// let served = runner_core::run(async {
///     let mut ctrl_c = runner_core::ctrl_c();
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
pub fn ctrl_c() -> CtrlC {
    LISTENERS.fetch_add(1, SeqCst);
    CtrlC {
        listener: None,
        counted: true,
    }
}

/// The future returned by [`ctrl_c`]: resolves on the first Ctrl-C of the run that owns SIGINT.
///
/// # Examples
///
/// ```no_run
/// runner_core::run(async {
///     let ctrl_c: runner_core::CtrlC = runner_core::ctrl_c();
///     ctrl_c.await;
///     println!("shutting down");
/// })
/// .unwrap();
/// ```
#[must_use = "a CtrlC does nothing unless awaited, and while alive it stops Ctrl-C from \
              cancelling the main future"]
pub struct CtrlC {
    listener: Option<EventListener>,
    /// Whether this future is counted in `LISTENERS` (until it resolves or drops).
    counted: bool,
}

impl CtrlC {
    fn uncount(&mut self) {
        if std::mem::take(&mut self.counted) {
            LISTENERS.fetch_sub(1, SeqCst);
        }
    }
}

impl Future for CtrlC {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            if FIRED.load(SeqCst) {
                self.listener = None;
                self.uncount();
                return Poll::Ready(());
            }
            match &mut self.listener {
                // Listen, then look again: a Ctrl-C between the look and the listen is not lost.
                None => self.listener = Some(FIRED_EVENT.listen()),
                Some(listener) => {
                    if Pin::new(listener).poll(cx).is_pending() {
                        return Poll::Pending;
                    }
                    self.listener = None;
                }
            }
        }
    }
}

impl Drop for CtrlC {
    fn drop(&mut self) {
        self.uncount();
    }
}

impl fmt::Debug for CtrlC {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CtrlC")
            .field("resolved", &!self.counted)
            .finish()
    }
}
