//! Debug mode reports a poll that blocks the executor, naming the task's spawn site. (The
//! watchdog's reports of polls still in progress are `tests/debug_stuck_poll.rs`'s.)

use std::sync::{Arc, Mutex};
use std::time::Duration;

use runner::{diagnostic::Diagnostic, Builder, Runner};

fn runner_with(debug: bool) -> (Runner, Arc<Mutex<Vec<Diagnostic>>>) {
    collecting(Runner::builder().debug(debug))
}

/// In debug mode, on the one-thread engine whatever `RUNNER_THREADS` says.
fn one_thread_runner() -> (Runner, Arc<Mutex<Vec<Diagnostic>>>) {
    collecting(Runner::builder().debug(true).threads(1))
}

/// `builder`'s runner, with a 40 ms threshold, and the reports it makes (but the watchdog's).
fn collecting(builder: Builder) -> (Runner, Arc<Mutex<Vec<Diagnostic>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let runner = builder
        .slow_poll_threshold(Duration::from_millis(40))
        .on_diagnostic(move |d| {
            if !matches!(d, Diagnostic::StuckPoll { .. }) {
                sink.lock().unwrap().push(d.clone())
            }
        })
        .build();
    (runner, seen)
}

#[test]
fn a_blocking_poll_in_a_task_is_reported_with_its_spawn_site_and_duration() {
    let (mut runner, seen) = runner_with(true);
    let line = line!() + 3;
    runner
        .run(async {
            runner::spawn(async {
                std::thread::sleep(Duration::from_millis(80)); // the bug debug mode finds
            })
            .await;
        })
        .unwrap();
    let seen = seen.lock().unwrap();
    // The task's report: on a loaded machine the main future's poll may be slow too.
    let reports = spawned_tasks_reports(&seen);
    let [Diagnostic::SlowPoll { task, elapsed }] = reports.as_slice() else {
        panic!("{seen:?}")
    };
    assert_eq!(
        (task.spawned_at.file(), task.spawned_at.line()),
        (file!(), line)
    );
    assert!(task.id >= 1);
    // Measured with the coarse clock: off by a kernel tick (1-4 ms), or a little more on a busy
    // virtual machine, whose ticks come late (seen: 75.999997 ms for this 80 ms poll).
    assert!(*elapsed >= Duration::from_millis(70), "{elapsed:?}");
    assert!(*elapsed < Duration::from_secs(2), "{elapsed:?}");
}

#[test]
fn a_blocking_poll_in_the_main_future_names_the_run_call() {
    let (mut runner, seen) = runner_with(true);
    let line = line!() + 2;
    runner
        .run(async { std::thread::sleep(Duration::from_millis(60)) })
        .unwrap();
    let seen = seen.lock().unwrap();
    let [Diagnostic::SlowPoll { task, .. }] = seen.as_slice() else {
        panic!("{seen:?}")
    };
    assert!(task.is_main());
    assert_eq!(task.spawned_at.line(), line);
    assert!(seen[0]
        .to_string()
        .starts_with(&format!("the main future run at {}:{line}:", file!())));
}

#[test]
fn each_slow_poll_is_reported_once() {
    let (mut runner, seen) = runner_with(true);
    runner
        .run(async {
            runner::spawn(async {
                for _ in 0..3 {
                    // Twice the threshold: the coarse clock reads late on a busy machine.
                    std::thread::sleep(Duration::from_millis(80));
                    futures_lite::future::yield_now().await;
                }
                runner::sleep(Duration::from_millis(1)).await; // a fast poll: not reported
            })
            .await;
        })
        .unwrap();
    let seen = seen.lock().unwrap();
    // The three blocking polls; the last, fast one would need a stall of the thread of 40 ms
    // to be reported (as would the main future's, which is left out).
    let long = Duration::from_millis(70);
    let reports = spawned_tasks_reports(&seen);
    let blocking = reports.iter().filter(|d| slow_for(d, long)).count();
    assert_eq!(blocking, 3, "{seen:?}");
}

