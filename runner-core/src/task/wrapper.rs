//! The wrappers the runner runs futures in: one for spawned tasks, one for the main future of a
//! `run`. Both run the future in its own context; in debug mode the runner wraps them in turn in
//! [`Tracked`](crate::debug::snapshot), which times every poll.

use std::any::Any;
use std::cell::Cell;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::context;
use crate::debug::diagnostic::{Diagnostic, Reporter, TaskInfo};
use crate::runner::current::{self, Current};
use crate::runner::shared::Shared;
use crate::task::cancel;
use crate::task::panic::TaskPanic;
use crate::task::registry::{RegistryKey, TaskRegistry};

pin_project! {
    /// A spawned task's future as the runner runs it. It catches and tags panics, and completes
    /// with `None` when cancelled: when its poll unwinds with the cancellation of a task it
    /// awaited, or, with a registry (a factory's executor), when `close` wakes it.
    pub(crate) struct TaskFuture<F> {
        #[pin]
        future: Option<F>,
        // The task's context variables, moved into the thread for each poll and back (`None`: no
        // variable set). The future is dropped inside it too.
        context: Option<context::Context>,
        info: TaskInfo,
        // The runner's state, only when each poll needs it (`Shared::instruments_tasks`): a
        // task of a runner that owns its executor is polled only by that runner's threads,
        // which know their runner (`current`).
        shared: Option<Arc<Shared>>,
        // Where the waker sits in the registry, once the task has been pending there.
        key: Option<RegistryKey>,
    }
    impl<F> PinnedDrop for TaskFuture<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if this.future.is_some() {
                // Dropped unfinished: cancelled by its handle, or by `close` (the executor
                // dropping it).
                let shared = this.shared.as_deref();
                if let Some(shared) = shared {
                    report_cancelled(shared, *this.info);
                }
                let _gone = Gone(shared.and_then(|s| s.registry.as_ref()), this.key.take());
                let _entered = context::Entered::new(this.context);
                drop_future(this.future, this.shared, *this.info);
            }
        }
    }
}

impl<F: Future> TaskFuture<F> {
    pub(crate) fn new(future: F, c: &Current, spawned_at: &'static Location<'static>) -> Self {
        let shared = c.shared.instruments_tasks().then(|| c.shared.clone());
        if let Some(registry) = shared.as_ref().and_then(|s| s.registry.as_ref()) {
            registry.task_started();
        }
        TaskFuture {
            future: Some(future),
            context: context::copy_current(),
            info: c.new_task(spawned_at),
            shared,
            key: None,
        }
    }

    pub(crate) fn info(&self) -> TaskInfo {
        self.info
    }
}

impl<F: Future> Future for TaskFuture<F> {
    type Output = Option<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<F::Output>> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(None);
        };
        // Restores the thread's context when the poll returns or unwinds.
        let _entered = context::Entered::new(this.context);
        let shared = this.shared.as_deref();
        let registry = shared.and_then(|s| s.registry.as_ref());
        if registry.is_some_and(TaskRegistry::is_closing) {
            if let Some(shared) = shared {
                report_cancelled(shared, *this.info);
            }
            let _gone = Gone(registry, this.key.take());
            drop_future(this.future, this.shared, *this.info);
            return Poll::Ready(None);
        }

        let polled = {
            let _catches = cancel::CatchesCancellation::new();
            catch_unwind(AssertUnwindSafe(|| future.poll(cx)))
        };

        let output = match polled {
            Ok(Poll::Pending) => {
                if let (Some(registry), None) = (registry, &this.key) {
                    *this.key = Some(registry.register(cx.waker()));
                }
                return Poll::Pending;
            }
            Ok(Poll::Ready(output)) => Some(output),
            // It awaited a task that was cancelled: it is cancelled too, which is no panic.
            Err(payload) if cancel::is_cancellation(&*payload) => None,
            Err(payload) => {
                notice_panic(this.shared, &*payload, *this.info);
                let _gone = Gone(registry, this.key.take());
                drop_future(this.future, this.shared, *this.info);
                resume_unwind(TaskPanic::wrap(
                    payload,
                    *this.info,
                    reporter_of(this.shared),
                ))
            }
        };
        let _gone = Gone(registry, this.key.take());
        drop_future(this.future, this.shared, *this.info);
        Poll::Ready(output)
    }
}

/// Hands a task's panic to its runner (the task's own state, or else the thread's runner's),
/// which looks for tokio's missing-runtime message.
fn notice_panic(shared: &Option<Arc<Shared>>, payload: &(dyn Any + Send), task: TaskInfo) {
    match shared {
        Some(shared) => shared.notice_panic(payload, task),
        None => current::with(|c| {
            if let Some(c) = c {
                c.shared.notice_panic(payload, task);
            }
        }),
    }
}

/// Where a task's reports go: its runner's handler (the task's own state, or else the thread's
/// runner's), or stderr.
fn reporter_of(shared: &Option<Arc<Shared>>) -> Reporter {
    match shared {
        Some(shared) => shared.reporter.clone(),
        None => current::with(|c| c.map(|c| c.shared.reporter.clone()).unwrap_or_default()),
    }
}

pin_project! {
    /// The main future of a `run`, run in the run's context. Its panic leaves `run` by itself,
    /// after `run` has cleaned up.
    pub(crate) struct MainFuture<'a, F> {
        #[pin]
        future: Option<F>,
        // The run's context: the runner's own (shared by its runs) or the one given to the run.
        context: &'a Cell<Option<context::Context>>,
        shared: &'a Shared,
        info: TaskInfo,
    }
    impl<F> PinnedDrop for MainFuture<'_, F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            let _entered = context::EnteredCell::new(this.context);
            this.future.set(None);
        }
    }
}

impl<'a, F: Future> MainFuture<'a, F> {
    pub(crate) fn new(
        future: F,
        shared: &'a Shared,
        run_at: &'static Location<'static>,
        context: &'a Cell<Option<context::Context>>,
    ) -> Self {
        MainFuture {
            future: Some(future),
            context,
            shared,
            info: TaskInfo::new(0, run_at),
        }
    }
}

impl<F: Future> Future for MainFuture<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            unreachable!("the main future is not polled after it completed")
        };
        let _entered = context::EnteredCell::new(this.context);
        match catch_unwind(AssertUnwindSafe(|| future.poll(cx))) {
            Ok(poll) => poll,
            Err(payload) => {
                this.shared.notice_panic(&*payload, *this.info);
                resume_unwind(payload)
            }
        }
    }
}

/// Drops a task's future. A destructor's panic is reported as the task's, not unwound: unwinding
/// out of a cancelled task's drop (inside async-task) would abort the process.
fn drop_future<F>(mut future: Pin<&mut Option<F>>, shared: &Option<Arc<Shared>>, task: TaskInfo) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| future.set(None))) {
        drop(TaskPanic::wrap(payload, task, reporter_of(shared)));
    }
}

/// In debug mode, reports a task that `close` cancels, before its future is dropped.
fn report_cancelled(shared: &Shared, task: TaskInfo) {
    if shared.debug && shared.is_closing() {
        shared.report(Diagnostic::PendingTaskCancelled { task });
    }
}

/// Tells the registry (if any) a task's future is gone once dropped, even when the future's
/// destructor panics: `close` waits for the count to reach zero and must never wait forever.
struct Gone<'a>(Option<&'a TaskRegistry>, Option<RegistryKey>);

impl Drop for Gone<'_> {
    fn drop(&mut self) {
        if let Some(registry) = self.0 {
            registry.task_gone(self.1.take());
        }
    }
}
