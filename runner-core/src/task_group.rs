//! `TaskGroup`: asyncio's `TaskGroup` (tokio's `JoinSet`), on `spawn`, `spawn_local` and `Task`.
//!
//! Each member's future is wrapped so that, once it is gone (finished, panicked or cancelled),
//! its slot key lands in a queue the group reads: `next` polls only the members that are done,
//! never all of them. A member's key is queued exactly once, when its future is dropped; a slot
//! leaves the group only when its key has been read, so keys are never reused while one is queued.

use std::any::Any;
use std::fmt;
use std::future::{poll_fn, Future};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use atomic_waker::AtomicWaker;
use pin_project_lite::pin_project;
use slab::Slab;

use crate::task::{spawn, spawn_local, Task};

/// A group of tasks that finish, fail and are cancelled together: asyncio's `TaskGroup`, tokio's
/// `JoinSet`.
///
/// Members are spawned with [`spawn`](TaskGroup::spawn) or [`spawn_local`](TaskGroup::spawn_local)
/// and start at once, each in a copy of the spawner's [`Context`](crate::Context), as
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
/// use runner_core::TaskGroup;
///
/// runner_core::run(async {
///     let mut group = TaskGroup::new();
///     for ms in [30, 10, 20] {
///         group.spawn(async move {
///             runner_core::sleep(Duration::from_millis(ms)).await;
///             ms
///         });
///     }
///     assert_eq!(group.join_all().await, [30, 10, 20]); // spawn order
/// })
/// .unwrap();
/// ```
pub struct TaskGroup<T> {
    /// The members whose key has not been read yet.
    slots: Slab<Slot<T>>,
    /// How many slots are `Running`: the members whose output has not been taken.
    running: usize,
    /// Numbers the members in spawn order, for `join_all`.
    spawned: u64,
    /// Where the members' keys land when their futures are gone.
    done: Arc<Done>,
    /// Keys taken out of `done` (swapped with its vector, so both keep their capacity), and
    /// how many of them have been looked at.
    batch: Vec<usize>,
    read: usize,
    /// Members whose key was read before their task counted as finished (its output is stored
    /// just after its future is dropped, maybe on another thread): polled until they are.
    finishing: Vec<usize>,
}

enum Slot<T> {
    Running {
        task: Task<T>,
        seq: u64,
    },
    /// Cancelled, or never started: its key is still to come, and then the slot goes.
    Gone,
}

struct Done {
    keys: Mutex<Vec<usize>>,
    waker: AtomicWaker,
}

/// What `poll_finished` found.
enum Finished<T> {
    Output(u64, T),
    Panicked(Box<dyn Any + Send>),
}

impl<T> TaskGroup<T> {
    /// An empty group.
    ///
    /// # Examples
    ///
    /// ```
    /// let group = runner_core::TaskGroup::<u32>::new();
    /// assert!(group.is_empty());
    /// ```
    pub fn new() -> TaskGroup<T> {
        TaskGroup {
            slots: Slab::new(),
            running: 0,
            spawned: 0,
            done: Arc::new(Done {
                keys: Mutex::new(Vec::new()),
                waker: AtomicWaker::new(),
            }),
            batch: Vec::new(),
            read: 0,
            finishing: Vec::new(),
        }
    }

