//! `runner` against raw async-executor + async-io and tokio, on the same workloads, in one run.
//!
//! ```sh
//! cargo run --release --manifest-path bench/Cargo.toml            # everything, one table
//! cargo run --release --manifest-path bench/Cargo.toml -- yield   # workloads whose name matches
//! cargo run --release --manifest-path bench/Cargo.toml -- --rounds 31 pingpong
//! # one row only, e.g. under a profiler (valgrind needs runner's `valgrind` feature):
//! cargo build --release --manifest-path bench/Cargo.toml --features runner/valgrind
//! valgrind --tool=callgrind bench/target/release/runner-bench --rounds 1 --row "raw smol" yield
//! ```
//!
//! Each workload runs its implementations in interleaved rounds; the table shows the median
//! nanoseconds per operation, the fastest and slowest round, the cores the process used during
//! the row (CPU time over wall time), and runner's reference row (the workload's first) divided
//! by each row (below 1: runner is faster). The `memory` section that follows counts the heap
//! bytes per pending task (a counting global allocator, `memory.rs`). The project's targets are
//! checked at the end, on the medians and on the fastest rounds. `--row LABEL` keeps only the
//! rows with that label.

#![warn(rust_2018_idioms)]

mod drivers;
mod harness;
mod memory;
#[cfg(feature = "tokio")]
mod tokio_rows;
mod workloads;

use std::time::{Duration, Instant};

use drivers::{RawDriver, RunnerDriver, TokioDriver};
use harness::{Group, Measured, Row, Stats};
use memory::{MemoryRow, MemoryTable, Pending};
use workloads::{
    fresh, timed, trivial, with_live, Blocking, Cpu, Echo, GroupJoin, PausedTimers, PendingOnce,
    PingPong, ReadyAwait, Repeat, SpawnJoin, Timers, WithVar, Yield,
};

/// Counts live heap bytes for the memory rows (off, apart from one atomic load, for the rest).
#[global_allocator]
static ALLOC: memory::CountingAlloc = memory::CountingAlloc;

const DEFAULT_ROUNDS: usize = 21;
/// The memory rows are exact to a few bytes: a few rounds show that they are stable.
const MEMORY_ROUNDS: usize = 5;
/// Pending tasks per memory sample.
const MEMORY_TASKS: usize = 100_000;

const RUNNER: &str = "runner";
const RUNNER_DEBUG: &str = "runner debug";
const RUNNER_DEBUG_10K: &str = "runner debug, 10k live";
const RUNNER_DEBUG_100K: &str = "runner debug, 100k live";
const RUNNER_DEBUG_1M: &str = "runner debug, 1M live";
const RUNNER_BEFORE: &str = "runner before (async-executor)";
const RUNNER_BEFORE_DEBUG: &str = "runner before, debug";
const RUNNER_CTRL_C: &str = "runner ctrl-c on";
const RUNNER_T1: &str = "runner threads(1)";
const RUNNER_T2: &str = "runner threads(2)";
const RUNNER_TEST: &str = "runner test-style";
const RUNNER_VAR: &str = "runner, a variable set";
const RUNNER_GROUP: &str = "runner TaskGroup";
const RUNNER_BY_HAND: &str = "runner by hand";
const RUNNER_TIMEOUT: &str = "runner timeout(ready)";
const RUNNER_BARE: &str = "runner bare ready";
const RAW: &str = "raw smol";
const RAW_T2: &str = "raw smol 2 threads";
const TOKIO: &str = "tokio current-thread";
const TOKIO_MT: &str = "tokio multi-thread(2)";
const RUNNER_PAUSED: &str = "runner start_paused";
const TOKIO_PAUSED: &str = "tokio start_paused";

