//! Debug mode's watchdog reports a poll that is stuck while it is stuck, so a poll that never
//! returns is reported too.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use runner::{diagnostic::Diagnostic, Builder, Runner};

/// Bound on waiting for the watchdog: generous, for a loaded machine.
const PATIENCE: Duration = Duration::from_secs(10);

/// Every report a runner made.
type Seen = Arc<Mutex<Vec<Diagnostic>>>;

/// A debug runner with a 30 ms threshold whose stuck-poll reports go to the returned channel
/// (and all reports to the list).
fn runner(debug: bool) -> (Runner, mpsc::Receiver<Diagnostic>, Seen) {
    let (builder, rx, seen) = builder(debug);
    (builder.build(), rx, seen)
}

/// [`runner`]'s builder, for tests that configure more before building.
fn builder(debug: bool) -> (Builder, mpsc::Receiver<Diagnostic>, Seen) {
    let (tx, rx) = mpsc::channel();
    let tx = Mutex::new(tx);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let builder = Runner::builder()
        .debug(debug)
        .slow_poll_threshold(Duration::from_millis(30))
        .on_diagnostic(move |d| {
            sink.lock().unwrap().push(d.clone());
            if let Diagnostic::StuckPoll { .. } = d {
                let _ = tx.lock().unwrap().send(d.clone());
            }
        });
    (builder, rx, seen)
}

#[test]
fn a_poll_that_does_not_return_is_reported_while_it_is_stuck() {
    let (mut runner, reports, _) = runner(true);
    let (release, stuck) = mpsc::channel::<()>();
    // The poll returns only once the report has arrived, or after PATIENCE without one.
    let watcher = std::thread::spawn(move || {
        let report = reports.recv_timeout(PATIENCE);
        let _ = release.send(());
        report
    });
    let line = line!() + 3;
    let waited = runner
        .run(async {
            runner::spawn(async move {
                let start = std::time::Instant::now();
                let released = stuck.recv_timeout(PATIENCE);
                (released, start.elapsed())
            })
            .await
        })
        .unwrap();
    let report = watcher
        .join()
        .unwrap()
        .expect("the watchdog reported the stuck poll");
    let (released, stuck_for) = waited;
    assert!(released.is_ok());
    assert!(stuck_for < PATIENCE, "{stuck_for:?}");
    let Diagnostic::StuckPoll { task, running_for } = &report else {
        panic!("{report:?}")
    };
    assert_eq!(
        (task.spawned_at.file(), task.spawned_at.line(), task.id),
        (file!(), line, 1)
    );
    // Coarse clock: within a kernel tick (at most 4 ms) of the truth.
    assert!(*running_for >= Duration::from_millis(26), "{running_for:?}");
    assert_eq!(
        report.to_string(),
        format!(
            "task #1 spawned at {}:{line}:13 has blocked the executor for {:.3} s so far, in a \
             poll that has not returned",
            file!(),
            running_for.as_secs_f64()
        )
    );
}

#[test]
fn a_stuck_main_future_is_reported_naming_the_run_call() {
    let (mut runner, reports, _) = runner(true);
    let line = line!() + 2;
    let report = runner
        .run(async { reports.recv_timeout(PATIENCE) })
        .unwrap()
        .expect("the watchdog reported the stuck main future");
    let Diagnostic::StuckPoll { task, .. } = report else {
        panic!("{report:?}")
    };
    assert!(task.is_main());
    assert_eq!(task.spawned_at.line(), line);
}

#[test]
fn a_stuck_poll_is_reported_once_and_again_as_slow_when_it_returns() {
    let (mut runner, reports, seen) = runner(true);
    runner
        .run(async {
            runner::spawn(async move {
                // Stuck until the report arrives, then some more: no second report.
                reports.recv_timeout(PATIENCE).expect("a stuck-poll report");
                std::thread::sleep(Duration::from_millis(100));
            })
            .await;
        })
        .unwrap();
    let seen = seen.lock().unwrap();
    // The spawned task's reports: a loaded machine may make a poll of the main future slow.
    let kinds: Vec<_> = seen
        .iter()
        .filter_map(|d| match d {
            Diagnostic::StuckPoll { task, .. } | Diagnostic::SlowPoll { task, .. }
                if task.is_main() =>
            {
                None
            }
            Diagnostic::StuckPoll { .. } => Some("stuck"),
            Diagnostic::SlowPoll { .. } => Some("slow"),
            _ => Some("other"),
        })
        .collect();
    assert_eq!(kinds, ["stuck", "slow"], "{seen:?}");
}

#[test]
fn each_stuck_poll_of_a_task_is_reported() {
    let (mut runner, reports, _) = runner(true);
    runner
        .run(async {
            runner::spawn(async move {
                for _ in 0..2 {
                    let report = reports.recv_timeout(PATIENCE).expect("a stuck-poll report");
                    assert!(
                        matches!(&report, Diagnostic::StuckPoll { task, .. } if !task.is_main()),
                        "{report:?}"
                    );
                    futures_lite::future::yield_now().await;
                }
            })
            .await;
        })
        .unwrap();
}

