//! Debug mode's record of every live task, and the snapshot of it that
//! [`tasks`](crate::debug::tasks) returns.
//!
//! In debug mode each task (and each `run`'s main future) runs inside a [`Tracked`] wrapper
//! with a record that the runner lists while the task is alive. The wrapper times every poll
//! (the slow-poll report), counts polls and their time, and says in its thread's slot which task
//! is being polled (for the [watchdog](crate::debug::watchdog)). Wake-ups are noted so that a
//! snapshot can tell a task that waits for a wake-up from one that is scheduled to run: by the
//! one-thread engine when it schedules the task, and elsewhere by a waker of the record's that
//! the future gets in place of the executor's.
//!
//! Records are reused as tasks come and go: a spawn takes a free record under the runner's lock,
//! and the records come in chunks that never move, so a spawn allocates nothing for them unless
//! more tasks are alive than ever before in the runner. Only the polling thread writes the
//! poll fields (a task is polled by one thread at a time), so they are plain loads and stores.
//! With debug mode off, tasks are spawned without the wrapper and none of this exists.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::atomic::{
    AtomicBool, AtomicU16, AtomicU32, AtomicU64, AtomicUsize, Ordering::Acquire, Ordering::Relaxed,
    Ordering::Release,
};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use crate::debug::clock::{forget_poll_end, saturating_nanos, Stamp};
use crate::debug::diagnostic::{Diagnostic, Reporter, TaskInfo};
use crate::sync;
use crate::task::sites::PackedInfo;
use crate::time::clock::Time;

/// What a task was doing when a snapshot was taken.
///
/// # Examples
///
/// ```
/// use runner::debug::TaskState;
///
/// // One thread: the task has been polled once by the time the sleep ends.
/// let states = runner::Builder::new().debug(true).threads(1).build().run(async {
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
/// // One thread: the task has been polled once by the time the sleep ends.
/// let mut runner = runner::Builder::new().debug(true).threads(1).build();
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
///
/// A finished task's record is reused by the next spawn (its generation number tells the two
/// tasks apart), so that a spawn allocates nothing once the runner has had as many live tasks
/// before. The watchdog reads one slot per thread that polls the runner's tasks (which task,
/// since when), not the records, so its look costs the same at any number of tasks.
pub(crate) struct LiveTasks {
    records: Mutex<Records>,
    /// One slot per thread that has polled this runner's tasks, but the first.
    threads: Mutex<Vec<Arc<PollSlot>>>,
    /// The slot of the first thread that polled a task, reached without a look-up; and that
    /// thread's token.
    first: PollSlot,
    first_thread: AtomicUsize,
    /// The runner polls its tasks on one thread at a time (one thread, its own engine): every
    /// poll uses the first slot, whichever thread `run` is called on.
    one_thread: bool,
    pub(crate) slow_poll_threshold: Duration,
    /// The threshold in the poll stamps' nanoseconds, for the check after every poll.
    slow_poll_nanos: u64,
    reporter: Reporter,
    /// Set when `close` begins: tasks dropped from then on were cancelled by the close.
    closing: AtomicBool,
    /// The runner's clock, for the ages of tasks spawned while it is paused (or shifted).
    time: Arc<Time>,
    /// The clock's reading when the records began: it never goes back, so any later reading is
    /// a number of nanoseconds after it.
    origin: Instant,
}

/// The records, by index, and what the snapshot needs of the tasks that hold them. The records
/// come in chunks that never move, so that a task's wrapper reaches its record without the lock.
/// The first chunk has [`FIRST_CHUNK`] records and each of the next [`DOUBLINGS`] twice as many
/// as the one before; from then on every chunk has [`BIG_CHUNK`]. A runner with few tasks makes
/// one small chunk, and one with many leaves less than a big chunk unused: live tasks cost their
/// records and little more, however many there are.
#[derive(Default)]
struct Records {
    chunks: Vec<Arc<Chunk>>,
    /// Each chunk's names, by place: a taken record's task's name, or the next free record.
    names: Vec<Box<[Entry]>>,
    /// The first free record, if any: the free ones are linked through their [`Entry`].
    free: Option<u32>,
}

/// The records of the first chunk.
const FIRST_CHUNK: usize = 4;

/// How many chunks double in size, the first included.
const DOUBLINGS: usize = 9;

/// The records of every chunk after the doubling ones.
const BIG_CHUNK: usize = FIRST_CHUNK << (DOUBLINGS - 1);

/// The records of the doubling chunks together.
const DOUBLED: usize = FIRST_CHUNK * ((1 << DOUBLINGS) - 1);

