//! The wrappers the runner runs futures in: one for spawned tasks, one for the main future of a
//! `run`. Both run the future in its own context; in debug mode the runner wraps them in turn in
//! [`Tracked`](crate::debug::snapshot), which times every poll.

use std::any::Any;
use std::cell::Cell;
use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use pin_project_lite::pin_project;

use crate::context;
use crate::debug::diagnostic::{Diagnostic, Reporter, TaskInfo};
use crate::runner::current::{self, Current};
use crate::runner::scheduler::{self, ListKey};
use crate::runner::shared::Shared;
use crate::task::cancel;
use crate::task::handle::{self, Outcome};
use crate::task::panic::TaskPanic;
use crate::task::registry::{RegistryKey, TaskRegistry};
use crate::task::sites::PackedInfo;

pin_project! {
    /// A spawned task's future as the runner runs it. It catches and tags panics, and completes
    /// with nothing (an empty [`Outcome`]) when cancelled: when its poll unwinds with the
    /// cancellation of a task it awaited, or when it is polled while its runner closes. `K`
    /// keeps the task's name and where its engine lists it for `close`: [`Kept`] for
    /// `async-executor`'s tasks, [`Listed`] for the one-thread engine's.
    pub(crate) struct TaskFuture<F, K: Keeps> {
        #[pin]
        future: Option<F>,
        // The task's context variables, moved into the thread for each poll and back (`None`: no
        // variable set). The future is dropped inside it too.
        context: Option<context::Context>,
        kept: K,
    }
    impl<F, K: Keeps> PinnedDrop for TaskFuture<F, K> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if this.future.is_some() {
                // Dropped unfinished: cancelled by its handle, or by `close` (the executor
                // dropping it). Debug mode's wrapper around this one, whose destructor ran
                // first, reported which ([`Tracked`](crate::debug::snapshot)).
                let kept: &mut K = this.kept;
                let _entered = context::Entered::new(this.context);
                drop_future(this.future, kept);
            }
        }
    }
}

/// What a task's wrapper keeps of the task's name and runner, and of its place in the list of
/// tasks that `close` cancels.
pub(crate) trait Keeps: Sized {
    /// Where the task is listed, taken out of the wrapper for [`Keeps::gone`].
    type Key;
    fn info(&self) -> TaskInfo;
    /// The runner's state, when each poll needs it (see [`Kept`]); `None`: the thread's runner.
    fn shared(&self) -> Option<&Arc<Shared>>;
    /// In debug mode, reports that `close` cancels the task by polling it, before its future is
    /// dropped.
    fn report_cancelled(&self) {
        if let Some(shared) = self.shared() {
            report_cancelled(shared, || self.info());
        }
    }
    /// The runner is cancelling its tasks: a poll drops the future and completes as cancelled.
    fn is_closing(&self) -> bool;
    /// Lists the task (its waker) for `close`, the first time the task is pending.
    fn list(&mut self, waker: &Waker);
    fn take_key(&mut self) -> Self::Key;
    /// The task's future is gone (its destructor ran, or panicked): unlists it.
    fn gone(&self, key: Self::Key);
}

/// The name and runner of a task of `async-executor`'s, kept beside its future. The name in one
/// word: a trivial task stays within glibc's fastest allocations (`bench/README.md`'s design
/// notes).
pub(crate) struct Kept {
    info: PackedInfo,
    // The runner's state, only when each poll needs it (`Shared::instruments_tasks`): a
    // task of a runner that owns its executor is polled only by that runner's threads,
    // which know their runner (`current`).
    shared: Option<Arc<Shared>>,
    // Where the waker sits in the registry, once the task has been pending there.
    key: Option<RegistryKey>,
}

impl Kept {
    fn registry(&self) -> Option<&TaskRegistry> {
        self.shared.as_ref().and_then(|s| s.registry.as_ref())
    }
}

impl Keeps for Kept {
    type Key = Option<RegistryKey>;

    fn info(&self) -> TaskInfo {
        self.info.unpack()
    }

    fn shared(&self) -> Option<&Arc<Shared>> {
        self.shared.as_ref()
    }

    fn is_closing(&self) -> bool {
        self.registry().is_some_and(TaskRegistry::is_closing)
    }

    fn list(&mut self, waker: &Waker) {
        if self.key.is_none() {
            if let Some(registry) = self.registry() {
                self.key = Some(registry.register(waker));
            }
        }
    }

    fn take_key(&mut self) -> Option<RegistryKey> {
        self.key.take()
    }

    fn gone(&self, key: Option<RegistryKey>) {
        if let Some(registry) = self.registry() {
            registry.task_gone(key);
        }
    }
}

/// A task of the one-thread engine keeps only its place in the scheduler's list: the engine
/// names the task it runs ([`handle::running`]), from the task's metadata, and runs it on its
/// runner's thread, whose runner is the task's.
pub(crate) struct Listed {
    key: ListKey,
}

impl Keeps for Listed {
    type Key = ListKey;

