//! Heap bytes per pending task: a counting global allocator, and the memory rows.
//!
//! The allocator counts the bytes every allocation asks for (`Layout::size`, not what the
//! allocator rounds it up to) and the number of live blocks, for the whole process, but only
//! while a [`Counting`] guard is alive: the timed rows run with counting off, so that an atomic
//! add per allocation does not slow them down. A reading taken at the start and at the end of a
//! window with counting on gives exactly the change of live heap in between, whoever allocated
//! or freed (a block allocated before the window and freed in it counts negative, as it should).

use std::alloc::{GlobalAlloc, Layout, System};
use std::future::Future;
use std::hint::black_box;
use std::sync::atomic::{AtomicIsize, AtomicUsize, Ordering::Relaxed};

use futures_lite::future::yield_now;

/// `std::alloc::System`, counting live bytes and blocks while a [`Counting`] guard is alive.
pub struct CountingAlloc;

/// How many [`Counting`] guards are alive: counting is on when it is above zero.
static COUNTING: AtomicUsize = AtomicUsize::new(0);
static BYTES: AtomicIsize = AtomicIsize::new(0);
static BLOCKS: AtomicIsize = AtomicIsize::new(0);

fn note(bytes: isize, blocks: isize) {
    if COUNTING.load(Relaxed) > 0 {
        BYTES.fetch_add(bytes, Relaxed);
        BLOCKS.fetch_add(blocks, Relaxed);
    }
}