/// A workload's name (what the filter argument matches) and how to set it up.
type Workload = (&'static str, fn() -> Group);

/// Every workload, in table order.
const WORKLOADS: &[Workload] = &[
    ("lifecycle", lifecycle),
    ("spawn_join", spawn_join),
    ("debug_spawn", debug_spawn),
    ("pending_once", pending_once),
    ("pending_once_threads", pending_once_threads),
    ("yield", yield_),
    ("pingpong", pingpong),
    ("timers", timers),
    ("echo", echo),
    ("paused_timers", paused_timers),
    ("blocking", blocking),
    ("context_yield", context_yield),
    ("context_spawn_join", context_spawn_join),
    ("threads", threads),
    ("test_overhead", test_overhead),
    ("task_group", task_group),
    ("timeout", timeout),
];

fn main() {
    let Args {
        filters,
        rounds,
        rows,
    } = parse_args();
    let selected = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f));

    let load_before = load_average();
    let start = Instant::now();
    println!("runner benchmark suite");
    println!("date:    {}", date());
    println!("machine: {} CPUs, {}", cpus(), cpu_model());
    println!("load:    {load_before} (1, 5, 15 min) at start");
    println!("rounds:  {rounds} interleaved, after one warm-up round; median of the rounds");
    println!();
    println!("{}", harness::HEADER);

    let mut results = Vec::new();
    #[cfg(feature = "tokio")]
    let workloads = WORKLOADS.iter().chain(tokio_rows::WORKLOADS);
    #[cfg(not(feature = "tokio"))]
    let workloads = WORKLOADS.iter();
    for (name, group) in workloads {
        if !selected(name) {
            continue;
        }
        let mut group = group();
        if !rows.is_empty() {
            group.rows.retain(|r| rows.iter().any(|l| l == r.label));
            if group.rows.is_empty() {
                continue;
            }
        }
        let measured = harness::measure(group, rounds);
        print!("{}", harness::format(&measured));
        results.push(measured);
    }

    let mut memory = Vec::new();
    if selected(MEMORY) {
        let mut memory_rows = memory_rows();
        if !rows.is_empty() {
            memory_rows.retain(|r| rows.iter().any(|l| l == r.label));
        }
        if !memory_rows.is_empty() {
            let rounds = rounds.min(MEMORY_ROUNDS);
            for pending in Pending::ALL {
                let table = memory::measure(&memory_rows, pending, MEMORY_TASKS, rounds);
                println!();
                print!("{}", memory::format(&table, MEMORY_TASKS, rounds));
                memory.push(table);
            }
        }
    }

    println!();
    println!(
        "load:    {} at end; total {:.1} s",
        load_average(),
        start.elapsed().as_secs_f64()
    );
    println!();
    for line in take_notes() {
        println!("(info) {line}");
    }
    print_targets(&results, &memory);
}

/// Lines for the end of the output, from the set-up of workloads (which runs before their
/// table lines are printed).
static NOTES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn note(line: String) {
    NOTES.lock().unwrap_or_else(|e| e.into_inner()).push(line);
}

fn take_notes() -> Vec<String> {
    std::mem::take(&mut *NOTES.lock().unwrap_or_else(|e| e.into_inner()))
}

struct Args {
    /// Workloads whose name contains one of these; all when empty.
    filters: Vec<String>,
    rounds: usize,
    /// Only the rows with exactly these labels; all when empty.
    rows: Vec<String>,
}

fn parse_args() -> Args {
    let mut filters = Vec::new();
    let mut rounds = DEFAULT_ROUNDS;
    let mut rows = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => {
                rounds = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| usage("--rounds needs a number of at least 1"));
            }
            "--row" => rows.push(args.next().unwrap_or_else(|| usage("--row needs a label"))),
            "--bench" => {} // passed by `cargo bench`
            "-h" | "--help" => usage(""),
            _ if arg.starts_with('-') => usage(&format!("unknown option {arg}")),
            _ => filters.push(arg),
        }
    }
    Args {
        filters,
        rounds,
        rows,
    }
}

