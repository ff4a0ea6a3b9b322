//! `Runner` and `run`: asyncio's `Runner` and `asyncio.run`.

use std::cell::Cell;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::num::NonZeroUsize;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::task::Waker;
use std::time::{Duration, Instant};

use async_executor::Executor;

use crate::context::{self, Context};
use crate::debug::diagnostic::{Diagnostic, Handler};
use crate::debug::snapshot::{TaskSnapshot, Tracked};
use crate::debug::watchdog;
use crate::runner::builder::{Builder, ExecutorFactory};
use crate::runner::current::{self, Current, Engine, Role};
use crate::runner::drive;
use crate::runner::env;
use crate::runner::error::RunError;
use crate::runner::scheduler::{Remote, Scheduler};
use crate::runner::shared::Shared;
use crate::runner::tokio_rt::{self, Tokio};
use crate::runner::workers::Workers;
use crate::signal::{Interrupt, Signal};
use crate::task::handle::Meta;
use crate::task::local::LocalTasks;
use crate::task::panic;
use crate::task::registry::TaskRegistry;
use crate::task::wrapper::MainFuture;
use crate::time::clock::{Spawner, Time, Unpausable};
use crate::time::idle;

/// Runs a future to completion on a fresh runner, then closes the runner: `asyncio.run`.
///
/// The future runs on the calling thread, so it need not be `Send`. Tasks it spawned and left
/// running are cancelled when the runner closes, and blocking jobs are waited for (up to the
/// 300 s default shutdown timeout). On the main thread, Ctrl-C cancels the future and returns
/// [`RunError::Interrupted`]; on other threads Ctrl-C is left to the program (see
/// [`Builder::handle_ctrl_c`]).
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let answer = runner::run(async {
///     runner::sleep(Duration::from_millis(1)).await;
///     42
/// });
/// assert_eq!(answer, Ok(42));
/// ```
///
/// # Errors
///
/// [`RunError::Nested`] when called inside another runner's `run` on this thread;
/// [`RunError::Interrupted`] after Ctrl-C.
///
/// # Panics
///
/// A panic in the future propagates, after the runner has closed.
#[track_caller]
pub fn run<F: IntoFuture>(future: F) -> Result<F::Output, RunError> {
    let mut runner = Runner::new();
    let output = runner.run(future);
    runner.close();
    output
}

/// Runs futures on one executor, one `run` after another: `asyncio.Runner`.
///
/// A runner starts lazily (building one allocates nothing heavy), keeps its executor and the
/// tasks spawned in one `run` alive into the next, and [`close`](Runner::close)s when dropped.
/// Closing cancels the tasks still pending (their destructors run before `close` returns, and
/// whoever awaits them wakes), waits for blocking jobs up to the shutdown timeout, and stops the
/// worker threads.
///
/// A runner is not `Send`: tasks spawned with [`spawn_local`](crate::spawn_local) live on the
/// thread that calls `run`.
///
/// # Examples
///
/// ```
/// use runner::Runner;
///
/// let mut runner = Runner::new();
/// let first = runner.run(async { 1 }).unwrap();
/// let second = runner.run(async { 2 }).unwrap();
/// assert_eq!(first + second, 3);
/// runner.close();
/// assert!(runner.is_closed());
/// ```
///
/// A runner never leaves its thread:
///
/// ```compile_fail
/// fn assert_send<T: Send>() {}
/// assert_send::<runner::Runner>();
/// ```
pub struct Runner {
    state: State,
    debug: bool,
    threads: NonZeroUsize,
    handle_ctrl_c: bool,
    handle_sigterm: bool,
    shutdown_timeout: Duration,
    /// The signal that cancelled the last run, if one did: `close` then says when it waits.
    cancelled_by: Option<Signal>,
    /// Whether the runner gets a tokio runtime (with the `tokio` feature).
    tokio: bool,
}

enum State {
    /// Built, not yet started: what starting it needs.
    Idle(Unstarted),
    Started(Started),
    Closed,
}

struct Unstarted {
    start_paused: bool,
    slow_poll_threshold: Duration,
    executor_factory: Option<ExecutorFactory>,
    on_diagnostic: Option<Handler>,
    executor_engine: bool,
}

struct Started {
    shared: Arc<Shared>,
    /// What runs the tasks: on one thread the runner's own scheduler (unless
    /// `entry::executor_engine` asked for `async-executor`); otherwise an executor, the runner's
    /// own unless `executor_factory` made it (then the shared state keeps a registry of the
    /// tasks).
    engine: Engine,
    /// What `Runner::executor` handed out, for an engine of the runner's own.
    handed_out: Option<Arc<Executor<'static>>>,
    /// Its tokio runtime, with the `tokio` feature; the shared state holds its handle.
    tokio: Tokio,
    workers: Option<Workers>,
    /// The context every `run` executes its future in: a copy of the starter's context. `None`
    /// while empty: a `set` in a run makes it real, and it comes back here.
    context: Cell<Option<Context>>,
}

impl Runner {
    /// A runner with the default settings; the same as `Builder::new().build()`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut runner = runner::Runner::new();
    /// assert_eq!(runner.run(async { 5 }), Ok(5));
    /// ```
    pub fn new() -> Runner {
        Builder::new().build()
    }

    /// A [`Builder`] to configure a runner.
    ///
    /// # Examples
    ///
    /// ```
    /// let runner = runner::Runner::builder().debug(true).build();
    /// assert!(runner.is_debug());
    /// ```
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn from_builder(builder: Builder) -> Runner {
        // Paused time runs on one thread unless the builder asks for more (then `run` refuses).
        let threads = match (builder.start_paused, builder.threads) {
            (true, None) => NonZeroUsize::MIN,
            (_, threads) => env::resolve_threads(threads),
        };
        Runner {
            debug: env::resolve_debug(builder.debug),
            threads,
            handle_ctrl_c: builder.handle_ctrl_c,
            handle_sigterm: builder.handle_sigterm,
            shutdown_timeout: builder.shutdown_timeout,
            cancelled_by: None,
            tokio: builder.tokio,
            state: State::Idle(Unstarted {
                start_paused: builder.start_paused,
                slow_poll_threshold: builder.slow_poll_threshold,
                executor_factory: builder.executor_factory,
                on_diagnostic: builder.on_diagnostic,
                executor_engine: builder.executor_engine,
            }),
        }
    }

    /// Runs `future` to completion on this runner and returns its output.
    ///
    /// The future is polled on the calling thread (it need not be `Send`) while the executor runs
    /// the runner's tasks. Tasks still pending when it completes stay alive and keep running in
    /// the next `run`. The runner starts on the first `run` (or [`executor`](Runner::executor)).
    ///
    /// The future runs in the runner's [`context`](Runner::context), so context variables it sets
    /// are seen by the next `run`, not by the caller.
    ///
    /// With the `tokio` feature, tokio's `block_on` on the runner's own tokio runtime drives the
    /// thread (see [`Builder::tokio`]). Called inside a tokio runtime (a tokio task, or tokio's
    /// `block_on`), `run` keeps that runtime instead: tokio calls in the future go to it, and on a
    /// worker of a multi-thread runtime the run first hands the worker's queue to another thread
    /// (`tokio::task::block_in_place`). The run still blocks the calling thread until it returns:
    /// on a current-thread runtime that thread drives tokio's timers and I/O, which then never
    /// fire inside the run (run the runner on a thread of its own there).
    ///
    /// While the future is pending, the first Ctrl-C drops it and `run` returns
    /// [`RunError::Interrupted`]; a second one ends the process. This holds on the process's
    /// main thread only: a run on another thread leaves Ctrl-C to the program. See
    /// [`Builder::handle_ctrl_c`] for the details, [`Builder::handle_sigterm`] for SIGTERM, and
    /// [`ctrl_c`](crate::signal::ctrl_c) to handle Ctrl-C in the future instead.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut runner = runner::Runner::new();
    /// let (tx, rx) = async_channel::unbounded();
    /// runner.run(async move {
    ///     runner::spawn(async move { tx.send("from the first run").await.unwrap() }).detach();
    /// }).unwrap();
    /// // The task spawned in the first run finishes in the second.
    /// assert_eq!(runner.run(rx.recv()).unwrap(), Ok("from the first run"));
    /// ```
    ///
    /// # Errors
    ///
    /// [`RunError::Nested`] when this thread is already inside a runner's `run` (the outer run is
    /// unaffected), [`RunError::Closed`] after [`close`](Runner::close),
    /// [`RunError::Interrupted`] when Ctrl-C cancelled the future, and [`RunError::Terminated`]
    /// when SIGTERM did (if handled).
    ///
    /// # Panics
    ///
    /// A panic in the future propagates out of `run` after the run has cleaned up; the runner
    /// stays usable.
    #[track_caller]
    pub fn run<F: IntoFuture>(&mut self, future: F) -> Result<F::Output, RunError> {
        self.run_in(future, None, Location::caller())
    }

    /// Runs `future` like [`run`](Runner::run), but inside `context` instead of the runner's own:
    /// asyncio's `runner.run(coro, context=ctx)`. The context variables it sets land in `context`.
    ///
    /// # Examples
    ///
    /// ```
    /// use runner::context::{Context, ContextVar};
    /// use runner::Runner;
    ///
    /// static USER: ContextVar<&str> = ContextVar::new("user");
    ///
    /// let context = Context::new();
    /// let mut runner = Runner::new();
    /// runner.run_with_context(async { USER.set("ada") }, &context).unwrap();
    /// assert_eq!(context.get(&USER), Some("ada"));
    /// assert_eq!(runner.run(async { USER.get() }), Ok(None)); // the runner's own context
    /// ```
    ///
    /// # Errors
    ///
    /// As [`run`](Runner::run).
    ///
    /// # Panics
    ///
    /// As [`run`](Runner::run).
    #[track_caller]
    pub fn run_with_context<F: IntoFuture>(
        &mut self,
        future: F,
        context: &Context,
    ) -> Result<F::Output, RunError> {
        self.run_in(future, Some(context), Location::caller())
    }

    /// `run`, in `context` or else the runner's own.
    fn run_in<F: IntoFuture>(
        &mut self,
        future: F,
        context: Option<&Context>,
        run_at: &'static Location<'static>,
    ) -> Result<F::Output, RunError> {
        if current::is_driving() {
            return Err(RunError::Nested);
        }
        // Called inside a tokio runtime (a tokio task, tokio's `block_on`): the run stays in it.
        let in_tokio = tokio_rt::in_foreign_context(current::with(|c| c.is_some()));
        let (sigint, sigterm) = (self.handle_ctrl_c, self.handle_sigterm);
        // Reset first: a run that panics was not cancelled by a signal either.
        self.cancelled_by = None;
        let started = self.start(in_tokio)?;
        let given;
        let context = match context {
            Some(context) => {
                given = Cell::new(Some(context.clone()));
                &given
            }
            None => &started.context,
        };
        let (main, shared) = (future.into_future(), &started.shared);
        let main = MainFuture::new(main, shared, run_at, context);
        // The signals are this run's from before the first poll until `interrupt` drops, after
        // the main future has (by any path, panics included).
        let interrupt = Interrupt::take(sigint, sigterm, shared);
        let output = if let Some(live) = &shared.live {
            let main = Tracked::main(main, live, run_at);
            started.drive(in_tokio, interrupt.race(main))
        } else if interrupt.took_any() {
            started.drive(in_tokio, interrupt.race(main))
        } else {
            // Without a signal to race, a smaller future to move into the executor.
            Ok(started.drive(in_tokio, main))
        };
        self.cancelled_by = match output {
            Err(RunError::Interrupted) => Some(Signal::Interrupt),
            Err(RunError::Terminated) => Some(Signal::Terminate),
            _ => None,
        };
        output
    }

    /// Closes the runner: stops its worker threads, cancels its pending tasks, waits for its
    /// blocking jobs (up to the shutdown timeout) and stops the threads of its blocking pool
    /// (see [`spawn_blocking`](crate::spawn_blocking)). Calling it again does nothing.
    ///
    /// A cancelled task completes as cancelled: its destructors run before `close` returns, and
    /// whoever awaits its [`Task`](crate::Task) wakes (see there). What a destructor spawns
    /// meanwhile is cancelled at once. In debug mode each cancelled task is reported with the
    /// line that spawned it; blocking jobs still running after the timeout are always reported.
    ///
    /// Closing inside another runner's `run` (say, a runner moved into the main future and
    /// dropped there) never blocks the outer runner: the tasks are cancelled at once as usual,
    /// but blocking jobs are not waited for; they run to their end on their own, and are
    /// reported as [`Diagnostic::BlockingJobsLeftRunning`]. (asyncio refuses to close a loop
    /// inside a running loop.)
    ///
    /// After a run that Ctrl-C or SIGTERM cancelled, a wait for blocking jobs is reported before it
    /// starts ([`Diagnostic::WaitingForBlockingJobs`]): the program is no longer stuck silently.
    ///
    /// With the `tokio` feature, closing goes: join the worker threads, cancel the runner's tasks
    /// inside its tokio context (so their destructors may call tokio), wait for its blocking jobs,
    /// then shut its tokio runtime down: tasks that `tokio::spawn` left pending are dropped, and
    /// tokio's `spawn_blocking` jobs are waited for in what is left of the shutdown timeout (not
    /// at all inside another runner's `run` or inside a tokio task); those still running are
    /// reported as [`Diagnostic::TokioBlockingJobsLeftRunning`].
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use std::sync::Arc;
    ///
    /// struct SetOnDrop(Arc<AtomicBool>);
    /// impl Drop for SetOnDrop {
    ///     fn drop(&mut self) { self.0.store(true, Ordering::SeqCst) }
    /// }
    ///
    /// let dropped = Arc::new(AtomicBool::new(false));
    /// let guard = SetOnDrop(dropped.clone());
    /// let mut runner = runner::Runner::new();
    /// runner.run(async move {
    ///     runner::spawn(async move {
    ///         let _guard = guard;
    ///         std::future::pending::<()>().await
    ///     })
    ///     .detach();
    /// }).unwrap();
    /// runner.close();
    /// assert!(dropped.load(Ordering::SeqCst)); // the pending task was cancelled
    /// runner.close(); // idempotent
    /// ```
    pub fn close(&mut self) {
        if let State::Started(started) = std::mem::replace(&mut self.state, State::Closed) {
            started.shut_down(self.shutdown_timeout, self.cancelled_by);
        }
    }

    /// Whether [`close`](Runner::close) has been called.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut runner = runner::Runner::new();
    /// assert!(!runner.is_closed());
    /// runner.close();
    /// assert!(runner.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// Whether this runner runs in debug mode: the builder's setting, or else `RUNNER_DEBUG`.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(runner::Builder::new().debug(true).build().is_debug());
    /// ```
    pub fn is_debug(&self) -> bool {
        self.debug
    }

    /// The runner's executor, starting the runner if needed: asyncio's `get_loop()`.
    ///
    /// The runner runs the tasks spawned on it while it runs, but does not count them: `close`
    /// cancels them only if it drops the last handle to the executor. Nor do they carry a
    /// [`Context`]: they see whichever context their thread has. Prefer
    /// [`spawn`](crate::spawn).
    ///
    /// Made by [`executor_factory`](crate::Builder::executor_factory), it is the executor the
    /// runner spawns its tasks on. Otherwise the runner keeps that one to itself (so that
    /// `close` cancels its tasks by dropping it), and this is a second executor that a task of
    /// the runner's runs: tasks spawned with [`spawn`](crate::spawn) never live in it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut runner = runner::Runner::new();
    /// let executor = runner.executor().unwrap();
    /// let task = executor.spawn(async { 1 + 1 });
    /// assert_eq!(runner.run(task), Ok(2));
    /// ```
    ///
    /// # Errors
    ///
    /// [`RunError::Closed`] after [`close`](Runner::close).
    pub fn executor(&mut self) -> Result<Arc<Executor<'static>>, RunError> {
        let in_tokio = tokio_rt::in_foreign_context(current::with(|c| c.is_some()));
        Ok(self.start(in_tokio)?.hand_out_executor())
    }

    /// The runner's own [`Context`], starting the runner if needed: the one every
    /// [`run`](Runner::run) executes its future in.
    ///
    /// The runner takes it when it starts, as a copy of the starting thread's current context
    /// (an empty one costs nothing until a variable is set in it or this handle is asked for).
    /// The handle shares the runner's values: what a `run` sets is seen here, and what is set
    /// through it (with [`Context::run`]) is seen by the next `run`.
    ///
    /// # Examples
    ///
    /// ```
    /// use runner::context::ContextVar;
    /// use runner::Runner;
    ///
    /// static ATTEMPT: ContextVar<u32> = ContextVar::new("attempt");
    ///
    /// let mut runner = Runner::new();
    /// runner.run(async { ATTEMPT.set(1) }).unwrap();
    /// let context = runner.context().unwrap();
    /// assert_eq!(context.get(&ATTEMPT), Some(1));
    /// context.run(|| ATTEMPT.set(2));
    /// assert_eq!(runner.run(async { ATTEMPT.get() }), Ok(Some(2)));
    /// ```
    ///
    /// # Errors
    ///
    /// [`RunError::Closed`] after [`close`](Runner::close).
    pub fn context(&mut self) -> Result<Context, RunError> {
        let in_tokio = tokio_rt::in_foreign_context(current::with(|c| c.is_some()));
        let context = self.start(in_tokio)?.context.get_mut();
        Ok(context.get_or_insert_with(Context::new).clone())
    }

    /// The runner's live tasks in debug mode: each with its spawn site, age, number of polls,
    /// total poll time, and whether it is running, scheduled or waiting; asyncio's
    /// `all_tasks()`. Empty before the runner starts, after it closes, and with debug mode off
    /// (which keeps no record). Inside the runner, [`tasks`](crate::debug::tasks) also lists the main
    /// future of the `run` in progress.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// // One thread: both tasks have been polled once by the time the sleep ends.
    /// let mut runner = runner::Builder::new().debug(true).threads(1).build();
    /// runner.run(async {
    ///     runner::spawn(runner::sleep(Duration::from_secs(60))).detach();
    ///     runner::spawn(async { 1 }).detach();
    ///     runner::sleep(Duration::from_millis(5)).await;
    /// }).unwrap();
    /// let tasks = runner.tasks();
    /// assert_eq!(tasks.len(), 1, "the finished task is gone: {tasks:?}");
    /// assert_eq!(tasks[0].task.id, 1);
    /// println!("{}", tasks[0]); // task #1 spawned at src/main.rs:8:5 (age 0.005 s, 1 poll taking 0.000 s, waiting)
    /// ```
    pub fn tasks(&self) -> Vec<TaskSnapshot> {
        match &self.state {
            State::Started(started) => started.shared.tasks(),
            _ => Vec::new(),
        }
    }

    /// Starts the runner on first use: executor, tokio runtime, worker threads, context.
    /// `in_tokio`: the starting thread is inside a tokio runtime, which the runner then uses.
    fn start(&mut self, in_tokio: bool) -> Result<&mut Started, RunError> {
        if let State::Idle(unstarted) = &self.state {
            if unstarted.start_paused {
                if self.threads.get() > 1 {
                    return Err(RunError::PausedTimeWithThreads);
                }
                if unstarted.executor_factory.is_some() {
                    return Err(RunError::PausedTimeWithExecutorFactory);
                }
            }
        }
        if let State::Idle(_) = self.state {
            // Closed while the factory runs: a factory that panics leaves a closed runner.
            let State::Idle(unstarted) = std::mem::replace(&mut self.state, State::Closed) else {
                unreachable!()
            };
            let Unstarted {
                start_paused,
                slow_poll_threshold,
                executor_factory,
                on_diagnostic,
                executor_engine,
            } = unstarted;
            // A factory's executor may be shared: then the runner lists its tasks to cancel them.
            let unpausable = if self.threads.get() > 1 {
                Some(Unpausable::Threads(self.threads.get()))
            } else if executor_factory.is_some() {
                Some(Unpausable::ExecutorFactory)
            } else {
                None
            };
            let (engine, registry) = match executor_factory {
                Some(factory) => (
                    Engine::Executor(factory(), LocalTasks::new()),
                    Some(TaskRegistry::default()),
                ),
                None if self.threads.get() == 1 && !executor_engine => {
                    (Engine::Own(Scheduler::new()), None)
                }
                None => (
                    Engine::Executor(Arc::new(Executor::new()), LocalTasks::new()),
                    None,
                ),
            };
            let tokio = Tokio::start(self.tokio, in_tokio);
            let shared = Arc::new(Shared::new(
                self.debug,
                slow_poll_threshold,
                on_diagnostic,
                registry,
                Time::new(unpausable),
                tokio.handle(),
                matches!(engine, Engine::Own(_)),
            ));
            shared.time.set_engine(match &engine {
                Engine::Own(scheduler) => Arc::downgrade(scheduler.remote()) as Weak<dyn Spawner>,
                Engine::Executor(executor, _) => Arc::downgrade(executor) as Weak<dyn Spawner>,
            });
            if start_paused {
                shared.time.pause();
            }
            if let Some(live) = &shared.live {
                watchdog::watch(live);
            }
            let workers = match &engine {
                Engine::Executor(executor, _) => {
                    Workers::start(self.threads.get() - 1, &shared, executor)
                }
                Engine::Own(_) => None,
            };
            self.state = State::Started(Started {
                shared,
                engine,
                handed_out: None,
                tokio,
                workers,
                context: Cell::new(context::copy_current()),
            });
        }
        match &mut self.state {
            State::Started(started) => Ok(started),
            _ => Err(RunError::Closed),
        }
    }
}

impl Started {
    /// Polls `future` on this thread until it completes, running the executors meanwhile.
    /// `in_tokio`: the thread is inside a tokio runtime that is not the runner's.
    fn drive<F: Future>(&self, in_tokio: bool, future: F) -> F::Output {
        let _enter = current::enter(Current::new(
            self.shared.clone(),
            Role::Driving(self.engine.clone()),
        ));
        let shared = &self.shared;
        let time = &shared.time;
        let outcome = catch_unwind(AssertUnwindSafe(|| match &self.engine {
            Engine::Own(scheduler) => {
                // Idle with the clock paused: `time::idle` decides whether it jumps.
                let driven = scheduler.drive(future, |waker: &Waker, woke| {
                    if !time.is_paused() {
                        time.wake_on_pause(waker);
                        if !time.is_paused() {
                            return None;
                        }
                    }
                    Some(async move {
                        idle::advance_if_idle(shared, || woke.is_set()).await;
                    })
                });
                // Who drives the thread (tokio's `block_on`, or async-io's): `tokio_rt.rs`.
                self.tokio.block_on(in_tokio, driven)
            }
            Engine::Executor(executor, local) => {
                let main = local.drive(future);
                if time.unpausable().is_some() {
                    return self.tokio.block_on(in_tokio, executor.run(main));
                }
                // One thread on async-executor (`entry::executor_engine`, for benches).
                drive::pausable(main, executor, shared, &self.tokio, in_tokio)
            }
        }));
        drop(_enter);
        outcome.unwrap_or_else(|payload| resume_unwind(panic::unwrap(payload)))
    }

    /// The executor `Runner::executor` returns. A factory's executor is handed out as it is; the
    /// runner's own stays private (so that `close` can drop it), and the user gets a second
    /// executor that a task of the runner's runs.
    fn hand_out_executor(&mut self) -> Arc<Executor<'static>> {
        let engine = &self.engine;
        if let (Engine::Executor(executor, _), Some(_)) = (engine, &self.shared.registry) {
            return executor.clone();
        }
        self.handed_out
            .get_or_insert_with(|| {
                let handed_out = Arc::new(Executor::new());
                let driven = handed_out.clone();
                let runs = async move { driven.run(std::future::pending::<()>()).await };
                match engine {
                    Engine::Own(scheduler) => {
                        scheduler.spawn_internal(runs, Meta::internal()).detach()
                    }
                    Engine::Executor(executor, _) => executor.spawn(runs).detach(),
                }
                handed_out
            })
            .clone()
    }

    fn shut_down(self, shutdown_timeout: Duration, cancelled_by: Option<Signal>) {
        let begun = Instant::now();
        // Inside another runner's `run` (or on its worker): waiting here would stall it.
        let nested = current::is_driving();
        // Inside a tokio runtime's task or `block_on`: no waiting there either (tokio panics
        // when a runtime is dropped there and would wait).
        let in_tokio = tokio_rt::in_foreign_context(current::with(|c| c.is_some()));
        self.shared.begin_closing();
        self.shared.time.close();
        if let Some(registry) = &self.shared.registry {
            // The executor may be shared: each task of this runner completes there as cancelled.
            if registry.begin_close() {
                self.drive(in_tokio, registry.all_gone());
            }
        }
        let Started {
            shared,
            engine,
            handed_out,
            tokio,
            workers,
            context: _,
        } = self;
        if let Some(workers) = workers {
            workers.stop_and_join();
        }
        {
            // The runner's tasks are cancelled in its tokio context: their destructors may call
            // tokio. Then its blocking jobs are waited for, which may call tokio too.
            let _tokio = shared.tokio.enter();
            cancel_and_wait(
                &shared,
                engine,
                handed_out,
                nested,
                shutdown_timeout,
                cancelled_by,
            );
        }
        // Last, tokio: its pending tasks are dropped, its blocking jobs waited for in the time
        // left.
        let timeout = match nested || in_tokio {
            true => Duration::ZERO,
            false => shutdown_timeout.saturating_sub(begun.elapsed()),
        };
        let threads = {
            // tokio drops its pending tasks here: what their destructors spawn on the runner is
            // cancelled at once, as for the runner's own tasks.
            let _closing = current::enter(Current::new(shared.clone(), Role::Closing));
            tokio.shut_down(timeout)
        };
        if threads > 0 {
            shared.report(Diagnostic::TokioBlockingJobsLeftRunning { threads, timeout });
        }
        // The tasks are cancelled: debug mode's records go too. A task's handle still held keeps
        // its record's chunk, and the chunk what it needs of the records, until it is dropped.
        // The watchdog watched until now: a poll stuck while `close` waits for it (a worker's,
        // or a task's that `close` polls to cancel it) is reported while it is stuck.
        if let Some(live) = &shared.live {
            watchdog::unwatch(live);
            live.forget_records();
        }
    }
}

