//! The engine of a runner on one thread (`threads = 1`, no `executor_factory`): a scheduler of
//! its own on `async-task`, in place of `async-executor`, which is built for many threads.
//!
//! - Tasks run from a local queue that only the owner thread touches; wakes from other threads
//!   land in an inject queue and wake the thread.
//! - A task woken by the task being polled runs next (a LIFO slot, as in tokio), at most
//!   [`LIFO_CAP`] times in a row, so that two tasks that ping-pong cannot starve the rest. A task
//!   that wakes itself (`yield_now`) goes to the back (async-task tells it apart).
//! - Every [`BUDGET`] polls the scheduler returns to the `block_on` that drives it (async-io's,
//!   or tokio's with the `tokio` feature), which then polls the reactor at zero timeout (timers,
//!   I/O); every [`INJECT_INTERVAL`] polls it looks at the inject
//!   queue first.
//! - The scheduler is a future ([`Scheduler::drive`]) around the main future, so that whichever
//!   `block_on` parks the thread drives it.
//! - Idle, it gives back what a burst of tasks grew its run queue and its list of pending tasks
//!   to, beyond [`KEEP_WHEN_IDLE`] entries.
//!
//! Closing: a task leaves its waker in a list the first time it is pending (one that finishes in
//! its first poll never does), through its [`ListKey`]: a spawned task's wrapper holds the key
//! itself, runner's own tasks get [`Internal`]'s. [`Scheduler::cancel_all`] wakes every listed
//! task and runs every queued one in cancel mode ([`is_cancelling`]), in which the task's
//! wrapper drops its future and completes as cancelled, on the closing thread, until none is
//! left.
//!
//! Each task carries runner's [`Meta`] (its number and spawn site, and its scheduler's
//! [`Remote`]), or in debug mode a [`TrackedMeta`] (with the record's handle too), as
//! async-task's metadata, in the task's own allocation, so that its handle is two words and its
//! schedule function captures nothing; the queues hold either kind ([`Job`]). The
//! scheduler names the task it runs or drops for the task's wrapper ([`TaskMeta::enter`]),
//! which keeps no copy.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use async_task::{ScheduleInfo, WithInfo};
use atomic_waker::AtomicWaker;
use concurrent_queue::ConcurrentQueue;
use pin_project_lite::pin_project;
use slab::Slab;

use crate::debug::clock::forget_poll_end;
pub(crate) use crate::task::handle::{Job, Remote};
use crate::task::handle::{Meta, TaskMeta, TrackedMeta};

type Runnable<M> = async_task::Runnable<M>;
type Task<T, M> = async_task::Task<T, M>;

/// Polls between two returns to `block_on` (and so two looks at the reactor).
const BUDGET: u32 = 256;
/// Polls between two looks at the inject queue before the local queue.
const INJECT_INTERVAL: u32 = 31;
/// Polls in a row that the LIFO slot may take.
const LIFO_CAP: u32 = 3;
/// Room the run queue and the list of pending tasks keep once idle: what a burst of tasks
/// grew beyond this goes back to the allocator, rather than staying with the runner until it
/// closes.
const KEEP_WHEN_IDLE: usize = 4096;

thread_local! {
    /// The scheduler whose `drive` runs on this thread (or that is closing here).
    static ACTIVE: RefCell<Option<Rc<Scheduler>>> = const { RefCell::new(None) };
    /// `cancel_all` is running tasks on this thread, each to drop its future and complete as
    /// cancelled.
    static CANCELLING: Cell<bool> = const { Cell::new(false) };
}

/// A runner's scheduler, on the thread that owns the runner.
pub(crate) struct Scheduler {
    remote: Arc<Remote>,
    queue: RefCell<VecDeque<Job>>,
    /// The main future is in the queue.
    main_queued: Cell<bool>,
    lifo: Cell<Option<Job>>,
    lifo_streak: Cell<u32>,
    tick: Cell<u32>,
    /// `drive` is inside its loop: a wake on this thread needs no wake of the driver.
    driving: Cell<bool>,
    /// A task is being polled: a wake of another task now is one task waking another.
    in_task: Cell<bool>,
    /// A waker of every task that has been pending, for `cancel_all`.
    pending: RefCell<Slab<Waker>>,
    /// The list's capacity after `trim` last shrank it.
    pending_trimmed_at: Cell<usize>,
    /// A debug-mode poll ran since the loop last told the clock to forget its stamp: without
    /// debug mode there is never a stamp to forget, and the loop does not touch the clock.
    stamped: Cell<bool>,
}

