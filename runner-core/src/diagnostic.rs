//! What the runner reports about misbehaving async code, and where it sends the reports.

use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use crate::ctrl_c::Signal;

/// Where a task came from: its number and the line that spawned it.
///
/// Task numbers start at 1 and are unique within one runner; number 0 is the main future of a
/// `run`, whose `spawned_at` is the place `run` was called (or the `#[runner::main]` function).
///
/// # Examples
///
/// ```
/// use runner_core::{Builder, Diagnostic};
/// use std::sync::{Arc, Mutex};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// let mut runner = Builder::new()
///     .on_diagnostic(move |d| {
///         if let Diagnostic::TaskPanicked { task, .. } = d {
///             sink.lock().unwrap().push(task.spawned_at.line());
///         }
///     })
///     .build();
/// # std::panic::set_hook(Box::new(|_| {}));
/// runner.run(async {
///     let line = line!() + 1;
///     runner_core::spawn(async { panic!("boom") }).detach();
///     runner_core::sleep(std::time::Duration::from_millis(10)).await;
///     line
/// })
/// .map(|line| assert_eq!(*seen.lock().unwrap(), [line]))
/// .unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskInfo {
    /// The task's number within its runner (0 for the main future).
    pub id: u64,
    /// The caller of `spawn`, `spawn_local` or `spawn_blocking` (for the main future: of `run`).
    pub spawned_at: &'static Location<'static>,
}

impl TaskInfo {
    pub(crate) fn new(id: u64, spawned_at: &'static Location<'static>) -> TaskInfo {
        TaskInfo { id, spawned_at }
    }

    /// Whether this is the main future of a `run` rather than a spawned task.
    ///
    /// # Examples
    ///
    /// ```
    /// use runner_core::{Builder, Diagnostic};
    /// use std::time::Duration;
    ///
    /// let mut runner = Builder::new()
    ///     .debug(true)
    ///     .slow_poll_threshold(Duration::from_millis(5))
    ///     .on_diagnostic(|d| {
    ///         if let Diagnostic::SlowPoll { task, .. } = d {
    ///             assert!(task.is_main());
    ///         }
    ///     })
    ///     .build();
    /// runner.run(async { std::thread::sleep(Duration::from_millis(20)) }).unwrap();
    /// ```
    pub fn is_main(&self) -> bool {
        self.id == 0
    }
}

impl fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_main() {
            write!(f, "the main future run at {}", self.spawned_at)
        } else {
            write!(f, "task #{} spawned at {}", self.id, self.spawned_at)
        }
    }
}

