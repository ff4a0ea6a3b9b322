//! No leak: a task's future and its context values are freed when the runner closes or its
//! handle is dropped, whichever comes last, and memory stays flat over many lifecycles.
#![allow(clippy::async_yields_async)] // returning a task handle out of a run is the point

use std::sync::Arc;
use std::time::Duration;

use futures_lite::future;
use runner::{context::ContextVar, Runner};

#[path = "support/until.rs"]
mod until;
use until::until;

static HELD: ContextVar<Arc<()>> = ContextVar::new("held");

/// A runner that leaves a `spawn` and a `spawn_local` task pending, each holding `probe` in its
/// future and in a context variable; returns their handles.
fn leave_pending(runner: &mut Runner, probe: &Arc<()>) -> Vec<runner::Task<()>> {
    let probe = probe.clone();
    runner
        .run(async move {
            HELD.set(probe.clone());
            let (a, b) = (probe.clone(), probe);
            vec![
                runner::spawn(async move {
                    let _a = a;
                    runner::sleep(Duration::from_secs(3600)).await;
                }),
                runner::spawn_local(async move {
                    let _b = b;
                    future::pending::<()>().await
                }),
            ]
        })
        .unwrap()
}

#[test]
fn handles_that_outlive_their_runner_hold_neither_future_nor_context() {
    let probe = Arc::new(());
    let mut runner = Runner::new();
    let handles = leave_pending(&mut runner, &probe);
    runner.close();
    // The runner's own context still holds one: drop the runner first.
    drop(runner);
    assert_eq!(Arc::strong_count(&probe), 1, "freed while the handles live");
    drop(handles);
}

#[test]
fn handles_dropped_before_close_free_the_tasks_at_once() {
    let probe = Arc::new(());
    let mut runner = Runner::new();
    let handles = leave_pending(&mut runner, &probe);
    // The probe, the runner's context (whose copies the tasks share), the two futures.
    assert_eq!(Arc::strong_count(&probe), 4);
    drop(handles);
    // The cancellations run on the runner's threads: the local task's on the thread that drives
    // the runner, the other's on any of them (a worker's, with `RUNNER_THREADS`, whenever the
    // OS runs it).
    runner
        .run(until("cancelled", || Arc::strong_count(&probe) == 2))
        .unwrap();
    assert_eq!(Arc::strong_count(&probe), 2);
    runner.close();
}

/// Resident set size in bytes, from /proc/self/statm.
#[cfg(target_os = "linux")]
fn rss() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

/// How much RSS grew over `measured` calls of `lifecycles` after `warm_up` (allocator pools, the
/// timer thread, thread-locals), printed too.
#[cfg(target_os = "linux")]
fn rss_growth(lifecycles: fn(usize), warm_up: usize, measured: usize) -> usize {
    lifecycles(warm_up);
    let before = rss();
    lifecycles(measured);
    let grown = rss().saturating_sub(before);
    eprintln!("RSS grew by {} KB", grown >> 10);
    grown
}

#[cfg(target_os = "linux")]
fn lifecycles(n: usize) {
    for _ in 0..n {
        // Debug off explicitly: with RUNNER_DEBUG=1 the 40 reports per lifecycle would pile up in
        // the test harness's captured stderr.
        // One thread: RUNNER_THREADS=4 would start and join 60 000 workers.
        let mut runner = Runner::builder().debug(false).threads(1).build();
        runner
            .run(async {
                for _ in 0..20 {
                    runner::spawn(future::pending::<()>()).detach();
                    runner::spawn_local(async {
                        runner::sleep(Duration::from_secs(3600)).await;
                    })
                    .detach();
                }
                future::yield_now().await;
            })
            .unwrap();
    }
}

#[test]
#[cfg(target_os = "linux")]
fn memory_stays_flat_over_many_lifecycles_that_leave_tasks_pending() {
    let grown = rss_growth(lifecycles, 2_000, 20_000);
    // Leaking the 40 tasks of a lifecycle would cost over 2 KB each time: 40 MB here.
    assert!(
        grown < 4 << 20,
        "RSS grew by {} KB over 20 000 lifecycles",
        grown >> 10
    );
}

#[cfg(target_os = "linux")]
fn debug_lifecycles(n: usize) {
    for _ in 0..n {
        // Reports of the tasks left pending go to a handler that drops them.
        let mut runner = Runner::builder()
            .debug(true)
            .threads(1)
            .on_diagnostic(|_| {})
            .build();
        let handles = runner
            .run(async {
                let handles: Vec<_> = (0..20)
                    .map(|_| runner::spawn(future::pending::<()>()))
                    .collect();
                future::yield_now().await;
                handles
            })
            .unwrap();
        // The handles outlive the runner, and with them their records' chunks.
        drop(runner);
        drop(handles);
    }
}

#[test]
#[cfg(target_os = "linux")]
fn debug_records_are_freed_with_the_last_handle_that_outlives_the_runner() {
    let grown = rss_growth(debug_lifecycles, 500, 10_000);
    // Keeping a runner's records (three chunks of 4, 8 and 16) would cost over 1 KB each time:
    // 10 MB here.
    assert!(
        grown < 4 << 20,
        "RSS grew by {} KB over 10 000 debug-mode lifecycles",
        grown >> 10
    );
}
