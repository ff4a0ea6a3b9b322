//! Configuring a runner before it starts.

use std::fmt;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use async_executor::Executor;

use crate::debug::diagnostic::{Diagnostic, Handler};
use crate::runner::env;
use crate::runner::run::Runner;

pub(crate) type ExecutorFactory = Box<dyn FnOnce() -> Arc<Executor<'static>> + Send>;

/// Configures a [`Runner`]: debug mode, threads, Ctrl-C and SIGTERM handling, shutdown,
/// diagnostics.
///
/// Every setting has the default that `Runner::new()` uses; settings left open (`debug(None)`,
/// no `threads`) come from the environment (`RUNNER_DEBUG`, `RUNNER_THREADS`), which the first
/// [`build`](Builder::build) that needs it reads once for the whole process.
///
/// # Examples
///
/// ```
/// use runner::Builder;
/// use std::time::Duration;
///
/// let mut runner = Builder::new()
///     .debug(true)
///     .shutdown_timeout(Duration::from_secs(5))
///     .build();
/// assert!(runner.is_debug());
/// assert_eq!(runner.run(async { 42 }), Ok(42));
/// ```
pub struct Builder {
    pub(crate) debug: Option<bool>,
    pub(crate) threads: Option<NonZeroUsize>,
    pub(crate) handle_ctrl_c: bool,
    pub(crate) handle_sigterm: bool,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) slow_poll_threshold: Duration,
    pub(crate) executor_factory: Option<ExecutorFactory>,
    pub(crate) on_diagnostic: Option<Handler>,
    pub(crate) tokio: bool,
    /// One thread on async-executor instead of the runner's own scheduler (benches only).
    pub(crate) executor_engine: bool,
    pub(crate) start_paused: bool,
}

impl Builder {
    /// The environment variable that switches debug mode on for runners whose builder leaves
    /// [`debug`](Builder::debug) open: `1`, `true`, `yes` or `on` switch it on; `0`, `false`,
    /// `no`, `off` or empty leave it off. Any other value is ignored with one warning line on
    /// stderr. Read once per process, by the first runner that needs it.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(runner::Builder::DEBUG_VAR, "RUNNER_DEBUG");
    /// // `RUNNER_DEBUG=1 cargo run` switches debug mode on for runners built without `debug(..)`.
    /// ```
    pub const DEBUG_VAR: &'static str = env::DEBUG_VAR;

    /// The environment variable that sets the thread count for runners whose builder leaves
    /// [`threads`](Builder::threads) open: a whole number of at least 1, or `auto` for one
    /// thread per core. Any other value is ignored with one warning line on stderr, and the
    /// runner has one thread. Read once per process, by the first runner that needs it.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(runner::Builder::THREADS_VAR, "RUNNER_THREADS");
    /// // `RUNNER_THREADS=auto cargo run` gives runners built without `threads(..)` one thread a core.
    /// ```
    pub const THREADS_VAR: &'static str = env::THREADS_VAR;

    /// A builder with the defaults: debug mode and threads from the environment, Ctrl-C handled,
    /// SIGTERM not, a 300 s shutdown timeout (asyncio's), a 100 ms slow-poll threshold,
    /// diagnostics on stderr.
    ///
    /// # Examples
    ///
    /// ```
    /// let runner = runner::Builder::new().build();
    /// assert!(!runner.is_closed());
    /// ```
    #[must_use]
    pub fn new() -> Builder {
        Builder {
            debug: None,
            threads: None,
            handle_ctrl_c: true,
            handle_sigterm: false,
            shutdown_timeout: Duration::from_secs(300),
            slow_poll_threshold: Duration::from_millis(100),
            executor_factory: None,
            on_diagnostic: None,
            tokio: true,
            executor_engine: false,
            start_paused: false,
        }
    }

    /// Switches debug mode on (`true`) or off (`false`); `None` lets the `RUNNER_DEBUG`
    /// environment variable decide (`1`, `true`, `yes`, `on` switch it on).
    ///
    /// In debug mode the runner reports slow polls (and, from a watchdog thread, polls stuck
    /// while they are stuck), tasks cancelled at close and tasks cancelled by dropping their
    /// handle, each with the line that spawned the task, and keeps a record of its live tasks
    /// ([`Runner::tasks`]). Off, it pays nothing for them: tasks are spawned without the
    /// wrapper that does this.
    ///
    /// # Examples
    ///
    /// ```
    /// let runner = runner::Builder::new().debug(true).build();
    /// assert!(runner.is_debug());
    /// let runner = runner::Builder::new().debug(false).build();
    /// assert!(!runner.is_debug());
    /// ```
    #[must_use]
    pub fn debug(mut self, debug: impl Into<Option<bool>>) -> Builder {
        self.debug = debug.into();
        self
    }