fn usage(error: &str) -> ! {
    if !error.is_empty() {
        eprintln!("error: {error}");
    }
    let mut names: Vec<_> = WORKLOADS.iter().map(|(n, _)| *n).collect();
    names.push(MEMORY);
    eprintln!(
        "usage: runner-bench [--rounds N] [--row LABEL]... [FILTER...]\n\
         runs the workloads whose name contains any FILTER (all without one): {}\n\
         --row keeps only the rows labelled exactly LABEL (e.g. \"runner\", \"raw smol\")",
        names.join(", ")
    );
    std::process::exit(if error.is_empty() { 0 } else { 2 })
}

// ---------------------------------------------------------------------------------------------
// The workloads, as table groups.

fn lifecycle() -> Group {
    const N: usize = 1000;
    let runner_with = |ctrl_c: bool| {
        fresh(N, move || {
            let mut runner = runner::Runner::builder()
                .debug(false)
                .threads(1)
                .handle_ctrl_c(ctrl_c)
                .build();
            runner.run(trivial()).unwrap();
            runner.close();
        })
    };
    Group {
        name: "lifecycle",
        title: "lifecycle".into(),
        ops: N as u64,
        rows: vec![
            row(RUNNER, runner_with(false)),
            row(RUNNER_CTRL_C, runner_with(true)),
            row(
                RUNNER_BEFORE,
                fresh(N, || {
                    let mut runner = runner::__private::executor_engine(
                        runner::Runner::builder()
                            .debug(false)
                            .threads(1)
                            .handle_ctrl_c(false),
                    )
                    .build();
                    runner.run(trivial()).unwrap();
                    runner.close();
                }),
            ),
            row(RAW, fresh(N, raw_lifecycle)),
            row(TOKIO, fresh(N, tokio_lifecycle)),
        ],
    }
}

fn raw_lifecycle() {
    let executor = async_executor::Executor::new();
    async_io::block_on(executor.run(trivial()));
}

fn tokio_lifecycle() {
    // What `#[tokio::test]` and `#[tokio::main(flavor = "current_thread")]` expand to.
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(trivial());
}

fn spawn_join() -> Group {
    const N: usize = 100_000;
    Group {
        name: "spawn_join",
        title: "spawn_join 100k".into(),
        ops: N as u64,
        rows: vec![
            row(RUNNER, timed(RunnerDriver::new(false, 1), SpawnJoin(N))),
            row(
                RUNNER_DEBUG,
                timed(RunnerDriver::new(true, 1), SpawnJoin(N)),
            ),
            row(
                RUNNER_BEFORE,
                timed(RunnerDriver::executor_engine(false), SpawnJoin(N)),
            ),
            row(RAW, timed(RawDriver::new(1), SpawnJoin(N))),
            row(TOKIO, timed(TokioDriver::current_thread(), SpawnJoin(N))),
        ],
    }
}

/// spawn_join of 10k tasks, 50 times over, in a debug-mode runner that holds 10k, 100k or 1M
/// pending tasks: whether the debug records make spawning dearer as tasks pile up. A sample
/// (about 0.2 s) spans a few of the watchdog's looks (one per slow-poll threshold, 100 ms), so
/// that their cost shows in the median.
fn debug_spawn() -> Group {
    const N: usize = 10_000;
    const TIMES: usize = 50;
    let with = |live| {
        with_live(
            RunnerDriver::new(true, 1),
            live,
            Repeat(TIMES, SpawnJoin(N)),
        )
    };
    Group {
        name: "debug_spawn",
        title: "debug_spawn 10k x 50".into(),
        ops: (TIMES * N) as u64,
        rows: vec![
            row(RUNNER_DEBUG_10K, with(10_000)),
            row(RUNNER_DEBUG_100K, with(100_000)),
            row(RUNNER_DEBUG_1M, with(1_000_000)),
        ],
    }
}

