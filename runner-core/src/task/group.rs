//! `TaskGroup`: asyncio's `TaskGroup` (tokio's `JoinSet`), on `spawn`, `spawn_local` and `Task`.
//!
//! The members are kept in spawn order, each under its spawn number (never reused). `join_all`
//! awaits them in that order, as one would by hand; each member's future is wrapped so that a
//! panic in it tells the group at once (a shared flag and waker), and the others are cancelled
//! without waiting for the members spawned before it. For `next`, a member's number lands in a
//! lock-free queue once its future is gone (finished, panicked or cancelled), so `next` polls
//! only the members that are done, never all of them; once `join_all` runs, nothing is queued.

use std::any::Any;
use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;
use concurrent_queue::ConcurrentQueue;
use pin_project_lite::pin_project;

use crate::sync;
use crate::task::handle::Task;
use crate::task::spawn::{spawn, spawn_local};

/// A group of tasks that finish, fail and are cancelled together: asyncio's `TaskGroup`, tokio's
/// `JoinSet`.
///
/// Members are spawned with [`spawn`](TaskGroup::spawn) or [`spawn_local`](TaskGroup::spawn_local)
/// and start at once, each in a copy of the spawner's [`Context`](crate::context::Context), as
/// [`runner::spawn`](crate::spawn) does. Their outputs are read with
/// [`next`](TaskGroup::next), in the order the members finish, or all at once with
/// [`join_all`](TaskGroup::join_all), in the order they were spawned.
///
/// When a member panics, the group cancels the other members, waits until they are gone, and
/// resumes the panic in the code awaiting `next` or `join_all` (asyncio cancels the siblings and
/// raises). Dropping the group, or the future awaiting `join_all`, cancels the members still
/// running; [`cancel_all`](TaskGroup::cancel_all) does so and waits until their destructors
/// have run.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use runner::TaskGroup;
///
/// runner::run(async {
///     let mut group = TaskGroup::new();
///     for ms in [30, 10, 20] {
///         group.spawn(async move {
///             runner::sleep(Duration::from_millis(ms)).await;
///             ms
///         });
///     }
///     assert_eq!(group.join_all().await, [30, 10, 20]); // spawn order
/// })
/// .unwrap();
/// ```
pub struct TaskGroup<T> {
    /// The members by spawn number, in spawn order; a task is taken out once its output (or
    /// panic) is, and such holes are dropped from the front, or all at once when they are many.
    members: VecDeque<(u64, Option<Task<T>>)>,
    /// How many members still have their task: those whose output has not been taken.
    running: usize,
    /// The next spawn number. Numbers are never reused, so a stale one finds no member.
    spawned: u64,
    /// What the members tell the group.
    shared: Arc<Shared>,
    /// Members whose number was read before their task counted as finished (its output is
    /// stored just after its future is dropped, maybe on another thread): polled until they are.
    finishing: Vec<u64>,
}

struct Shared {
    /// The spawn numbers of the members whose futures are gone, for `next`.
    keys: ConcurrentQueue<u64>,
    waker: AtomicWaker,
    /// `join_all` runs, so no spawn number is read any more: members need not queue theirs.
    joining: AtomicBool,
    /// One more than the spawn number of a member whose poll panicked (0: none), so that
    /// `join_all`, which awaits the members in spawn order, hears of it at once.
    panicked: AtomicU64,
}

/// What `poll_finished` found.
enum Finished<T> {
    Output(T),
    Panicked(Box<dyn Any + Send>),
}

impl<T> TaskGroup<T> {
    /// An empty group.
    ///
    /// # Examples
    ///
    /// ```
    /// let group = runner::TaskGroup::<u32>::new();
    /// assert!(group.is_empty());
    /// ```
    pub fn new() -> TaskGroup<T> {
        TaskGroup {
            members: VecDeque::new(),
            running: 0,
            spawned: 0,
            shared: Arc::new(Shared {
                keys: ConcurrentQueue::unbounded(),
                waker: AtomicWaker::new(),
                joining: AtomicBool::new(false),
                panicked: AtomicU64::new(0),
            }),
            finishing: Vec::new(),
        }
    }

