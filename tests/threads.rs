//! `threads(n)`: the calling thread plus `n - 1` named workers run the executor.

mod support;

use std::collections::HashSet;
use std::rc::Rc;
use std::sync::{Arc, Barrier, Condvar, Mutex};
use std::thread::ThreadId;
use std::time::Duration;

use runner::Runner;
use support::{run_child_test, runner_lines, tagged_lines};

/// Spawns tasks that each wait for all the others, so they must run on distinct threads at once.
async fn threads_that_run_tasks(parallel: usize) -> HashSet<ThreadId> {
    let barrier = Arc::new(Barrier::new(parallel));
    let tasks: Vec<_> = (0..parallel)
        .map(|_| {
            let barrier = barrier.clone();
            runner::spawn(async move {
                // Blocking on purpose: only truly parallel threads get past it.
                barrier.wait();
                std::thread::current().id()
            })
        })
        .collect();
    let mut ids = HashSet::new();
    for task in tasks {
        ids.insert(task.await);
    }
    ids
}

#[test]
fn tasks_run_on_more_than_one_thread_with_two_threads() {
    let mut runner = Runner::builder().threads(2).build();
    let ids = runner.run(threads_that_run_tasks(2)).unwrap();
    assert_eq!(ids.len(), 2);
}

#[test]
fn three_threads_run_three_tasks_at_once() {
    let mut runner = Runner::builder().threads(3).build();
    assert_eq!(runner.run(threads_that_run_tasks(3)).unwrap().len(), 3);
}

#[test]
fn workers_are_named() {
    let mut runner = Runner::builder().threads(3).build();
    let names = runner
        .run(async {
            let barrier = Arc::new(Barrier::new(3));
            let tasks: Vec<_> = (0..3)
                .map(|_| {
                    let barrier = barrier.clone();
                    runner::spawn(async move {
                        barrier.wait();
                        std::thread::current().name().map(str::to_owned)
                    })
                })
                .collect();
            let mut names = Vec::new();
            for t in tasks {
                names.push(t.await);
            }
            names
        })
        .unwrap();
    let workers: HashSet<_> = names
        .iter()
        .flatten()
        .filter(|n| n.starts_with("runner-worker-"))
        .cloned()
        .collect();
    let expected: HashSet<_> = ["runner-worker-1", "runner-worker-2"]
        .map(String::from)
        .into();
    assert_eq!(workers, expected, "{names:?}");
}

#[test]
fn spawn_local_stays_on_the_calling_thread() {
    let mut runner = Runner::builder().threads(4).build();
    let caller = std::thread::current().id();
    let ids = runner
        .run(async {
            let tasks: Vec<_> = (0..50)
                .map(|_| {
                    runner::spawn_local(async {
                        runner::sleep(Duration::from_millis(1)).await;
                        std::thread::current().id()
                    })
                })
                .collect();
            let mut ids = HashSet::new();
            for t in tasks {
                ids.insert(t.await);
            }
            ids
        })
        .unwrap();
    assert_eq!(ids, HashSet::from([caller]));
}

#[test]
fn spawn_local_from_a_worker_stays_on_that_worker() {
    let mut runner = Runner::builder().threads(2).build();
    let same = runner
        .run(async {
            let barrier = Arc::new(Barrier::new(2));
            let tasks: Vec<_> = (0..2)
                .map(|_| {
                    let barrier = barrier.clone();
                    runner::spawn(async move {
                        barrier.wait();
                        let here = std::thread::current().id();
                        let local = runner::spawn_local(async {
                            runner::sleep(Duration::from_millis(1)).await;
                            std::thread::current().id()
                        });
                        local.await == here
                    })
                })
                .collect();
            let mut all = true;
            for t in tasks {
                all &= t.await;
            }
            all
        })
        .unwrap();
    assert!(same);
}

#[test]
fn a_main_future_that_is_not_send_runs_with_four_threads() {
    let mut runner = Runner::builder().threads(4).build();
    let rc = Rc::new(20);
    let out = runner.run(async move {
        let sent = runner::spawn(async { 1 }).await;
        runner::sleep(Duration::from_millis(1)).await;
        *rc + sent
    });
    assert_eq!(out, Ok(21));
}

#[test]
fn zero_threads_is_refused_with_a_clear_message() {
    let payload = std::panic::catch_unwind(|| Runner::builder().threads(0)).unwrap_err();
    let message = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_else(|| payload.downcast_ref::<&str>().unwrap().to_string());
    assert!(
        message.starts_with("Builder::threads(0): a runner needs at least one thread"),
        "{message}"
    );
}

