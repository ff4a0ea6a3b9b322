//! What the runner reports about misbehaving async code, and where it sends the reports.

use std::fmt;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::sync::Arc;
use std::time::Duration;

use crate::panic;

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
        }
    }
}

/// The function diagnostics go to.
pub(crate) type Handler = Arc<dyn Fn(&Diagnostic) + Send + Sync>;

/// Sends a diagnostic to the handler, or prints it on stderr when there is none. Never panics:
/// reports are made from destructors that async-task runs under an abort-on-panic guard.
///
/// A handler that panics has its report printed on stderr instead, with a note. While the
/// thread unwinds from another panic the handler is not called at all (a second panic there
/// would abort the process, caught or not): the report goes to stderr.
pub(crate) fn report(handler: Option<&Handler>, diagnostic: Diagnostic) {
    let Some(handler) = handler else {
        return print(&diagnostic);
    };
    if std::thread::panicking() {
        return print(&diagnostic);
    }
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| handler(&diagnostic))) {
        let note = format!(
            "(on stderr because the on_diagnostic handler panicked on it: {})",
            panic::message_of(&*payload)
        );
        // The payload's destructor is the user's code too.
        let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
        write_line(format_args!("runner: {diagnostic} {note}"));
    }
}

/// Prints a diagnostic on stderr the way the runner does without a handler: `runner: ` and its
/// text, one line. A stderr that cannot be written (closed, or a pipe nobody reads) is ignored.
pub(crate) fn print(diagnostic: &Diagnostic) {
    write_line(format_args!("runner: {diagnostic}"));
}

pub(crate) fn write_line(line: fmt::Arguments<'_>) {
    // `eprintln!` panics when the write fails; a report must not.
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
