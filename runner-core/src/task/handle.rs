//! The handle of a spawned task: [`Task`], and [`FallibleTask`] for awaiting a task that may be
//! cancelled.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::debug::diagnostic::TaskInfo;
use crate::debug::snapshot::Handle;
use crate::task::cancel::raise_cancelled;

/// A handle to a spawned task: await it for the task's output.
///
/// Dropping the handle cancels the task; [`detach`](Task::detach) lets it run on its own instead.
/// In debug mode, dropping the handle of a task that has not finished is reported as
/// [`Diagnostic::PendingTaskDropped`](crate::diagnostic::Diagnostic::PendingTaskDropped); `detach` and
/// [`cancel`](Task::cancel) are not.
/// If the task panicked, awaiting the handle resumes the panic (with a
/// [`TaskPanic`](crate::task::TaskPanic) payload that `run` unwraps again).
///
/// When the task's runner closes before the task finished, the task is cancelled, and whoever
/// awaits the handle wakes, wherever it is: another task, another runner, a blocking job, a plain
/// thread. A plain `.await` then panics with a message saying the task was cancelled (asyncio's
/// `CancelledError`); inside another task or a blocking job, that task or job is cancelled in
/// turn, quietly: nothing is printed or reported as a panic. So a task can also be cancelled
/// while its own runner still runs, because it awaited a task of a runner that closed; the
/// message names both causes. Await [`fallible`](Task::fallible) to get `None` instead.
///
/// # Examples
///
/// ```
/// let out = runner::run(async {
///     let task = runner::spawn(async { 6 * 7 });
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
/// let mut runner = runner::Runner::new();
/// let task = runner
///     .run(async { runner::spawn(future::pending::<()>()) })
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
    pub(crate) fn tracked(mut self, handle: Handle) -> Self {
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
    /// [`Diagnostic::TaskPanicked`](crate::diagnostic::Diagnostic::TaskPanicked).
    ///
    /// # Examples
    ///
    /// ```
    /// let out = runner::run(async {
    ///     let (tx, rx) = async_channel::bounded(1);
    ///     runner::spawn(async move { tx.send("done").await.unwrap() }).detach();
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
    /// let out = runner::run(async {
    ///     let task = runner::spawn(std::future::pending::<()>());
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
    /// let out = runner::run(async {
    ///     runner::spawn(async { 1 }).fallible().await
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
    /// runner::run(async {
    ///     let task = runner::spawn(async {});
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
/// let mut runner = runner::Runner::new();
/// let task = runner
///     .run(async { runner::spawn(std::future::pending::<u8>()).fallible() })
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
    /// runner::run(async {
    ///     runner::spawn(async {}).fallible().detach();
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
    /// let out = runner::run(async {
    ///     runner::spawn(std::future::pending::<()>()).fallible().cancel().await
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
    /// let mut runner = runner::Runner::new();
    /// let task = runner
    ///     .run(async { runner::spawn(std::future::pending::<()>()).fallible() })
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
