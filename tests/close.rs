//! `close` cancels pending tasks (destructors first), is idempotent, and ends the runner.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use runner::{RunError, Runner};

/// Counts its drops, so a test can see when a task's future was destroyed.
struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn park_tasks(runner: &mut Runner, drops: &Arc<AtomicUsize>, n: usize) {
    let drops = drops.clone();
    runner
        .run(async move {
            for _ in 0..n {
                let counter = DropCounter(drops.clone());
                runner::spawn(async move {
                    let _counter = counter;
                    std::future::pending::<()>().await;
                })
                .detach();
                let counter = DropCounter(drops.clone());
                runner::spawn_local(async move {
                    let _counter = counter;
                    runner::sleep(Duration::from_secs(3600)).await;
                })
                .detach();
            }
            // Let every task reach its first await.
            runner::sleep(Duration::from_millis(5)).await;
        })
        .unwrap();
}

#[test]
fn close_cancels_pending_tasks_before_returning() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut runner = Runner::new();
    park_tasks(&mut runner, &drops, 50);
    assert_eq!(
        drops.load(Ordering::SeqCst),
        0,
        "tasks stay alive between runs"
    );
    runner.close();
    assert_eq!(drops.load(Ordering::SeqCst), 100);
}

#[test]
fn close_cancels_tasks_that_never_ran() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut runner = Runner::new();
    let counter = DropCounter(drops.clone());
    runner
        .run(async move {
            // Spawned last thing in the run: it is still queued, never polled, when run returns.
            runner::spawn(async move {
                let _counter = counter;
            })
            .detach();
        })
        .unwrap();
    runner.close();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn close_cancels_tasks_on_worker_threads() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut runner = Runner::builder().threads(3).build();
    park_tasks(&mut runner, &drops, 20);
    runner.close();
    assert_eq!(drops.load(Ordering::SeqCst), 40);
}

#[test]
fn dropping_a_runner_closes_it() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut runner = Runner::new();
    park_tasks(&mut runner, &drops, 3);
    drop(runner);
    assert_eq!(drops.load(Ordering::SeqCst), 6);
}

#[test]
fn close_is_idempotent() {
    let mut runner = Runner::new();
    runner.run(async {}).unwrap();
    runner.close();
    runner.close();
    assert!(runner.is_closed());
}

#[test]
fn closing_an_unstarted_runner_works() {
    let mut runner = Runner::new();
    runner.close();
    assert!(runner.is_closed());
}

#[test]
fn a_closed_runner_refuses_run_and_executor() {
    let mut runner = Runner::new();
    runner.run(async {}).unwrap();
    runner.close();
    assert_eq!(runner.run(async { 1 }), Err(RunError::Closed));
    assert_eq!(runner.executor().err(), Some(RunError::Closed));
}

#[test]
fn run_error_messages_are_sentences() {
    assert_eq!(
        RunError::Closed.to_string(),
        "the runner is closed and cannot run anything more (build a new Runner)"
    );
    assert!(RunError::Nested
        .to_string()
        .starts_with("cannot start a runner while another runner is running on this thread"));
    assert_eq!(
        RunError::Interrupted.to_string(),
        "the run was interrupted by Ctrl-C (SIGINT)"
    );
    assert_eq!(
        RunError::Terminated.to_string(),
        "the run was terminated by SIGTERM"
    );
}

#[test]
fn unwrapping_a_run_error_prints_the_sentence() {
    let panic = std::panic::catch_unwind(|| {
        let mut runner = Runner::new();
        runner.close();
        runner.run(async {}).unwrap();
    })
    .unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert_eq!(
        message,
        "called `Result::unwrap()` on an `Err` value: the runner is closed and cannot run \
         anything more (build a new Runner) (RunError::Closed)"
    );
}

