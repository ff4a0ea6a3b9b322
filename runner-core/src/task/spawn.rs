//! Spawning tasks: `spawn` and `spawn_local`.

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use async_executor::Executor;
use pin_project_lite::pin_project;

use crate::debug::diagnostic::TaskInfo;
use crate::debug::snapshot::{ByEngine, ByWaker, Handle, LiveTasks, Tracked, Wakes};
use crate::runner::current::{self, Current, Engine, RemoteEngine, Role};
use crate::runner::scheduler::{Queued, Remote, Scheduler};
use crate::runner::shared::Shared;
use crate::task::handle::{Meta, Outcome, Task, TrackedMeta};
use crate::task::local::LocalTasks;
use crate::task::sites::PackedInfo;
use crate::task::wrapper::{report_cancelled, Kept, Listed, TaskFuture};

/// Spawns a task on the current runner; it may run on any of the runner's threads.
///
/// The task runs in a copy of the spawner's current [`Context`](crate::context::Context): it sees the
/// values of the context variables as they were at the spawn, and its own `set`s stay its own.
///
/// The task starts at once and keeps running while the runner runs, in this `run` and in later
/// ones, until it finishes or the runner closes (which cancels it). Await the returned
/// [`Task`] for its output, [`detach`](Task::detach) it to let it run on its own, or drop it to
/// cancel it. A task spawned while its runner closes (by a destructor that `close` runs) is
/// cancelled at once.
///
/// If the task panics, awaiting the handle resumes the panic; a detached task's panic is
/// reported as [`Diagnostic::TaskPanicked`](crate::diagnostic::Diagnostic::TaskPanicked) naming the line that
/// called `spawn`.
///
/// # Examples
///
/// ```
/// let sum = runner::run(async {
///     let a = runner::spawn(async { 1 + 2 });
///     let b = runner::spawn(async { 3 + 4 });
///     a.await + b.await
/// });
/// assert_eq!(sum, Ok(10));
/// ```
///
/// # Panics
///
/// Panics when called outside a runner, or from a blocking job after its runner closed.
#[track_caller]
pub fn spawn<F>(future: F) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    spawn_as::<F, Anywhere>(future, Location::caller())
}

/// Spawns a task that stays on the current thread, so it need not be `Send`.
///
/// Called from the main future (or a task on the thread that called `run`), the task runs on
/// that thread; called from a task on a worker thread, it runs on that worker. Otherwise it
/// behaves like [`spawn`], context variables included.
///
/// # Examples
///
/// ```
/// use std::rc::Rc;
///
/// let shared = Rc::new(5); // Rc is not Send
/// let out = runner::run(async move {
///     let s = shared.clone();
///     runner::spawn_local(async move { *s * 2 }).await
/// });
/// assert_eq!(out, Ok(10));
/// ```
///
/// # Panics
///
/// Panics when called outside a runner, or from a blocking job (which has no local executor).
#[track_caller]
pub fn spawn_local<F>(future: F) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    spawn_as::<F, Here>(future, Location::caller())
}