    /// Runs the executor on `threads` threads in all: the one that calls `run` (which also polls
    /// the main future, so it need not be `Send`) and `threads - 1` worker threads named
    /// `runner-worker-N`, started on first use and joined by `close`.
    ///
    /// Without this call, `RUNNER_THREADS` decides (a number, or `auto` for one thread per core),
    /// and without that, one thread.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut runner = runner::Builder::new().threads(2).build();
    /// assert_eq!(runner.run(async { runner::spawn(async { 7 }).await }), Ok(7));
    /// ```
    ///
    /// # Panics
    ///
    /// Panics if `threads` is 0: the thread that calls `run` always counts.
    #[must_use]
    #[track_caller]
    pub fn threads(mut self, threads: usize) -> Builder {
        match NonZeroUsize::new(threads) {
            Some(threads) => self.threads = Some(threads),
            None => panic!(
                "Builder::threads(0): a runner needs at least one thread, the one that calls \
                 run; use threads(1) for a single-threaded runner"
            ),
        }
        self
    }

    /// Whether `run` handles Ctrl-C (SIGINT) by cancelling the main future (default `true`), as
    /// asyncio's `Runner.run` does.
    ///
    /// When on, each `run` on the main thread takes SIGINT before the future is first polled and
    /// gives it back when it returns, by any path (a panic included):
    ///
    /// - The first Ctrl-C drops the main future (its destructors run: that is where cleanup
    ///   happens) and `run` returns [`RunError::Interrupted`](crate::RunError::Interrupted). The
    ///   runner stays usable. A program that wants to shut down its own way instead awaits
    ///   [`ctrl_c`](crate::signal::ctrl_c).
    /// - A second Ctrl-C before `run` returned (a future stuck in a loop that never yields, or
    ///   a destructor that hangs) ends the process at once, as if no handler were installed.
    /// - After `run`, SIGINT is as it was: with the default disposition, Ctrl-C kills the
    ///   process.
    ///
    /// `run` takes SIGINT only on the process's main thread, as asyncio does: a run on any other
    /// thread (a library's worker thread, or a plain `#[test]`, which the test harness runs on a
    /// thread of its own) leaves Ctrl-C to the program, which by default ends the process. The
    /// main thread is recognised on Linux, Android, Apple platforms, FreeBSD, DragonFly,
    /// OpenBSD and Windows; on other Unix systems (NetBSD, Solaris, ...) no run takes SIGINT. A
    /// thread runs one `run` at a time, so one run at most owns SIGINT.
    ///
    /// `run` takes SIGINT only if its disposition is the default: a program that installed its
    /// own handler, or runs with SIGINT ignored (`nohup`, `trap '' INT`), is left alone. Taking
    /// SIGINT never fails a run: if it cannot be done, the run goes on without it.
    ///
    /// On Windows Ctrl-C is a console control event, and `run` takes `CTRL_C_EVENT` and
    /// `CTRL_BREAK_EVENT` with a handler routine (`SetConsoleCtrlHandler`), with the same
    /// contract; an interrupted `#[runner::main]` exits with `STATUS_CONTROL_C_EXIT`. Where
    /// Windows differs: the main thread is the one the standard library names "main"; a
    /// process that ignores Ctrl-C (started with `CREATE_NEW_PROCESS_GROUP`, or after
    /// `SetConsoleCtrlHandler(NULL, TRUE)`) is left alone; and since Windows cannot list the
    /// routines installed and calls the last installed first, the run's routine pre-empts one
    /// the program installed before (the `ctrlc` crate, say) until `run` returns: pass `false`
    /// here to leave Ctrl-C to it. A second Ctrl-C ends the process with `ExitProcess`. On other
    /// platforms this setting does nothing and Ctrl-C does what the platform does by default.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut runner = runner::Builder::new().handle_ctrl_c(false).build();
    /// assert_eq!(runner.run(async { 1 }), Ok(1));
    /// ```
    #[must_use]
    pub fn handle_ctrl_c(mut self, handle: bool) -> Builder {
        self.handle_ctrl_c = handle;
        self
    }

