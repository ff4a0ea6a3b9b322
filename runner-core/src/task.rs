//! Spawning tasks, and the handle that awaits one.

use std::any::Any;
use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::panic::{resume_unwind, Location};
use std::pin::Pin;
use std::task::{Context, Poll};

use std::sync::Arc;

use async_executor::Executor;

use crate::current::{self, Role};
use crate::diagnostic::TaskInfo;
use crate::instrument::TaskFuture;
use crate::local::LocalTasks;
use crate::shared::Shared;
use crate::snapshot::{Handle, Tracked};

/// Spawns a task on the current runner; it may run on any of the runner's threads.
///
/// The task runs in a copy of the spawner's current [`Context`](crate::Context): it sees the
/// values of the context variables as they were at the spawn, and its own `set`s stay its own.
///
/// The task starts at once and keeps running while the runner runs, in this `run` and in later
/// ones, until it finishes or the runner closes (which cancels it). Await the returned
/// [`Task`] for its output, [`detach`](Task::detach) it to let it run on its own, or drop it to
/// cancel it. A task spawned while its runner closes (by a destructor that `close` runs) is
/// cancelled at once.
///
/// If the task panics, awaiting the handle resumes the panic; a detached task's panic is
/// reported as [`Diagnostic::TaskPanicked`](crate::Diagnostic::TaskPanicked) naming the line that
/// called `spawn`.
///
/// # Examples
///
/// ```
/// let sum = runner_core::run(async {
///     let a = runner_core::spawn(async { 1 + 2 });
///     let b = runner_core::spawn(async { 3 + 4 });
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
            Role::Driving { executor, .. } => {
                let future = TaskFuture::new(future, c, spawned_at);
                Spawned::Task(spawn_on(executor, future, &c.shared))
            }
            Role::Blocking(executor) => {
                let _gate = c.shared.gate();
                closed_check(c, "spawn", spawned_at);
                let executor = executor.upgrade().unwrap_or_else(|| {
                    unreachable!("the executor lives until its runner is marked closed")
                });
                let future = TaskFuture::new(future, c, spawned_at);
                let task = spawn_on(&executor, future, &c.shared);
                // Before the gate opens: `close` must hold the last handle when it drops it.
                drop(executor);
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
/// let out = runner_core::run(async move {
///     let s = shared.clone();
///     runner_core::spawn_local(async move { *s * 2 }).await
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
            Role::Driving { local, .. } => {
                let future = TaskFuture::new(future, c, spawned_at);
                Spawned::Task(spawn_local_on(local, future, &c.shared))
            }
            Role::Blocking(_) => panic!(
                "runner::spawn_local was called from a blocking job: local tasks run on a thread \
                 that drives the runner, and blocking-pool threads do not; use runner::spawn"
            ),
            Role::Closing => {
                let future = TaskFuture::new(future, c, spawned_at);
                let info = future.info();
                Spawned::stillborn(future, info)
            }
        })
    });
    match spawned {
        Some(spawned) => spawned.start(),
        None => current::no_runner("spawn_local"),
    }
}

/// Spawns a task on `executor`, inside the debug wrapper in debug mode.
fn spawn_on<F>(
    executor: &Executor<'static>,
    future: TaskFuture<F>,
    shared: &Arc<Shared>,
) -> Task<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let info = future.info();
    if shared.debug {
        let tracked = Tracked::new(future, shared, info);
        let handle = tracked.handle();
        Task::new(executor.spawn(tracked), info).tracked(handle)
    } else {
        Task::new(executor.spawn(future), info)
    }
}

