//! Spawning tasks: `spawn` and `spawn_local`.

use std::future::Future;
use std::panic::Location;

use crate::debug::diagnostic::TaskInfo;
use crate::debug::snapshot::Tracked;
use crate::runner::current::{self, Current, Engine, RemoteEngine, Role};
use crate::task::handle::Task;
use crate::task::wrapper::TaskFuture;

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
trait Place<G: Future> {
    const FUNCTION: &'static str;
    /// Panics where this kind of task cannot be spawned from a blocking job.
    fn check_blocking();
    fn spawn(engine: &Engine, future: G) -> async_task::Task<G::Output>;
    fn spawn_remote(engine: &RemoteEngine, future: G) -> async_task::Task<G::Output>;
}

/// `spawn`: any thread of the runner.
struct Anywhere;
/// `spawn_local`: the spawning thread.
struct Here;

impl<G> Place<G> for Anywhere
where
    G: Future + Send + 'static,
    G::Output: Send + 'static,
{
    const FUNCTION: &'static str = "spawn";

    fn check_blocking() {}

    fn spawn(engine: &Engine, future: G) -> async_task::Task<G::Output> {
        match engine {
            Engine::Own(scheduler) => scheduler.spawn(future),
            Engine::Executor(executor, _) => executor.spawn(future),
        }
    }

    fn spawn_remote(engine: &RemoteEngine, future: G) -> async_task::Task<G::Output> {
        match engine {
            RemoteEngine::Own(remote) => remote.spawn(future),
            RemoteEngine::Executor(executor) => executor.spawn(future),
        }
    }
}

impl<G> Place<G> for Here
where
    G: Future + 'static,
    G::Output: 'static,
{
    const FUNCTION: &'static str = "spawn_local";

    fn check_blocking() {
        panic!(
            "runner::spawn_local was called from a blocking job: local tasks run on a thread \
             that drives the runner, and blocking-pool threads do not; use runner::spawn"
        )
    }

    fn spawn(engine: &Engine, future: G) -> async_task::Task<G::Output> {
        match engine {
            Engine::Own(scheduler) => scheduler.spawn_local(future),
            Engine::Executor(_, local) => local.spawn(future),
        }
    }

    fn spawn_remote(_: &RemoteEngine, _: G) -> async_task::Task<G::Output> {
        unreachable!("check_blocking refuses local tasks from blocking jobs")
    }
}

/// The body of `spawn` and `spawn_local`.
#[track_caller]
fn spawn_as<F, P>(future: F, spawned_at: &'static Location<'static>) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
    P: Place<TaskFuture<F>> + Place<Tracked<TaskFuture<F>>>,
{
    let spawned = current::with(|c| {
        let c = c?;
        Some(match &c.role {
            Role::Driving(engine) => {
                Spawned::Task(wrap::<F, P>(future, c, spawned_at, Target::Here(engine)))
            }
            Role::Blocking(engine) => {
                <P as Place<TaskFuture<F>>>::check_blocking();
                let _gate = c.shared.gate();
                closed_check(c, <P as Place<TaskFuture<F>>>::FUNCTION, spawned_at);
                let engine = engine.upgrade().unwrap_or_else(|| {
                    unreachable!("the engine lives until its runner is marked closed")
                });
                let task = wrap::<F, P>(future, c, spawned_at, Target::Remote(&engine));
                // Before the gate opens: `close` must hold the last handle when it drops it.
                drop(engine);
                Spawned::Task(task)
            }
            Role::Closing => {
                let future = TaskFuture::new(future, c, spawned_at);
                let info = future.info();
                Spawned::stillborn(future, info)
            }
        })
    });
    match spawned {
        Some(spawned) => spawned.start(),
        None => current::no_runner(<P as Place<TaskFuture<F>>>::FUNCTION),
    }
}

enum Target<'a> {
    Here(&'a Engine),
    Remote(&'a RemoteEngine),
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
    P: Place<TaskFuture<F>> + Place<Tracked<TaskFuture<F>>>,
{
    fn place<G: Future, P: Place<G>>(target: Target<'_>, future: G) -> async_task::Task<G::Output> {
        match target {
            Target::Here(engine) => P::spawn(engine, future),
            Target::Remote(engine) => P::spawn_remote(engine, future),
        }
    }
    let future = TaskFuture::new(future, c, spawned_at);
    let info = future.info();
    let shared = &c.shared;
    if shared.debug {
        let tracked = Tracked::new(future, &shared.live, info);
        let handle = tracked.handle();
        Task::new(place::<_, P>(target, tracked), info).tracked(handle)
    } else {
        Task::new(place::<_, P>(target, future), info)
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
    /// Spawned inside `close`: dropping the runnable drops the future, outside the borrow
    /// because its destructor may spawn again.
    Stillborn(async_task::Runnable, Task<T>),
}

impl<T: 'static> Spawned<T> {
    /// A task that is cancelled before it starts.
    pub(crate) fn stillborn<F>(future: F, info: TaskInfo) -> Self
    where
        F: Future<Output = Option<T>> + 'static,
    {
        let (runnable, task) = async_task::Builder::new()
            .propagate_panic(true)
            .spawn_local(|()| future, |_| {});
        Spawned::Stillborn(runnable, Task::new(task, info))
    }

    pub(crate) fn start(self) -> Task<T> {
        match self {
            Spawned::Task(task) => task,
            Spawned::Stillborn(runnable, task) => {
                drop(runnable);
                task
            }
        }
    }
}