    /// Spawns `future` as a member of the group, on any of the runner's threads, like
    /// [`runner::spawn`](crate::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// runner::run(async {
    ///     let mut group = runner::TaskGroup::new();
    ///     group.spawn(async { 1 });
    ///     group.spawn(async { 2 });
    ///     assert_eq!(group.len(), 2);
    ///     assert_eq!(group.join_all().await, [1, 2]);
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// Panics when called outside a runner, like [`runner::spawn`](crate::spawn).
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F)
    where
        F: Future<Output = T> + Send + 'static,
        T: Send + 'static,
    {
        let (member, seq) = self.member(future);
        let task = spawn(member).owned();
        self.started(seq, task);
    }

    /// Spawns `future` as a member that stays on the current thread, so it need not be `Send`,
    /// like [`runner::spawn_local`](crate::spawn_local).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// runner::run(async {
    ///     let mut group = runner::TaskGroup::new();
    ///     let shared = Rc::new(3); // Rc is not Send
    ///     for i in 0..3 {
    ///         let shared = shared.clone();
    ///         group.spawn_local(async move { *shared + i });
    ///     }
    ///     assert_eq!(group.join_all().await, [3, 4, 5]);
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// Panics when called outside a runner or from a blocking job, like
    /// [`runner::spawn_local`](crate::spawn_local).
    #[track_caller]
    pub fn spawn_local<F>(&mut self, future: F)
    where
        F: Future<Output = T> + 'static,
        T: 'static,
    {
        let (member, seq) = self.member(future);
        let task = spawn_local(member).owned();
        self.started(seq, task);
    }

    /// How many members have not had their output taken yet, finished ones included.
    ///
    /// # Examples
    ///
    /// ```
    /// runner::run(async {
    ///     let mut group = runner::TaskGroup::new();
    ///     group.spawn(async { "a" });
    ///     group.spawn(async { "b" });
    ///     assert_eq!(group.len(), 2);
    ///     group.next().await;
    ///     assert_eq!(group.len(), 1);
    /// })
    /// .unwrap();
    /// ```
    pub fn len(&self) -> usize {
        self.running
    }

    /// Whether the group has no member left: [`next`](TaskGroup::next) would return `None`.
    ///
    /// # Examples
    ///
    /// ```
    /// runner::run(async {
    ///     let mut group = runner::TaskGroup::new();
    ///     assert!(group.is_empty());
    ///     group.spawn(async {});
    ///     assert!(!group.is_empty());
    ///     group.next().await;
    ///     assert!(group.is_empty());
    /// })
    /// .unwrap();
    /// ```
    pub fn is_empty(&self) -> bool {
        self.running == 0
    }

    /// Waits for the next member to finish and returns its output, in the order the members
    /// finish; `None` once the group is empty.
    ///
    /// Dropping the returned future loses no output: a member that finished meanwhile is
    /// returned by the next call.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// runner::run(async {
    ///     let mut group = runner::TaskGroup::new();
    ///     let start = Instant::now();
    ///     for ms in [150, 50, 100] {
    ///         let wake_up = runner::time::sleep_until(start + Duration::from_millis(ms));
    ///         group.spawn(async move {
    ///             wake_up.await;
    ///             ms
    ///         });
    ///     }
    ///     let mut finished = Vec::new();
    ///     while let Some(ms) = group.next().await {
    ///         finished.push(ms);
    ///     }
    ///     assert_eq!(finished, [50, 100, 150]); // completion order
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// When a member panicked: the other members are cancelled and waited for, then the panic
    /// resumes here, as awaiting its [`Task`] would resume it.
    pub async fn next(&mut self) -> Option<T> {
        match poll_fn(|cx| self.poll_finished(cx)).await? {
            Finished::Output(output) => Some(output),
            Finished::Panicked(payload) => {
                self.cancel_all().await;
                resume_unwind(payload)
            }
        }
    }

    /// Waits for every member and returns their outputs in the order the members were spawned.
    ///
    /// Dropping the returned future cancels the members still running.
    ///
    /// # Examples
    ///
    /// ```
    /// runner::run(async {
    ///     let mut group = runner::TaskGroup::new();
    ///     for i in 0..5 {
    ///         group.spawn(async move { i * i });
    ///     }
    ///     assert_eq!(group.join_all().await, [0, 1, 4, 9, 16]);
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// When a member panics: the other members are cancelled and waited for, then the panic
    /// resumes here (asyncio cancels the siblings and raises).
    pub async fn join_all(mut self) -> Vec<T> {
        // From now on no spawn number is read: members that finish need not queue theirs.
        self.shared.joining.store(true, Ordering::Relaxed);
        let mut outputs = Vec::with_capacity(self.running);
        let joined = poll_fn(|cx| {
            // Await the members in spawn order, as by hand ...
            while let Some((_, slot)) = self.members.front_mut() {
                let Some(task) = slot else {
                    self.members.pop_front();
                    continue;
                };
                match catch_unwind(AssertUnwindSafe(|| Pin::new(task).poll(cx))) {
                    Ok(Poll::Ready(output)) => {
                        outputs.push(output);
                        self.members.pop_front();
                    }
                    Ok(Poll::Pending) => break,
                    Err(payload) => return Poll::Ready(Err(payload)),
                }
            }
            if self.members.is_empty() {
                return Poll::Ready(Ok(()));
            }
            // ... but hear at once of a later member's panic. Register first, then look.
            self.shared.waker.register(cx.waker());
            match self.poll_panicked(cx) {
                Some(payload) => Poll::Ready(Err(payload)),
                None => Poll::Pending,
            }
        })
        .await;
        if let Err(payload) = joined {
            self.cancel_all().await;
            resume_unwind(payload)
        }
        outputs
    }

    /// Cancels every member and waits until they are gone (their destructors have run); the
    /// group is then empty. Outputs not taken yet are dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// runner::run(async {
    ///     let mut group = runner::TaskGroup::new();
    ///     group.spawn(std::future::pending::<()>());
    ///     group.cancel_all().await;
    ///     assert!(group.is_empty());
    ///     assert_eq!(group.next().await, None);
    /// })
    /// .unwrap();
    /// ```
    pub async fn cancel_all(&mut self) {
        self.finishing.clear();
        self.running = 0;
        // A task's `cancel` cancels it when first polled, then waits until its future is gone.
        let mut cancels: Vec<_> = self
            .members
            .drain(..)
            .filter_map(|(_, task)| Some(Box::pin(task?.cancel())))
            .collect();
        let mut started = false;
        poll_fn(|cx| {
            if !started {
                started = true;
                cancels.retain_mut(|cancel| poll_cancel(cancel.as_mut(), cx).is_pending());
            }
            // All are cancelled: wait for each in turn.
            while let Some(cancel) = cancels.last_mut() {
                if poll_cancel(cancel.as_mut(), cx).is_pending() {
                    return Poll::Pending;
                }
                cancels.pop();
            }
            Poll::Ready(())
        })
        .await;
        // Every member is gone, so every number that will ever be queued is queued.
        while self.shared.keys.pop().is_ok() {}
        self.shared.panicked.store(0, Ordering::Relaxed);
    }

    /// Wraps `future` with the next spawn number, which is used up even if spawning fails.
    fn member<F>(&mut self, future: F) -> (Member<F>, u64) {
        let seq = self.spawned;
        self.spawned += 1;
        let member = Member {
            future,
            gone: Gone {
                seq,
                shared: self.shared.clone(),
            },
        };
        (member, seq)
    }

    fn started(&mut self, seq: u64, task: Task<T>) {
        self.members.push_back((seq, Some(task)));
        self.running += 1;
    }

    /// Where member `seq` is, if it is still in the group.
    fn find(&self, seq: u64) -> Option<usize> {
        self.members
            .binary_search_by_key(&seq, |&(seq, _)| seq)
            .ok()
    }

    /// The panic of a member that panicked out of spawn order, once it has reached its task.
    fn poll_panicked(&mut self, cx: &mut Context<'_>) -> Option<Box<dyn Any + Send>> {
        let seq = self
            .shared
            .panicked
            .load(Ordering::Acquire)
            .checked_sub(1)?;
        // Not found: a member of an earlier round, cancelled since.
        let at = self.find(seq)?;
        let task = self.members[at].1.as_mut()?;
        match catch_unwind(AssertUnwindSafe(|| Pin::new(task).poll(cx))) {
            Err(payload) => Some(payload),
            // Stored just after the panic unwound out of its poll, maybe on another thread.
            Ok(Poll::Pending) => None,
            Ok(Poll::Ready(_)) => unreachable!("task group: a member panicked and finished"),
        }
    }

    /// The output (or panic) of a member that has finished; `None` when the group is empty.
    fn poll_finished(&mut self, cx: &mut Context<'_>) -> Poll<Option<Finished<T>>> {
        if self.running == 0 {
            return Poll::Ready(None);
        }
        if let Some(finished) = self.take_finished(cx) {
            return Poll::Ready(Some(finished));
        }
        // Nothing yet: register, then look once more, so that a number queued in between wakes
        // us.
        self.shared.waker.register(cx.waker());
        match self.take_finished(cx) {
            Some(finished) => Poll::Ready(Some(finished)),
            None => Poll::Pending,
        }
    }

    fn take_finished(&mut self, cx: &mut Context<'_>) -> Option<Finished<T>> {
        for i in 0..self.finishing.len() {
            if let Poll::Ready(finished) = self.poll_member(self.finishing[i], cx) {
                self.finishing.swap_remove(i);
                return finished;
            }
        }
        while let Ok(seq) = self.shared.keys.pop() {
            match self.poll_member(seq, cx) {
                Poll::Ready(Some(finished)) => return Some(finished),
                Poll::Ready(None) => {}
                Poll::Pending => self.finishing.push(seq),
            }
        }
        None
    }

    /// Polls member `seq`, whose future is gone: its task is taken out once it has finished
    /// (`Some`); `None` if the member is no longer in the group (cancelled, or never started).
    fn poll_member(&mut self, seq: u64, cx: &mut Context<'_>) -> Poll<Option<Finished<T>>> {
        let Some(at) = self.find(seq) else {
            return Poll::Ready(None);
        };
        let slot = &mut self.members[at].1;
        let Some(task) = slot else {
            return Poll::Ready(None);
        };
        let finished = match catch_unwind(AssertUnwindSafe(|| Pin::new(task).poll(cx))) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Finished::Output(output),
            Err(payload) => Finished::Panicked(payload),
        };
        *slot = None;
        self.running -= 1;
        self.drop_holes();
        Poll::Ready(Some(finished))
    }

    /// Drops the holes left by taken members: from the front, and all of them once they are
    /// most of the queue, so that it stays in proportion to the members still running.
    fn drop_holes(&mut self) {
        while let Some((_, None)) = self.members.front() {
            self.members.pop_front();
        }
        if self.members.len() > 2 * self.running + 16 {
            self.members.retain(|(_, task)| task.is_some());
        }
    }
}