impl Remote {
    /// The schedule function of every task of the one-thread engine: it captures nothing (see
    /// [`Meta`]), and finds the task's scheduler in its metadata.
    #[inline(always)]
    fn schedule<M: Queued>(runnable: Runnable<M>, info: ScheduleInfo) {
        let meta = runnable.metadata();
        meta.woken();
        let home = meta.home().map_or(std::ptr::null(), Arc::as_ptr);
        // The task's scheduler, if it is the one active on this thread (a small closure, so
        // that the thread-local access inlines).
        let here = ACTIVE
            .try_with(|active| {
                let active = active.borrow();
                active
                    .as_ref()
                    .filter(|scheduler| Arc::as_ptr(&scheduler.remote) == home)
                    .cloned()
            })
            .ok()
            .flatten();
        match here {
            Some(scheduler) => {
                scheduler.push_woken(M::job(runnable), info.woken_while_running);
            }
            None => {
                let home = meta.home().cloned();
                let home = home.unwrap_or_else(|| unreachable!("the engine's tasks have a home"));
                home.inject(M::job(runnable));
            }
        }
    }

    fn inject(&self, job: Job) {
        match self.inject.push(job) {
            Ok(()) => self.driver.wake(),
            // Closed: the runner has closed, so the task is cancelled here and now.
            Err(closed) => drop_named(closed.into_inner()),
        }
    }

    /// Spawns from another thread (a blocking job): the task waits in the inject queue. The
    /// future lists itself and honours cancel mode (a [`TaskFuture`](crate::task::wrapper)).
    pub(crate) fn spawn<F, M>(self: &Arc<Self>, future: F, meta: M) -> Task<F::Output, M>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
        M: Queued,
    {
        let (runnable, task) = self.task(future, meta);
        self.inject(M::job(runnable));
        task
    }

    /// Spawns one of runner's own tasks from any thread, listed and cancelled by the scheduler.
    pub(crate) fn spawn_internal<F>(self: &Arc<Self>, future: F, meta: Meta) -> Task<(), Meta>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.spawn(Internal::new(future), meta)
    }

    /// A task of this scheduler's, not yet queued.
    fn task<F, M>(self: &Arc<Self>, future: F, meta: M) -> (Runnable<M>, Task<F::Output, M>)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
        M: Queued,
    {
        let builder = async_task::Builder::new().propagate_panic(true);
        builder
            .metadata(meta.homed(self.clone()))
            .spawn(|_| future, WithInfo(Remote::schedule::<M>))
    }
}

impl Scheduler {
    pub(crate) fn new() -> Rc<Scheduler> {
        Rc::new(Scheduler {
            remote: Arc::new(Remote {
                inject: ConcurrentQueue::unbounded(),
                main_woken: AtomicBool::new(false),
                driver: AtomicWaker::new(),
            }),
            queue: RefCell::new(VecDeque::new()),
            main_queued: Cell::new(false),
            lifo: Cell::new(None),
            lifo_streak: Cell::new(0),
            tick: Cell::new(0),
            driving: Cell::new(false),
            in_task: Cell::new(false),
            pending: RefCell::new(Slab::new()),
            pending_trimmed_at: Cell::new(0),
            stamped: Cell::new(false),
        })
    }

    pub(crate) fn remote(&self) -> &Arc<Remote> {
        &self.remote
    }

    /// Spawns on the owner thread: the task goes to the back of the queue. The future lists
    /// itself and honours cancel mode (a [`TaskFuture`](crate::task::wrapper)).
    pub(crate) fn spawn<F, M>(&self, future: F, meta: M) -> Task<F::Output, M>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
        M: Queued,
    {
        let (runnable, task) = self.remote.task(future, meta);
        self.push_spawned(M::job(runnable));
        task
    }