/// Every task goes pending once: what a runner pays the first time a task is pending.
fn pending_once() -> Group {
    const N: usize = 100_000;
    Group {
        name: "pending_once",
        title: "pending_once 100k".into(),
        ops: N as u64,
        rows: vec![
            row(RUNNER, timed(RunnerDriver::new(false, 1), PendingOnce(N))),
            row(
                RUNNER_BEFORE,
                timed(RunnerDriver::executor_engine(false), PendingOnce(N)),
            ),
            row(RAW, timed(RawDriver::new(1), PendingOnce(N))),
            row(TOKIO, timed(TokioDriver::current_thread(), PendingOnce(N))),
        ],
    }
}

/// `pending_once` on two threads: the bookkeeping shared between threads.
fn pending_once_threads() -> Group {
    const N: usize = 100_000;
    Group {
        name: "pending_once_threads",
        title: "pending_once 2 threads".into(),
        ops: N as u64,
        rows: vec![
            row(
                RUNNER_T2,
                timed(RunnerDriver::new(false, 2), PendingOnce(N)),
            ),
            row(RAW_T2, timed(RawDriver::new(2), PendingOnce(N))),
            row(
                TOKIO_MT,
                timed(TokioDriver::multi_thread(2), PendingOnce(N)),
            ),
        ],
    }
}

fn yield_() -> Group {
    const N: usize = 1_000_000;
    Group {
        name: "yield",
        title: "yield 1M".into(),
        ops: N as u64,
        rows: vec![
            row(RUNNER, timed(RunnerDriver::new(false, 1), Yield(N))),
            row(RUNNER_DEBUG, timed(RunnerDriver::new(true, 1), Yield(N))),
            row(
                RUNNER_BEFORE,
                timed(RunnerDriver::executor_engine(false), Yield(N)),
            ),
            row(
                RUNNER_BEFORE_DEBUG,
                timed(RunnerDriver::executor_engine(true), Yield(N)),
            ),
            row(RAW, timed(RawDriver::new(1), Yield(N))),
            row(TOKIO, timed(TokioDriver::current_thread(), Yield(N))),
        ],
    }
}

fn pingpong() -> Group {
    const ROUND_TRIPS: usize = 100_000;
    Group {
        name: "pingpong",
        title: "pingpong 200k msgs".into(),
        ops: 2 * ROUND_TRIPS as u64,
        rows: vec![
            row(
                RUNNER,
                timed(RunnerDriver::new(false, 1), PingPong(ROUND_TRIPS)),
            ),
            row(
                RUNNER_DEBUG,
                timed(RunnerDriver::new(true, 1), PingPong(ROUND_TRIPS)),
            ),
            row(
                RUNNER_BEFORE,
                timed(RunnerDriver::executor_engine(false), PingPong(ROUND_TRIPS)),
            ),
            row(
                RUNNER_BEFORE_DEBUG,
                timed(RunnerDriver::executor_engine(true), PingPong(ROUND_TRIPS)),
            ),
            row(RAW, timed(RawDriver::new(1), PingPong(ROUND_TRIPS))),
            row(
                TOKIO,
                timed(TokioDriver::current_thread(), PingPong(ROUND_TRIPS)),
            ),
        ],
    }
}

fn timers() -> Group {
    const N: usize = 20_000;
    let work = || Timers(N, Duration::from_millis(1));
    Group {
        name: "timers",
        title: "timers 20k x 1ms".into(),
        ops: N as u64,
        rows: vec![
            row(RUNNER, timed(RunnerDriver::new(false, 1), work())),
            row(RUNNER_DEBUG, timed(RunnerDriver::new(true, 1), work())),
            row(
                RUNNER_BEFORE,
                timed(RunnerDriver::executor_engine(false), work()),
            ),
            row(
                RUNNER_BEFORE_DEBUG,
                timed(RunnerDriver::executor_engine(true), work()),
            ),
            row(RAW, timed(RawDriver::new(1), work())),
            row(TOKIO, timed(TokioDriver::current_thread(), work())),
        ],
    }
}