/// How many records chunk `chunk` has.
fn chunk_size(chunk: usize) -> usize {
    FIRST_CHUNK << chunk.min(DOUBLINGS - 1)
}

/// Where record `index` is: its chunk's number and its place there.
#[inline]
fn chunk_of(index: u32) -> (usize, usize) {
    let index = index as usize;
    if index >= DOUBLED {
        let past = index - DOUBLED;
        return (DOUBLINGS + past / BIG_CHUNK, past % BIG_CHUNK);
    }
    let shifted = index + FIRST_CHUNK;
    let chunk = (usize::BITS - 1 - shifted.leading_zeros()) as usize
        - FIRST_CHUNK.trailing_zeros() as usize;
    (chunk, shifted - (FIRST_CHUNK << chunk))
}

struct Chunk {
    /// The index of its first record.
    first: u32,
    records: Box<[TaskRecord]>,
    /// The records' noting wakers ([`ByWaker`]), made for the whole chunk the first time one of
    /// its tasks needs one: the one-thread engine notes its tasks' wake-ups itself, and only the
    /// main futures of its runs need them.
    noting: OnceLock<Box<[NotingSlot]>>,
    /// The runner's records, which hold the chunk: a task reaches them through its record, with
    /// no reference of its own. [`LiveTasks::forget_records`] undoes the circle when the runner
    /// closes.
    live: Arc<LiveTasks>,
}

/// A record's noting waker, made the first time a task that holds the record needs one.
type NotingSlot = Mutex<Option<Arc<NotingWaker>>>;

impl Chunk {
    /// The noting waker slot of the record at `at`, made with the chunk's others if need be.
    fn noting(&self, at: usize) -> &NotingSlot {
        let slots = self
            .noting
            .get_or_init(|| (0..self.records.len()).map(|_| Mutex::new(None)).collect());
        &slots[at]
    }

    /// Whether the record at `at` was woken through its noting waker since its last poll
    /// started.
    fn noting_woken(&self, at: usize) -> bool {
        self.noting.get().is_some_and(|slots| {
            let noting = sync::lock(&slots[at]);
            noting.as_ref().is_some_and(|n| n.woken.load(Relaxed))
        })
    }
}

/// A record's entry among the names.
enum Entry {
    Taken(Name),
    /// Free; the index of the next free record, if any.
    Free(Option<u32>),
}

/// A live task's name and birth, in two words.
struct Name {
    info: PackedInfo,
    born: Born,
}

/// When a task was spawned, in one word: a real-time stamp, or, if the runner's clock had left
/// the real one, that clock's reading in nanoseconds after [`LiveTasks::origin`]. The top bit
/// tells which: a stamp of the coarse monotonic clock stays below it for 292 years of uptime.
/// A clock that has left the real one never comes back to it (`Time::is_shifted`), so a task
/// born on the runner's clock is aged on it.
#[derive(Clone, Copy)]
struct Born(u64);

impl Born {
    const ON_CLOCK: u64 = 1 << 63;

    fn real(stamp: Stamp) -> Born {
        Born(stamp.nanos() & !Born::ON_CLOCK)
    }

    /// `nanos`: the runner's clock as [`LiveTasks::on_clock`] gives it.
    fn on_clock(nanos: u64) -> Born {
        Born(nanos.min(Born::ON_CLOCK - 1) | Born::ON_CLOCK)
    }

    /// The task's age: `now` in real time, `clock` on the runner's clock if it left the real one.
    fn age(self, now: Stamp, clock: Option<u64>) -> Duration {
        let nanos = self.0 & !Born::ON_CLOCK;
        match (self.0 & Born::ON_CLOCK != 0, clock) {
            (false, _) => now.since(Stamp::from_nanos(nanos)),
            (true, Some(clock)) => {
                Duration::from_nanos(clock.min(Born::ON_CLOCK - 1).saturating_sub(nanos))
            }
            (true, None) => Duration::ZERO,
        }
    }
}

/// What debug mode counts of one live task; reused by later tasks once the task is gone.
#[derive(Default)]
struct TaskRecord {
    /// Which task holds the record, never 0: a handle of an earlier holder changes nothing. Two
    /// bytes, so that a record is four words and two share a cache line: a handle that outlives
    /// its task by 65535 reuses of the record may say it let the record's task go or was
    /// dropped, which only changes that task's report if it is cancelled pending
    /// (`PendingTaskDropped`, `PendingTaskCancelled` or none).
    generation: AtomicU16,
    /// The generation whose handle let the task go on purpose (`detach`, `cancel`), or 0:
    /// dropping it pending is no mistake.
    let_go: AtomicU16,
    /// The generation whose handle was dropped before the task finished and before the runner
    /// began to close, or 0: the handle, not `close`, cancelled the task, also when `close` is
    /// what drops its future.
    dropped: AtomicU16,
    polls: AtomicU64,
    poll_nanos: AtomicU64,
    /// The stamp (nanoseconds) when the poll in progress started; 0 between polls.
    poll_started: AtomicU64,
    /// Woken since its last poll started: the task is scheduled.
    woken: AtomicBool,
    /// Its last poll returned `Ready` or panicked: dropping it is no mistake. Here rather than
    /// in the task's wrapper, where it would cost a word of the task's allocation.
    done: AtomicBool,
}