    /// Spawns one of runner's own tasks, which the scheduler lists and cancels itself.
    pub(crate) fn spawn_internal<F>(&self, future: F, meta: Meta) -> Task<(), Meta>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.spawn(Internal::new(future), meta)
    }

    /// Spawns a task that must stay on the owner thread (async-task checks it).
    pub(crate) fn spawn_local<F, M>(&self, future: F, meta: M) -> Task<F::Output, M>
    where
        F: Future + 'static,
        F::Output: 'static,
        M: Queued,
    {
        let (runnable, task) = async_task::Builder::new()
            .propagate_panic(true)
            .metadata(meta.homed(self.remote.clone()))
            .spawn_local(|_| future, WithInfo(Remote::schedule::<M>));
        self.push_spawned(M::job(runnable));
        task
    }

    fn push_spawned(&self, job: Job) {
        self.queue.borrow_mut().push_back(job);
        if !self.driving.get() {
            self.remote.driver.wake();
        }
    }

    /// A task woken on the owner thread; `itself`: by its own poll.
    #[inline(always)]
    fn push_woken(&self, job: Job, itself: bool) {
        if self.in_task.get() && !itself {
            if let Some(previous) = self.lifo.replace(Some(job)) {
                self.queue.borrow_mut().push_back(previous);
            }
        } else {
            self.queue.borrow_mut().push_back(job);
        }
        if !self.driving.get() {
            self.remote.driver.wake();
        }
    }

    /// The main future's turn, once: later wakes find it queued.
    fn queue_main(&self) {
        if !self.main_queued.replace(true) {
            self.queue.borrow_mut().push_back(Job::Main);
        }
    }

    #[inline(always)]
    fn next(&self) -> Option<Job> {
        let tick = self.tick.get().wrapping_add(1);
        self.tick.set(tick);
        if tick % INJECT_INTERVAL == 0 {
            if let Ok(job) = self.remote.inject.pop() {
                return Some(job);
            }
        }
        if let Some(job) = self.lifo.take() {
            let streak = self.lifo_streak.get();
            if streak < LIFO_CAP {
                self.lifo_streak.set(streak + 1);
                return Some(job);
            }
            self.queue.borrow_mut().push_back(job);
        }
        self.lifo_streak.set(0);
        let local = self.queue.borrow_mut().pop_front();
        local.or_else(|| self.remote.inject.pop().ok())
    }

    /// `main`, with the scheduler's tasks run whenever it is polled, and `on_idle` called each
    /// time the queues are empty (the point where paused time may jump): it
    /// returns `None` to wait for a wake, or a future that the loop polls (outside the loop, so
    /// that every wake wakes `block_on`) until it completes, then looks at the queues again. It
    /// gets `block_on`'s waker and a [`Woke`] that tells whether anything has woken since.
    pub(crate) fn drive<'a, F, I, W>(self: &'a Rc<Self>, main: F, on_idle: I) -> Drive<'a, F, I, W>
    where
        F: Future,
        I: FnMut(&Waker, Woke<'a>) -> Option<W>,
        W: Future<Output = ()>,
    {
        Drive {
            scheduler: self,
            main_waker: None,
            on_idle,
            waiting: None,
            entered: None,
            main,
        }
    }

    /// Gives back the memory that a burst of tasks grew the run queue to (it is empty when
    /// idle), and the list of pending tasks past its last entry, once each time the list has
    /// grown (which keeps the list's keys, and costs a pass over the list).
    fn trim(&self) {
        let mut queue = self.queue.borrow_mut();
        if queue.capacity() > KEEP_WHEN_IDLE {
            queue.shrink_to(KEEP_WHEN_IDLE);
        }
        let mut pending = self.pending.borrow_mut();
        let capacity = pending.capacity();
        if capacity > KEEP_WHEN_IDLE && capacity != self.pending_trimmed_at.get() {
            pending.shrink_to_fit();
            self.pending_trimmed_at.set(pending.capacity());
        }
    }

    /// Whether a task or the main future is ready to run.
    fn has_work(&self) -> bool {
        let lifo = self.lifo.take();
        let has_lifo = lifo.is_some();
        self.lifo.set(lifo);
        has_lifo
            || !self.queue.borrow().is_empty()
            || !self.remote.inject.is_empty()
            || self.remote.main_woken.load(Ordering::Acquire)
    }

    /// Cancels every task: each one's future is dropped here, now, and whoever awaits it wakes.
    /// Tasks woken or spawned meanwhile (by destructors, or by other threads) are cancelled too.
    /// Afterwards a wake from another thread drops its task where it is.
    ///
    /// Each task is run once more rather than dropped unrun: its future drops inside that run
    /// and the task completes as cancelled, so that its handle reads the cancellation from the
    /// output (a task that async-task closed unrun would panic its awaiter with async-task's
    /// message instead of runner's).
    pub(crate) fn cancel_all(self: &Rc<Self>) {
        let _active = Entered::new(self);
        let _cancelling = Cancelling::new(true);
        forget_poll_end();
        // The driver is gone: nothing must wake it.
        drop(self.remote.driver.take());
        loop {
            // Each listed task is queued (a queued one stays queued); running it drops its
            // future, which takes it off the list, and wakes its awaiter.
            for (_, waker) in self.pending.borrow().iter() {
                waker.wake_by_ref();
            }
            let mut dropped = false;
            while let Some(job) = self.pop_any() {
                run_named(job);
                dropped = true;
            }
            if self.pending.borrow().is_empty() {
                break;
            }
            if !dropped {
                // A task woken by another thread has not reached the inject queue yet.
                std::thread::yield_now();
            }
        }
        self.remote.inject.close();
        while let Ok(job) = self.remote.inject.pop() {
            drop_named(job);
        }
    }

    /// Tells debug mode's clock that something other than a tracked poll ran (or the loop
    /// parked): the next tracked poll on this thread reads the clock ([`forget_poll_end`]).
    #[inline]
    fn forget_stamp(&self) {
        if self.stamped.replace(false) {
            forget_poll_end();
        }
    }

    fn pop_any(&self) -> Option<Job> {
        if let Some(job) = self.lifo.take() {
            return Some(job);
        }
        let local = self.queue.borrow_mut().pop_front();
        local.or_else(|| self.remote.inject.pop().ok())
    }
}

