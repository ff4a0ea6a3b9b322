//! The errors a run can end with.

use std::fmt;

use crate::signal::Signal;

/// Why [`Runner::run`](crate::Runner::run) or [`run`](crate::run) did not return the future's
/// output.
///
/// A panic in the main future is not a `RunError`: it propagates out of `run` as a panic, after
/// the runner has cleaned up.
///
/// # Examples
///
/// ```
/// use runner::{RunError, Runner};
///
/// let mut runner = Runner::new();
/// runner.close();
/// assert_eq!(runner.run(async {}), Err(RunError::Closed));
/// ```
///
/// Its `Debug` output is the sentence `Display` gives, then the variant, since `.unwrap()` prints
/// it: `the run was interrupted by Ctrl-C (SIGINT) (RunError::Interrupted)`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RunError {
    /// `run` was called on a thread that is already inside a runner's `run`.
    ///
    /// Blocking a thread that drives an executor on another executor would stall every task of
    /// the outer one; await the future instead, or use [`spawn_blocking`](crate::spawn_blocking).
    Nested,
    /// The runner was closed; a closed runner runs nothing. Build a new one.
    Closed,
    /// Ctrl-C (SIGINT) arrived while the main future was pending; the main future was cancelled
    /// (dropped), so its destructors ran.
    Interrupted,
    /// SIGTERM arrived while the main future was pending, in a run that handles it
    /// ([`Builder::handle_sigterm`](crate::Builder::handle_sigterm)); the main future was
    /// cancelled (dropped), so its destructors ran.
    Terminated,
    /// The runner was built with [`start_paused(true)`](crate::Builder::start_paused) and
    /// [`threads(N)`](crate::Builder::threads) for N above 1: paused time needs one thread.
    PausedTimeWithThreads,
    /// The runner was built with [`start_paused(true)`](crate::Builder::start_paused) and an
    /// [`executor_factory`](crate::Builder::executor_factory): paused time needs one thread, and
    /// other threads may run that executor.
    PausedTimeWithExecutorFactory,
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            RunError::Nested => {
                "cannot start a runner while another runner is running on this thread \
                 (await the future instead, or move the blocking work to spawn_blocking)"
            }
            RunError::Closed => {
                "the runner is closed and cannot run anything more (build a new Runner)"
            }
            RunError::Interrupted => "the run was interrupted by Ctrl-C (SIGINT)",
            RunError::Terminated => "the run was terminated by SIGTERM",
            RunError::PausedTimeWithThreads => {
                "paused time needs one thread, but the runner was built with start_paused(true) \
                 and threads(N) for N > 1; drop one of the two"
            }
            RunError::PausedTimeWithExecutorFactory => {
                "paused time needs one thread, but the runner was built with start_paused(true) \
                 and an executor_factory, whose executor other threads may run; drop one of the two"
            }
        })
    }
}

impl fmt::Debug for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let variant = match self {
            RunError::Nested => "Nested",
            RunError::Closed => "Closed",
            RunError::Interrupted => "Interrupted",
            RunError::Terminated => "Terminated",
            RunError::PausedTimeWithThreads => "PausedTimeWithThreads",
            RunError::PausedTimeWithExecutorFactory => "PausedTimeWithExecutorFactory",
        };
        write!(f, "{self} (RunError::{variant})")
    }
}

impl std::error::Error for RunError {}

impl From<Signal> for RunError {
    /// The error of a run that `signal` cancelled.
    fn from(signal: Signal) -> RunError {
        match signal {
            Signal::Interrupt => RunError::Interrupted,
            Signal::Terminate => RunError::Terminated,
        }
    }
}
