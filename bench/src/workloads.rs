//! The workloads, each written once against the `Spawner` interface so that every
//! implementation runs exactly the same code.

use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use futures_lite::future::yield_now;

use crate::drivers::{Driver, RunnerDriver, Spawner};
use crate::memory::{parked, spawn_parked, Counting};

/// One workload: the body of a main future, generic over the implementation.
pub trait Work: 'static {
    fn run<S: Spawner>(&self, spawner: S) -> impl Future<Output = ()>;
}

/// A timed sample: runs the workload once, returns how long it took.
pub type Sampler = Box<dyn FnMut() -> Duration>;

/// Starts `driver` (runtimes start lazily), then samples `work` on it.
pub fn timed<D: Driver + 'static, W: Work>(mut driver: D, work: W) -> Sampler {
    driver.block_on(async {});
    Box::new(move || {
        let spawner = driver.spawner();
        let start = Instant::now();
        driver.block_on(work.run(spawner));
        start.elapsed()
    })
}

/// Like [`timed`], on a runner that holds `live` pending tasks (of [`parked`]) through every
/// sample; they are spawned ([`spawn_parked`]) and polled once before the first sample, and cancelled when the
/// sampler is dropped. Notes how much heap they hold and how long the set-up took.
pub fn with_live<W: Work>(mut driver: RunnerDriver, live: usize, work: W) -> Sampler {
    let counting = Counting::on();
    let before = counting.read();
    let start = Instant::now();
    let tasks = driver.block_on(async move {
        let mut tasks = Vec::with_capacity(live);
        spawn_parked(&mut tasks, live, || runner::spawn(parked())).await;
        tasks
    });
    let set_up = start.elapsed();
    let held = counting.read() - before;
    drop(counting);
    crate::note(format!(
        "{} live pending tasks in a debug-mode runner hold {:.1} MB: {:.1} bytes each, handles \
         included; spawned and polled once in {:.0} ms, {:.0} ns each",
        live,
        held.bytes as f64 / 1e6,
        held.bytes as f64 / live as f64,
        set_up.as_secs_f64() * 1e3,
        set_up.as_nanos() as f64 / live as f64,
    ));
    let mut held = Held { driver, tasks };
    Box::new(move || {
        let spawner = held.driver.spawner();
        let start = Instant::now();
        held.driver.block_on(work.run(spawner));
        start.elapsed()
    })
}

/// A runner and the pending tasks it holds for [`with_live`].
struct Held {
    driver: RunnerDriver,
    tasks: Vec<runner::Task<()>>,
}

impl Drop for Held {
    fn drop(&mut self) {
        // Cancelled on purpose, so that debug mode reports none of them.
        let tasks = std::mem::take(&mut self.tasks);
        self.driver.block_on(async move {
            for task in tasks {
                task.cancel().await;
            }
        });
    }
}

/// `1`, `0` times over in one sample.
pub struct Repeat<W>(pub usize, pub W);

impl<W: Work> Work for Repeat<W> {
    async fn run<S: Spawner>(&self, spawner: S) {
        for _ in 0..self.0 {
            self.1.run(spawner.clone()).await;
        }
    }
}

/// Spawns `0` trivial tasks from the main future, then awaits them all.
pub struct SpawnJoin(pub usize);

impl Work for SpawnJoin {
    async fn run<S: Spawner>(&self, spawner: S) {
        let tasks: Vec<_> = (0..self.0)
            .map(|i| spawner.spawn(async move { black_box(i) }))
            .collect();
        for task in tasks {
            black_box(task.await);
        }
    }
}

/// Spawns `0` trivial tasks into a `runner::TaskGroup` and joins them with `join_all`: the same
/// work as [`SpawnJoin`] through the group. Only for runner (the spawner is not used).
pub struct GroupJoin(pub usize);

impl Work for GroupJoin {
    async fn run<S: Spawner>(&self, _: S) {
        let mut group = runner::TaskGroup::new();
        for i in 0..self.0 {
            group.spawn(async move { black_box(i) });
        }
        for output in group.join_all().await {
            black_box(output);
        }
    }
}

/// Awaits a ready future `n` times, each inside `runner::timeout` or bare: what a timeout adds
/// when it never fires. Only for runner.
pub struct ReadyAwait {
    pub n: usize,
    pub timeout: bool,
}

impl Work for ReadyAwait {
    async fn run<S: Spawner>(&self, _: S) {
        let limit = Duration::from_secs(60);
        for i in 0..self.n {
            let ready = std::future::ready(black_box(i));
            let output = if self.timeout {
                runner::timeout(limit, ready).await.unwrap()
            } else {
                ready.await
            };
            black_box(output);
        }
    }
}

/// Spawns `0` tasks that each go pending once (one yield) before they finish, then awaits them
/// all: the worst case for bookkeeping a runner does the first time a task is pending.
pub struct PendingOnce(pub usize);