/// The waker of a task whose engine does not note its wake-ups: it notes the wake-up and passes
/// it on to the executor's waker. It belongs to the record, so a waker that an earlier task left
/// behind may wake the record's next task: a spurious wake-up, which futures allow.
#[derive(Default)]
pub(crate) struct NotingWaker {
    /// Woken since the last poll started.
    woken: AtomicBool,
    inner: Mutex<Option<Waker>>,
}

impl Wake for NotingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Relaxed);
        if let Some(inner) = &*sync::lock(&self.inner) {
            inner.wake_by_ref();
        }
    }
}

/// What one thread is polling for a runner: the watchdog's view.
#[derive(Default)]
struct PollSlot {
    /// The stamp (nanoseconds) when the poll in progress started; 0 between polls.
    started: AtomicU64,
    /// The index of the polled task's record.
    index: AtomicU32,
    /// The `started` of the poll the watchdog last reported.
    reported: AtomicU64,
}

thread_local! {
    /// This thread's poll slot for each runner it has polled tasks of. The `Weak` keeps the
    /// runner's allocation, so its address names it until the entry goes.
    static SLOTS: RefCell<Vec<(Weak<LiveTasks>, Arc<PollSlot>)>> = const { RefCell::new(Vec::new()) };
}

impl LiveTasks {
    pub(crate) fn new(
        slow_poll_threshold: Duration,
        reporter: Reporter,
        time: Arc<Time>,
        one_thread: bool,
    ) -> LiveTasks {
        LiveTasks {
            records: Mutex::default(),
            threads: Mutex::default(),
            first: PollSlot::default(),
            first_thread: AtomicUsize::new(0),
            one_thread,
            slow_poll_threshold,
            slow_poll_nanos: saturating_nanos(slow_poll_threshold),
            reporter,
            closing: AtomicBool::new(false),
            origin: time.now(),
            time,
        }
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

    /// A record for a new task: a free one, or one of a new chunk.
    fn take(self: &Arc<Self>, info: PackedInfo) -> RecordRef {
        let born = match self.time.now_if_shifted() {
            Some(now) => Born::on_clock(self.on_clock(now)),
            None => Born::real(Stamp::now()),
        };
        let name = Name { info, born };
        let mut records = sync::lock(&self.records);
        let index = match records.free {
            Some(index) => index,
            None => records.add_chunk(self),
        };
        let (chunk, at) = chunk_of(index);
        let entry = std::mem::replace(&mut records.names[chunk][at], Entry::Taken(name));
        records.free = match entry {
            Entry::Free(next) => next,
            Entry::Taken(_) => unreachable!("runner: debug mode's free records list a taken one"),
        };
        let chunk = records.chunks[chunk].clone();
        drop(records);
        let mut held = RecordRef {
            chunk,
            at: at as u32,
            generation: 0,
        };
        let record = held.record();
        let generation = record.generation.load(Relaxed).checked_add(1).unwrap_or(1);
        record.generation.store(generation, Relaxed);
        record.let_go.store(0, Relaxed);
        record.dropped.store(0, Relaxed);
        record.polls.store(0, Relaxed);
        record.poll_nanos.store(0, Relaxed);
        record.poll_started.store(0, Relaxed);
        record.woken.store(false, Relaxed);
        record.done.store(false, Relaxed);
        held.generation = generation;
        held
    }

    /// The runner's clock reading `now`, in nanoseconds after [`origin`](LiveTasks::origin).
    fn on_clock(&self, now: Instant) -> u64 {
        saturating_nanos(now.saturating_duration_since(self.origin))
    }

    /// Frees a gone task's record for the next spawn; returns the task's name. `inner`: the
    /// executor's waker the record's noting waker passed wake-ups on to, let go here.
    fn release(&self, record: &RecordRef, inner: Option<&NotingWaker>) -> Option<PackedInfo> {
        let waker = inner.and_then(|noting| sync::lock(&noting.inner).take());
        let index = record.index();
        let (chunk, at) = chunk_of(index);
        let mut records = sync::lock(&self.records);
        let Records { names, free, .. } = &mut *records;
        // None after `forget_records`: a task of a closed runner, gone late. (The guard goes
        // before `waker` on the way out.)
        let entry = names.get_mut(chunk).and_then(|names| names.get_mut(at))?;
        let name = match std::mem::replace(entry, Entry::Free(*free)) {
            Entry::Taken(name) => {
                *free = Some(index);
                Some(name.info)
            }
            // Not taken: it stays as it was, in the free list once.
            already_free => {
                *entry = already_free;
                None
            }
        };
        drop(records);
        // Outside the locks: the last executor waker may free its task.
        drop(waker);
        name
    }

    /// The runner closed: its records go, and with them the chunks' references to this, so that
    /// it is freed once the last task's handle is. A task gone later finds no record to free.
    pub(crate) fn forget_records(&self) {
        let records = std::mem::take(&mut *sync::lock(&self.records));
        // Outside the lock: the chunks' noting wakers may hold executor wakers.
        drop(records);
    }

    pub(crate) fn snapshot(&self) -> Vec<TaskSnapshot> {
        let now = Stamp::now();
        let clock = self.time.now_if_shifted().map(|now| self.on_clock(now));
        let records = sync::lock(&self.records);
        let mut tasks: Vec<TaskSnapshot> = records
            .names
            .iter()
            .zip(&records.chunks)
            .flat_map(|(names, chunk)| {
                names
                    .iter()
                    .enumerate()
                    .filter_map(|(at, entry)| match entry {
                        Entry::Taken(name) => Some(chunk.snapshot(at, name, now, clock)),
                        Entry::Free(_) => None,
                    })
            })
            .collect();
        drop(records);
        tasks.sort_by_key(|t| t.task.id);
        tasks
    }

    /// This thread's poll slot for this runner's tasks.
    #[inline]
    fn slot<'a>(self: &'a Arc<Self>) -> Slot<'a> {
        if self.one_thread {
            return Slot::First(&self.first);
        }
        let token = thread_token();
        let first = match self.first_thread.load(Relaxed) {
            0 if token != 0 => self
                .first_thread
                .compare_exchange(0, token, Relaxed, Relaxed)
                .map_or_else(|first| first == token, |_| true),
            first => first == token && token != 0,
        };
        match first {
            true => Slot::First(&self.first),
            false => Slot::Other(self.find_slot()),
        }
    }

    /// This thread's poll slot for this runner's tasks, made and listed the first time (an
    /// unlisted one while the thread's locals are torn down).
    fn find_slot(self: &Arc<Self>) -> Arc<PollSlot> {
        let me = Arc::as_ptr(self);
        SLOTS
            .try_with(|slots| {
                let found = slots
                    .borrow()
                    .iter()
                    .find(|(r, _)| r.as_ptr() == me)
                    .cloned();
                found.map(|(_, slot)| slot).unwrap_or_else(|| {
                    let slot = Arc::new(PollSlot::default());
                    sync::lock(&self.threads).push(slot.clone());
                    let mut slots = slots.borrow_mut();
                    // Entries of runners that are gone go with this one's arrival.
                    slots.retain(|(r, _)| r.strong_count() > 0);
                    slots.push((Arc::downgrade(self), slot.clone()));
                    slot
                })
            })
            .unwrap_or_default()
    }

    /// The polls in progress for `threshold` or more that were not reported yet, each reported
    /// once; and the stamp when the earliest poll in progress reaches `threshold` (or `None`).
    /// It looks at one slot per thread, whatever the number of tasks.
    pub(crate) fn stuck_polls(
        &self,
        now: Stamp,
        threshold: Duration,
    ) -> (Vec<Diagnostic>, Option<Stamp>) {
        let mut stuck = Vec::new();
        let mut next: Option<Stamp> = None;
        let threads = sync::lock(&self.threads);
        for slot in std::iter::once(&self.first).chain(threads.iter().map(|slot| &**slot)) {
            let started = slot.started.load(Acquire);
            if started == 0 {
                continue;
            }
            let index = slot.index.load(Acquire);
            if slot.started.load(Acquire) != started {
                // Another poll began meanwhile: the index may be that poll's.
                continue;
            }
            let start = Stamp::from_nanos(started);
            let running_for = now.since(start);
            if running_for < threshold {
                let due = start.after(threshold);
                next = Some(next.map_or(due, |next| next.min(due)));
            } else if slot.reported.swap(started, Relaxed) != started {
                stuck.push((index, running_for));
            }
        }
        drop(threads);
        let records = sync::lock(&self.records);
        let stuck = stuck
            .into_iter()
            .filter_map(|(index, running_for)| {
                let task = records.name(index)?;
                Some(Diagnostic::StuckPoll { task, running_for })
            })
            .collect();
        (stuck, next)
    }
}

