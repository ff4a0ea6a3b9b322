//! Debug mode's record of every live task, and the snapshot of it that [`tasks`] returns.
//!
//! In debug mode each task (and each `run`'s main future) runs inside a [`Tracked`] wrapper
//! with a [`TaskRecord`] that the runner lists while the task is alive. The wrapper times every
//! poll (the slow-poll report), counts polls and their time, says when a poll is in progress (for
//! the [watchdog](crate::debug::watchdog)), and hands the future a waker of its own that counts wake-ups,
//! so a snapshot can tell a task that waits for a wake-up from one that is scheduled to run.
//!
//! Only the polling thread writes the poll fields (a task is polled by one thread at a time), so
//! they are plain loads and stores; a wake-up costs one atomic add. With debug mode off, tasks
//! are spawned without the wrapper and none of this exists.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed, Ordering::Release};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;
use slab::Slab;

use crate::debug::clock::Stamp;
use crate::debug::diagnostic::{Diagnostic, Reporter, TaskInfo};
use crate::sync;
use crate::time::clock::Time;

/// What a task was doing when a snapshot was taken.
///
/// # Examples
///
/// ```
/// use runner::debug::TaskState;
///
/// let states = runner::Builder::new().debug(true).build().run(async {
///     let task = runner::spawn(std::future::pending::<()>());
///     runner::sleep(std::time::Duration::from_millis(5)).await;
///     let states: Vec<TaskState> = runner::debug::tasks().iter().map(|t| t.state).collect();
///     drop(task);
///     states
/// });
/// // The main future is taking the snapshot; the task waits for a wake-up that never comes.
/// assert_eq!(states, Ok(vec![TaskState::Running, TaskState::Waiting]));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskState {
    /// Being polled right now.
    Running,
    /// Woken (or just spawned), waiting for its turn to be polled.
    Scheduled,
    /// Waiting for a wake-up: its last poll returned `Pending` and nothing has woken it since.
    Waiting,
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskState::Running => "running",
            TaskState::Scheduled => "scheduled",
            TaskState::Waiting => "waiting",
        })
    }
}

/// One live task of a runner in debug mode, as [`tasks`](crate::debug::tasks) and [`Runner::tasks`] see it: asyncio's
/// `all_tasks()`, with the numbers debug mode keeps.
///
/// [`Runner::tasks`]: crate::Runner::tasks
///
/// # Examples
///
/// ```
/// let mut runner = runner::Builder::new().debug(true).build();
/// let line = runner.run(async {
///     let line = line!() + 1;
///     runner::spawn(runner::sleep(std::time::Duration::from_secs(60))).detach();
///     runner::sleep(std::time::Duration::from_millis(5)).await;
///     line
/// }).unwrap();
/// let tasks = runner.tasks();
/// assert_eq!(tasks.len(), 1); // the main future of that run is gone
/// assert_eq!(tasks[0].task.spawned_at.line(), line);
/// assert_eq!(tasks[0].polls, 1);
/// assert_eq!(tasks[0].state, runner::debug::TaskState::Waiting);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaskSnapshot {
    /// The task's number and spawn site (number 0: the main future of the current `run`).
    pub task: TaskInfo,
    /// The time since it was spawned.
    pub age: Duration,
    /// How many times it was polled (a poll in progress counts once it returns).
    pub polls: u64,
    /// The time its polls took, all together.
    pub poll_time: Duration,
    /// Whether it is being polled, scheduled, or waiting for a wake-up.
    pub state: TaskState,
}

impl fmt::Display for TaskSnapshot {
    /// `task #3 spawned at src/main.rs:12:5 (age 1.250 s, 4 polls taking 0.002 s, waiting)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (age {:.3} s, {} poll{} taking {:.3} s, {})",
            self.task,
            self.age.as_secs_f64(),
            self.polls,
            if self.polls == 1 { "" } else { "s" },
            self.poll_time.as_secs_f64(),
            self.state,
        )
    }
}

/// The records of a runner's live tasks (kept in debug mode only), with what the records need
/// of their runner: where reports go, the slow-poll threshold, and whether `close` has begun.
pub(crate) struct LiveTasks {
    records: Mutex<Slab<Arc<TaskRecord>>>,
    pub(crate) slow_poll_threshold: Duration,
    reporter: Reporter,
    /// Set when `close` begins: tasks dropped from then on were cancelled by the close.
    closing: AtomicBool,
    /// The runner's clock, for the ages of tasks spawned while it is paused (or shifted).
    time: Arc<Time>,
}