impl Work for PendingOnce {
    async fn run<S: Spawner>(&self, spawner: S) {
        let tasks: Vec<_> = (0..self.0)
            .map(|i| {
                spawner.spawn(async move {
                    yield_now().await;
                    black_box(i)
                })
            })
            .collect();
        for task in tasks {
            black_box(task.await);
        }
    }
}

/// One spawned task that yields `0` times: the cost of one poll, wake and reschedule.
pub struct Yield(pub usize);

impl Work for Yield {
    async fn run<S: Spawner>(&self, spawner: S) {
        let n = self.0;
        spawner
            .spawn(async move {
                for _ in 0..n {
                    yield_now().await;
                }
            })
            .await;
    }
}

/// Two tasks bouncing a counter over two bounded(1) async-channels: `0` round trips, so twice as
/// many messages.
pub struct PingPong(pub usize);

impl Work for PingPong {
    async fn run<S: Spawner>(&self, spawner: S) {
        let n = self.0;
        let (to_b, from_a) = async_channel::bounded::<usize>(1);
        let (to_a, from_b) = async_channel::bounded::<usize>(1);
        let a = spawner.spawn(async move {
            for i in 0..n {
                to_b.send(i).await.unwrap();
                black_box(from_b.recv().await.unwrap());
            }
        });
        let b = spawner.spawn(async move {
            for _ in 0..n {
                let v = from_a.recv().await.unwrap();
                to_a.send(v).await.unwrap();
            }
        });
        a.await;
        b.await;
    }
}

/// `0` tasks, each sleeping `1` once, all at the same time.
///
/// Each task creates its timer when it first runs: a timer made at spawn time would often have
/// expired before its task is first polled (spawning 20k tasks takes longer than 1 ms), and the
/// workload would then measure no timer at all.
pub struct Timers(pub usize, pub Duration);

impl Work for Timers {
    async fn run<S: Spawner>(&self, spawner: S) {
        let duration = self.1;
        let tasks: Vec<_> = (0..self.0)
            .map(|_| spawner.spawn(async move { S::sleep(duration).await }))
            .collect();
        for task in tasks {
            task.await;
        }
    }
}

/// `0` round trips of one byte over loopback TCP, to an echo task.
pub struct Echo(pub usize);

impl Work for Echo {
    async fn run<S: Spawner>(&self, spawner: S) {
        spawner.echo(self.0).await;
    }
}

/// `0` tasks that each sleep 1 to 1000 seconds (spread evenly), all awaited: on a paused clock,
/// the cost of the timer queue and of the jumps, with no real waiting.
pub struct PausedTimers(pub usize);

impl Work for PausedTimers {
    async fn run<S: Spawner>(&self, spawner: S) {
        let tasks: Vec<_> = (0..self.0 as u64)
            .map(|i| {
                let duration = Duration::from_secs(1 + (i * 7919) % 1000);
                spawner.spawn(async move { S::sleep(duration).await })
            })
            .collect();
        for task in tasks {
            task.await;
        }
    }
}

/// `0` trivial blocking jobs on the implementation's thread pool, all awaited.
pub struct Blocking(pub usize);

impl Work for Blocking {
    async fn run<S: Spawner>(&self, spawner: S) {
        let jobs: Vec<_> = (0..self.0)
            .map(|i| spawner.spawn_blocking(move || black_box(i)))
            .collect();
        for job in jobs {
            black_box(job.await);
        }
    }
}

/// `tasks` CPU-bound tasks of `iters` xorshift steps each (about 50 µs), spawned and awaited:
/// what more threads should speed up.
pub struct Cpu {
    pub tasks: usize,
    pub iters: u64,
}

impl Work for Cpu {
    async fn run<S: Spawner>(&self, spawner: S) {
        let iters = self.iters;
        let tasks: Vec<_> = (0..self.tasks as u64)
            .map(|i| spawner.spawn(async move { cpu_work(black_box(iters), i) }))
            .collect();
        let mut sum = 0u64;
        for task in tasks {
            sum = sum.wrapping_add(task.await);
        }
        black_box(sum);
    }
}

fn cpu_work(iters: u64, seed: u64) -> u64 {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for _ in 0..iters {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

/// The context variable of the context workloads.
static VAR: runner::context::ContextVar<u64> = runner::context::ContextVar::new("bench");

/// `0` with one context variable set for the whole run: every task spawned inherits it, and every
/// poll enters the task's context. Only for runner: the peers have no inherited variables.
pub struct WithVar<W>(pub W);

impl<W: Work> Work for WithVar<W> {
    async fn run<S: Spawner>(&self, spawner: S) {
        let token = VAR.set(1);
        self.0.run(spawner).await;
        // The runner keeps its context from one run to the next: leave it as it was.
        VAR.reset(token);
    }
}

/// `n` fresh runtimes, each built, given a trivial future, and shut down.
pub fn fresh(n: usize, mut once: impl FnMut() + 'static) -> Sampler {
    Box::new(move || {
        let start = Instant::now();
        for _ in 0..n {
            once();
        }
        start.elapsed()
    })
}

/// The trivial future of the lifecycle and test-overhead workloads.
pub async fn trivial() -> u32 {
    black_box(1) + 1
}
