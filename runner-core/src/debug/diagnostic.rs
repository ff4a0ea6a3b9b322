//! What the runner reports about misbehaving async code, and where it sends the reports.

use std::fmt;
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe, Location};
use std::sync::Arc;
use std::time::Duration;

use crate::signal::{NotHandled, Signal};
use crate::sync;

/// Where a task came from: its number and the line that spawned it.
///
/// Task numbers start at 1 and are unique within one runner; number 0 is the main future of a
/// `run`, whose `spawned_at` is the place `run` was called (or the `#[runner::main]` function).
///
/// # Examples
///
/// ```
/// use runner::diagnostic::Diagnostic;
/// use runner::Builder;
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
/// let line = runner.run(async {
///     let line = line!() + 1;
///     runner::spawn(async { panic!("boom") }).detach();
///     runner::sleep(std::time::Duration::from_millis(10)).await;
///     line
/// })
/// .unwrap();
/// runner.close(); // on worker threads, the report may come this late
/// assert_eq!(*seen.lock().unwrap(), [line]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskInfo {
    /// The task's number within its runner (0 for the main future), from 1, blocking jobs
    /// included. The numbers a thread gives rise in spawn order; each thread (a run, a worker, a
    /// blocking job) takes them from the runner in blocks of 32, so that spawns on several
    /// threads share no counter, which leaves gaps and may set a later task of one thread below
    /// an earlier one of another. It is kept in 40 bits: after 2^40 - 1 numbers in a runner (12
    /// days at a million spawns a second) they start again from 1.
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
    /// use runner::diagnostic::Diagnostic;
    /// use runner::Builder;
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    ///
    /// let slow = Arc::new(Mutex::new(Vec::new()));
    /// let seen = slow.clone();
    /// let mut runner = Builder::new()
    ///     .debug(true)
    ///     .slow_poll_threshold(Duration::from_millis(5))
    ///     .on_diagnostic(move |d| {
    ///         if let Diagnostic::SlowPoll { task, .. } = d {
    ///             seen.lock().unwrap().push(task.is_main());
    ///         }
    ///     })
    ///     .build();
    /// runner.run(async { std::thread::sleep(Duration::from_millis(20)) }).unwrap();
    /// // One slow poll, the main future's.
    /// assert_eq!(*slow.lock().unwrap(), [true]);
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
/// use runner::Builder;
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
    /// A poll has been running for longer than the slow-poll threshold and has not returned
    /// (debug mode only): found while it is stuck by debug mode's watchdog thread, so a poll that
    /// never returns is reported too. When it does return, it is also reported as
    /// [`SlowPoll`](Diagnostic::SlowPoll), with its whole duration.
    ///
    /// The report names the task, not the line that blocks: that would take the stuck thread's
    /// stack, which another thread can only get by interrupting it with a signal and walking the
    /// stack inside the signal handler (not async-signal-safe with `std`'s backtraces), and a
    /// backtrace taken at the start of every poll costs far more than the poll.
    StuckPoll {
        /// The task whose poll is stuck.
        task: TaskInfo,
        /// How long the poll had been running when the watchdog looked.
        running_for: Duration,
    },
    /// A task panicked and nobody retrieved the panic by awaiting its handle (always reported).
    TaskPanicked {
        /// The task that panicked.
        task: TaskInfo,
        /// The panic message.
        message: String,
    },
    /// A task was still pending when the runner closed and was cancelled (debug mode only).
    /// The handle of a task dropped before the runner began to close cancelled the task, though
    /// `close` may be what drops its future: such a task is reported as
    /// [`PendingTaskDropped`](Diagnostic::PendingTaskDropped), or not at all when a
    /// [`TaskGroup`](crate::TaskGroup) dropped it. A handle that `close` drops (with the task
    /// that held it) leaves its task to this report.
    PendingTaskCancelled {
        /// The task that was cancelled.
        task: TaskInfo,
    },
    /// A task was cancelled while pending (or before it started) because its handle was dropped
    /// (debug mode only): asyncio's "Task was destroyed but it is pending!". Dropping a
    /// [`Task`](crate::Task) cancels it, which is seldom meant (`spawn(..)` without `.detach()`
    /// is the classic slip); [`detach`](crate::Task::detach) lets a task run on its own, and
    /// [`cancel`](crate::Task::cancel) cancels it on purpose (neither is reported). Not reported
    /// for tasks that finished or panicked, nor for those cancelled by `close`
    /// ([`PendingTaskCancelled`](Diagnostic::PendingTaskCancelled)). A handle dropped just
    /// before its runner closes (the slip as the last statement of `main`) is reported here,
    /// though `close` is what drops the task's future.
    PendingTaskDropped {
        /// The task that was cancelled.
        task: TaskInfo,
    },
    /// Blocking jobs were still running when the shutdown timeout expired (always reported); the
    /// runner closed without waiting for them.
    BlockingShutdownTimedOut {
        /// The jobs still running (or still queued), by task number.
        jobs: Vec<StuckJob>,
        /// The shutdown timeout that expired.
        timeout: Duration,
    },
    /// Ctrl-C or SIGTERM cancelled the run, and `close` is about to wait for blocking jobs still
    /// running (always reported, once per `close`): the program is not stuck, and the same
    /// signal again ends it now.
    WaitingForBlockingJobs {
        /// The jobs still running, by task number.
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
    /// A task, blocking job or main future panicked because it called tokio outside a tokio
    /// runtime (tokio's message: "must be called from the context of a Tokio 1.x runtime"),
    /// and this runner has none: the `tokio` cargo feature is off, or the runner was built with
    /// [`Builder::tokio(false)`](crate::Builder::tokio). Reported once per runner, after tokio's
    /// own panic message, with the fix.
    ///
    /// The runner sees the panics it catches: of the main future, of tasks and of blocking
    /// jobs. It sees none under `panic = "abort"` (the process ends first), nor a panic that
    /// user code catches itself.
    ///
    /// # Examples
    ///
    /// ```
    /// use runner::diagnostic::Diagnostic;
    ///
    /// let mut runner = runner::Builder::new()
    ///     .tokio(false)
    ///     .on_diagnostic(|d| {
    ///         if let Diagnostic::TokioRuntimeMissing { .. } = d {
    ///             eprintln!("{d}"); // names the feature, or `Builder::tokio(false)`
    ///         }
    ///     })
    ///     .build();
    /// # std::panic::set_hook(Box::new(|_| {}));
    /// let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
    ///     runner.run(async {
    ///         panic!("there is no reactor running, must be called from the context of a Tokio 1.x runtime")
    ///     })
    /// }));
    /// assert!(panicked.is_err());
    /// ```
    TokioRuntimeMissing {
        /// The task (or main future, or blocking job) that panicked.
        task: TaskInfo,
    },
    /// With the `tokio` feature: threads of the runner's tokio runtime were still running
    /// `tokio::task::spawn_blocking` jobs when `close` shut the runtime down, after the
    /// shutdown timeout (zero inside another runner's `run` or a tokio task, where `close` must
    /// not block). They run to their end on their own, and tokio calls in them fail (the
    /// runtime is gone).
    TokioBlockingJobsLeftRunning {
        /// How many of the runtime's blocking threads were still busy.
        threads: usize,
        /// How long `close` waited for them.
        timeout: Duration,
    },
    /// [`ctrl_c`](crate::ctrl_c) or [`shutdown_signal`](crate::signal::shutdown_signal) was
    /// called in a run where it can never resolve, because the run does not handle Ctrl-C (for
    /// `shutdown_signal`: handles no signal at all). Debug mode only, once per run: the future
    /// stays pending, as it always does there, and this says why.
    CtrlCNeverFires {
        /// The function called: `"ctrl_c"` or `"shutdown_signal"`.
        function: &'static str,
        /// Where it was called.
        called_at: &'static Location<'static>,
        /// Why the run does not handle Ctrl-C.
        why: NotHandled,
    },
    /// Every task of a runner whose clock is paused has waited for a second of real time, and
    /// the clock could not move because blocking jobs of the runner were running: a paused clock
    /// jumps only while no blocking job runs. Debug mode only, once per runner.
    ///
    /// A job that waits on the runner's clock itself (a [`runner::sleep`](crate::sleep) polled
    /// in the job) waits for good: nothing moves the clock then but
    /// [`runner::time::advance`](crate::time::advance) in a task. Wait in a task instead, or
    /// advance the clock by hand. A job that is merely slow is worth a look too: the test waits
    /// for it in real time.
    ///
    /// # Examples
    ///
    /// ```
    /// use runner::diagnostic::Diagnostic;
    /// use std::sync::{mpsc, Mutex};
    /// use std::time::Duration;
    ///
    /// let (reported, report) = mpsc::channel();
    /// let reported = Mutex::new(reported);
    /// let mut runner = runner::Builder::new()
    ///     .debug(true)
    ///     .start_paused(true)
    ///     .on_diagnostic(move |d| {
    ///         if let Diagnostic::PausedClockHeld { jobs } = d {
    ///             let _ = reported.lock().unwrap().send(jobs[0].job.spawned_at.line());
    ///         }
    ///     })
    ///     .build();
    /// let (line, reported_line) = runner
    ///     .run(async {
    ///         let line = line!() + 1;
    ///         let job = runner::spawn_blocking(move || {
    ///             report.recv_timeout(Duration::from_secs(30)).unwrap()
    ///         });
    ///         runner::sleep(Duration::from_secs(60)).await; // waits for the job, in real time
    ///         (line, job.await)
    ///     })
    ///     .unwrap();
    /// assert_eq!(line, reported_line);
    /// ```
    PausedClockHeld {
        /// The jobs running (or queued), by task number.
        jobs: Vec<StuckJob>,
    },
}