impl Records {
    /// Makes the next chunk, its records free and the first of them the next one handed out;
    /// returns that record's index.
    fn add_chunk(&mut self, live: &Arc<LiveTasks>) -> u32 {
        let index = |at: usize| {
            u32::try_from(at).expect("runner: more than 4 billion live tasks in debug mode")
        };
        let first = self
            .chunks
            .last()
            .map_or(0, |c| c.first as usize + c.records.len());
        let size = chunk_size(self.chunks.len());
        self.chunks.push(Arc::new(Chunk {
            first: index(first),
            records: (0..size).map(|_| TaskRecord::default()).collect(),
            noting: OnceLock::new(),
            live: live.clone(),
        }));
        // Handed out from the lowest index up; the last one links to what was free before.
        let free = self.free;
        self.names.push(
            (first + 1..first + size)
                .map(|next| Entry::Free(Some(index(next))))
                .chain([Entry::Free(free)])
                .collect(),
        );
        self.free = Some(index(first));
        index(first)
    }

    /// The name of the task that holds record `index`, if one does.
    fn name(&self, index: u32) -> Option<TaskInfo> {
        let (chunk, at) = chunk_of(index);
        match self.names.get(chunk)?.get(at)? {
            Entry::Taken(name) => Some(name.info.unpack()),
            Entry::Free(_) => None,
        }
    }
}