/// Tasks left queued (a scheduler that never closed) are dropped named, as their wrappers need.
impl Drop for Scheduler {
    fn drop(&mut self) {
        if let Some(job) = self.lifo.get_mut().take() {
            drop_named(job);
        }
        for job in std::mem::take(self.queue.get_mut()) {
            drop_named(job);
        }
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        while let Ok(job) = self.inject.pop() {
            drop_named(job);
        }
    }
}

/// Runs a task, named as the thread's running task for its wrapper ([`TaskMeta::enter`]); the
/// main future's turn runs nothing.
#[inline(always)]
fn run_named(job: Job) {
    #[inline(always)]
    fn run<M: TaskMeta>(runnable: Runnable<M>) {
        let _running = runnable.metadata().enter();
        runnable.run();
    }
    match job {
        Job::Task(runnable) => run(runnable),
        Job::Tracked(runnable) => run(runnable),
        Job::Main => {}
    }
}

/// Drops a task's runnable (and so its future, if it has not completed), named likewise.
fn drop_named(job: Job) {
    fn drop_runnable<M: TaskMeta>(runnable: Runnable<M>) {
        let _running = runnable.metadata().enter();
        drop(runnable);
    }
    match job {
        Job::Task(runnable) => drop_runnable(runnable),
        Job::Tracked(runnable) => drop_runnable(runnable),
        Job::Main => {}
    }
}

/// The metadata of the scheduler's tasks: each kind has its place in the queues.
pub(crate) trait Queued: TaskMeta {
    fn job(runnable: Runnable<Self>) -> Job;
}

impl Queued for Meta {
    #[inline(always)]
    fn job(runnable: Runnable<Meta>) -> Job {
        Job::Task(runnable)
    }
}

impl Queued for TrackedMeta {
    #[inline(always)]
    fn job(runnable: Runnable<TrackedMeta>) -> Job {
        Job::Tracked(runnable)
    }
}

/// Makes a scheduler the active one on this thread until dropped.
struct Entered {
    previous: Option<Rc<Scheduler>>,
}

impl Entered {
    fn new(scheduler: &Rc<Scheduler>) -> Entered {
        Entered {
            previous: ACTIVE.with(|a| a.replace(Some(scheduler.clone()))),
        }
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        let previous = self.previous.take();
        let _ = ACTIVE.try_with(|a| a.replace(previous));
    }
}

/// Marks the scheduler as inside its loop until dropped (a panicking main future included).
struct Driving<'a>(&'a Scheduler);

impl Drop for Driving<'_> {
    fn drop(&mut self) {
        self.0.driving.set(false);
    }
}

/// Sets whether this thread's task runs cancel, until dropped.
struct Cancelling(bool);