/// A blocking job that was still running when the runner's shutdown timeout expired, as
/// [`Diagnostic::BlockingShutdownTimedOut`] lists it.
///
/// # Examples
///
/// ```
/// use runner::diagnostic::Diagnostic;
/// use runner::Builder;
/// use std::sync::{Arc, Mutex};
/// use std::time::Duration;
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = seen.clone();
/// let mut runner = Builder::new()
///     .shutdown_timeout(Duration::from_millis(10))
///     .on_diagnostic(move |d| {
///         if let Diagnostic::BlockingShutdownTimedOut { jobs, .. } = d {
///             sink.lock().unwrap().extend(jobs.iter().map(|j| j.job.spawned_at.line()));
///         }
///     })
///     .build();
/// let line = runner.run(async {
///     let line = line!() + 1;
///     runner::spawn_blocking(|| std::thread::sleep(Duration::from_millis(200))).detach();
///     line
/// });
/// runner.close();
/// assert_eq!(*seen.lock().unwrap(), [line.unwrap()]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct StuckJob {
    /// The job: its number and the line that called `spawn_blocking`.
    pub job: TaskInfo,
    /// How long it had been running when the report was made (`None`: it was still waiting for
    /// a thread of the pool).
    pub running_for: Option<Duration>,
}

/// How many stuck jobs the stderr line names; the rest are counted.
const JOBS_NAMED: usize = 3;