/// Spawns a local task on `local`, inside the debug wrapper in debug mode.
fn spawn_local_on<F>(
    local: &LocalTasks,
    future: TaskFuture<F>,
    shared: &Arc<Shared>,
) -> Task<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let info = future.info();
    if shared.debug {
        let tracked = Tracked::new(future, shared, info);
        let handle = tracked.handle();
        Task::new(local.spawn(tracked), info).tracked(handle)
    } else {
        Task::new(local.spawn(future), info)
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

/// A handle to a spawned task: await it for the task's output.
///
/// Dropping the handle cancels the task; [`detach`](Task::detach) lets it run on its own instead.
/// In debug mode, dropping the handle of a task that has not finished is reported as
/// [`Diagnostic::PendingTaskDropped`](crate::Diagnostic::PendingTaskDropped); `detach` and
/// [`cancel`](Task::cancel) are not.
/// If the task panicked, awaiting the handle resumes the panic (with a
/// [`TaskPanic`](crate::TaskPanic) payload that `run` unwraps again).
///
/// When the task's runner closes before the task finished, the task is cancelled, and whoever
/// awaits the handle wakes, wherever it is: another task, another runner, a blocking job, a plain
/// thread. A plain `.await` then panics with a message saying the task was cancelled because its
/// runner closed (asyncio's `CancelledError`); inside another task or a blocking job, that task
/// or job is cancelled in turn, quietly: nothing is printed or reported as a panic. Await
/// [`fallible`](Task::fallible) to get `None` instead.
///
/// # Examples
///
/// ```
/// let out = runner_core::run(async {
///     let task = runner_core::spawn(async { 6 * 7 });
///     task.await
/// });
/// assert_eq!(out, Ok(42));
/// ```
///
/// A task cancelled by `close`, awaited from a plain thread:
///
/// ```
/// use futures_lite::future;
///
/// let mut runner = runner_core::Runner::new();
/// let task = runner
///     .run(async { runner_core::spawn(future::pending::<()>()) })
///     .unwrap();
/// runner.close();
/// assert_eq!(future::block_on(task.fallible()), None);
/// ```
///
/// # Panics
///
/// Awaiting the handle of a cancelled task panics; see above.
#[must_use = "dropping a Task cancels it; use `detach` to let it run"]
pub struct Task<T> {
    // What a `Task` adds to it: a panic, rather than `None`, for a cancelled task.
    task: FallibleTask<T>,
    // `None` once the output was taken.
    info: Option<TaskInfo>,
}

impl<T> Task<T> {
    pub(crate) fn new(task: async_task::Task<Option<T>>, info: TaskInfo) -> Self {
        Task {
            task: FallibleTask {
                inner: task.fallible(),
                tracked: None,
            },
            info: Some(info),
        }
    }

    /// The handle of a task in debug mode, which reports it when dropped while the task pends.
    fn tracked(mut self, handle: Handle) -> Self {
        self.task.tracked = Some(handle);
        self
    }

    /// A handle whose owner cancels the task only on purpose (a `TaskGroup`): dropping it is not
    /// reported.
    pub(crate) fn owned(mut self) -> Self {
        if let Some(handle) = self.task.tracked.take() {
            handle.let_go();
        }
        self
    }

    /// Lets the task run on its own: dropping the handle no longer cancels it.
    ///
    /// A detached task's panic is reported as
    /// [`Diagnostic::TaskPanicked`](crate::Diagnostic::TaskPanicked).
    ///
    /// # Examples
    ///
    /// ```
    /// let out = runner_core::run(async {
    ///     let (tx, rx) = async_channel::bounded(1);
    ///     runner_core::spawn(async move { tx.send("done").await.unwrap() }).detach();
    ///     rx.recv().await.unwrap()
    /// });
    /// assert_eq!(out, Ok("done"));
    /// ```
    pub fn detach(self) {
        self.task.detach();
    }

    /// Cancels the task and waits until its future is dropped; returns its output if it had
    /// finished already, `None` otherwise.
    ///
    /// # Examples
    ///
    /// ```
    /// let out = runner_core::run(async {
    ///     let task = runner_core::spawn(std::future::pending::<()>());
    ///     task.cancel().await
    /// });
    /// assert_eq!(out, Ok(None));
    /// ```
    ///
    /// # Panics
    ///
    /// Resumes the task's panic if it panicked.
    pub async fn cancel(self) -> Option<T> {
        self.task.cancel().await
    }

    /// A handle whose output is `None` when the task was cancelled, instead of a panic.
    ///
    /// # Examples
    ///
    /// ```
    /// let out = runner_core::run(async {
    ///     runner_core::spawn(async { 1 }).fallible().await
    /// });
    /// assert_eq!(out, Ok(Some(1)));
    /// ```
    pub fn fallible(self) -> FallibleTask<T> {
        self.task
    }

    /// Whether the task has finished: completed, panicked or been cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// runner_core::run(async {
    ///     let task = runner_core::spawn(async {});
    ///     while !task.is_finished() {
    ///         futures_lite::future::yield_now().await;
    ///     }
    /// })
    /// .unwrap();
    /// ```
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

impl<T> Future for Task<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match Pin::new(&mut self.task).poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(output)) => {
                self.info = None;
                Poll::Ready(output)
            }
            Poll::Ready(_) => match self.info {
                Some(info) => raise_cancelled(info),
                None => panic!("runner::Task polled after it returned its output"),
            },
        }
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("task", &self.info)
            .field("finished", &self.is_finished())
            .finish()
    }
}