    #[inline]
    fn info(&self) -> TaskInfo {
        handle::running().unwrap_or_else(|| {
            unreachable!("the one-thread engine names every task it runs or drops")
        })
    }

    fn shared(&self) -> Option<&Arc<Shared>> {
        None
    }

    fn report_cancelled(&self) {
        current::with(|c| {
            if let Some(c) = c {
                report_cancelled(&c.shared, || self.info());
            }
        });
    }

    #[inline]
    fn is_closing(&self) -> bool {
        scheduler::is_cancelling()
    }

    #[inline]
    fn list(&mut self, waker: &Waker) {
        self.key.list(waker);
    }

    #[inline]
    fn take_key(&mut self) -> ListKey {
        std::mem::take(&mut self.key)
    }

    #[inline]
    fn gone(&self, mut key: ListKey) {
        key.unlist();
    }
}

impl<F: Future> TaskFuture<F, Kept> {
    /// A task for `async-executor` (or cancelled before it starts): it keeps its own name.
    pub(crate) fn new(future: F, c: &Current, info: PackedInfo) -> Self {
        let shared = c.shared.instruments_tasks().then(|| c.shared.clone());
        if let Some(registry) = shared.as_ref().and_then(|s| s.registry.as_ref()) {
            registry.task_started();
        }
        TaskFuture {
            future: Some(future),
            context: context::copy_current(),
            kept: Kept {
                info,
                shared,
                key: None,
            },
        }
    }
}

impl<F: Future> TaskFuture<F, Listed> {
    /// A task for the one-thread engine.
    pub(crate) fn listed(future: F) -> Self {
        TaskFuture {
            future: Some(future),
            context: context::copy_current(),
            kept: Listed {
                key: ListKey::default(),
            },
        }
    }
}

impl<F: Future, K: Keeps> Future for TaskFuture<F, K> {
    type Output = Outcome<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Outcome<F::Output>> {
        let mut this = self.project();
        let Some(future) = this.future.as_mut().as_pin_mut() else {
            return Poll::Ready(Outcome::cancelled());
        };
        // Restores the thread's context when the poll returns or unwinds.
        let _entered = context::Entered::new(this.context);
        let kept: &mut K = this.kept;
        if kept.is_closing() {
            kept.report_cancelled();
            drop_future(this.future, kept);
            return Poll::Ready(Outcome::cancelled());
        }

        let polled = {
            let _catches = cancel::CatchesCancellation::new();
            catch_unwind(AssertUnwindSafe(|| future.poll(cx)))
        };

        let output = match polled {
            Ok(Poll::Pending) => {
                kept.list(cx.waker());
                return Poll::Pending;
            }
            Ok(Poll::Ready(output)) => Outcome::done(output),
            // It awaited a task that was cancelled: it is cancelled too, which is no panic.
            Err(payload) if cancel::is_cancellation(&*payload) => Outcome::cancelled(),
            Err(payload) => {
                let info = kept.info();
                notice_panic(kept.shared(), &*payload, info);
                drop_future(this.future, kept);
                resume_unwind(TaskPanic::wrap(payload, info, reporter_of(kept.shared())))
            }
        };
        drop_future(this.future, kept);
        Poll::Ready(output)
    }
}

/// Hands a task's panic to its runner (the task's own state, or else the thread's runner's),
/// which looks for tokio's missing-runtime message.
fn notice_panic(shared: Option<&Arc<Shared>>, payload: &(dyn Any + Send), task: TaskInfo) {
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
fn reporter_of(shared: Option<&Arc<Shared>>) -> Reporter {
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

/// Drops a task's future, then unlists the task (also when the destructor panics: `close`
/// waits until no task is listed and must never wait forever). A destructor's panic is reported
/// as the task's, not unwound: unwinding out of a cancelled task's drop (inside async-task)
/// would abort the process.
fn drop_future<F, K: Keeps>(mut future: Pin<&mut Option<F>>, kept: &mut K) {
    let key = kept.take_key();
    let kept: &K = kept;
    let _gone = Gone(kept, Some(key));
    if let Err(payload) = catch_unwind(AssertUnwindSafe(|| future.set(None))) {
        // The name only now: the one-thread engine's comes from a thread-local.
        drop(TaskPanic::wrap(
            payload,
            kept.info(),
            reporter_of(kept.shared()),
        ));
    }
}

/// In debug mode, reports a task that `close` cancels (`task` names it, asked only then).
pub(crate) fn report_cancelled(shared: &Shared, task: impl FnOnce() -> TaskInfo) {
    if shared.debug && shared.is_closing() {
        shared.report(Diagnostic::PendingTaskCancelled { task: task() });
    }
}

/// Calls [`Keeps::gone`] when dropped, after the future's destructor (which may wake or spawn,
/// and finds the list as it was).
struct Gone<'a, K: Keeps>(&'a K, Option<K::Key>);

impl<K: Keeps> Drop for Gone<'_, K> {
    fn drop(&mut self) {
        if let Some(key) = self.1.take() {
            self.0.gone(key);
        }
    }
}