    /// Whether `run` handles SIGTERM like the first Ctrl-C (default `false`): for servers, which
    /// supervisors (systemd, container runtimes, `kill`) stop with SIGTERM.
    ///
    /// When on, each `run` takes SIGTERM as it takes SIGINT (see
    /// [`handle_ctrl_c`](Builder::handle_ctrl_c): on the main thread only, only if its
    /// disposition is the default, given back when `run` returns):
    ///
    /// - SIGTERM drops the main future (its destructors run) and `run` returns
    ///   [`RunError::Terminated`](crate::RunError::Terminated); `#[runner::main(sigterm = true)]`
    ///   then ends the process by SIGTERM (shell status 143), see
    ///   [`signal::exit_terminated`](crate::signal::exit_terminated).
    /// - A second SIGTERM or Ctrl-C before `run` returned ends the process at once.
    /// - To drain instead of being cancelled, await [`shutdown_signal`](crate::signal::shutdown_signal),
    ///   which resolves on either signal.
    ///
    /// Off, SIGTERM keeps the program's disposition (by default it ends the process at once,
    /// without running destructors). On Windows the termination request is `CTRL_CLOSE_EVENT`,
    /// the console window closing: the process dies as soon as the handler routine returns, so
    /// the routine waits for the process to end, and the cleanup (the main future's destructors,
    /// `close`, what the program does after `run`) has the 5 s or so that Windows allows; the
    /// program then exits with code 143. Elsewhere this does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut runner = runner::Builder::new().handle_sigterm(true).build();
    /// assert_eq!(runner.run(async { 1 }), Ok(1));
    /// ```
    #[must_use]
    pub fn handle_sigterm(mut self, handle: bool) -> Builder {
        self.handle_sigterm = handle;
        self
    }

    /// How long `close` waits for blocking jobs still running (default 300 s, as asyncio's
    /// `shutdown_default_executor`). Past it, `close` reports
    /// [`Diagnostic::BlockingShutdownTimedOut`] and returns without them.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runner = runner::Builder::new()
    ///     .shutdown_timeout(Duration::from_secs(1))
    ///     .build();
    /// ```
    #[must_use]
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Builder {
        self.shutdown_timeout = timeout;
        self
    }

    /// Makes the executor with `factory` instead of `Executor::new()`: asyncio's `loop_factory`.
    ///
    /// The factory is called once, when the runner first runs or is asked for its executor, and
    /// [`Runner::executor`] returns exactly what it made.
    ///
    /// # Examples
    ///
    /// ```
    /// use async_executor::Executor;
    /// use std::sync::Arc;
    ///
    /// let executor = Arc::new(Executor::new());
    /// let mine = executor.clone();
    /// let mut runner = runner::Builder::new()
    ///     .executor_factory(move || mine)
    ///     .build();
    /// assert!(Arc::ptr_eq(&runner.executor().unwrap(), &executor));
    /// ```
    #[must_use]
    pub fn executor_factory(
        mut self,
        factory: impl FnOnce() -> Arc<Executor<'static>> + Send + 'static,
    ) -> Builder {
        self.executor_factory = Some(Box::new(factory));
        self
    }

    /// Sends every [`Diagnostic`] to `handler` instead of printing it on stderr.
    ///
    /// The handler runs on whichever thread noticed the problem, so it must be quick and must
    /// not block. A report never brings the program down: if the handler panics, that report is
    /// printed on stderr instead, with a note that the handler panicked, and the program goes on.
    /// While the thread is already unwinding from a panic (a runner dropped by it), reports go to
    /// stderr without calling the handler, since a second panic there would abort the process.
    /// A stderr that cannot be written (closed) is ignored; stderr stays blocking, as it is for
    /// the whole process, so a full pipe that nobody reads blocks the thread that reports, as it
    /// blocks `eprintln!`.
    ///
    /// # Examples
    ///
    /// ```
    /// let runner = runner::Builder::new()
    ///     .on_diagnostic(|d| eprintln!("[app] {d}"))
    ///     .build();
    /// ```
    #[must_use]
    pub fn on_diagnostic(
        mut self,
        handler: impl Fn(&Diagnostic) + Send + Sync + 'static,
    ) -> Builder {
        self.on_diagnostic = Some(Arc::new(handler));
        self
    }

