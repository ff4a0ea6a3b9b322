//! The handle of a spawned task: [`Task`], and [`FallibleTask`] for awaiting a task that may be
//! cancelled. Beside them, what a task carries for its handle and its engine: its metadata
//! ([`Meta`], [`TrackedMeta`]), and the one-thread engine's [`Remote`] and [`Job`] that the
//! metadata points to, here so that the scheduler imports them rather than the other way round.

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;
use concurrent_queue::ConcurrentQueue;

use crate::debug::diagnostic::TaskInfo;
use crate::debug::snapshot::Handle;
use crate::sync;
use crate::task::cancel::raise_cancelled;
use crate::task::sites::PackedInfo;

/// A handle to a spawned task: await it for the task's output.
///
/// Dropping the handle cancels the task; [`detach`](Task::detach) lets it run on its own instead.
/// In debug mode, dropping the handle of a task that has not finished is reported as
/// [`Diagnostic::PendingTaskDropped`](crate::diagnostic::Diagnostic::PendingTaskDropped); `detach` and
/// [`cancel`](Task::cancel) are not. Once the runner is closing, `close` cancels every task
/// anyway, and a handle it drops leaves its task to
/// [`PendingTaskCancelled`](crate::diagnostic::Diagnostic::PendingTaskCancelled).
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
///
/// A waker must not panic: if the waker that last polled the handle panics when the task
/// finishes and wakes it (a hand-written combinator's bug), the process aborts after the panic
/// hook has printed the panic, as with every task of the smol family (`async-task` wakes the
/// awaiter under an abort guard). tokio catches that panic instead.
///
/// An output's destructor may panic, and so may a panic payload's (`panic_any` takes any value):
/// when nobody takes the output or the panic (the handle was detached, or dropped after the task
/// finished), the panic hook prints that panic and it goes no further, as in tokio. They are
/// dropped on a thread of the task's runner, or where the handle is dropped.
#[must_use = "dropping a Task cancels it; use `detach` to let it run"]
pub struct Task<T> {
    inner: Inner<T>,
}

/// What a handle holds: 16 bytes. The task's number, spawn site and debug-mode record travel in
/// async-task's metadata (the task's own allocation) where runner made the task. Beside a task
/// that `async-executor` made, the handle keeps the name in its second word, and in debug mode
/// the record's handle in a box.
enum Inner<T> {
    /// The one-thread engine's tasks, blocking jobs, and tasks cancelled before they start.
    /// These are never dropped unrun: a cancelled one completes with nothing, so async-task's
    /// "polled after completion" panic comes only from polling a handle after its output.
    Runner(async_task::Task<Outcome<T>, Meta>),
    /// The one-thread engine's tasks in debug mode: the same, with the record in the metadata.
    Tracked(Watched<T>),
    /// A task of `async-executor`, which drops it unrun when cancelled.
    Executor(Beside<T>),
    /// The same in debug mode, with the record that hears when the handle lets the task go on
    /// purpose or is dropped.
    ExecutorTracked(Box<(Beside<T>, Dropping)>),
}

// What the comment above promises (on 64-bit targets): the variants share the spare values of
// `Beside`'s byte, so the handle is a pointer and a name.
const _: () = assert!(std::mem::size_of::<Inner<u64>>() == std::mem::size_of::<usize>() + 8);

/// A handle of `async-executor`'s task, and its name beside it: two words, no allocation.
struct Beside<T> {
    task: async_task::FallibleTask<Outcome<T>>,
    name: KeptName,
}

/// The packed name of an `async-executor` task ([`PackedInfo::BITS`] bits) and whether its
/// output was taken, in one word. The flag's byte leaves 254 values spare, in which `Inner`
/// keeps its variant.
#[derive(Clone, Copy)]
struct KeptName {
    low: u32,
    middle: u16,
    high: u8,
    output: Output,
}

// A packed name fits the three fields above.
const _: () = assert!(PackedInfo::BITS <= 56);

/// Whether the handle returned the task's output: polling again is then a mistake, not a
/// cancellation.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Output {
    Awaited,
    Taken,
}

impl KeptName {
    fn new(info: PackedInfo) -> KeptName {
        let bits = info.bits();
        KeptName {
            low: bits as u32,
            middle: (bits >> 32) as u16,
            high: (bits >> 48) as u8,
            output: Output::Awaited,
        }
    }

    fn info(self) -> TaskInfo {
        let bits = u64::from(self.low) | u64::from(self.middle) << 32 | u64::from(self.high) << 48;
        PackedInfo::from_bits(bits).unpack()
    }
}

impl<T> Beside<T> {
    /// `None`: the task was cancelled.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        if self.name.output == Output::Taken {
            panic!("runner::Task polled after it returned its output")
        }
        let polled = Pin::new(&mut self.task)
            .poll(cx)
            .map(|o| o.and_then(Outcome::take));
        if let Poll::Ready(Some(_)) = polled {
            self.name.output = Output::Taken;
        }
        polled
    }
}