// SAFETY: every method hands the call on to `System` with the caller's own arguments, so
// `System`'s guarantees are ours; the counting touches only atomics and never allocates.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which is `System`'s.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() {
            note(layout.size() as isize, 1);
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() {
            note(layout.size() as isize, 1);
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, that is from `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        note(-(layout.size() as isize), -1);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from `System` with `layout`; the caller upholds the rest.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            note(new_size as isize - layout.size() as isize, 0);
        }
        new
    }
}

/// Counting is on while one of these is alive.
pub struct Counting(());

impl Counting {
    pub fn on() -> Counting {
        COUNTING.fetch_add(1, Relaxed);
        Counting(())
    }

    /// The live heap counted so far; only differences of two readings under one guard mean
    /// something.
    pub fn read(&self) -> Reading {
        Reading {
            bytes: BYTES.load(Relaxed),
            blocks: BLOCKS.load(Relaxed),
        }
    }
}

impl Drop for Counting {
    fn drop(&mut self) {
        COUNTING.fetch_sub(1, Relaxed);
    }
}

#[derive(Clone, Copy)]
pub struct Reading {
    pub bytes: isize,
    pub blocks: isize,
}

impl std::ops::Sub for Reading {
    type Output = Reading;

    fn sub(self, earlier: Reading) -> Reading {
        Reading {
            bytes: self.bytes - earlier.bytes,
            blocks: self.blocks - earlier.blocks,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The pending tasks.

/// How many [`parked`] and [`waiting`] futures have been polled, ever.
static PARKED: AtomicUsize = AtomicUsize::new(0);

/// The future of the pending tasks of `debug_spawn` and of the first memory table, the same type
/// for every implementation: it counts its first poll and then stays pending for good, without
/// allocating (a 1-byte state machine around `std::future::pending`). The least a pending task
/// can hold: what the table shows is the runtime's own cost per task.
pub async fn parked() {
    PARKED.fetch_add(1, Relaxed);
    std::future::pending::<()>().await
}

/// The future of the second memory table: counts its first poll, then waits on a clone of one
/// async-channel receiver whose sender never sends (a task waiting for a message, the common
/// pending task). Its first poll allocates the receiver's event-listener entry.
pub async fn waiting(rx: async_channel::Receiver<()>) {
    PARKED.fetch_add(1, Relaxed);
    let _ = rx.recv().await;
}

/// How many [`parked`] and [`waiting`] futures have been polled so far.
fn parked_so_far() -> usize {
    PARKED.load(Relaxed)
}

/// Yields until `n` more [`parked`] or [`waiting`] futures than `since` have been polled: until
/// every task just spawned has run once and is pending.
async fn all_parked(since: usize, n: usize) {
    while PARKED.load(Relaxed) < since + n {
        yield_now().await;
    }
}

/// Spawns `n` tasks with `spawn` (of [`parked`] or [`waiting`]) into `tasks`, [`CHUNK`] at a
/// time, and returns once every one of them has been polled.
///
/// Between chunks the caller waits until the chunk's tasks have run, as a server that accepts
/// connections would: the run queue never holds more than a chunk (its capacity is not a cost of
/// pending tasks), and no poll of the caller takes long enough for debug mode to report it.
pub async fn spawn_parked<H>(tasks: &mut Vec<H>, n: usize, mut spawn: impl FnMut() -> H) {
    let since = parked_so_far();
    let mut spawned = 0;
    while spawned < n {
        let chunk = CHUNK.min(n - spawned);
        tasks.extend((0..chunk).map(|_| spawn()));
        spawned += chunk;
        all_parked(since, spawned).await;
    }
}

/// How many tasks [`spawn_parked`] spawns between two waits.
pub const CHUNK: usize = 1000;

// ---------------------------------------------------------------------------------------------
// The memory rows.

/// The future of a memory table's tasks.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// [`parked`].
    Parked,
    /// [`waiting`].
    Channel,
}

impl Pending {
    pub const ALL: [Pending; 2] = [Pending::Parked, Pending::Channel];

    pub fn describe(self) -> &'static str {
        match self {
            Pending::Parked => "future: pending forever, 1 byte",
            Pending::Channel => "future: awaiting an async-channel receiver",
        }
    }
}

/// One implementation's measurement: in a fresh runtime, spawn `n` tasks of the given future from
/// the main future ([`spawn_parked`]: a chunk at a time), keep their handles in a `Vec` of
/// exactly `n`, wait until every one has been polled once, and read the live heap; then cancel
/// them all and do it again in the same runtime. Returns the change of live heap of the first
/// batch (the runtime's per-task structures grown from empty) and of the second (grown already).
pub type MemorySample = fn(Pending, usize) -> [Reading; 2];

pub struct MemoryRow {
    pub label: &'static str,
    /// The size of the task's handle (held in the `Vec`): part of the bytes.
    pub handle: usize,
    pub sample: MemorySample,
}

pub struct MemoryStats {
    pub label: &'static str,
    pub handle: usize,
    /// Bytes per task, first batch: sorted samples.
    pub fresh: Vec<f64>,
    /// Live blocks per task, first batch, median.
    pub blocks: f64,
    /// Bytes per task, second batch, median.
    pub warm: f64,
    /// Live blocks per task, second batch, median.
    pub warm_blocks: f64,
}

impl MemoryStats {
    pub fn median(&self) -> f64 {
        self.fresh[self.fresh.len() / 2]
    }

    pub fn min(&self) -> f64 {
        self.fresh[0]
    }

    pub fn max(&self) -> f64 {
        self.fresh[self.fresh.len() - 1]
    }
}

/// One memory table: every row with one kind of future.
pub struct MemoryTable {
    pub pending: Pending,
    pub stats: Vec<MemoryStats>,
}

/// Runs every row `rounds` times, interleaved, after one warm-up round.
pub fn measure(rows: &[MemoryRow], pending: Pending, n: usize, rounds: usize) -> MemoryTable {
    let mut fresh = vec![Vec::new(); rows.len()];
    let mut blocks = vec![Vec::new(); rows.len()];
    let mut warm = vec![Vec::new(); rows.len()];
    let mut warm_blocks = vec![Vec::new(); rows.len()];
    for round in 0..=rounds {
        for k in 0..rows.len() {
            let i = (k + round) % rows.len();
            let [first, second] = (rows[i].sample)(pending, n);
            if round > 0 {
                fresh[i].push(first.bytes as f64 / n as f64);
                blocks[i].push(first.blocks as f64 / n as f64);
                warm[i].push(second.bytes as f64 / n as f64);
                warm_blocks[i].push(second.blocks as f64 / n as f64);
            }
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let stats = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            fresh[i].sort_by(f64::total_cmp);
            MemoryStats {
                label: row.label,
                handle: row.handle,
                fresh: std::mem::take(&mut fresh[i]),
                blocks: median(&mut blocks[i]),
                warm: median(&mut warm[i]),
                warm_blocks: median(&mut warm_blocks[i]),
            }
        })
        .collect();
    MemoryTable { pending, stats }
}

pub fn format(table: &MemoryTable, n: usize, rounds: usize) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "memory: bytes per pending task ({}; {n} tasks, a fresh runtime each round, {rounds} \
         rounds)",
        table.pending.describe()
    );
    let _ = writeln!(
        out,
        "implementation                 median B/task  min B/task  max B/task  blocks/task  \
         2nd batch: B/task  blocks/task  handle B  runner ÷ row"
    );
    let reference = table.stats[0].median();
    for s in &table.stats {
        let _ = writeln!(
            out,
            "{:<30} {:>10.1} {:>11.1} {:>11.1} {:>12.2} {:>18.1} {:>12.2} {:>9} {:>13.2}",
            s.label,
            s.median(),
            s.min(),
            s.max(),
            s.blocks,
            s.warm,
            s.warm_blocks,
            s.handle,
            reference / s.median(),
        );
    }
    out
}

/// The measurement of one batch inside a running main future: `spawn` makes one task and
/// returns its handle, `cancel` cancels them all and waits until they are gone.
pub async fn batch<H, C>(
    counting: &Counting,
    n: usize,
    mut spawn: impl FnMut() -> H,
    cancel: impl FnOnce(Vec<H>) -> C,
) -> Reading
where
    C: Future<Output = ()>,
{
    let before = counting.read();
    let mut tasks = Vec::with_capacity(n);
    spawn_parked(&mut tasks, n, &mut spawn).await;
    let after = counting.read();
    black_box(&tasks);
    cancel(tasks).await;
    after - before
}

/// Two [`batch`]es, one after the other, of the future `pending` says; `|f| spawn` spawns the
/// future `f` (written out for each of the two future types).
macro_rules! two_batches {
    ($counting:expr, $pending:expr, $n:expr, |$f:ident| $spawn:expr, $cancel:expr) => {{
        // The receiver's sender, kept until the end: the tasks wait for good.
        let (_tx, rx) = async_channel::bounded::<()>(1);
        let mut readings = [Reading {
            bytes: 0,
            blocks: 0,
        }; 2];
        for reading in &mut readings {
            *reading = match $pending {
                Pending::Parked => {
                    let spawn = || {
                        let $f = parked();
                        $spawn
                    };
                    batch($counting, $n, spawn, $cancel).await
                }
                Pending::Channel => {
                    let spawn = || {
                        let $f = waiting(rx.clone());
                        $spawn
                    };
                    batch($counting, $n, spawn, $cancel).await
                }
            };
        }
        readings
    }};
}

// ---------------------------------------------------------------------------------------------
// The implementations.

/// A runner built by `builder`, one thread, Ctrl-C handling off; closed at the end.
pub fn runner_sample(builder: runner::Builder, pending: Pending, n: usize) -> [Reading; 2] {
    let counting = Counting::on();
    let mut runner = builder.threads(1).handle_ctrl_c(false).build();
    let cancel = |tasks: Vec<runner::Task<()>>| async move {
        for task in tasks {
            task.cancel().await;
        }
    };
    let readings = runner
        .run(async { two_batches!(&counting, pending, n, |f| runner::spawn(f), cancel) })
        .expect("runner::Runner::run failed");
    runner.close();
    readings
}

/// `async_io::block_on(executor.run(..))` on a fresh `async_executor::Executor`.
pub fn raw_sample(pending: Pending, n: usize) -> [Reading; 2] {
    let counting = Counting::on();
    let executor = async_executor::Executor::new();
    let cancel = |tasks: Vec<async_executor::Task<()>>| async move {
        for task in tasks {
            task.cancel().await;
        }
    };
    async_io::block_on(
        executor.run(async { two_batches!(&counting, pending, n, |f| executor.spawn(f), cancel) }),
    )
}

/// `tokio::spawn` inside `block_on` of a fresh current-thread runtime (`enable_all`, as the
/// timed rows).
pub fn tokio_sample(pending: Pending, n: usize) -> [Reading; 2] {
    let counting = Counting::on();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    let cancel = |tasks: Vec<tokio::task::JoinHandle<()>>| async move {
        for task in &tasks {
            task.abort();
        }
        for task in tasks {
            let _ = task.await;
        }
    };
    runtime.block_on(async { two_batches!(&counting, pending, n, |f| tokio::spawn(f), cancel) })
}