/// The first [`JOBS_NAMED`] of `jobs`, then how many more there are.
fn write_jobs(f: &mut fmt::Formatter<'_>, jobs: &[StuckJob]) -> fmt::Result {
    for (i, job) in jobs.iter().take(JOBS_NAMED).enumerate() {
        f.write_str(if i == 0 { "" } else { ", " })?;
        write!(f, "{job}")?;
    }
    if jobs.len() > JOBS_NAMED {
        write!(f, " and {} more", jobs.len() - JOBS_NAMED)?;
    }
    Ok(())
}

impl fmt::Display for StuckJob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.running_for {
            Some(running_for) => write!(
                f,
                "{} (running for {:.3} s)",
                self.job,
                running_for.as_secs_f64()
            ),
            None => write!(f, "{} (not started)", self.job),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Diagnostic::SlowPoll { task, elapsed } => write!(
                f,
                "{task} blocked the executor for {:.3} s in one poll",
                elapsed.as_secs_f64()
            ),
            Diagnostic::StuckPoll { task, running_for } => write!(
                f,
                "{task} has blocked the executor for {:.3} s so far, in a poll that has not \
                 returned",
                running_for.as_secs_f64()
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
            Diagnostic::PendingTaskDropped { task } => write!(
                f,
                "{task} was cancelled while pending because its handle was dropped (detach the \
                 task to let it run on its own, or cancel it on purpose with Task::cancel)"
            ),
            Diagnostic::BlockingShutdownTimedOut { jobs, timeout } => {
                let one = jobs.len() == 1;
                write!(
                    f,
                    "{} blocking job{} still running when the shutdown timeout of {:.3} s \
                     expired; the runner closed without waiting for {}",
                    jobs.len(),
                    if one { " was" } else { "s were" },
                    timeout.as_secs_f64(),
                    if one { "it" } else { "them" },
                )?;
                f.write_str(": ")?;
                write_jobs(f, jobs)
            }
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
            Diagnostic::TokioRuntimeMissing { task } => {
                write!(
                    f,
                    "{task} panicked because it called tokio outside a tokio runtime; "
                )?;
                if cfg!(feature = "tokio") {
                    f.write_str(
                        "this runner was built with Builder::tokio(false): leave it on to give \
                         the runner a tokio runtime",
                    )
                } else {
                    write!(
                        f,
                        "the `tokio` feature of async-runner gives every runner one: \
                         async-runner = {{ version = \"{}.{}\", features = [\"tokio\"] }} in \
                         Cargo.toml (or `cargo add async-runner --features tokio`)",
                        env!("CARGO_PKG_VERSION_MAJOR"),
                        env!("CARGO_PKG_VERSION_MINOR"),
                    )
                }
            }
            Diagnostic::TokioBlockingJobsLeftRunning { threads, timeout } => write!(
                f,
                "{threads} tokio spawn_blocking job{} still running when the runner shut its \
                 tokio runtime down after {:.3} s; {} on {}own, outside any runtime",
                if *threads == 1 { " was" } else { "s were" },
                timeout.as_secs_f64(),
                if *threads == 1 { "it runs" } else { "they run" },
                if *threads == 1 { "its " } else { "their " },
            ),
            Diagnostic::CtrlCNeverFires {
                function,
                called_at,
                why,
            } => write!(
                f,
                "{function}() called at {called_at} will never resolve: this run does not \
                 handle Ctrl-C, because {why}"
            ),
            Diagnostic::PausedClockHeld { jobs } => {
                f.write_str(
                    "every task has waited a second, and the paused clock cannot move while \
                     blocking jobs run: ",
                )?;
                write_jobs(f, jobs)?;
                f.write_str(
                    "; a job that waits on the runner's clock (runner::sleep in the job) waits \
                     for good: wait in a task, or move the clock with runner::time::advance",
                )
            }
        }
    }
}