/// A [`Task`] handle whose output is `None` when the task was cancelled: asyncio's
/// `task.cancelled()` check, without the exception. Made by [`Task::fallible`].
///
/// Dropping it cancels the task, as dropping a `Task` does.
///
/// # Examples
///
/// ```
/// let mut runner = runner_core::Runner::new();
/// let task = runner
///     .run(async { runner_core::spawn(std::future::pending::<u8>()).fallible() })
///     .unwrap();
/// runner.close(); // cancels the task
/// assert_eq!(futures_lite::future::block_on(task), None);
/// ```
///
/// # Panics
///
/// Awaiting it resumes the task's panic if the task panicked.
#[must_use = "dropping a FallibleTask cancels it; use `detach` to let it run"]
pub struct FallibleTask<T> {
    inner: async_task::FallibleTask<Option<T>>,
    tracked: Option<Handle>,
}

impl<T> FallibleTask<T> {
    /// Lets the task run on its own, as [`Task::detach`] does.
    ///
    /// # Examples
    ///
    /// ```
    /// runner_core::run(async {
    ///     runner_core::spawn(async {}).fallible().detach();
    /// })
    /// .unwrap();
    /// ```
    pub fn detach(self) {
        if let Some(handle) = self.tracked {
            handle.let_go();
        }
        self.inner.detach();
    }

    /// Cancels the task and waits until its future is dropped, as [`Task::cancel`] does.
    ///
    /// # Examples
    ///
    /// ```
    /// let out = runner_core::run(async {
    ///     runner_core::spawn(std::future::pending::<()>()).fallible().cancel().await
    /// });
    /// assert_eq!(out, Ok(None));
    /// ```
    pub async fn cancel(self) -> Option<T> {
        if let Some(handle) = self.tracked {
            handle.let_go();
        }
        self.inner.cancel().await.flatten()
    }

    /// Whether the task has finished: completed, panicked or been cancelled.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut runner = runner_core::Runner::new();
    /// let task = runner
    ///     .run(async { runner_core::spawn(std::future::pending::<()>()).fallible() })
    ///     .unwrap();
    /// assert!(!task.is_finished());
    /// runner.close();
    /// assert!(task.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }
}

impl<T> Future for FallibleTask<T> {
    type Output = Option<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        Pin::new(&mut self.inner).poll(cx).map(Option::flatten)
    }
}

impl<T> fmt::Debug for FallibleTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FallibleTask")
            .field("finished", &self.is_finished())
            .finish()
    }
}

thread_local! {
    // How many task wrappers and blocking jobs on this thread's stack are polling their code
    // under a `catch_unwind` that takes a cancellation for what it is.
    static CATCHERS: Cell<usize> = const { Cell::new(0) };
}

/// The payload of a cancellation panic that a task wrapper or blocking job will catch: it is
/// no error of the code that awaited, so nothing prints it.
struct Cancelled;

/// Marks the thread as polling code whose cancellation panic is caught: while it lives, awaiting
/// a cancelled task unwinds quietly to the catcher instead of printing a panic message.
pub(crate) struct CatchesCancellation(());

impl CatchesCancellation {
    pub(crate) fn new() -> Self {
        CATCHERS.with(|c| c.set(c.get() + 1));
        CatchesCancellation(())
    }
}

impl Drop for CatchesCancellation {
    fn drop(&mut self) {
        // `try_with`: a job may end while the thread's locals are torn down.
        let _ = CATCHERS.try_with(|c| c.set(c.get() - 1));
    }
}

/// Panics for awaiting a cancelled task. Inside a task or a blocking job the unwind is quiet
/// (that task or job is cancelled in turn); anywhere else (a main future, a plain thread) the
/// payload is the message, so that any panic hook prints it.
fn raise_cancelled(info: TaskInfo) -> ! {
    // `try_with`: awaited while the thread's locals are torn down, it still panics as it should.
    if CATCHERS.try_with(Cell::get).unwrap_or(0) > 0 {
        resume_unwind(Box::new(Cancelled));
    }
    std::panic::panic_any(format!(
        "runner: {info} was cancelled because its runner closed (await `task.fallible()` to get \
         `None` instead of this panic)"
    ))
}

/// Whether a caught panic is the cancellation of an awaited task.
pub(crate) fn is_cancellation(payload: &(dyn Any + Send)) -> bool {
    payload.is::<Cancelled>()
}
