//! Spawning tasks, and the wrapper every task runs in.

use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::context;
use crate::current;
use crate::diagnostic::{Diagnostic, TaskInfo};
use crate::panic::TaskPanic;
use crate::registry::RegistryKey;
use crate::shared::Shared;
use crate::snapshot::Tracked;

pub use async_executor::Task;

/// Spawns a task on the current runner; it may run on any of the runner's threads.
///
/// The task runs in a copy of the spawner's current [`Context`](crate::Context): it sees the
/// values of the context variables as they were at the spawn, and its own `set`s stay its own.
///
/// The task starts at once and keeps running while the runner runs, in this `run` and in later
/// ones, until it finishes or the runner closes (which cancels it). Await the returned
/// [`Task`] for its output, [`detach`](Task::detach) it to let it run on its own, or drop it to
/// cancel it.
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
        c.map(|c| {
            closed_check(c, "spawn", spawned_at);
            let (shared, info) = (&c.shared, c.shared.new_task(spawned_at));
            if shared.debug {
                let future = Tracked::new(future, shared, info);
                c.executor.spawn(Instrumented::task(future, shared, info))
            } else {
                c.executor.spawn(Instrumented::task(future, shared, info))
            }
        })
    });
    match spawned {
        Some(task) => task,
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
        c.map(|c| {
            closed_check(c, "spawn_local", spawned_at);
            let local = c.local.as_ref()?;
            let (shared, info) = (&c.shared, c.shared.new_task(spawned_at));
            Some(if shared.debug {
                let future = Tracked::new(future, shared, info);
                local.spawn(Instrumented::task(future, shared, info))
            } else {
                local.spawn(Instrumented::task(future, shared, info))
            })
        })
    });
    match spawned {
        Some(Some(task)) => task,
        Some(None) => panic!(
            "runner::spawn_local was called from a blocking job: local tasks run on a thread \
             that drives the runner, and blocking-pool threads do not; use runner::spawn"
        ),
        None => current::no_runner("spawn_local"),
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

pin_project! {
    /// A task's future as the runner runs it: it runs in its own context, catches and tags
    /// panics, and counts itself in the registry so `close` can cancel it. In debug mode the
    /// future inside is [`Tracked`], which times every poll.
    pub(crate) struct Instrumented<F> {
        #[pin]
        future: Option<F>,
        // The task's context variables, moved into the thread for each poll and back (`None`: no
        // variable set). The future is dropped inside it too.
        context: Option<context::Context>,
        shared: Arc<Shared>,
        info: TaskInfo,
        // Spawned tasks are counted and cancellable; the main future is neither.
        spawned: bool,
        // Where the waker sits in the registry, once the task has been pending.
        key: Option<RegistryKey>,
    }
    impl<F> PinnedDrop for Instrumented<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if this.future.is_some() {
                // The future is dropped inside its context, and before the task counts as gone:
                // `close` waits for its destructors to have run.
                let _gone = if *this.spawned {
                    Some(Gone(this.shared, this.key.take()))
                } else {
                    None
                };
                let _entered = context::Entered::new(this.context);
                this.future.set(None);
            }
        }
    }
}

impl<F: Future> Instrumented<F> {
    /// Wraps a spawned task, counted alive as `info` (`Shared::new_task`).
    pub(crate) fn task(future: F, shared: &Arc<Shared>, info: TaskInfo) -> Self {
        Instrumented {
            future: Some(future),
            context: context::copy_current(),
            info,
            shared: shared.clone(),
            spawned: true,
            key: None,
        }
    }

    pub(crate) fn main(
        future: F,
        shared: &Arc<Shared>,
        run_at: &'static Location<'static>,
        context: &context::Context,
    ) -> Self {
        Instrumented {
            future: Some(future),
            context: Some(context.clone()),
            info: TaskInfo::new(0, run_at),
            shared: shared.clone(),
            spawned: false,
            key: None,
        }
    }
}

impl<F: Future> Future for Instrumented<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            // Cancelled by `close`: nothing runs this task again.
            return Poll::Pending;
        };
        let shared = &**this.shared;
        // Restores the thread's context when the poll returns or unwinds.
        let _entered = context::Entered::new(this.context);
        if *this.spawned && shared.tasks.is_closing() {
            if shared.debug {
                shared.report(Diagnostic::PendingTaskCancelled { task: *this.info });
            }
            let _gone = Gone(shared, this.key.take());
            this.future.set(None);
            return Poll::Pending;
        }

        let polled = if *this.spawned {
            catch_unwind(AssertUnwindSafe(|| future.poll(cx)))
        } else {
            // The main future's panic leaves `run` by itself, after `run` has cleaned up.
            Ok(future.poll(cx))
        };

        match polled {
            Ok(Poll::Pending) => {
                if *this.spawned && this.key.is_none() {
                    *this.key = Some(shared.tasks.register(cx.waker()));
                }
                Poll::Pending
            }
            Ok(Poll::Ready(output)) => {
                if *this.spawned {
                    let _gone = Gone(shared, this.key.take());
                    this.future.set(None);
                }
                Poll::Ready(output)
            }
            Err(payload) => {
                let _gone = Gone(shared, this.key.take());
                this.future.set(None);
                resume_unwind(TaskPanic::wrap(payload, *this.info, this.shared.clone()))
            }
        }
    }
}

/// Tells the registry a task's future is gone once dropped, even when the future's destructor
/// panics: `close` waits for the count to reach zero and must never wait forever.
struct Gone<'a>(&'a Shared, Option<RegistryKey>);

impl Drop for Gone<'_> {
    fn drop(&mut self) {
        self.0.tasks.task_gone(self.1.take());
    }
}