/// A handle of the one-thread engine's task in debug mode, which tells the record when it is
/// dropped ([`Handle::dropped`]). `None` once `detach` or `cancel` took the task out.
struct Watched<T>(Option<async_task::Task<Outcome<T>, TrackedMeta>>);

impl<T> Watched<T> {
    fn task(&self) -> &async_task::Task<Outcome<T>, TrackedMeta> {
        self.0
            .as_ref()
            .unwrap_or_else(|| unreachable!("a handle is used up only by value"))
    }

    fn take(mut self) -> async_task::Task<Outcome<T>, TrackedMeta> {
        self.0
            .take()
            .unwrap_or_else(|| unreachable!("a handle is used up only once"))
    }
}

impl<T> Drop for Watched<T> {
    fn drop(&mut self) {
        match &self.0 {
            // Before the task drops: async-task cancels it then.
            Some(task) if !task.is_finished() => task.metadata().handle.dropped(),
            _ => {}
        }
    }
}

/// The record's handle beside a task of `async-executor`'s: tells the record when the task's
/// handle is dropped, unless `detach` or `cancel` used the handle up (`armed` is then false).
struct Dropping {
    handle: Handle,
    armed: bool,
}

impl Dropping {
    fn let_go(&self) {
        self.handle.let_go();
    }

    /// `detach` or `cancel` use the handle up: its drop is not the task's cancellation.
    fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for Dropping {
    fn drop(&mut self) {
        if self.armed {
            self.handle.dropped();
        }
    }
}

/// What a task completes with, as async-task keeps it for the handle: the future's output, or
/// nothing when the task was cancelled. async-task drops an output that nobody takes: a
/// detached task's under a guard that aborts the process on a panic, and a finished task's in
/// the code that drops its handle. An `Outcome` drops it with the panic contained instead.
pub(crate) struct Outcome<T>(Option<T>);

impl<T> Outcome<T> {
    #[inline]
    pub(crate) fn done(output: T) -> Outcome<T> {
        Outcome(Some(output))
    }

    #[inline]
    pub(crate) fn cancelled() -> Outcome<T> {
        Outcome(None)
    }

    /// The output, taken: `None` when the task was cancelled.
    #[inline]
    pub(crate) fn take(mut self) -> Option<T> {
        self.0.take()
    }
}

impl<T> Drop for Outcome<T> {
    #[inline]
    fn drop(&mut self) {
        if let Some(output) = self.0.take() {
            sync::drop_contained(output);
        }
    }
}

/// What runner keeps of a task beside its future, as async-task's metadata: its number and
/// spawn site in one word ([`PackedInfo`]), and for a task of the one-thread engine the
/// scheduler it goes back to when woken. The scheduler is here rather than in the task's
/// schedule function, which captures nothing: async-task takes a reference to the task around
/// each call of a schedule function that captures something (two atomic read-modify-writes a
/// wake), and the task's allocation is the same size either way.
pub(crate) struct Meta {
    info: PackedInfo,
    // `None`: a blocking job, or a task cancelled before it starts, each with a schedule
    // function of its own.
    home: Option<Arc<Remote>>,
}

// What the memory target of the one-thread engine's tasks rests on (`task/sites.rs`): the
// name's word and the scheduler's pointer, which a schedule function would hold otherwise.
const _: () = assert!(std::mem::size_of::<Meta>() == 8 + std::mem::size_of::<usize>());

/// The metadata of a task that debug mode tracks: its name, the record that hears when the
/// engine schedules the task and when the handle lets it go on purpose, and its scheduler (see
/// [`Meta`]). Debug mode's tasks carry it in their own allocation, so that tracking a task
/// allocates nothing beside it.
pub(crate) struct TrackedMeta {
    info: PackedInfo,
    handle: Handle,
    home: Option<Arc<Remote>>,
}

/// What the one-thread engine's queues hold: a task (of either kind of metadata), or, in the
/// local queue, the turn of the main future (which waits its turn as a task does, so that its
/// `yield_now` lets the tasks run). Here, beside the metadata that points to a [`Remote`].
pub(crate) enum Job {
    Task(async_task::Runnable<Meta>),
    /// A task that debug mode tracks.
    Tracked(async_task::Runnable<TrackedMeta>),
    Main,
}

/// The part of a one-thread engine's scheduler that other threads (wakers, blocking jobs)
/// reach, and that its tasks' metadata points to; the scheduler (`runner/scheduler.rs`) is what
/// uses it.
pub(crate) struct Remote {
    pub(crate) inject: ConcurrentQueue<Job>,
    /// The main future was woken from another thread.
    pub(crate) main_woken: AtomicBool,
    /// The waker of the `block_on` that drives the scheduler.
    pub(crate) driver: AtomicWaker,
}

/// What the one-thread engine and a handle need of a task's metadata, of either kind.
pub(crate) trait TaskMeta: Send + Sync + Sized + 'static {
    fn info(&self) -> TaskInfo;