impl Chunk {
    /// The snapshot of the task that holds the record at `at`, named `name`. `clock`: the
    /// runner's clock now as [`LiveTasks::on_clock`] gives it, if it is not the real one.
    fn snapshot(&self, at: usize, name: &Name, now: Stamp, clock: Option<u64>) -> TaskSnapshot {
        let record = &self.records[at];
        let polls = record.polls.load(Relaxed);
        let state = if record.poll_started.load(Relaxed) != 0 {
            TaskState::Running
        } else if polls == 0 || record.woken.load(Relaxed) || self.noting_woken(at) {
            TaskState::Scheduled
        } else {
            TaskState::Waiting
        };
        TaskSnapshot {
            task: name.info.unpack(),
            // On the runner's clock; a task spawned before it left the real clock is aged in
            // real time.
            age: name.born.age(now, clock),
            polls,
            poll_time: Duration::from_nanos(record.poll_nanos.load(Relaxed)),
            state,
        }
    }
}

/// A task's hold on its record: the record's chunk and place there, which a poll reaches
/// without working them out from the record's index.
#[derive(Clone)]
pub(crate) struct RecordRef {
    chunk: Arc<Chunk>,
    at: u32,
    generation: u16,
}

impl RecordRef {
    #[inline]
    fn record(&self) -> &TaskRecord {
        &self.chunk.records[self.at as usize]
    }

    /// The record's index among the runner's records.
    #[inline]
    fn index(&self) -> u32 {
        self.chunk.first + self.at
    }

    /// The runner's records.
    #[inline]
    fn live(&self) -> &Arc<LiveTasks> {
        &self.chunk.live
    }
}

pin_project! {
    /// A future run in debug mode: its poll is timed, counted and visible to the watchdog, and
    /// it is listed in the runner's live tasks until dropped. `W`: who notes its wake-ups
    /// ([`ByEngine`] or [`ByWaker`]).
    pub(crate) struct Tracked<F, W: Wakes> {
        #[pin]
        future: F,
        record: RecordRef,
        wakes: W,
        // Dropped after `future`: its destructor ran outside any poll.
        after_drop: ForgetPollEnd,
    }
    impl<F, W: Wakes> PinnedDrop for Tracked<F, W> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            let record = &*this.record;
            // Read before the release: from then on the record may be another task's.
            let held = record.record();
            let done = held.done.load(Relaxed);
            let let_go = held.let_go.load(Relaxed) == record.generation;
            let dropped = held.dropped.load(Relaxed) == record.generation;
            let live = record.live();
            let name = live.release(record, this.wakes.noting());
            // Dropped pending: cancelled by whoever came first. Its handle, dropped by mistake
            // or (let go) on purpose, as a `TaskGroup` drops its members; else `close`, which
            // the task's wrapper reports itself only when `close` polls the task to cancel it.
            // Reported here, before the future's destructor runs.
            if let Some(info) = name.filter(|info| !done && info.id() != 0) {
                let task = info.unpack();
                // The handle came first if it was dropped before `close` began, or if `close`
                // has not begun.
                if !dropped && live.is_closing() {
                    live.report(Diagnostic::PendingTaskCancelled { task });
                } else if !let_go {
                    live.report(Diagnostic::PendingTaskDropped { task });
                }
            }
        }
    }
}