/// Loopback TCP echo: every round trip is two I/O wakes of two tasks.
fn echo() -> Group {
    const N: usize = 20_000;
    Group {
        name: "echo",
        title: "echo 20k round trips".into(),
        ops: N as u64,
        rows: vec![
            row(RUNNER, timed(RunnerDriver::new(false, 1), Echo(N))),
            row(
                RUNNER_BEFORE,
                timed(RunnerDriver::executor_engine(false), Echo(N)),
            ),
            row(RAW, timed(RawDriver::new(1), Echo(N))),
            row(TOKIO, timed(TokioDriver::current_thread(), Echo(N))),
        ],
    }
}

fn paused_timers() -> Group {
    const N: usize = 20_000;
    Group {
        name: "paused_timers",
        title: "paused timers 20k x 1..1000s".into(),
        ops: N as u64,
        rows: vec![
            row(
                RUNNER_PAUSED,
                timed(RunnerDriver::paused(), PausedTimers(N)),
            ),
            row(TOKIO_PAUSED, timed(TokioDriver::paused(), PausedTimers(N))),
        ],
    }
}

fn blocking() -> Group {
    const N: usize = 2_000;
    Group {
        name: "blocking",
        title: "blocking 2k".into(),
        ops: N as u64,
        rows: vec![
            row(RUNNER, timed(RunnerDriver::new(false, 1), Blocking(N))),
            row(RAW, timed(RawDriver::new(1), Blocking(N))),
            row(TOKIO, timed(TokioDriver::current_thread(), Blocking(N))),
        ],
    }
}

/// Yield with and without a context variable set (the promise: having the feature costs nothing
/// when no variable is set; setting one costs little).
fn context_yield() -> Group {
    const N: usize = 1_000_000;
    Group {
        name: "context_yield",
        title: "context: yield 1M".into(),
        ops: N as u64,
        rows: vec![
            row(RUNNER, timed(RunnerDriver::new(false, 1), Yield(N))),
            row(
                RUNNER_VAR,
                timed(RunnerDriver::new(false, 1), WithVar(Yield(N))),
            ),
            row(RAW, timed(RawDriver::new(1), Yield(N))),
        ],
    }
}

/// Spawn and join with and without a context variable set: each task copies its spawner's context.
fn context_spawn_join() -> Group {
    const N: usize = 100_000;
    Group {
        name: "context_spawn_join",
        title: "context: spawn_join".into(),
        ops: N as u64,
        rows: vec![
            row(RUNNER, timed(RunnerDriver::new(false, 1), SpawnJoin(N))),
            row(
                RUNNER_VAR,
                timed(RunnerDriver::new(false, 1), WithVar(SpawnJoin(N))),
            ),
            row(RAW, timed(RawDriver::new(1), SpawnJoin(N))),
        ],
    }
}

fn threads() -> Group {
    // 1000 tasks of about 50 µs each: 50 ms of work per round on one thread.
    let work = || Cpu {
        tasks: 1000,
        iters: 25_000,
    };
    Group {
        name: "threads",
        title: "threads: 1000 cpu".into(),
        ops: 1000,
        rows: vec![
            row(RUNNER_T1, timed(RunnerDriver::new(false, 1), work())),
            row(RUNNER_T2, timed(RunnerDriver::new(false, 2), work())),
            row(RAW, timed(RawDriver::new(1), work())),
            row(RAW_T2, timed(RawDriver::new(2), work())),
            row(TOKIO, timed(TokioDriver::current_thread(), work())),
            row(TOKIO_MT, timed(TokioDriver::multi_thread(2), work())),
        ],
    }
}

fn test_overhead() -> Group {
    const N: usize = 1000;
    Group {
        name: "test_overhead",
        title: "test_overhead 1000".into(),
        ops: N as u64,
        rows: vec![
            // What `#[runner::test]` expands to.
            row(
                RUNNER_TEST,
                fresh(N, || {
                    let mut runner = runner::Runner::builder()
                        .debug(true)
                        .handle_ctrl_c(false)
                        .build();
                    runner.run(trivial()).unwrap();
                    runner.close();
                }),
            ),
            row(RAW, fresh(N, raw_lifecycle)),
            row(TOKIO, fresh(N, tokio_lifecycle)),
        ],
    }
}