#[test]
fn tasks_spawned_by_destructors_during_close_are_cancelled_too() {
    struct SpawnOnDrop(Arc<AtomicUsize>);
    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            let counter = DropCounter(self.0.clone());
            runner::spawn(async move {
                let _counter = counter;
                std::future::pending::<()>().await;
            })
            .detach();
        }
    }
    let drops = Arc::new(AtomicUsize::new(0));
    let mut runner = Runner::new();
    let guard = SpawnOnDrop(drops.clone());
    runner
        .run(async move {
            runner::spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await;
            })
            .detach();
            runner::sleep(Duration::from_millis(1)).await;
        })
        .unwrap();
    runner.close();
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn a_destructor_that_panics_during_close_does_not_hang_close() {
    struct PanicOnDrop;
    impl Drop for PanicOnDrop {
        fn drop(&mut self) {
            panic!("destructor boom");
        }
    }
    std::panic::set_hook(Box::new(|_| {}));
    let drops = Arc::new(AtomicUsize::new(0));
    let reports = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = reports.clone();
    let mut runner = Runner::builder()
        .on_diagnostic(move |d| {
            if let runner::diagnostic::Diagnostic::TaskPanicked { .. } = d {
                sink.lock().unwrap().push(d.to_string());
            }
        })
        .build();
    let counter = DropCounter(drops.clone());
    let line = line!() + 3;
    runner
        .run(async move {
            runner::spawn(async move {
                let _bomb = PanicOnDrop;
                std::future::pending::<()>().await;
            })
            .detach();
            runner::spawn(async move {
                let _counter = counter;
                std::future::pending::<()>().await;
            })
            .detach();
            runner::sleep(Duration::from_millis(1)).await;
        })
        .unwrap();
    runner.close();
    assert!(runner.is_closed());
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the other task was cancelled too"
    );
    let reports = reports.lock().unwrap();
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].ends_with(" panicked and nobody awaited it: destructor boom"),
        "{reports:?}"
    );
    // Named by its spawn site: the engine names the task whose future it drops.
    assert!(
        reports[0].contains(&format!(" spawned at {}:{line}:", file!())),
        "{reports:?}"
    );
}

/// What a destructor that `close` runs finds when it spawns a task and a blocking job: both
/// cancelled before they start.
#[derive(Debug, PartialEq)]
struct SpawnedDuringClose {
    thread: Option<String>,
    task_finished_at_once: bool,
    job_finished_at_once: bool,
    awaited: Option<u32>,
}

/// Spawns when dropped, and waits for what it spawned, as a destructor may.
struct SpawnsAndWaits {
    found: std::sync::mpsc::Sender<SpawnedDuringClose>,
}

impl Drop for SpawnsAndWaits {
    fn drop(&mut self) {
        let task = runner::spawn(async { 1 });
        let task_finished_at_once = task.is_finished();
        let job_finished_at_once = runner::spawn_blocking(|| 2).is_finished();
        let awaited = futures_lite::future::block_on(task.fallible());
        let thread = std::thread::current().name().map(str::to_owned);
        let _ = self.found.send(SpawnedDuringClose {
            thread,
            task_finished_at_once,
            job_finished_at_once,
            awaited,
        });
    }
}

#[test]
fn what_a_worker_local_destructor_spawns_during_close_is_cancelled_at_once() {
    let (found, found_rx) = std::sync::mpsc::channel();
    let guard = SpawnsAndWaits { found };
    // On a thread of its own: a `close` that hangs fails the test instead of hanging it.
    std::thread::spawn(move || {
        let mut runner = Runner::builder().threads(2).build();
        runner
            .run(async move {
                let (on, on_rx) = std::sync::mpsc::channel();
                runner::spawn(async move {
                    // A local task: the worker that runs this one cancels it as it stops.
                    runner::spawn_local(async move {
                        let _guard = guard;
                        std::future::pending::<()>().await;
                    })
                    .detach();
                    let _ = on.send(std::thread::current().name().map(str::to_owned));
                })
                .detach();
                // Blocked here, the calling thread leaves the task to the worker.
                on_rx.recv_timeout(Duration::from_secs(10)).unwrap()
            })
            .unwrap();
        runner.close();
    });
    let found = found_rx
        .recv_timeout(Duration::from_secs(10))
        .expect("close ran the destructor without hanging");
    assert_eq!(
        found,
        SpawnedDuringClose {
            thread: Some("runner-worker-1".into()),
            task_finished_at_once: true,
            job_finished_at_once: true,
            awaited: None,
        }
    );
}
