//! Spawning tasks: `spawn` and `spawn_local`.

use std::future::Future;
use std::panic::Location;
use std::sync::Arc;

use async_executor::Executor;

use crate::debug::diagnostic::TaskInfo;
use crate::debug::snapshot::Tracked;
use crate::runner::current::{self, Current, Role};
use crate::runner::shared::Shared;
use crate::task::handle::Task;
use crate::task::local::LocalTasks;
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
    let spawned_at = Location::caller();
    let spawned = current::with(|c| {
        let c = c?;
        Some(match &c.role {
            Role::Driving { executor, .. } => spawn_in(c, Some(&**executor), future, spawned_at),
            Role::Blocking(executor) => {
                let _gate = c.shared.gate();
                closed_check(c, "spawn", spawned_at);
                let executor = executor.upgrade().unwrap_or_else(|| {
                    unreachable!("the executor lives until its runner is marked closed")
                });
                let spawned = spawn_in(c, Some(&*executor), future, spawned_at);
                // Before the gate opens: `close` must hold the last handle when it drops it.
                drop(executor);
                spawned
            }
            Role::Closing => spawn_in(c, None::<&Executor<'static>>, future, spawned_at),
        })
    });
    match spawned {
        Some(spawned) => spawned.start(),
        None => current::no_runner("spawn"),
    }
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
    let spawned_at = Location::caller();
    let spawned = current::with(|c| {
        let c = c?;
        Some(match &c.role {
            Role::Driving { local, .. } => spawn_in(c, Some(local), future, spawned_at),
            Role::Blocking(_) => panic!(
                "runner::spawn_local was called from a blocking job: local tasks run on a thread \
                 that drives the runner, and blocking-pool threads do not; use runner::spawn"
            ),
            Role::Closing => spawn_in(c, None::<&LocalTasks>, future, spawned_at),
        })
    });
    match spawned {
        Some(spawned) => spawned.start(),
        None => current::no_runner("spawn_local"),
    }
}

/// Where a task's future `G` can be spawned: the runner's executor (`Send` futures) or the
/// local tasks of the current thread.
trait Place<G: Future> {
    fn put(&self, future: G) -> async_task::Task<G::Output>;
}

impl<G> Place<G> for Executor<'static>
where
    G: Future + Send + 'static,
    G::Output: Send + 'static,
{
    fn put(&self, future: G) -> async_task::Task<G::Output> {
        self.spawn(future)
    }
}

impl<G> Place<G> for LocalTasks
where
    G: Future + 'static,
    G::Output: 'static,
{
    fn put(&self, future: G) -> async_task::Task<G::Output> {
        self.spawn(future)
    }
}

/// Makes the task of `future` for the runner `c`, spawned at `spawned_at`, and spawns it in
/// `place`; `None` while the runner closes, where the task is cancelled before it starts.
fn spawn_in<F, P>(
    c: &Current,
    place: Option<&P>,
    future: F,
    spawned_at: &'static Location<'static>,
) -> Spawned<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
    P: Place<TaskFuture<F>> + Place<Tracked<TaskFuture<F>>>,
{
    let future = TaskFuture::new(future, c, spawned_at);
    match place {
        Some(place) => Spawned::Task(spawn_into(place, future, &c.shared)),
        None => {
            let info = future.info();
            Spawned::stillborn(future, info)
        }
    }
}

/// Spawns a task in `place`, inside the debug wrapper in debug mode.
fn spawn_into<F, P>(place: &P, future: TaskFuture<F>, shared: &Arc<Shared>) -> Task<F::Output>
where
    F: Future,
    P: Place<TaskFuture<F>> + Place<Tracked<TaskFuture<F>>>,
{
    let info = future.info();
    if shared.debug {
        let tracked = Tracked::new(future, &shared.live, info);
        let handle = tracked.handle();
        Task::new(place.put(tracked), info).tracked(handle)
    } else {
        Task::new(place.put(future), info)
    }
}

pub(crate) fn closed_check(c: &Current, function: &str, at: &Location<'_>) {
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