/// A `TaskGroup` against spawning and awaiting the same tasks by hand (target: at most 1.10x).
fn task_group() -> Group {
    const N: usize = 100_000;
    Group {
        name: "task_group",
        title: "task_group 100k join_all".into(),
        ops: N as u64,
        rows: vec![
            row(
                RUNNER_GROUP,
                timed(RunnerDriver::new(false, 1), GroupJoin(N)),
            ),
            row(
                RUNNER_BY_HAND,
                timed(RunnerDriver::new(false, 1), SpawnJoin(N)),
            ),
        ],
    }
}

/// `timeout` around a ready future against the bare future (target: at most 35 ns added, issue 21).
fn timeout() -> Group {
    const N: usize = 1_000_000;
    let work = |timeout| ReadyAwait { n: N, timeout };
    Group {
        name: "timeout",
        title: "timeout: ready 1M".into(),
        ops: N as u64,
        rows: vec![
            row(
                RUNNER_TIMEOUT,
                timed(RunnerDriver::new(false, 1), work(true)),
            ),
            row(RUNNER_BARE, timed(RunnerDriver::new(false, 1), work(false))),
        ],
    }
}

fn row(label: &'static str, sample: workloads::Sampler) -> Row {
    Row { label, sample }
}

/// The memory section's name for the filter.
const MEMORY: &str = "memory";

/// The rows of the memory section: runner (the first row, the reference), its old engine, and
/// the peers.
fn memory_rows() -> Vec<MemoryRow> {
    use memory::{raw_sample, runner_sample, tokio_sample};
    use runner::Builder;
    use std::mem::size_of;
    let runner_handle = size_of::<runner::Task<()>>();
    vec![
        MemoryRow {
            label: RUNNER,
            handle: runner_handle,
            sample: |p, n| runner_sample(Builder::new().debug(false), p, n),
        },
        MemoryRow {
            label: RUNNER_DEBUG,
            handle: runner_handle,
            sample: |p, n| runner_sample(Builder::new().debug(true), p, n),
        },
        MemoryRow {
            label: RUNNER_BEFORE,
            handle: runner_handle,
            sample: |p, n| {
                let builder = runner::__private::executor_engine(Builder::new().debug(false));
                runner_sample(builder, p, n)
            },
        },
        MemoryRow {
            label: RUNNER_BEFORE_DEBUG,
            handle: runner_handle,
            sample: |p, n| {
                let builder = runner::__private::executor_engine(Builder::new().debug(true));
                runner_sample(builder, p, n)
            },
        },
        MemoryRow {
            label: RAW,
            handle: size_of::<async_executor::Task<()>>(),
            sample: raw_sample,
        },
        MemoryRow {
            label: TOKIO,
            handle: size_of::<tokio::task::JoinHandle<()>>(),
            sample: tokio_sample,
        },
    ]
}

// ---------------------------------------------------------------------------------------------
// The project's targets, checked on this run's medians.