/// Who notes a tracked future's wake-ups, for the snapshot's state: a type, so that a task
/// whose engine notes them carries no field for them.
pub(crate) trait Wakes: Default {
    /// The one-thread engine's polls follow each other: one clock read per poll there.
    const BY_ENGINE: bool;

    /// The waker the future gets for a poll that `cx` gives; resets the note.
    fn waker<'a>(&'a mut self, record: &RecordRef, cx: &'a Context<'_>) -> &'a Waker;

    /// The noting waker, if one was made.
    fn noting(&self) -> Option<&NotingWaker>;
}

/// The one-thread engine notes wake-ups through the task's handle in its metadata
/// ([`Handle::woken`]): the future gets the engine's waker.
#[derive(Default)]
pub(crate) struct ByEngine;

/// The record's noting waker, made at the first poll, and the executor's waker it passes
/// wake-ups on to, as last given.
#[derive(Default)]
pub(crate) struct ByWaker {
    noting: Option<Arc<NotingWaker>>,
    waker: Option<Waker>,
    inner: Option<Waker>,
}

impl Wakes for ByEngine {
    const BY_ENGINE: bool = true;

    #[inline]
    fn waker<'a>(&'a mut self, _: &RecordRef, cx: &'a Context<'_>) -> &'a Waker {
        cx.waker()
    }

    #[inline]
    fn noting(&self) -> Option<&NotingWaker> {
        None
    }
}

impl Wakes for ByWaker {
    const BY_ENGINE: bool = false;

    fn waker<'a>(&'a mut self, record: &RecordRef, cx: &'a Context<'_>) -> &'a Waker {
        let noting = self.noting.get_or_insert_with(|| {
            let mut kept = sync::lock(record.chunk.noting(record.at as usize));
            kept.get_or_insert_with(Arc::default).clone()
        });
        if !self.inner.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
            let inner = self.inner.insert(cx.waker().clone());
            let previous = sync::lock(&noting.inner).replace(inner.clone());
            drop(previous);
        }
        // A wake-up from now on, during the poll included, leaves the task scheduled.
        noting.woken.store(false, Relaxed);
        self.waker
            .get_or_insert_with(|| Waker::from(noting.clone()))
    }

    fn noting(&self) -> Option<&NotingWaker> {
        self.noting.as_deref()
    }
}

impl<F: Future, W: Wakes> Tracked<F, W> {
    /// Tracks a task (or main future, numbered 0) named `info`.
    pub(crate) fn new(future: F, live: &Arc<LiveTasks>, info: PackedInfo) -> Tracked<F, W> {
        Tracked {
            future,
            record: live.take(info),
            wakes: W::default(),
            after_drop: ForgetPollEnd,
        }
    }

    /// What the task's handle keeps, to say when it lets the task go on purpose.
    pub(crate) fn handle(&self) -> Handle {
        Handle(self.record.clone())
    }
}

impl<F: Future> Tracked<F, ByWaker> {
    /// Tracks the main future of a `run` called at `run_at` (which no engine schedules).
    pub(crate) fn main(
        future: F,
        live: &Arc<LiveTasks>,
        run_at: &'static Location<'static>,
    ) -> Tracked<F, ByWaker> {
        Tracked::new(future, live, PackedInfo::pack(TaskInfo::new(0, run_at)))
    }
}

impl<F: Future, W: Wakes> Future for Tracked<F, W> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let record = this.record.record();
        let waker = this.wakes.waker(this.record, cx);
        // Likewise for the engine's note.
        record.woken.store(false, Relaxed);

        let started = match W::BY_ENGINE {
            true => Stamp::poll_start(),
            false => Stamp::now(),
        };
        record.poll_started.store(started.nanos(), Release);
        let live = this.record.live();
        let slot = live.slot();
        let polling = Polling::new(&slot, record, this.record.index(), started);
        // Stays set if the poll unwinds: the task panicked, it is not pending.
        record.done.store(true, Relaxed);
        let polled = this.future.poll(&mut Context::from_waker(waker));
        record.done.store(polled.is_ready(), Relaxed);
        drop(polling);
        // A poll that panics is reported as a panic; its time went mostly to the panic hook.
        let ended = match W::BY_ENGINE {
            true => Stamp::poll_end(),
            false => Stamp::now(),
        };
        let nanos = ended.nanos().saturating_sub(started.nanos());
        record.polls.store(record.polls.load(Relaxed) + 1, Relaxed);
        let total = record.poll_nanos.load(Relaxed).saturating_add(nanos);
        record.poll_nanos.store(total, Relaxed);
        if nanos > live.slow_poll_nanos {
            let elapsed = Duration::from_nanos(nanos);
            let info = sync::lock(&live.records).name(this.record.index());
            if let Some(task) = info {
                live.report(Diagnostic::SlowPoll { task, elapsed });
            }
        }
        polled
    }
}