/// `close`'s middle: cancels the runner's tasks and waits for its blocking jobs.
fn cancel_and_wait(
    shared: &Arc<Shared>,
    engine: Engine,
    handed_out: Option<Arc<Executor<'static>>>,
    nested: bool,
    shutdown_timeout: Duration,
    cancelled_by: Option<Signal>,
) {
    if shared.spawned_nothing() && handed_out.is_none() && shared.registry.is_none() {
        // Nothing to cancel, no job to wait for, no destructor to run: the common `run`
        // of a trivial future closes without the phases below.
        shared.mark_closed();
        drop(engine);
        return;
    }
    shared.mark_closed();
    {
        // Destructors run here; what they spawn is cancelled at once.
        let _closing = current::enter(Current::new(shared.clone(), Role::Closing));
        match engine {
            Engine::Own(scheduler) => {
                drop(handed_out);
                scheduler.cancel_all();
            }
            Engine::Executor(executor, local) => {
                local.cancel_all();
                drop(local);
                drop(handed_out);
                // The last handle of the runner's own executor: dropping it cancels every
                // task left in it (each awaiter wakes), and frees them.
                drop(executor);
            }
        }
    }
    if nested {
        let pending = shared.blocking.running();
        if pending > 0 {
            shared.report(Diagnostic::BlockingJobsLeftRunning { pending });
        }
        shared.blocking.retire(None);
        return;
    }
    let notice = cancelled_by.and_then(|s| shared.blocking.waiting_notice(s, shutdown_timeout));
    if let Some(notice) = notice {
        shared.report(notice);
    }
    let waiting = Instant::now();
    let jobs = shared.blocking.wait_idle(shutdown_timeout);
    // Every job done: the pool's threads are idle and exit at once, in the time left.
    let left = shutdown_timeout.saturating_sub(waiting.elapsed());
    shared.blocking.retire(jobs.is_empty().then_some(left));
    if !jobs.is_empty() {
        shared.report(Diagnostic::BlockingShutdownTimedOut {
            jobs,
            timeout: shutdown_timeout,
        });
    }
}