    /// Spawns `future` as a member of the group, on any of the runner's threads, like
    /// [`runner::spawn`](crate::spawn).
    ///
    /// # Examples
    ///
    /// ```
    /// runner_core::run(async {
    ///     let mut group = runner_core::TaskGroup::new();
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
        let (member, key) = self.member(future);
        let task = spawn(member).owned();
        self.started(key, task);
    }

    /// Spawns `future` as a member that stays on the current thread, so it need not be `Send`,
    /// like [`runner::spawn_local`](crate::spawn_local).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::rc::Rc;
    ///
    /// runner_core::run(async {
    ///     let mut group = runner_core::TaskGroup::new();
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
        let (member, key) = self.member(future);
        let task = spawn_local(member).owned();
        self.started(key, task);
    }

    /// How many members have not had their output taken yet, finished ones included.
    ///
    /// # Examples
    ///
    /// ```
    /// runner_core::run(async {
    ///     let mut group = runner_core::TaskGroup::new();
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
    /// runner_core::run(async {
    ///     let mut group = runner_core::TaskGroup::new();
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
    /// runner_core::run(async {
    ///     let mut group = runner_core::TaskGroup::new();
    ///     let start = Instant::now();
    ///     for ms in [30, 10, 20] {
    ///         let wake_up = runner_core::sleep_until(start + Duration::from_millis(ms));
    ///         group.spawn(async move {
    ///             wake_up.await;
    ///             ms
    ///         });
    ///     }
    ///     let mut finished = Vec::new();
    ///     while let Some(ms) = group.next().await {
    ///         finished.push(ms);
    ///     }
    ///     assert_eq!(finished, [10, 20, 30]); // completion order
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
            Finished::Output(_, output) => Some(output),
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
    /// runner_core::run(async {
    ///     let mut group = runner_core::TaskGroup::new();
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
        let mut outputs = Vec::with_capacity(self.running);
        // Room for every key up front: the members do not grow the queue while they finish.
        let more = self.running;
        self.batch.reserve(more);
        self.done
            .keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .reserve(more);
        while let Some(finished) = poll_fn(|cx| self.poll_finished(cx)).await {
            match finished {
                Finished::Output(seq, output) => outputs.push((seq, output)),
                Finished::Panicked(payload) => {
                    self.cancel_all().await;
                    resume_unwind(payload)
                }
            }
        }
        // Members mostly finish in spawn order: the stable sort then sees a single run.
        outputs.sort_by_key(|&(seq, _)| seq);
        outputs.into_iter().map(|(_, output)| output).collect()
    }

    /// Cancels every member and waits until they are gone (their destructors have run); the
    /// group is then empty. Outputs not taken yet are dropped.
    ///
    /// # Examples
    ///
    /// ```
    /// runner_core::run(async {
    ///     let mut group = runner_core::TaskGroup::new();
    ///     group.spawn(std::future::pending::<()>());
    ///     group.cancel_all().await;
    ///     assert!(group.is_empty());
    ///     assert_eq!(group.next().await, None);
    /// })
    /// .unwrap();
    /// ```
    pub async fn cancel_all(&mut self) {
        // These members' keys were read already: their futures are gone.
        for key in self.finishing.drain(..) {
            self.slots.remove(key);
        }
        for (_, slot) in self.slots.iter_mut() {
            // Dropping a task's handle cancels it.
            *slot = Slot::Gone;
        }
        self.running = 0;
        poll_fn(|cx| {
            self.done.waker.register(cx.waker());
            while let Some(key) = self.next_key() {
                self.slots.remove(key);
            }
            if self.slots.is_empty() {
                Poll::Ready(())
            } else {
                Poll::Pending
            }
        })
        .await;
    }

    /// Wraps `future` for a new slot; the slot is `Gone` until `started` gives it its task, so
    /// that the key is still read if spawning fails.
    fn member<F>(&mut self, future: F) -> (Member<F>, usize) {
        let key = self.slots.insert(Slot::Gone);
        let member = Member {
            future,
            _gone: Gone {
                key,
                done: self.done.clone(),
            },
        };
        (member, key)
    }

    fn started(&mut self, key: usize, task: Task<T>) {
        self.slots[key] = Slot::Running {
            task,
            seq: self.spawned,
        };
        self.spawned += 1;
        self.running += 1;
    }

    /// The next key whose member is gone, if any.
    fn next_key(&mut self) -> Option<usize> {
        if self.read == self.batch.len() {
            self.batch.clear();
            self.read = 0;
            let mut keys = self
                .done
                .keys
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            std::mem::swap(&mut *keys, &mut self.batch);
        }
        let key = self.batch.get(self.read).copied()?;
        self.read += 1;
        Some(key)
    }

    /// The output (or panic) of a member that has finished; `None` when the group is empty.
    fn poll_finished(&mut self, cx: &mut Context<'_>) -> Poll<Option<Finished<T>>> {
        if self.running == 0 {
            return Poll::Ready(None);
        }
        if let Some(finished) = self.take_finished(cx) {
            return Poll::Ready(Some(finished));
        }
        // Nothing yet: register, then look once more, so that a key queued in between wakes us.
        self.done.waker.register(cx.waker());
        match self.take_finished(cx) {
            Some(finished) => Poll::Ready(Some(finished)),
            None => Poll::Pending,
        }
    }

    fn take_finished(&mut self, cx: &mut Context<'_>) -> Option<Finished<T>> {
        // Only `Running` slots are kept here.
        for i in 0..self.finishing.len() {
            let key = self.finishing[i];
            if let Poll::Ready(finished) = self.poll_member(key, cx) {
                self.finishing.swap_remove(i);
                return finished;
            }
        }
        while let Some(key) = self.next_key() {
            match self.poll_member(key, cx) {
                Poll::Ready(Some(finished)) => return Some(finished),
                Poll::Ready(None) => {}
                Poll::Pending => self.finishing.push(key),
            }
        }
        None
    }

    /// Polls the member of slot `key`, whose key was just read: the slot goes once its task has
    /// finished (`Some`), or at once if it was `Gone` (`None`).
    fn poll_member(&mut self, key: usize, cx: &mut Context<'_>) -> Poll<Option<Finished<T>>> {
        let finished = match self.slots.get_mut(key) {
            Some(Slot::Running { task, seq }) => {
                let seq = *seq;
                match catch_unwind(AssertUnwindSafe(|| Pin::new(task).poll(cx))) {
                    Ok(Poll::Pending) => return Poll::Pending,
                    Ok(Poll::Ready(output)) => Some(Finished::Output(seq, output)),
                    Err(payload) => Some(Finished::Panicked(payload)),
                }
            }
            Some(Slot::Gone) => None,
            None => unreachable!("task group: key {key} read twice"),
        };
        self.slots.remove(key);
        if finished.is_some() {
            self.running -= 1;
        }
        Poll::Ready(finished)
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
    /// A member's future as its task runs it: queues the member's key once it is dropped.
    struct Member<F> {
        #[pin]
        future: F,
        // Declared after `future`, so dropped after it: the key is queued once the member's
        // destructors have run.
        _gone: Gone,
    }
}

impl<F: Future> Future for Member<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        self.project().future.poll(cx)
    }
}

struct Gone {
    key: usize,
    done: Arc<Done>,
}

impl Drop for Gone {
    fn drop(&mut self) {
        let mut keys = self
            .done
            .keys
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // The group reads the queue until it is empty before it waits: only the first key after
        // that needs to wake it.
        let first = keys.is_empty();
        keys.push(self.key);
        drop(keys);
        if first {
            self.done.waker.wake();
        }
    }
}