/// Tells the clock, once a tracked future's destructor has run, that the thread ran code
/// outside a poll ([`forget_poll_end`]).
struct ForgetPollEnd;

impl Drop for ForgetPollEnd {
    fn drop(&mut self) {
        forget_poll_end();
    }
}

/// Kept by a task's handle in debug mode.
pub(crate) struct Handle(RecordRef);

impl Handle {
    /// The handle lets the task go on purpose (`detach`, `cancel`).
    pub(crate) fn let_go(&self) {
        let record = self.0.record();
        record.let_go.store(self.0.generation, Relaxed);
    }

    /// The handle is dropped, before the task finished as far as it knows: the drop cancels
    /// the task. Called before the task hears of it, so that its destructor finds the mark.
    /// Once the runner closes, `close` is the cause, as it cancels whoever owns the handle.
    pub(crate) fn dropped(&self) {
        let record = self.0.record();
        // A handle that outlived its task marks nothing (its record may be another task's).
        if record.generation.load(Relaxed) == self.0.generation && !self.0.live().is_closing() {
            record.dropped.store(self.0.generation, Relaxed);
        }
    }

    /// The engine scheduled the task: a wake-up, for the snapshot's state.
    #[inline]
    pub(crate) fn woken(&self) {
        self.0.record().woken.store(true, Relaxed);
    }
}

/// A poll in progress, in its record and in the thread's slot; marks its end also when the poll
/// unwinds, and gives the slot back to the poll it interrupted (a runner run inside a task).
struct Polling<'a> {
    slot: &'a PollSlot,
    record: &'a TaskRecord,
    previous: (u64, u32),
}

impl<'a> Polling<'a> {
    #[inline]
    fn new(slot: &'a PollSlot, record: &'a TaskRecord, index: u32, started: Stamp) -> Polling<'a> {
        let previous = (slot.started.load(Relaxed), slot.index.load(Relaxed));
        slot.set(previous.0, started.nanos(), index);
        Polling {
            slot,
            record,
            previous,
        }
    }
}

impl Drop for Polling<'_> {
    #[inline]
    fn drop(&mut self) {
        self.record.poll_started.store(0, Release);
        match self.previous {
            // Between polls the index means nothing.
            (0, _) => self.slot.started.store(0, Release),
            (started, index) => self
                .slot
                .set(self.slot.started.load(Relaxed), started, index),
        }
    }
}

/// A thread's poll slot: the first thread's, borrowed from the runner, or another's.
enum Slot<'a> {
    First(&'a PollSlot),
    Other(Arc<PollSlot>),
}

impl std::ops::Deref for Slot<'_> {
    type Target = PollSlot;

    #[inline]
    fn deref(&self) -> &PollSlot {
        match self {
            Slot::First(slot) => slot,
            Slot::Other(slot) => slot,
        }
    }
}

impl PollSlot {
    /// Names the poll in progress; `now`: the slot's `started` as it is.
    #[inline]
    fn set(&self, now: u64, started: u64, index: u32) {
        // The index between two stores of `started`: the watchdog reads `started` on both
        // sides of it.
        if now != 0 {
            self.started.store(0, Release);
        }
        self.index.store(index, Release);
        self.started.store(started, Release);
    }
}

thread_local! {
    /// A token for this thread: the address of this thread's local.
    static TOKEN: u8 = const { 0 };
}