impl Cancelling {
    fn new(cancelling: bool) -> Cancelling {
        Cancelling(CANCELLING.with(|c| c.replace(cancelling)))
    }
}

impl Drop for Cancelling {
    fn drop(&mut self) {
        let _ = CANCELLING.try_with(|c| c.set(self.0));
    }
}

/// The main future's waker (the remote part itself, so that a run allocates no waker): on the
/// owner thread it queues the main future's turn; from another thread it sets a flag for the
/// loop and wakes the driver.
impl Wake for Remote {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let here = ACTIVE
            .try_with(|active| match &*active.borrow() {
                Some(scheduler) if Arc::ptr_eq(&scheduler.remote, self) => {
                    scheduler.queue_main();
                    if !scheduler.driving.get() {
                        self.driver.wake();
                    }
                    true
                }
                _ => false,
            })
            .unwrap_or(false);
        if !here {
            self.main_woken.store(true, Ordering::Release);
            self.driver.wake();
        }
    }
}

/// Tells an idle hook whether a task or the main future has woken since the queues were empty.
#[derive(Clone, Copy)]
pub(crate) struct Woke<'a>(&'a Scheduler);

impl Woke<'_> {
    pub(crate) fn is_set(&self) -> bool {
        self.0.has_work()
    }
}

pin_project! {
    /// The future of [`Scheduler::drive`]: the main future and the scheduler's loop.
    pub(crate) struct Drive<'a, F, I, W> {
        scheduler: &'a Rc<Scheduler>,
        main_waker: Option<Waker>,
        on_idle: I,
        // What `on_idle` returned, until it completes.
        #[pin]
        waiting: Option<W>,
        // Dropped before `entered`: what its destructor wakes goes to the local queue.
        #[pin]
        main: F,
        // This thread's active scheduler before, restored when the future drops.
        entered: Option<Entered>,
    }
}