/// The function diagnostics go to.
pub(crate) type Handler = Arc<dyn Fn(&Diagnostic) + Send + Sync>;

/// Where one runner's reports go: its handler, or stderr. What a task's panic, a task record or
/// the list of blocking jobs keeps to report, instead of the runner's whole state.
#[derive(Clone, Default)]
pub(crate) struct Reporter(Option<Handler>);

impl Reporter {
    pub(crate) fn new(handler: Option<Handler>) -> Reporter {
        Reporter(handler)
    }

    /// Sends `diagnostic` to the handler, or to stderr; see [`report`].
    pub(crate) fn report(&self, diagnostic: Diagnostic) {
        report(self.0.as_ref(), diagnostic);
    }
}

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
            message_of(&*payload)
        );
        sync::drop_payload(payload);
        write_line(format_args!("runner: {diagnostic} {note}"));
    }
}

/// The text of a panic payload, the way the standard panic hook finds it.
pub(crate) fn message_of(payload: &(dyn std::any::Any + Send)) -> &str {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        s
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s
    } else {
        "Box<dyn Any>"
    }
}

/// Prints a diagnostic on stderr the way the runner does without a handler: `runner: ` and its
/// text, one line. A stderr that cannot be written (closed) is ignored. stderr stays blocking, as
/// it is for the whole process: a full pipe that nobody reads blocks the writer, as it blocks
/// `eprintln!`.
pub(crate) fn print(diagnostic: &Diagnostic) {
    write_line(format_args!("runner: {diagnostic}"));
}