/// A report about async code that misbehaved: asyncio's exception handler, typed.
///
/// Without a handler ([`Builder::on_diagnostic`](crate::Builder::on_diagnostic)) each report is
/// one line on stderr, `runner: ` followed by its [`Display`](fmt::Display) text, for example
///
/// ```text
/// runner: task #3 spawned at src/main.rs:12:5 blocked the executor for 0.250 s in one poll
/// ```
///
/// # Examples
///
/// Route the reports to your own logger (`log::warn!("{d}")` or `tracing::warn!(%d)` work the
/// same way):
///
/// ```
/// use runner_core::Builder;
///
/// let runner = Builder::new()
///     .on_diagnostic(|d| eprintln!("[my-app] {d}"))
///     .build();
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Diagnostic {
    /// One poll of a task took longer than the slow-poll threshold (debug mode only): something
    /// blocked the thread inside async code.
    SlowPoll {
        /// The task whose poll was slow.
        task: TaskInfo,
        /// How long that one poll took.
        elapsed: Duration,
    },
    /// A task panicked and nobody retrieved the panic by awaiting its handle (always reported).
    TaskPanicked {
        /// The task that panicked.
        task: TaskInfo,
        /// The panic message.
        message: String,
    },
    /// A task was still pending when the runner closed and was cancelled (debug mode only).
    PendingTaskCancelled {
        /// The task that was cancelled.
        task: TaskInfo,
    },
    /// Blocking jobs were still running when the shutdown timeout expired (always reported); the
    /// runner closed without waiting for them.
    BlockingShutdownTimedOut {
        /// How many jobs were still running.
        pending: usize,
        /// The shutdown timeout that expired.
        timeout: Duration,
    },
    /// Ctrl-C or SIGTERM cancelled the run, and `close` is about to wait for blocking jobs still
    /// running (always reported, once per `close`): the program is not stuck, and the same
    /// signal again ends it now.
    WaitingForBlockingJobs {
        /// The jobs still running, in the order they were spawned.
        jobs: Vec<TaskInfo>,
        /// The longest `close` will wait: the shutdown timeout.
        timeout: Duration,
        /// The signal that cancelled the run.
        signal: Signal,
    },
    /// The runner closed inside another runner's `run` while blocking jobs of its own were still
    /// running (always reported). It did not wait for them, which would have blocked the outer
    /// runner; they run to their end on their own.
    BlockingJobsLeftRunning {
        /// How many jobs were still running.
        pending: usize,
    },
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnostic::SlowPoll { task, elapsed } => write!(
                f,
                "{task} blocked the executor for {:.3} s in one poll",
                elapsed.as_secs_f64()
            ),
            Diagnostic::TaskPanicked { task, message } => {
                write!(f, "{task} panicked and nobody awaited it: {message}")
            }
            Diagnostic::PendingTaskCancelled { task } => {
                write!(
                    f,
                    "{task} was still pending when the runner closed; it was cancelled"
                )
            }
            Diagnostic::BlockingShutdownTimedOut { pending, timeout } => write!(
                f,
                "{pending} blocking job{} still running when the shutdown timeout of {:.3} s \
                 expired; the runner closed without waiting for {}",
                if *pending == 1 { " was" } else { "s were" },
                timeout.as_secs_f64(),
                if *pending == 1 { "it" } else { "them" },
            ),
            Diagnostic::WaitingForBlockingJobs {
                jobs,
                timeout,
                signal,
            } => {
                let (cancelled, again) = match signal {
                    Signal::Terminate => ("terminated by SIGTERM", "another SIGTERM"),
                    _ => ("interrupted by Ctrl-C", "another Ctrl-C"),
                };
                write!(
                    f,
                    "the run was {cancelled}; closing waits for {} blocking job{} (spawned at ",
                    jobs.len(),
                    if jobs.len() == 1 { "" } else { "s" },
                )?;
                for (n, job) in jobs.iter().enumerate() {
                    let separator = if n == 0 { "" } else { ", " };
                    write!(f, "{separator}{}", job.spawned_at)?;
                }
                write!(
                    f,
                    ") for at most {:.3} s; {again} ends the program now",
                    timeout.as_secs_f64()
                )
            }
            Diagnostic::BlockingJobsLeftRunning { pending } => write!(
                f,
                "{pending} blocking job{} still running when the runner closed inside another \
                 runner's run; it did not wait for {}, so as not to block the outer runner",
                if *pending == 1 { " was" } else { "s were" },
                if *pending == 1 { "it" } else { "them" },
            ),
        }
    }
}

/// The function diagnostics go to.
pub(crate) type Handler = Arc<dyn Fn(&Diagnostic) + Send + Sync>;

/// Sends a diagnostic to the handler, or prints it on stderr when there is none.
pub(crate) fn report(handler: Option<&Handler>, diagnostic: Diagnostic) {
    match handler {
        Some(handler) => handler(&diagnostic),
        None => eprintln!("runner: {diagnostic}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_for_one_blocking_job_reads_as_a_sentence() {
        let spawned_at = Location::caller();
        let notice = Diagnostic::WaitingForBlockingJobs {
            jobs: vec![TaskInfo::new(4, spawned_at)],
            timeout: Duration::from_millis(2500),
            signal: Signal::Interrupt,
        };
        assert_eq!(
            notice.to_string(),
            format!(
                "the run was interrupted by Ctrl-C; closing waits for 1 blocking job (spawned at \
                 {spawned_at}) for at most 2.500 s; another Ctrl-C ends the program now"
            )
        );
    }
}