fn print_targets(results: &[Measured], memory: &[MemoryTable]) {
    let find = |name: &str| results.iter().find(|m| m.name == name);
    let mut lines = Vec::new();
    // `ratio` maps (numerator, denominator) stats to the checked value; it is applied to the
    // medians (the verdict) and to the fastest rounds (a second opinion on a loaded machine,
    // where the fastest round is the least disturbed one).
    let mut check = |what: String, a: Stats, b: Stats, ratio: fn(f64, f64) -> f64, limit: f64| {
        let at_most = limit > 0.0;
        let limit = limit.abs();
        let value = ratio(a.median, b.median);
        let best = ratio(a.min, b.min);
        let met = if at_most {
            value <= limit
        } else {
            value >= limit
        };
        let op = if at_most { "<=" } else { ">=" };
        lines.push(format!(
            "{what:<58} {value:>8.2} {best:>8.2}   {op} {limit:<6.2} {}",
            if met { "met" } else { "MISSED" }
        ));
    };
    let div: fn(f64, f64) -> f64 = |a, b| a / b;
    let inv: fn(f64, f64) -> f64 = |a, b| b / a;
    let sub: fn(f64, f64) -> f64 = |a, b| a - b;

    // Debug off, one thread, against raw smol: issue 24's limits where it sets one (the wrapper
    // pays for itself: spawn_join and lifecycle at most 1.00, echo 1.02, timers 1.05); 1.10 for
    // yield and pingpong and 1.15 for the rest, the older limits. Against tokio current-thread:
    // issue 24's limits for yield, pingpong, spawn_join and lifecycle; elsewhere at or below
    // tokio where raw is (where raw is clearly faster: by 3% or more, so that a CPU-bound tie is
    // not judged on noise).
    for m in results {
        let (Some(runner), Some(raw)) = (m.get(RUNNER).or(m.get(RUNNER_T1)), m.get(RAW)) else {
            continue;
        };
        let limit = match m.name {
            "spawn_join" | "lifecycle" => 1.00,
            "echo" => 1.02,
            "timers" => 1.05,
            "yield" | "pingpong" => 1.10,
            _ => 1.15,
        };
        check(
            format!("{}: runner / raw smol", m.name),
            runner,
            raw,
            div,
            limit,
        );
        let Some(tokio) = m.get(TOKIO) else { continue };
        let issue_24 = match m.name {
            "yield" => Some(0.75),
            "pingpong" => Some(0.90),
            "spawn_join" | "lifecycle" => Some(0.60),
            _ => None,
        };
        if let Some(limit) = issue_24 {
            let what = format!("{}: runner / tokio current-thread", m.name);
            check(what, runner, tokio, div, limit);
        } else if raw.median <= 0.97 * tokio.median {
            let what = format!("{}: runner / tokio current-thread (raw is faster)", m.name);
            check(what, runner, tokio, div, 1.0);
        }
    }
    if let Some(m) = find("pending_once_threads") {
        if let (Some(runner), Some(raw)) = (m.get(RUNNER_T2), m.get(RAW_T2)) {
            let what = "pending_once_threads: runner / raw smol".into();
            check(what, runner, raw, div, 1.15);
        }
    }
    if let Some(on) = find("lifecycle").and_then(|m| m.get(RUNNER_CTRL_C)) {
        // Nanoseconds per run over 1000 ns: microseconds.
        let micro = Stats {
            median: 1000.0,
            min: 1000.0,
            max: 1000.0,
            cores: 1.0,
        };
        check(
            "lifecycle: ctrl-c on, µs per run".into(),
            on,
            micro,
            div,
            25.0,
        );
    }
    // Issue 24's limits for debug mode.
    for (name, limit) in [
        ("yield", 1.5),
        ("pingpong", 1.10),
        ("spawn_join", 1.5),
        ("timers", 1.10),
    ] {
        if let Some(m) = find(name) {
            if let (Some(on), Some(off)) = (m.get(RUNNER_DEBUG), m.get(RUNNER)) {
                check(
                    format!("{name}: runner debug / runner"),
                    on,
                    off,
                    div,
                    limit,
                );
            }
        }
    }
    if let Some(m) = find("debug_spawn") {
        if let (Some(small), Some(large)) = (m.get(RUNNER_DEBUG_10K), m.get(RUNNER_DEBUG_1M)) {
            let what = "debug_spawn: 1M live / 10k live".into();
            check(what, large, small, div, 1.2);
        }
    }
    if let Some(m) = find("threads") {
        if let (Some(t1), Some(t2)) = (m.get(RUNNER_T1), m.get(RUNNER_T2)) {
            let what = "threads: throughput threads(2) / threads(1)".into();
            check(what, t2, t1, inv, -1.7);
        }
        if let (Some(t2), Some(mt)) = (m.get(RUNNER_T2), m.get(TOKIO_MT)) {
            let what = "threads: runner threads(2) / tokio multi-thread(2)".into();
            check(what, t2, mt, div, 1.0);
        }
        if let (Some(raw1), Some(raw2)) = (m.get(RAW), m.get(RAW_T2)) {
            let ratio = raw1.median / raw2.median;
            println!("(info) threads: raw smol throughput 2 threads / 1 thread: {ratio:.2}");
        }
    }
    // Bytes per pending task, issue 24: debug off at most async-executor's plus 16 bytes, debug
    // on at most tokio's; for each future. The "fastest" column is the smallest round.
    for table in memory {
        let bytes = |label: &str| {
            let s = table.stats.iter().find(|s| s.label == label)?;
            Some(Stats {
                median: s.median(),
                min: s.min(),
                max: s.max(),
                cores: 1.0,
            })
        };
        let future = match table.pending {
            Pending::Parked => "pending",
            Pending::Channel => "channel",
        };
        if let (Some(runner), Some(raw)) = (bytes(RUNNER), bytes(RAW)) {
            let what = format!("memory ({future}): runner - raw smol, bytes");
            check(what, runner, raw, sub, 16.0);
        }
        if let (Some(debug), Some(tokio)) = (bytes(RUNNER_DEBUG), bytes(TOKIO)) {
            let what = format!("memory ({future}): runner debug / tokio current-thread");
            check(what, debug, tokio, div, 1.0);
        }
        // The verdict is on the first batch; the second shows what a task costs once the
        // runtime's per-task structures have grown (debug mode's records, above all).
        let warm = |label: &str| Some(table.stats.iter().find(|s| s.label == label)?.warm);
        if let (Some(debug), Some(tokio)) = (warm(RUNNER_DEBUG), warm(TOKIO)) {
            println!(
                "(info) memory ({future}), second batch: runner debug / tokio current-thread: \
                 {:.2} ({debug:.1} / {tokio:.1} bytes)",
                debug / tokio
            );
        }
    }
    for name in ["context_yield", "context_spawn_join"] {
        if let Some(m) = find(name) {
            if let (Some(set), Some(unset)) = (m.get(RUNNER_VAR), m.get(RUNNER)) {
                let ratio = set.median / unset.median;
                println!("(info) {name}: runner with a variable set / without: {ratio:.2}");
            }
        }
    }
    if let Some(m) = find("test_overhead") {
        if let (Some(test), Some(raw)) = (m.get(RUNNER_TEST), m.get(RAW)) {
            let ratio = test.median / raw.median;
            println!("(info) test_overhead: runner test-style / raw smol: {ratio:.2}");
        }
    }
    if let Some(m) = find("task_group") {
        if let (Some(group), Some(by_hand)) = (m.get(RUNNER_GROUP), m.get(RUNNER_BY_HAND)) {
            let what = "task_group: TaskGroup / by hand".into();
            check(what, group, by_hand, div, 1.10);
        }
    }
    if let Some(m) = find("timeout") {
        if let (Some(timeout), Some(bare)) = (m.get(RUNNER_TIMEOUT), m.get(RUNNER_BARE)) {
            let what = "timeout: ns added around a ready future".into();
            check(what, timeout, bare, sub, 35.0);
        }
    }
    if let Some(m) = find("paused_timers") {
        if let (Some(runner), Some(tokio)) = (m.get(RUNNER_PAUSED), m.get(TOKIO_PAUSED)) {
            let what = "paused_timers: runner / tokio start_paused".into();
            check(what, runner, tokio, div, 1.0);
        }
    }
    #[cfg(feature = "tokio")]
    tokio_rows::targets(results, &mut |what, a, b, limit| {
        check(what, a, b, div, limit)
    });
    if !lines.is_empty() {
        println!();
        println!(
            "{:<58} {:>8} {:>8}   target (verdict on the median)",
            "target", "median", "fastest"
        );
        for line in lines {
            println!("{line}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The machine, printed with the table.

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn date() -> String {
    std::process::Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|| "unknown date".into())
}