impl<'a, F, I, W> Future for Drive<'a, F, I, W>
where
    F: Future,
    I: FnMut(&Waker, Woke<'a>) -> Option<W>,
    W: Future<Output = ()>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let mut this = self.project();
        let scheduler: &'a Scheduler = this.scheduler;
        if this.entered.is_none() {
            // Entered until the end of the drive, so that wakes from the reactor on this thread
            // go to the local queue.
            *this.entered = Some(Entered::new(this.scheduler));
        }
        let main_waker = this.main_waker.get_or_insert_with(|| {
            // The first poll of the main future comes before the tasks already queued; a turn
            // left by the last run's main future (woken as it finished) is dropped.
            let mut queue = scheduler.queue.borrow_mut();
            if scheduler.main_queued.get() {
                queue.retain(|job| !matches!(job, Job::Main));
            }
            queue.push_front(Job::Main);
            scheduler.main_queued.set(true);
            scheduler.remote.main_woken.store(false, Ordering::Relaxed);
            Waker::from(scheduler.remote.clone())
        });
        scheduler.remote.driver.register(cx.waker());
        // Back from `block_on`, which may have parked (or another runner's loop ran on this
        // thread): the next tracked poll reads the clock.
        scheduler.stamped.set(false);
        forget_poll_end();
        if let Some(waiting) = this.waiting.as_mut().as_pin_mut() {
            // Back from `block_on`, which polled the reactor at zero timeout: still idle?
            if !scheduler.has_work() && waiting.poll(cx).is_pending() {
                return Poll::Pending;
            }
            this.waiting.set(None);
        }
        scheduler.driving.set(true);
        let _driving = Driving(scheduler);
        // A runner driven from a destructor that `cancel_all` runs does not cancel its tasks.
        let _cancelling = Cancelling::new(false);
        let mut budget = BUDGET;
        loop {
            // A load first: a swap on every turn would cost an atomic write per poll.
            if scheduler.remote.main_woken.load(Ordering::Relaxed)
                && scheduler.remote.main_woken.swap(false, Ordering::AcqRel)
            {
                scheduler.queue_main();
            }
            match scheduler.next() {
                Some(Job::Main) => {
                    scheduler.main_queued.set(false);
                    let polled = this
                        .main
                        .as_mut()
                        .poll(&mut Context::from_waker(main_waker));
                    scheduler.forget_stamp();
                    if polled.is_ready() {
                        return polled;
                    }
                }
                Some(job) => {
                    let tracked = matches!(job, Job::Tracked(_));
                    // No unwinding: async-task catches a task's panic (`propagate_panic`).
                    scheduler.in_task.set(true);
                    run_named(job);
                    scheduler.in_task.set(false);
                    match tracked {
                        true => scheduler.stamped.set(true),
                        // Not a timed poll: the next tracked poll reads the clock.
                        false => scheduler.forget_stamp(),
                    }
                }
                None if scheduler.remote.main_woken.load(Ordering::Acquire) => continue,
                // Idle: the queues are empty. A wake from now on wakes `block_on`.
                None => {
                    scheduler.driving.set(false);
                    scheduler.trim();
                    let Some(waiting) = (this.on_idle)(cx.waker(), Woke(scheduler)) else {
                        return Poll::Pending;
                    };
                    // Idle means the queues are still empty after one self-woken return to
                    // `block_on` (which then polls the reactor at zero timeout). Polled once
                    // first, so that the reactor barrier's byte is in the socket before that
                    // poll of the reactor, which then also reports it: one poll per jump.
                    this.waiting.set(Some(waiting));
                    let waiting = this.waiting.as_mut().as_pin_mut();
                    if waiting.is_some_and(|waiting| waiting.poll(cx).is_ready()) {
                        this.waiting.set(None);
                        scheduler.driving.set(true);
                        continue;
                    }
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
            }
            budget -= 1;
            if budget == 0 {
                // The reactor's turn: `block_on` looks at it before polling again.
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
        }
    }
}

/// Whether `cancel_all` is running tasks on this thread: a task's poll now drops its future
/// and completes as cancelled.
#[inline]
pub(crate) fn is_cancelling() -> bool {
    CANCELLING.with(Cell::get)
}

/// A task's place in the scheduler's list (of the tasks that have been pending, for
/// `cancel_all`): its key plus one, 0 while not listed. A `u32` keeps a small task's future at
/// two words (4 billion pending tasks would need far more memory than there is).
#[derive(Default)]
pub(crate) struct ListKey(u32);

impl ListKey {
    /// Lists the task's waker with the thread's active scheduler, the first time.
    #[inline]
    pub(crate) fn list(&mut self, waker: &Waker) {
        if self.0 == 0 {
            self.list_first(waker);
        }
    }

    fn list_first(&mut self, waker: &Waker) {
        self.0 = ACTIVE.with(|active| match &*active.borrow() {
            Some(scheduler) => {
                let key = scheduler.pending.borrow_mut().insert(waker.clone());
                u32::try_from(key + 1).expect("more than u32::MAX tasks pending at once")
            }
            None => 0,
        });
    }

    /// Takes the task off the list.
    #[inline]
    pub(crate) fn unlist(&mut self) {
        let key = std::mem::take(&mut self.0);
        if key != 0 {
            let _ = ACTIVE.try_with(|active| {
                if let Some(scheduler) = &*active.borrow() {
                    let waker = scheduler.pending.borrow_mut().try_remove(key as usize - 1);
                    // Dropped after the list's borrow: the last waker may reschedule.
                    drop(waker);
                }
            });
        }
    }
}

pin_project! {
    /// The future of one of runner's own tasks as the scheduler runs it: listed the first time
    /// it is pending, off the list when dropped, and completed as cancelled when run by
    /// `cancel_all`. (A spawned task's [`TaskFuture`](crate::task::wrapper) does the same
    /// itself.)
    struct Internal<F> {
        #[pin]
        future: Option<F>,
        key: ListKey,
    }
    impl<F> PinnedDrop for Internal<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            // The future first: what its destructor wakes or spawns finds the list as it was.
            this.future.set(None);
            this.key.unlist();
        }
    }
}

impl<F> Internal<F> {
    fn new(future: F) -> Self {
        Internal {
            future: Some(future),
            key: ListKey::default(),
        }
    }
}

/// Runner's own tasks are detached and give nothing: a cancelled one completes with `()` too.
impl<F: Future<Output = ()>> Future for Internal<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut this = self.project();
        let future = match this.future.as_mut().as_pin_mut() {
            Some(future) if !is_cancelling() => future,
            _ => {
                this.future.set(None);
                this.key.unlist();
                return Poll::Ready(());
            }
        };
        let polled = future.poll(cx);
        if polled.is_pending() {
            this.key.list(cx.waker());
        }
        polled
    }
}