/// Where a spawned future runs: `spawn`'s on any thread of the runner, `spawn_local`'s on the
/// spawning one. Implemented for the task's future as the runner wraps it, in debug mode or not.
trait Place<T, G: Future<Output = Outcome<T>>> {
    const FUNCTION: &'static str;
    /// Panics where this kind of task cannot be spawned from a blocking job.
    fn check_blocking();
    fn spawn_own<M: Queued>(own: Own<'_>, future: G, meta: M) -> Task<T>;
    fn spawn_executor(executor: OnExecutor<'_>, future: G) -> async_task::Task<Outcome<T>>;
}

/// The one-thread engine, reached from its runner's thread or from a blocking job.
#[derive(Clone, Copy)]
enum Own<'a> {
    Here(&'a Scheduler),
    Remote(&'a Arc<Remote>),
}

/// `async-executor`, with the spawning thread's local tasks when it drives the runner.
#[derive(Clone, Copy)]
enum OnExecutor<'a> {
    Here(&'a Arc<Executor<'static>>, &'a LocalTasks),
    Remote(&'a Arc<Executor<'static>>),
}

/// A place for each way the runner wraps the future `F`: for either engine, in debug mode or
/// not.
trait Places<F: Future>:
    Place<F::Output, TaskFuture<F, Listed>>
    + Place<F::Output, Tracked<TaskFuture<F, Listed>, ByEngine>>
    + Place<F::Output, TaskFuture<F, Kept>>
    + Place<F::Output, Tracked<TaskFuture<F, Kept>, ByWaker>>
{
}

impl<F: Future, P> Places<F> for P where
    P: Place<F::Output, TaskFuture<F, Listed>>
        + Place<F::Output, Tracked<TaskFuture<F, Listed>, ByEngine>>
        + Place<F::Output, TaskFuture<F, Kept>>
        + Place<F::Output, Tracked<TaskFuture<F, Kept>, ByWaker>>
{
}

/// `spawn`: any thread of the runner.
struct Anywhere;
/// `spawn_local`: the spawning thread.
struct Here;

impl<T, G> Place<T, G> for Anywhere
where
    G: Future<Output = Outcome<T>> + Send + 'static,
    T: Send + 'static,
{
    const FUNCTION: &'static str = "spawn";

    fn check_blocking() {}

    fn spawn_own<M: Queued>(own: Own<'_>, future: G, meta: M) -> Task<T> {
        match own {
            Own::Here(scheduler) => Task::new(scheduler.spawn(future, meta)),
            Own::Remote(remote) => Task::new(remote.spawn(future, meta)),
        }
    }

    fn spawn_executor(executor: OnExecutor<'_>, future: G) -> async_task::Task<Outcome<T>> {
        match executor {
            OnExecutor::Here(executor, _) | OnExecutor::Remote(executor) => executor.spawn(future),
        }
    }
}

impl<T, G> Place<T, G> for Here
where
    G: Future<Output = Outcome<T>> + 'static,
    T: 'static,
{
    const FUNCTION: &'static str = "spawn_local";

    fn check_blocking() {
        panic!(
            "runner::spawn_local was called from a blocking job: local tasks run on a thread \
             that drives the runner, and blocking-pool threads do not; use runner::spawn"
        )
    }

    fn spawn_own<M: Queued>(own: Own<'_>, future: G, meta: M) -> Task<T> {
        match own {
            Own::Here(scheduler) => Task::new(scheduler.spawn_local(future, meta)),
            Own::Remote(_) => unreachable!("check_blocking refuses local tasks from blocking jobs"),
        }
    }

    fn spawn_executor(executor: OnExecutor<'_>, future: G) -> async_task::Task<Outcome<T>> {
        match executor {
            OnExecutor::Here(_, local) => local.spawn(future),
            OnExecutor::Remote(_) => {
                unreachable!("check_blocking refuses local tasks from blocking jobs")
            }
        }
    }
}

/// The body of `spawn` and `spawn_local`.
#[track_caller]
fn spawn_as<F, P>(future: F, spawned_at: &'static Location<'static>) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
    P: Places<F>,
{
    let function = <P as Place<F::Output, TaskFuture<F, Kept>>>::FUNCTION;
    let spawned = current::with(|c| {
        let c = c?;
        Some(match &c.role {
            Role::Driving(engine) => {
                Spawned::Task(wrap::<F, P>(future, c, spawned_at, Target::here(engine)))
            }
            Role::Blocking(engine) => {
                <P as Place<F::Output, TaskFuture<F, Kept>>>::check_blocking();
                let _gate = c.shared.gate();
                closed_check(c, function, spawned_at);
                let engine = engine.upgrade().unwrap_or_else(|| {
                    unreachable!("the engine lives until its runner is marked closed")
                });
                let task = wrap::<F, P>(future, c, spawned_at, Target::remote(&engine));
                // Before the gate opens: `close` must hold the last handle when it drops it.
                drop(engine);
                Spawned::Task(task)
            }
            Role::Closing => {
                let info = c.new_task(spawned_at);
                let packed = PackedInfo::pack(info);
                let stillborn = Spawned::stillborn(TaskFuture::new(future, c, packed), packed);
                // No wrapper of debug mode's reports it: `start` does.
                stillborn.reported_by(&c.shared, info)
            }
        })
    });
    match spawned {
        Some(spawned) => spawned.start(),
        None => current::no_runner(function),
    }
}

/// The engine a task is spawned on, as the spawning thread reaches it.
enum Target<'a> {
    Own(Own<'a>),
    Executor(OnExecutor<'a>),
}

impl<'a> Target<'a> {
    /// From a thread that drives the runner.
    fn here(engine: &'a Engine) -> Target<'a> {
        match engine {
            Engine::Own(scheduler) => Target::Own(Own::Here(scheduler)),
            Engine::Executor(executor, local) => {
                Target::Executor(OnExecutor::Here(executor, local))
            }
        }
    }

    /// From a blocking job.
    fn remote(engine: &'a RemoteEngine) -> Target<'a> {
        match engine {
            RemoteEngine::Own(remote) => Target::Own(Own::Remote(remote)),
            RemoteEngine::Executor(executor) => Target::Executor(OnExecutor::Remote(executor)),
        }
    }
}

/// Wraps `future` as the runner runs it (inside the debug wrapper in debug mode) and spawns it.
fn wrap<F, P>(
    future: F,
    c: &Current,
    spawned_at: &'static Location<'static>,
    target: Target<'_>,
) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
    P: Places<F>,
{
    let info = c.new_task(spawned_at);
    // Packed once, for the metadata or the wrapper, and debug mode's record.
    let packed = PackedInfo::pack(info);
    let live = c.shared.live.as_ref();
    // The one-thread scheduler notes wake-ups itself (through the metadata): `ByEngine` below.
    match target {
        Target::Own(own) => tracking::<_, ByEngine, _>(
            TaskFuture::listed(future),
            live,
            packed,
            |future| P::spawn_own(own, future, Meta::packed(packed)),
            |future, handle| P::spawn_own(own, future, TrackedMeta::new(packed, handle)),
        ),
        Target::Executor(executor) => tracking::<_, ByWaker, _>(
            TaskFuture::new(future, c, packed),
            live,
            packed,
            |future| Task::of_executor(P::spawn_executor(executor, future), packed, None),
            |future, handle| {
                Task::of_executor(P::spawn_executor(executor, future), packed, Some(handle))
            },
        ),
    }
}

/// Hands `future` to `plain`, or, in debug mode (`live`), hands the future wrapped in
/// [`Tracked`] (its wake-ups noted as `W` says, its record named `info`) and the record's handle
/// to `tracked`.
fn tracking<G: Future, W: Wakes, R>(
    future: G,
    live: Option<&Arc<LiveTasks>>,
    info: PackedInfo,
    plain: impl FnOnce(G) -> R,
    tracked: impl FnOnce(Tracked<G, W>, Handle) -> R,
) -> R {
    match live {
        Some(live) => {
            let future = Tracked::new(future, live, info);
            let handle = future.handle();
            tracked(future, handle)
        }
        None => plain(future),
    }
}

pub(crate) fn closed_check(c: &current::Current, function: &str, at: &Location<'_>) {
    if c.shared.is_closed() {
        panic!(
            "runner::{function} was called at {at} after its runner was closed: a closed runner \
             starts nothing new (finish the work before close, or build a new Runner)"
        );
    }
}

/// What a spawn function made; started once the borrow of `current` has ended.
pub(crate) enum Spawned<T> {
    Task(Task<T>),
    /// Spawned inside `close`: running the runnable drops the future, outside the borrow
    /// because its destructor may spawn again, and completes the task as cancelled. In debug
    /// mode a spawned task is first reported as cancelled by `close` (its runner, its name).
    Stillborn(
        async_task::Runnable<Meta>,
        Task<T>,
        Option<(Arc<Shared>, TaskInfo)>,
    ),
}

impl<T: 'static> Spawned<T> {
    /// A task that is cancelled before it starts: its future is dropped unpolled.
    pub(crate) fn stillborn<F>(future: F, info: PackedInfo) -> Self
    where
        F: Future<Output = Outcome<T>> + 'static,
    {
        let stillborn = Stillborn {
            future: Some(future),
        };
        let (runnable, task) = async_task::Builder::new()
            .propagate_panic(true)
            .metadata(Meta::packed(info))
            .spawn_local(|_| stillborn, |_| {});
        Spawned::Stillborn(runnable, Task::new(task), None)
    }

    /// A spawned task cancelled before it starts: in debug mode, `start` reports it as a task
    /// that `close` cancels, before its future is dropped.
    fn reported_by(self, shared: &Arc<Shared>, info: TaskInfo) -> Self {
        match self {
            Spawned::Stillborn(runnable, task, _) if shared.debug => {
                Spawned::Stillborn(runnable, task, Some((shared.clone(), info)))
            }
            spawned => spawned,
        }
    }

    pub(crate) fn start(self) -> Task<T> {
        match self {
            Spawned::Task(task) => task,
            Spawned::Stillborn(runnable, task, report) => {
                if let Some((shared, info)) = report {
                    report_cancelled(&shared, || info);
                }
                runnable.run();
                task
            }
        }
    }
}

pin_project! {
    /// A future that is dropped, unpolled, the first time it is polled, and completes as
    /// cancelled.
    struct Stillborn<F> {
        #[pin]
        future: Option<F>,
    }
}

impl<T, F: Future<Output = Outcome<T>>> Future for Stillborn<F> {
    type Output = Outcome<T>;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Outcome<T>> {
        self.project().future.set(None);
        Poll::Ready(Outcome::cancelled())
    }
}