#[test]
fn nothing_is_watched_with_debug_off() {
    let (mut runner, reports, seen) = runner(false);
    runner
        .run(async {
            runner::spawn(async { std::thread::sleep(Duration::from_millis(150)) }).await;
        })
        .unwrap();
    assert!(reports.try_recv().is_err());
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn a_handler_that_panics_on_the_watchdog_thread_does_not_stop_the_watchdog() {
    std::panic::set_hook(Box::new(|_| {}));
    let (tx, reports) = mpsc::channel();
    let tx = Mutex::new(tx);
    let mut runner = Runner::builder()
        .debug(true)
        .slow_poll_threshold(Duration::from_millis(30))
        .on_diagnostic(move |d| {
            if let Diagnostic::StuckPoll { .. } = d {
                let _ = tx.lock().unwrap().send(());
                panic!("the handler broke");
            }
        })
        .build();
    runner
        .run(async {
            for _ in 0..2 {
                reports.recv_timeout(PATIENCE).expect("a stuck-poll report");
                futures_lite::future::yield_now().await;
            }
        })
        .unwrap();
}

#[test]
fn stuck_polls_on_two_threads_at_once_are_both_reported() {
    // Each thread that polls has its own slot for the watchdog: two polls stuck at the same time
    // on two threads are two reports, each naming its own task.
    let (builder, reports, _) = builder(true);
    let mut runner = builder.threads(3).build();
    let (release_a, stuck_a) = mpsc::channel::<()>();
    let (release_b, stuck_b) = mpsc::channel::<()>();
    // The polls return once both reports have arrived, or after PATIENCE without them.
    let watcher = std::thread::spawn(move || {
        let reports: Vec<_> = (0..2)
            .filter_map(|_| reports.recv_timeout(PATIENCE).ok())
            .collect();
        drop((release_a, release_b));
        reports
    });
    let line = line!() + 4;
    runner
        .run(async move {
            let stuck = |release: mpsc::Receiver<()>| async move { release.recv_timeout(PATIENCE) };
            let a = runner::spawn(stuck(stuck_a));
            let b = runner::spawn(stuck(stuck_b));
            // Both polls ended by the watcher dropping the senders, not by PATIENCE.
            assert!(a.await.is_err() && b.await.is_err());
        })
        .unwrap();
    let reports = watcher.join().unwrap();
    let mut ids: Vec<u64> = reports
        .iter()
        .map(|report| match report {
            Diagnostic::StuckPoll { task, .. } => {
                // Task 1 spawned on the first line, task 2 on the next.
                assert_eq!(
                    u64::from(task.spawned_at.line()),
                    u64::from(line) + task.id - 1
                );
                task.id
            }
            other => panic!("{other:?}"),
        })
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, [1, 2], "{reports:?}");
}

#[test]
fn a_poll_stuck_on_a_foreign_thread_that_runs_a_factorys_executor_is_reported() {
    // The factory's executor is run by a thread of its own as well. The main future blocks the
    // runner's thread, so the task can only be polled by that foreign thread, which has a slot of
    // its own for the watchdog from its first poll.
    let executor = Arc::new(async_executor::Executor::new());
    // Runs until `stop` is dropped.
    let (stop, stopped) = async_channel::bounded::<()>(1);
    let foreign = std::thread::spawn({
        let executor = executor.clone();
        move || futures_lite::future::block_on(executor.run(async move { stopped.recv().await }))
    });
    let (builder, reports, _) = builder(true);
    let mut runner = builder
        .threads(1)
        .executor_factory(move || executor)
        .build();
    let (release, stuck) = mpsc::channel::<()>();
    let (started_tx, started) = mpsc::channel::<()>();
    let line = line!() + 3;
    runner
        .run(async move {
            let task = runner::spawn(async move {
                started_tx.send(()).unwrap();
                stuck.recv_timeout(PATIENCE)
            });
            // Blocks this thread until the foreign thread's poll of the task is reported.
            started
                .recv_timeout(PATIENCE)
                .expect("the foreign thread polled the task");
            let mut seen = Vec::new();
            while let Ok(report) = reports.recv_timeout(PATIENCE) {
                let Diagnostic::StuckPoll { task, .. } = &report else {
                    continue;
                };
                seen.push(task.id);
                if task.id == 1 {
                    assert_eq!(task.spawned_at.line(), line);
                    break;
                }
            }
            release.send(()).unwrap();
            assert!(
                seen.contains(&1),
                "no report of the task's stuck poll: {seen:?}"
            );
            assert!(task.await.is_ok());
        })
        .unwrap();
    drop(runner);
    drop(stop);
    assert!(
        foreign.join().unwrap().is_err(),
        "stopped by the dropped sender"
    );
}

// The channel the tests use (see the file for why it is not `async-channel`).
#[path = "support/channel.rs"]
mod async_channel;

#[test]
fn a_poll_stuck_on_a_worker_while_close_waits_for_it_is_reported_while_stuck() {
    let (builder, reports, _) = builder(true);
    // Longer than `run` takes to return, even on a busy machine: the poll becomes stuck while
    // `close` waits for the worker.
    let mut runner = builder
        .threads(2)
        .slow_poll_threshold(Duration::from_secs(1))
        .build();
    let (heard, heard_rx) = mpsc::channel();
    let line = line!() + 5;
    runner
        .run(async {
            let (started, started_rx) = mpsc::channel();
            // Stuck until the watchdog has reported it.
            runner::spawn(async move {
                started.send(()).unwrap();
                let _ = heard.send(reports.recv_timeout(PATIENCE));
            })
            .detach();
            // Blocked here, the calling thread leaves the task to the worker.
            started_rx.recv_timeout(PATIENCE).unwrap();
        })
        .unwrap();
    // Joins the worker, whose poll returns once the report came.
    runner.close();
    let report = heard_rx.recv().unwrap().expect("a stuck-poll report");
    let Diagnostic::StuckPoll { task, .. } = &report else {
        panic!("{report:?}")
    };
    assert_eq!(task.spawned_at.line(), line, "{report:?}");
}