impl Default for Runner {
    fn default() -> Runner {
        Runner::new()
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.close();
    }
}

impl fmt::Debug for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Idle(_) => "idle",
            State::Started(_) => "started",
            State::Closed => "closed",
        };
        f.debug_struct("Runner")
            .field("state", &state)
            .field("debug", &self.debug)
            .field("threads", &self.threads)
            .field("handle_ctrl_c", &self.handle_ctrl_c)
            .field("handle_sigterm", &self.handle_sigterm)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish()
    }
}

/// Whether the runner the current code runs in is in debug mode (`false` outside any runner).
///
/// # Examples
///
/// ```
/// assert!(!runner::is_debug());
/// let mut runner = runner::Builder::new().debug(true).build();
/// assert_eq!(runner.run(async { runner::is_debug() }), Ok(true));
/// ```
pub fn is_debug() -> bool {
    current::with(|c| c.is_some_and(|c| c.shared.debug))
}

/// The clock spawns its unpaused driver on the runner's own scheduler.
impl Spawner for Remote {
    fn spawn_detached(self: Arc<Self>, future: Pin<Box<dyn Future<Output = ()> + Send>>) {
        self.spawn_internal(future, Meta::internal()).detach();
    }
}

/// The clock spawns its unpaused driver on the runner's executor.
impl Spawner for Executor<'static> {
    fn spawn_detached(self: Arc<Self>, future: Pin<Box<dyn Future<Output = ()> + Send>>) {
        self.spawn(future).detach();
    }
}