#[test]
fn fast_polls_are_not_reported() {
    let (mut runner, seen) = runner_with(true);
    runner
        .run(async {
            for _ in 0..100 {
                runner::spawn(async { runner::sleep(Duration::from_millis(1)).await }).await;
            }
        })
        .unwrap();
    let seen = seen.lock().unwrap();
    assert!(spawned_tasks_reports(&seen).is_empty(), "{seen:?}");
}

#[test]
fn slow_polls_are_not_reported_with_debug_off() {
    let (mut runner, seen) = runner_with(false);
    runner
        .run(async {
            runner::spawn(async { std::thread::sleep(Duration::from_millis(60)) }).await;
            std::thread::sleep(Duration::from_millis(60));
        })
        .unwrap();
    let seen = seen.lock().unwrap();
    assert!(seen.is_empty(), "{seen:?}");
}

#[test]
fn slow_polls_on_worker_threads_are_reported() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let mut runner = Runner::builder()
        .debug(true)
        .threads(2)
        .slow_poll_threshold(Duration::from_millis(30))
        .on_diagnostic(move |d| {
            if let Diagnostic::SlowPoll { .. } = d {
                let thread = std::thread::current().name().unwrap_or("").to_owned();
                sink.lock().unwrap().push((d.clone(), thread));
            }
        })
        .build();
    runner
        .run(async {
            // Two slow polls at once, each waiting to hear from the other: one of them runs
            // on the worker.
            let (a_says, a_heard) = std::sync::mpsc::channel();
            let (b_says, b_heard) = std::sync::mpsc::channel();
            let slow = |says: std::sync::mpsc::Sender<()>, heard: std::sync::mpsc::Receiver<()>| {
                runner::spawn(async move {
                    says.send(()).unwrap();
                    let _ = heard.recv_timeout(Duration::from_secs(10));
                    std::thread::sleep(Duration::from_millis(50));
                })
            };
            let (a, b) = (slow(a_says, b_heard), slow(b_says, a_heard));
            a.await;
            b.await;
        })
        .unwrap();
    let seen = seen.lock().unwrap();
    // The tasks' reports (a loaded machine may make the main future's poll slow too).
    let tasks = seen
        .iter()
        .filter(|(d, _)| matches!(d, Diagnostic::SlowPoll { task, .. } if !task.is_main()));
    assert_eq!(tasks.count(), 2, "{seen:?}");
    assert!(
        seen.iter()
            .any(|(_, thread)| thread.starts_with("runner-worker-")),
        "{seen:?}"
    );
}

#[test]
fn the_slow_poll_sentence() {
    let (mut runner, seen) = runner_with(true);
    let line = line!() + 5;
    runner
        .run(async {
            // Well past the 40 ms threshold: the coarse clock debug mode reads can lag the real
            // time by a tick or more on a busy machine.
            runner::spawn(async { std::thread::sleep(Duration::from_millis(80)) }).await;
        })
        .unwrap();
    // The task's report; on a loaded machine the main future's first poll may be slow too.
    let text = seen
        .lock()
        .unwrap()
        .iter()
        .find(|d| matches!(d, Diagnostic::SlowPoll { task, .. } if task.id == 1))
        .expect("the task's slow poll was reported")
        .to_string();
    let prefix = format!(
        "task #1 spawned at {}:{line}:13 blocked the executor for 0.",
        file!()
    );
    assert!(text.starts_with(&prefix), "{text}");
    assert!(text.ends_with(" s in one poll"), "{text}");
}

#[test]
fn a_poll_that_panics_is_reported_as_a_panic_not_as_slow() {
    std::panic::set_hook(Box::new(|_| {}));
    let (mut runner, seen) = runner_with(true);
    runner
        .run(async {
            runner::spawn(async {
                std::thread::sleep(Duration::from_millis(60));
                panic!("slow and broken");
            })
            .detach();
            runner::sleep(Duration::from_millis(100)).await;
        })
        .unwrap();
    runner.close(); // on a worker, the task may have run late
    let seen = seen.lock().unwrap();
    assert!(
        matches!(
            spawned_tasks_reports(&seen).as_slice(),
            [Diagnostic::TaskPanicked { .. }]
        ),
        "{seen:?}"
    );
}