impl LiveTasks {
    pub(crate) fn new(
        slow_poll_threshold: Duration,
        reporter: Reporter,
        time: Arc<Time>,
    ) -> LiveTasks {
        LiveTasks {
            records: Mutex::new(Slab::new()),
            slow_poll_threshold,
            reporter,
            closing: AtomicBool::new(false),
            time,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slab<Arc<TaskRecord>>> {
        sync::lock(&self.records)
    }

    pub(crate) fn begin_closing(&self) {
        self.closing
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Relaxed)
    }

    pub(crate) fn report(&self, diagnostic: Diagnostic) {
        self.reporter.report(diagnostic);
    }

    pub(crate) fn snapshot(&self) -> Vec<TaskSnapshot> {
        let now = Stamp::now();
        let clock = self.time.now_if_shifted();
        let mut tasks: Vec<TaskSnapshot> = self
            .lock()
            .iter()
            .map(|(_, r)| r.snapshot(now, clock))
            .collect();
        tasks.sort_by_key(|t| t.task.id);
        tasks
    }

    /// The polls in progress for `threshold` or more that were not reported yet, each reported
    /// once; and the stamp when the earliest poll in progress reaches `threshold` (or `None`).
    pub(crate) fn stuck_polls(
        &self,
        now: Stamp,
        threshold: Duration,
    ) -> (Vec<Diagnostic>, Option<Stamp>) {
        let mut stuck = Vec::new();
        let mut next: Option<Stamp> = None;
        for (_, record) in self.lock().iter() {
            let started = record
                .poll_started
                .load(std::sync::atomic::Ordering::Acquire);
            if started == 0 {
                continue;
            }
            let start = Stamp::from_nanos(started);
            let running_for = now.since(start);
            if running_for < threshold {
                let due = start.after(threshold);
                next = Some(next.map_or(due, |next| next.min(due)));
            } else if record.stuck_reported.swap(started, Relaxed) != started {
                stuck.push(Diagnostic::StuckPoll {
                    task: record.info,
                    running_for,
                });
            }
        }
        (stuck, next)
    }
}

/// What debug mode knows about one live task.
pub(crate) struct TaskRecord {
    info: TaskInfo,
    spawned: Stamp,
    /// The runner's clock at the spawn, if it was not the real one then.
    spawned_on_clock: Option<Instant>,
    polls: AtomicU64,
    poll_nanos: AtomicU64,
    /// The stamp (nanoseconds) when the poll in progress started; 0 between polls.
    poll_started: AtomicU64,
    /// The watchdog's last report: the `poll_started` of the poll it reported.
    stuck_reported: AtomicU64,
    /// Wake-ups through the task's waker, and their number when its last poll started: more
    /// since then means the task is scheduled.
    wakes: AtomicU64,
    wakes_seen: AtomicU64,
    /// The executor's waker for the task, which the task's own waker passes wake-ups on to.
    inner: OnceLock<Waker>,
    /// Its handle let it go on purpose (`detach`, `cancel`): dropping it pending is no mistake.
    let_go: AtomicBool,
}

impl TaskRecord {
    /// `clock`: the runner's clock now, if it is not the real one.
    fn snapshot(&self, now: Stamp, clock: Option<Instant>) -> TaskSnapshot {
        let polls = self.polls.load(Relaxed);
        let state = if self.poll_started.load(Relaxed) != 0 {
            TaskState::Running
        } else if polls == 0 || self.wakes.load(Relaxed) != self.wakes_seen.load(Relaxed) {
            TaskState::Scheduled
        } else {
            TaskState::Waiting
        };
        TaskSnapshot {
            task: self.info,
            // On the runner's clock; a task spawned before it left the real clock is aged in
            // real time.
            age: match (clock, self.spawned_on_clock) {
                (Some(now), Some(spawned)) => now.saturating_duration_since(spawned),
                _ => now.since(self.spawned),
            },
            polls,
            poll_time: Duration::from_nanos(self.poll_nanos.load(Relaxed)),
            state,
        }
    }
}

impl Wake for TaskRecord {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Relaxed);
        if let Some(inner) = self.inner.get() {
            inner.wake_by_ref();
        }
    }
}

pin_project! {
    /// A future run in debug mode: its poll is timed, counted and visible to the watchdog, and
    /// it is listed in the runner's live tasks until dropped.
    pub(crate) struct Tracked<F> {
        #[pin]
        future: F,
        record: Arc<TaskRecord>,
        live: Arc<LiveTasks>,
        key: usize,
        // The waker the future sees, made at the first poll: it counts wake-ups.
        waker: Option<Waker>,
        // Its last poll returned `Ready` or panicked.
        done: bool,
    }
    impl<F> PinnedDrop for Tracked<F> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            this.live.lock().try_remove(*this.key);
            let record = &**this.record;
            // Dropped pending, not by `close`, and not let go on purpose: its handle was dropped.
            if !*this.done
                && !record.info.is_main()
                && !this.live.is_closing()
                && !record.let_go.load(Relaxed)
            {
                this.live
                    .report(Diagnostic::PendingTaskDropped { task: record.info });
            }
        }
    }
}