/// Writes one line on stderr, ignoring a failed write.
pub(crate) fn write_line(line: fmt::Arguments<'_>) {
    if std::thread::panicking() {
        // A second panic would abort: write past the test harness's capture, which only the
        // printing macros see.
        let _ = writeln!(std::io::stderr().lock(), "{line}");
        return;
    }
    // `eprintln!`, so that a test harness captures the line; it panics when the write fails.
    let _ = catch_unwind(AssertUnwindSafe(|| eprintln!("{line}")));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One fixed location for every job of a test.
    fn at() -> &'static Location<'static> {
        Location::caller()
    }

    fn job(id: u64, running_for: Option<u64>) -> StuckJob {
        StuckJob {
            job: TaskInfo::new(id, at()),
            running_for: running_for.map(Duration::from_millis),
        }
    }

    #[test]
    fn a_timed_out_shutdown_names_the_first_jobs_and_counts_the_rest() {
        let at = at();
        let jobs = vec![
            job(2, Some(1250)),
            job(3, Some(40)),
            job(5, None),
            job(8, Some(7)),
            job(9, Some(7)),
        ];
        let text = Diagnostic::BlockingShutdownTimedOut {
            jobs,
            timeout: Duration::from_millis(500),
        }
        .to_string();
        assert_eq!(
            text,
            format!(
                "5 blocking jobs were still running when the shutdown timeout of 0.500 s \
                 expired; the runner closed without waiting for them: task #2 spawned at {at} \
                 (running for 1.250 s), task #3 spawned at {at} (running for 0.040 s), task #5 \
                 spawned at {at} (not started) and 2 more"
            )
        );
    }

    #[test]
    fn a_timed_out_shutdown_with_one_job() {
        let text = Diagnostic::BlockingShutdownTimedOut {
            jobs: vec![job(1, Some(60))],
            timeout: Duration::from_millis(50),
        }
        .to_string();
        assert_eq!(
            text,
            format!(
                "1 blocking job was still running when the shutdown timeout of 0.050 s expired; \
                 the runner closed without waiting for it: task #1 spawned at {} (running for \
                 0.060 s)",
                at()
            )
        );
    }

    #[test]
    fn a_stuck_poll_reads_as_a_sentence() {
        let text = Diagnostic::StuckPoll {
            task: TaskInfo::new(7, at()),
            running_for: Duration::from_millis(104),
        }
        .to_string();
        assert_eq!(
            text,
            format!(
                "task #7 spawned at {} has blocked the executor for 0.104 s so far, in a poll \
                 that has not returned",
                at()
            )
        );
    }

    #[test]
    fn a_dropped_pending_task_reads_as_a_sentence() {
        let text = Diagnostic::PendingTaskDropped {
            task: TaskInfo::new(5, at()),
        }
        .to_string();
        assert_eq!(
            text,
            format!(
                "task #5 spawned at {} was cancelled while pending because its handle was \
                 dropped (detach the task to let it run on its own, or cancel it on purpose with \
                 Task::cancel)",
                at()
            )
        );
    }

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