    /// The engine scheduled the task (the one-thread scheduler tells debug mode's record).
    #[inline]
    fn woken(&self) {}

    /// The handle lets the task go on purpose (`detach`, `cancel`, a `TaskGroup`'s member).
    fn let_go(&self) {}

    /// The handle of a task with this metadata.
    fn into_handle<T>(task: async_task::Task<Outcome<T>, Self>) -> Task<T>;

    /// Names this task as the one running on this thread until the guard drops: the engine
    /// calls it around each run, and each drop, of the task's runnable.
    #[inline]
    fn enter(&self) -> Running {
        Running(RUNNING.with(|running| running.replace(Some(self.packed()))))
    }

    /// The task's name as the metadata keeps it.
    fn packed(&self) -> PackedInfo;

    /// The one-thread engine's scheduler the task goes back to when woken.
    fn home(&self) -> Option<&Arc<Remote>>;

    /// The same metadata, for a task of `home`'s.
    fn homed(self, home: Arc<Remote>) -> Self;
}

thread_local! {
    /// The task the one-thread engine is running (or dropping) on this thread, if any: its
    /// wrapper reads its name here instead of keeping a copy.
    static RUNNING: Cell<Option<PackedInfo>> = const { Cell::new(None) };
}

impl Meta {
    pub(crate) fn new(info: TaskInfo) -> Meta {
        Meta::packed(PackedInfo::pack(info))
    }

    /// The metadata of a task named `info`, packed already.
    pub(crate) fn packed(info: PackedInfo) -> Meta {
        Meta { info, home: None }
    }

    /// The metadata of a task of runner's own, which nobody awaits: numbered 0, like a main
    /// future, and never reported.
    #[track_caller]
    pub(crate) fn internal() -> Meta {
        Meta::new(TaskInfo::new(0, std::panic::Location::caller()))
    }
}

impl TaskMeta for Meta {
    fn info(&self) -> TaskInfo {
        self.info.unpack()
    }

    #[inline]
    fn packed(&self) -> PackedInfo {
        self.info
    }

    #[inline]
    fn home(&self) -> Option<&Arc<Remote>> {
        self.home.as_ref()
    }

    fn homed(self, home: Arc<Remote>) -> Meta {
        Meta {
            home: Some(home),
            ..self
        }
    }

    fn into_handle<T>(task: async_task::Task<Outcome<T>, Meta>) -> Task<T> {
        Task {
            inner: Inner::Runner(task),
        }
    }
}

impl TrackedMeta {
    pub(crate) fn new(info: PackedInfo, handle: Handle) -> TrackedMeta {
        TrackedMeta {
            info,
            handle,
            home: None,
        }
    }
}

impl TaskMeta for TrackedMeta {
    fn info(&self) -> TaskInfo {
        self.info.unpack()
    }

    #[inline]
    fn packed(&self) -> PackedInfo {
        self.info
    }

    #[inline]
    fn woken(&self) {
        self.handle.woken();
    }

    #[inline]
    fn home(&self) -> Option<&Arc<Remote>> {
        self.home.as_ref()
    }

    fn homed(self, home: Arc<Remote>) -> TrackedMeta {
        TrackedMeta {
            home: Some(home),
            ..self
        }
    }

    fn let_go(&self) {
        self.handle.let_go();
    }

    fn into_handle<T>(task: async_task::Task<Outcome<T>, TrackedMeta>) -> Task<T> {
        Task {
            inner: Inner::Tracked(Watched(Some(task))),
        }
    }
}

/// The task that runs on this thread, named by its engine ([`TaskMeta::enter`]); `None`
/// outside the one-thread engine's runs.
pub(crate) fn running() -> Option<TaskInfo> {
    RUNNING
        .try_with(Cell::get)
        .ok()
        .flatten()
        .map(PackedInfo::unpack)
}

/// Gives the thread back the task it ran before, when dropped.
pub(crate) struct Running(Option<PackedInfo>);

impl Drop for Running {
    #[inline]
    fn drop(&mut self) {
        let _ = RUNNING.try_with(|running| running.set(self.0));
    }
}

impl<T> Inner<T> {
    fn info(&self) -> TaskInfo {
        match self {
            Inner::Runner(task) => task.metadata().info(),
            Inner::Tracked(task) => task.task().metadata().info(),
            Inner::Executor(beside) => beside.name.info(),
            Inner::ExecutorTracked(tracked) => tracked.0.name.info(),
        }
    }