/// Child side: runs as many tasks as the parent expects threads (`CHILD_EXPECTED_THREADS`), each
/// waiting for all the others so that each runs on a thread of its own, and reports how many of
/// those threads are workers.
#[test]
#[ignore = "run by the tests below in a child process with RUNNER_THREADS set"]
fn child_counts_threads() {
    let expected: usize = std::env::var("CHILD_EXPECTED_THREADS")
        .expect("set by the parent test")
        .parse()
        .unwrap();
    let mut runner = Runner::new();
    // Workers idle until tasks come: name them from the tasks' side.
    let names = runner
        .run(async {
            // A barrier that gives up after 10 s, so that a missing thread fails the count
            // instead of hanging the test.
            let arrived = Arc::new((Mutex::new(0), Condvar::new()));
            let tasks: Vec<_> = (0..expected)
                .map(|_| {
                    let arrived = arrived.clone();
                    runner::spawn(async move {
                        let (count, all_here) = &*arrived;
                        let mut count = count.lock().unwrap();
                        *count += 1;
                        all_here.notify_all();
                        let limit = Duration::from_secs(10);
                        drop(all_here.wait_timeout_while(count, limit, |n| *n < expected));
                        std::thread::current().name().unwrap_or("").to_owned()
                    })
                })
                .collect();
            let mut names = HashSet::new();
            for t in tasks {
                names.insert(t.await);
            }
            names
        })
        .unwrap();
    let workers = names
        .iter()
        .filter(|n| n.starts_with("runner-worker-"))
        .count();
    let explicit = Runner::builder().threads(1).build();
    drop(explicit);
    println!("workers: {workers}");
}

/// How many workers ran the tasks of a child runner built with `RUNNER_THREADS=value`, when
/// `threads` tasks wait for each other there (fewer threads than that: fewer workers, after
/// 10 s), and the warnings it printed.
fn workers_with(value: &str, threads: usize) -> (usize, Vec<String>) {
    let expected = threads.to_string();
    let output = run_child_test(
        "child_counts_threads",
        &[
            ("RUNNER_THREADS", value),
            ("CHILD_EXPECTED_THREADS", &expected),
        ],
    );
    let workers = tagged_lines(&output, "workers: ");
    (workers[0].parse().unwrap(), runner_lines(&output))
}

#[test]
fn runner_threads_sets_the_count_when_the_builder_does_not() {
    let (workers, warnings) = workers_with("3", 3);
    assert_eq!(workers, 2, "3 threads = the caller and 2 workers");
    assert!(warnings.is_empty(), "{warnings:?}");
    let (workers, _) = workers_with("1", 1);
    assert_eq!(workers, 0);
}

#[test]
fn runner_threads_auto_means_one_per_core() {
    let cores = std::thread::available_parallelism().unwrap().get();
    let (workers, _) = workers_with("auto", cores);
    assert_eq!(
        workers,
        cores - 1,
        "auto: the caller and a worker for each other core"
    );
}

#[test]
fn a_bad_runner_threads_value_is_ignored_with_a_warning() {
    let (workers, warnings) = workers_with("lots", 1);
    assert_eq!(workers, 0);
    assert_eq!(
        warnings,
        [
            "runner: ignoring RUNNER_THREADS=\"lots\": expected a whole number of threads of at \
          least 1, or \"auto\" for one per core; using 1 thread"
        ]
    );
}

/// Child side: a runner of three threads whose workers cannot start (the parent asks for stacks
/// larger than any address space, through `RUST_MIN_STACK`). Prints the panic's message, and
/// what a second `run` of the same runner returns.
#[test]
#[ignore = "run by the test below in a child process with RUST_MIN_STACK set"]
fn child_cannot_start_workers() {
    std::panic::set_hook(Box::new(|_| {}));
    let mut runner = Runner::builder().threads(3).build();
    let payload =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| runner.run(async { 1 })))
            .expect_err("no worker can start");
    let message = payload
        .downcast_ref::<String>()
        .expect("a formatted message");
    println!("panicked: {message}");
    println!("then: {:?}", runner.run(async { 2 }));
}

#[test]
#[cfg_attr(
    windows,
    ignore = "libtest runs the child's test on a thread of its own there, which the stack size stops too"
)]
fn a_worker_thread_that_cannot_start_is_a_panic_that_says_how_to_fix_it() {
    let output = run_child_test(
        "child_cannot_start_workers",
        &[("RUST_MIN_STACK", &(1usize << 60).to_string())],
    );
    let message = tagged_lines(&output, "panicked: ");
    assert_eq!(message.len(), 1, "{message:?}");
    // Between the two: the OS's reason, which differs from system to system.
    let reason = message[0]
        .strip_prefix("runner: could not start worker thread 1 of 2: ")
        .and_then(|rest| {
            rest.strip_suffix(
                "; ask for fewer threads (Builder::threads, or the RUNNER_THREADS variable)",
            )
        });
    assert!(reason.is_some_and(|r| !r.is_empty()), "{}", message[0]);
    assert_eq!(
        tagged_lines(&output, "then: "),
        [
            "Err(the runner is closed and cannot run anything more (build a new Runner) \
          (RunError::Closed))"
        ]
    );
}

#[test]
fn a_handle_polled_again_after_its_output_panics_on_either_engine() {
    use futures_lite::future;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    for threads in [1, 2] {
        let mut runner = runner::Builder::new().threads(threads).build();
        let (output, mut task) = runner
            .run(async {
                let mut task = runner::spawn(async { 5 });
                ((&mut task).await, Some(task))
            })
            .unwrap();
        assert_eq!(output, 5);
        let task = task.as_mut().unwrap();
        let again = catch_unwind(AssertUnwindSafe(|| {
            future::block_on(future::poll_once(task))
        }));
        let payload = again.expect_err("a second poll after the output panics");
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        assert!(
            message.contains("polled after"),
            "threads({threads}): {message:?}"
        );
    }
}