/// Polls a member's `cancel`: ready once its future is gone. Its output, or its panic, is dropped
/// (a panic of the output's destructor, or of the payload's, goes no further: the group's other
/// members still have to be cancelled).
fn poll_cancel<F: Future>(cancel: Pin<&mut F>, cx: &mut Context<'_>) -> Poll<()> {
    match catch_unwind(AssertUnwindSafe(|| cancel.poll(cx))) {
        Ok(Poll::Pending) => Poll::Pending,
        Ok(Poll::Ready(output)) => {
            sync::drop_contained(output);
            Poll::Ready(())
        }
        Err(payload) => {
            sync::drop_payload(payload);
            Poll::Ready(())
        }
    }
}

impl<T> Default for TaskGroup<T> {
    fn default() -> TaskGroup<T> {
        TaskGroup::new()
    }
}

impl<T> fmt::Debug for TaskGroup<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

pin_project! {
    /// A member's future as its task runs it: tells the group when it panics and when it is gone.
    struct Member<F> {
        #[pin]
        future: F,
        // Declared after `future`, so dropped after it: the number is queued once the member's
        // destructors have run.
        gone: Gone,
    }
}

impl<F: Future> Future for Member<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let unwinding = Unwinding(this.gone);
        let polled = this.future.poll(cx);
        std::mem::forget(unwinding);
        polled
    }
}

/// Dropped only when a member's poll unwinds: tells the group that the member panicked.
struct Unwinding<'a>(&'a Gone);

impl Drop for Unwinding<'_> {
    fn drop(&mut self) {
        let shared = &*self.0.shared;
        // One panic is enough for `join_all` to cancel the others: only the first is noted.
        let _ = shared.panicked.compare_exchange(
            0,
            self.0.seq + 1,
            Ordering::Release,
            Ordering::Relaxed,
        );
        shared.waker.wake();
    }
}

/// Queues the member's spawn number for `next` when its future is dropped.
struct Gone {
    seq: u64,
    shared: Arc<Shared>,
}

impl Drop for Gone {
    fn drop(&mut self) {
        let shared = &*self.shared;
        if !shared.joining.load(Ordering::Relaxed) {
            let _ = shared.keys.push(self.seq);
            shared.waker.wake();
        }
    }
}