    fn let_go(&self) {
        match self {
            Inner::Runner(_) => {}
            Inner::Tracked(task) => task.task().metadata().let_go(),
            Inner::Executor(_) => {}
            Inner::ExecutorTracked(tracked) => tracked.1.let_go(),
        }
    }

    fn is_finished(&self) -> bool {
        match self {
            Inner::Runner(task) => task.is_finished(),
            Inner::Tracked(task) => task.task().is_finished(),
            Inner::Executor(beside) => beside.task.is_finished(),
            Inner::ExecutorTracked(tracked) => tracked.0.task.is_finished(),
        }
    }

    fn detach(self) {
        self.let_go();
        match self {
            Inner::Runner(task) => task.detach(),
            Inner::Tracked(task) => task.take().detach(),
            Inner::Executor(beside) => beside.task.detach(),
            Inner::ExecutorTracked(tracked) => {
                let (beside, mut handle) = *tracked;
                handle.disarm();
                beside.task.detach();
            }
        }
    }

    async fn cancel(self) -> Option<T> {
        self.let_go();
        match self {
            Inner::Runner(task) => task.cancel().await.and_then(Outcome::take),
            Inner::Tracked(task) => task.take().cancel().await.and_then(Outcome::take),
            Inner::Executor(beside) => beside.task.cancel().await.and_then(Outcome::take),
            Inner::ExecutorTracked(tracked) => {
                let (beside, mut handle) = *tracked;
                handle.disarm();
                beside.task.cancel().await.and_then(Outcome::take)
            }
        }
    }

    /// `None`: the task was cancelled.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        match self {
            // async-task panics when polled after it gave the output.
            Inner::Runner(task) => Pin::new(task).poll(cx).map(Outcome::take),
            Inner::Tracked(Watched(Some(task))) => Pin::new(task).poll(cx).map(Outcome::take),
            Inner::Tracked(Watched(None)) => unreachable!("a handle is used up only by value"),
            Inner::Executor(beside) => beside.poll(cx),
            Inner::ExecutorTracked(tracked) => tracked.0.poll(cx),
        }
    }
}

impl<T> Task<T> {
    /// The handle of a task that runner made, with its metadata ([`Meta`] or [`TrackedMeta`]).
    pub(crate) fn new<M: TaskMeta>(task: async_task::Task<Outcome<T>, M>) -> Self {
        M::into_handle(task)
    }

    /// The handle of a task that `async-executor` made; `tracked`: its record in debug mode.
    pub(crate) fn of_executor(
        task: async_task::Task<Outcome<T>>,
        info: PackedInfo,
        tracked: Option<Handle>,
    ) -> Self {
        let beside = Beside {
            task: task.fallible(),
            name: KeptName::new(info),
        };
        let inner = match tracked {
            None => Inner::Executor(beside),
            Some(handle) => {
                let handle = Dropping {
                    handle,
                    armed: true,
                };
                Inner::ExecutorTracked(Box::new((beside, handle)))
            }
        };
        Task { inner }
    }

    /// A handle whose owner cancels the task only on purpose (a `TaskGroup`): dropping it is not
    /// reported.
    pub(crate) fn owned(self) -> Self {
        self.inner.let_go();
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
        self.inner.detach();
    }

    /// Cancels the task and waits until its future is dropped; returns its output if it had
    /// finished already, `None` otherwise.
    ///
    /// The runner drops the future on one of its threads, as it runs its tasks: a one-thread
    /// runner between two runs does so when it next runs or closes (a runner with worker
    /// threads at once), so `cancel` waits until then, as tokio's `abort` does on its
    /// current-thread runtime. Blocking on it there from the runner's own thread would wait
    /// forever.
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
        self.inner.cancel().await
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
        FallibleTask { inner: self.inner }
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
        self.inner.is_finished()
    }
}

impl<T> Future for Task<T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        match self.inner.poll(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(output)) => Poll::Ready(output),
            Poll::Ready(None) => raise_cancelled(self.inner.info()),
        }
    }
}

impl<T> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("task", &self.inner.info())
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
    inner: Inner<T>,
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
        self.inner.cancel().await
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
        self.inner.poll(cx)
    }
}

impl<T> fmt::Debug for FallibleTask<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FallibleTask")
            .field("task", &self.inner.info())
            .field("finished", &self.is_finished())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_beside_an_executor_task_comes_back_whole() {
        let here = std::panic::Location::caller();
        for id in [0, 1, 7, u32::MAX as u64 + 3, (1 << 40) - 1] {
            let info = TaskInfo::new(id, here);
            let mut kept = KeptName::new(PackedInfo::pack(info));
            assert_eq!(kept.info(), info);
            kept.output = Output::Taken;
            assert_eq!(kept.info(), info, "the flag leaves the name alone");
        }
    }
}