/// Two tasks that yield `times` times each: their polls follow each other in the one-thread
/// engine, around whatever blocks between them.
async fn two_yielding_tasks(times: usize) {
    let yielding = || {
        runner::spawn(async move {
            for _ in 0..times {
                futures_lite::future::yield_now().await;
            }
        })
    };
    let (b, c) = (yielding(), yielding());
    b.await;
    c.await;
}

/// The reports about spawned tasks: any kind, but none about the main future.
fn spawned_tasks_reports(seen: &[Diagnostic]) -> Vec<&Diagnostic> {
    seen.iter()
        .filter(|d| !matches!(d, Diagnostic::SlowPoll { task, .. } if task.is_main()))
        .collect()
}

/// Counted into the next poll, 80 ms of work between polls would make that poll a slow one of
/// 80 ms; a loaded machine may make any poll take the 40 ms threshold, far less often 70.
fn assert_no_task_poll_took_the_80_ms(seen: &[Diagnostic]) {
    let reports = spawned_tasks_reports(seen);
    let long = reports
        .iter()
        .filter(|d| slow_for(d, Duration::from_millis(70)));
    assert_eq!(long.count(), 0, "{seen:?}");
}

/// A slow poll's report, of a poll that took `at_least`.
fn slow_for(report: &Diagnostic, at_least: Duration) -> bool {
    matches!(report, Diagnostic::SlowPoll { elapsed, .. } if *elapsed >= at_least)
}

/// A poll of the one-thread engine starts at the end of the poll before it on the thread: a
/// cancelled task's destructor that blocks between two polls must not count as the next poll's.
#[test]
fn a_blocking_destructor_between_polls_is_not_counted_as_the_next_poll() {
    struct BlocksWhenDropped;
    impl Drop for BlocksWhenDropped {
        fn drop(&mut self) {
            std::thread::sleep(Duration::from_millis(80));
        }
    }
    let (mut runner, seen) = one_thread_runner();
    runner
        .run(async {
            let doomed = runner::spawn(async {
                let _blocks = BlocksWhenDropped;
                std::future::pending::<()>().await
            });
            let others = runner::spawn(two_yielding_tasks(20));
            futures_lite::future::yield_now().await;
            // Its future is dropped by the engine's loop, between the yielding tasks' polls.
            drop(doomed);
            others.await;
        })
        .unwrap();
    assert_no_task_poll_took_the_80_ms(&seen.lock().unwrap());
}

/// Likewise for one of runner's own untracked jobs (the task that runs `Runner::executor`'s
/// tasks) that blocks between two polls, and for a main future that blocks: only the main
/// future's poll is slow.
#[test]
fn untracked_work_between_polls_is_not_counted_as_the_next_poll() {
    let (mut runner, seen) = one_thread_runner();
    let executor = runner.executor().unwrap();
    executor
        .spawn(async { std::thread::sleep(Duration::from_millis(80)) })
        .detach();
    runner
        .run(async {
            let others = runner::spawn(two_yielding_tasks(20));
            for _ in 0..3 {
                futures_lite::future::yield_now().await;
            }
            std::thread::sleep(Duration::from_millis(80));
            others.await;
        })
        .unwrap();
    let seen = seen.lock().unwrap();
    assert_no_task_poll_took_the_80_ms(&seen);
    let main_blocked = seen.iter().filter(|d| {
        matches!(d, Diagnostic::SlowPoll { task, .. } if task.is_main())
            && slow_for(d, Duration::from_millis(80))
    });
    assert_eq!(main_blocked.count(), 1, "{seen:?}");
}