/// This thread's token (0 while its locals are torn down).
fn thread_token() -> usize {
    TOKEN.try_with(|t| t as *const u8 as usize).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_indexes_fill_each_chunk_in_turn_past_the_doubling_ones() {
        let mut expected = (0, 0);
        for index in 0..(DOUBLED + 3 * BIG_CHUNK) as u32 {
            assert_eq!(chunk_of(index), expected, "record {index}");
            expected.1 += 1;
            if expected.1 == chunk_size(expected.0) {
                expected = (expected.0 + 1, 0);
            }
        }
        assert_eq!(expected.0, DOUBLINGS + 3);
        assert_eq!(chunk_size(DOUBLINGS - 1), BIG_CHUNK);
        assert_eq!(chunk_size(DOUBLINGS + 2), BIG_CHUNK);
        assert_eq!(
            chunk_of(u32::MAX).1,
            (u32::MAX as usize - DOUBLED) % BIG_CHUNK
        );
    }

    #[test]
    fn a_record_is_four_words_and_a_name_two() {
        assert_eq!(std::mem::size_of::<TaskRecord>(), 32);
        assert_eq!(std::mem::size_of::<Entry>(), 16);
    }

    #[test]
    fn a_task_born_on_the_runners_clock_is_aged_on_it() {
        let now = Stamp::now();
        let real = Born::real(now);
        let later = now.after(Duration::from_secs(3));
        assert_eq!(real.age(later, None), Duration::from_secs(3));
        // Born before the clock left the real one: still real time.
        assert_eq!(real.age(later, Some(7)), Duration::from_secs(3));
        let on_clock = Born::on_clock(Duration::from_secs(3600).as_nanos() as u64);
        let clock = Duration::from_secs(3605).as_nanos() as u64;
        assert_eq!(on_clock.age(later, Some(clock)), Duration::from_secs(5));
        assert_eq!(
            Born::on_clock(u64::MAX).age(later, Some(u64::MAX)),
            Duration::ZERO
        );
    }

    fn live() -> Arc<LiveTasks> {
        Arc::new(LiveTasks::new(
            Duration::from_secs(1),
            Reporter::new(None),
            Arc::new(Time::new(None)),
            true,
        ))
    }

    #[test]
    fn closing_forgets_the_records_and_a_task_gone_later_finds_none() {
        let live = live();
        let info = PackedInfo::pack(TaskInfo::new(1, Location::caller()));
        let (gone_late, handle) = (live.take(info), live.take(info));
        let weak = Arc::downgrade(&live);
        live.forget_records();
        assert!(live.snapshot().is_empty());
        assert!(live.release(&gone_late, None).is_none());
        drop((live, gone_late));
        // Only the handle's record reference keeps the records' runner part now.
        assert!(weak.upgrade().is_some());
        drop(handle);
        assert!(
            weak.upgrade().is_none(),
            "the chunks and the records hold each other"
        );
    }

    #[test]
    fn generations_go_round_past_0_and_a_stale_handle_lets_go_of_nothing() {
        let live = live();
        let info = PackedInfo::pack(TaskInfo::new(1, Location::caller()));
        let first = live.take(info);
        first.record().generation.store(u16::MAX, Relaxed);
        let stale = Handle(RecordRef {
            generation: u16::MAX,
            ..first.clone()
        });
        live.release(&first, None);
        let next = live.take(info);
        assert_eq!((next.index(), next.generation), (first.index(), 1));
        stale.let_go();
        assert_ne!(next.record().let_go.load(Relaxed), next.generation);
        Handle(next.clone()).let_go();
        assert_eq!(next.record().let_go.load(Relaxed), next.generation);
    }

    #[test]
    fn a_dropped_handle_marks_only_its_own_task_and_the_mark_goes_with_the_record() {
        let live = live();
        let info = PackedInfo::pack(TaskInfo::new(1, Location::caller()));
        let first = live.take(info);
        Handle(first.clone()).dropped();
        assert_eq!(first.record().dropped.load(Relaxed), first.generation);
        let stale = Handle(first.clone());
        live.release(&first, None);
        let next = live.take(info);
        assert_eq!(next.index(), first.index());
        assert_eq!(next.record().dropped.load(Relaxed), 0);
        stale.dropped();
        assert_eq!(next.record().dropped.load(Relaxed), 0);
        Handle(next.clone()).dropped();
        assert_eq!(next.record().dropped.load(Relaxed), next.generation);
    }

    #[test]
    fn free_records_are_handed_out_lowest_first_and_reused() {
        let live = live();
        let mut records = Records::default();
        let first = records.add_chunk(&live);
        assert_eq!((first, records.free), (0, Some(0)));
        assert!(matches!(records.names[0][0], Entry::Free(Some(1))));
        assert!(matches!(
            records.names[0][FIRST_CHUNK - 1],
            Entry::Free(None)
        ));
        // A chunk made while records are free links its last one to them.
        records.free = Some(2);
        let second = records.add_chunk(&live);
        assert_eq!(second as usize, FIRST_CHUNK);
        assert_eq!(records.free, Some(second));
        assert_eq!(records.chunks[1].first as usize, FIRST_CHUNK);
        assert!(matches!(
            records.names[1][2 * FIRST_CHUNK - 1],
            Entry::Free(Some(2))
        ));
    }

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