    /// Starts the runner with its clock paused, for tests: tokio's `start_paused`. See
    /// [`runner::time::pause`](crate::time::pause) for how paused time moves; sleeps, timeouts
    /// and intervals then take no real time.
    ///
    /// Paused time needs one thread: unless [`threads`](Builder::threads) is given, the runner
    /// runs on one thread whatever `RUNNER_THREADS` says.
    ///
    /// With the `tokio` feature, tokio's own clock is not paused: `tokio::time` stays real in a
    /// paused runner (see [`tokio`](Builder::tokio)).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let mut runner = runner::Builder::new().start_paused(true).build();
    /// let real = Instant::now();
    /// // Made inside the run: a sleep made outside any runner (such as `run`'s argument
    /// // `runner::sleep(..)`) would be on the real clock.
    /// runner.run(async { runner::sleep(Duration::from_secs(24 * 3600)).await }).unwrap();
    /// assert!(real.elapsed() < Duration::from_secs(60));
    /// ```
    ///
    /// # Errors
    ///
    /// With [`threads(N)`](Builder::threads) for N above 1, every `run` returns
    /// [`RunError::PausedTimeWithThreads`](crate::RunError::PausedTimeWithThreads); with an
    /// [`executor_factory`](Builder::executor_factory),
    /// [`RunError::PausedTimeWithExecutorFactory`](crate::RunError::PausedTimeWithExecutorFactory).
    #[must_use]
    pub fn start_paused(mut self, paused: bool) -> Builder {
        self.start_paused = paused;
        self
    }

    /// In debug mode, a single poll longer than this is reported as
    /// [`Diagnostic::SlowPoll`] (default 100 ms, as asyncio's `slow_callback_duration`).
    ///
    /// Polls are timed with the cheapest monotonic clock (on Linux `CLOCK_MONOTONIC_COARSE`,
    /// a few nanoseconds a read), so durations are exact to the kernel tick (1-4 ms): choose a
    /// threshold of 10 ms or more.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let runner = runner::Builder::new()
    ///     .debug(true)
    ///     .slow_poll_threshold(Duration::from_millis(20))
    ///     .build();
    /// ```
    #[must_use]
    pub fn slow_poll_threshold(mut self, threshold: Duration) -> Builder {
        self.slow_poll_threshold = threshold;
        self
    }

    /// Whether the runner gets a tokio runtime of its own (default `true`), with the `tokio`
    /// cargo feature; without the feature there is none, and this does nothing.
    ///
    /// With it, tokio's current-thread runtime drives the thread inside [`run`](Runner::run):
    /// `tokio::net`, `tokio::time`, `tokio::spawn` and the crates built on them work, at tokio's
    /// own speed. Each runner has a fresh runtime (each `#[runner::test]` too), which `close`
    /// shuts down (see [`Runner::close`]). With [`threads`](Builder::threads), the worker threads
    /// and blocking jobs enter the same runtime's context: `tokio::spawn` and tokio's I/O work
    /// there, and their tasks and I/O events are served by the thread inside `run`, while a run is
    /// in progress. The price is paid by async-io: its reactor moves to its helper thread, so each
    /// readiness event of `async-net` and friends crosses threads (several times slower for
    /// small round trips on a busy machine). A dependency can turn the feature on for the whole
    /// program; an application whose I/O is async-io's turns the runtime off here, and keeps
    /// async-io on the thread inside `run`. Runner's own timers do not pay it on a one-thread
    /// runner: the timer that wakes its timer queue is then tokio's. Under paused time
    /// ([`start_paused`](Builder::start_paused)) `tokio::time` stays real: tokio's clock is not
    /// the runner's. See README.md, "Using tokio crates".
    ///
    /// # Examples
    ///
    /// ```
    /// // I/O on async-net only: keep async-io's reactor on this thread.
    /// let mut runner = runner::Builder::new().tokio(false).build();
    /// assert_eq!(runner.run(async { 1 }), Ok(1));
    /// ```
    pub fn tokio(mut self, tokio: bool) -> Builder {
        self.tokio = tokio;
        self
    }

    /// Builds the runner. Nothing heavy happens yet: the executor and threads start on first use.
    ///
    /// Settings left to the environment come from it (read once per process).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut runner = runner::Builder::new().build();
    /// assert_eq!(runner.run(async { "done" }), Ok("done"));
    /// ```
    pub fn build(self) -> Runner {
        Runner::from_builder(self)
    }
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("debug", &self.debug)
            .field("threads", &self.threads)
            .field("handle_ctrl_c", &self.handle_ctrl_c)
            .field("handle_sigterm", &self.handle_sigterm)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .field("slow_poll_threshold", &self.slow_poll_threshold)
            .field("executor_factory", &self.executor_factory.is_some())
            .field("on_diagnostic", &self.on_diagnostic.is_some())
            .field("tokio", &self.tokio)
            .field("start_paused", &self.start_paused)
            .finish()
    }
}