impl<F: Future> Tracked<F> {
    /// Tracks a task (or main future, numbered 0) named `info`.
    pub(crate) fn new(future: F, live: &Arc<LiveTasks>, info: TaskInfo) -> Tracked<F> {
        let record = Arc::new(TaskRecord {
            info,
            spawned: Stamp::now(),
            spawned_on_clock: live.time.now_if_shifted(),
            polls: AtomicU64::new(0),
            poll_nanos: AtomicU64::new(0),
            poll_started: AtomicU64::new(0),
            stuck_reported: AtomicU64::new(0),
            wakes: AtomicU64::new(0),
            wakes_seen: AtomicU64::new(0),
            inner: OnceLock::new(),
            let_go: AtomicBool::new(false),
        });
        let key = live.lock().insert(record.clone());
        Tracked {
            future,
            record,
            live: live.clone(),
            key,
            waker: None,
            done: false,
        }
    }

    /// What the task's handle keeps, to say when it lets the task go on purpose.
    pub(crate) fn handle(&self) -> Handle {
        Handle(self.record.clone())
    }

    /// Tracks the main future of a `run` called at `run_at`.
    pub(crate) fn main(
        future: F,
        live: &Arc<LiveTasks>,
        run_at: &'static Location<'static>,
    ) -> Tracked<F> {
        Tracked::new(future, live, TaskInfo::new(0, run_at))
    }
}

impl<F: Future> Future for Tracked<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let record = &**this.record;
        let waker = match this.waker {
            Some(waker) => &*waker,
            None => {
                let _ = record.inner.set(cx.waker().clone());
                &*this.waker.insert(Waker::from(this.record.clone()))
            }
        };
        // The executor gives a task the same waker every time; should it not, the future gets
        // the new one directly (its wake-ups then go uncounted).
        let own = record.inner.get().is_some_and(|w| w.will_wake(cx.waker()));
        record.wakes_seen.store(record.wakes.load(Relaxed), Relaxed);

        let started = Stamp::now();
        record.poll_started.store(started.nanos(), Release);
        let polling = Polling(record);
        // Stays set if the poll unwinds: the task panicked, it is not pending.
        *this.done = true;
        let polled = if own {
            this.future.poll(&mut Context::from_waker(waker))
        } else {
            this.future.poll(cx)
        };
        *this.done = polled.is_ready();
        drop(polling);
        // A poll that panics is reported as a panic; its time went mostly to the panic hook.
        let elapsed = started.elapsed();
        record.polls.store(record.polls.load(Relaxed) + 1, Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let total = record.poll_nanos.load(Relaxed).saturating_add(nanos);
        record.poll_nanos.store(total, Relaxed);
        if elapsed > this.live.slow_poll_threshold {
            this.live.report(Diagnostic::SlowPoll {
                task: record.info,
                elapsed,
            });
        }
        polled
    }
}

/// Kept by a task's handle in debug mode.
pub(crate) struct Handle(Arc<TaskRecord>);

impl Handle {
    /// The handle lets the task go on purpose (`detach`, `cancel`).
    pub(crate) fn let_go(self) {
        self.0.let_go.store(true, Relaxed);
    }
}

/// Marks the end of a poll, also when the poll unwinds.
struct Polling<'a>(&'a TaskRecord);

impl Drop for Polling<'_> {
    fn drop(&mut self) {
        self.0.poll_started.store(0, Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snapshot_reads_as_one_line() {
        let at = Location::caller();
        let mut task = TaskSnapshot {
            task: TaskInfo::new(3, at),
            age: Duration::from_millis(1250),
            polls: 4,
            poll_time: Duration::from_micros(2100),
            state: TaskState::Waiting,
        };
        assert_eq!(
            task.to_string(),
            format!("task #3 spawned at {at} (age 1.250 s, 4 polls taking 0.002 s, waiting)")
        );
        task.task = TaskInfo::new(0, at);
        task.polls = 1;
        task.state = TaskState::Running;
        assert_eq!(
            task.to_string(),
            format!("the main future run at {at} (age 1.250 s, 1 poll taking 0.002 s, running)")
        );
        task.state = TaskState::Scheduled;
        assert!(task.to_string().ends_with(", scheduled)"));
    }
}
