//! A task cancelled by `close` completes as cancelled, and every awaiter wakes: a plain thread,
//! another runner, a task of another runner, a blocking job. `fallible` gives `None`; a plain
//! await panics naming the cancellation, which is not reported as a task panic.
#![allow(clippy::async_yields_async)] // returning a task handle out of a run is the point

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use futures_lite::future;
use runner::{diagnostic::Diagnostic, Runner, Task};

#[path = "support/said_waiting.rs"]
mod said_waiting;
use said_waiting::said_waiting;

/// A runner that leaves one task pending forever and hands its handle out.
fn pending_task(runner: &mut Runner) -> Task<u32> {
    runner
        .run(async { runner::spawn(future::pending::<u32>()) })
        .unwrap()
}

fn collecting_runner(builder: runner::Builder) -> (Runner, Arc<Mutex<Vec<Diagnostic>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let runner = builder
        .on_diagnostic(move |d| sink.lock().unwrap().push(d.clone()))
        .build();
    (runner, seen)
}

/// The cancellation that unwound through a task or a job is not a panic (debug mode may still
/// report the cancelled tasks).
fn assert_no_panic_reported(seen: &Mutex<Vec<Diagnostic>>) {
    let seen = seen.lock().unwrap();
    assert!(
        !seen
            .iter()
            .any(|d| matches!(d, Diagnostic::TaskPanicked { .. })),
        "{seen:?}"
    );
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}

#[test]
fn a_plain_thread_waiting_on_a_task_wakes_when_its_runner_closes() {
    let mut runner = Runner::new();
    let task = pending_task(&mut runner);
    let (waiting_tx, waiting_rx) = mpsc::channel();
    let waiter =
        std::thread::spawn(move || future::block_on(said_waiting(task.fallible(), waiting_tx)));
    waiting_rx.recv().unwrap();
    runner.close();
    assert_eq!(waiter.join().unwrap(), None);
}

#[test]
fn awaiting_a_cancelled_task_panics_naming_the_cancellation() {
    std::panic::set_hook(Box::new(|_| {}));
    let mut runner = Runner::new();
    let (task, line) = runner
        .run(async { (runner::spawn(future::pending::<u32>()), line!()) })
        .unwrap();
    runner.close();
    let payload = catch_unwind(AssertUnwindSafe(|| future::block_on(task))).unwrap_err();
    let text = panic_text(&*payload);
    let spawned_at = format!("{}:{line}:", file!());
    assert!(
        text.starts_with(&format!("runner: task #1 spawned at {spawned_at}")),
        "{text}"
    );
    assert!(
        text.ends_with(
            " was cancelled: its runner closed, or it awaited a task that was cancelled (await \
             `task.fallible()` to get `None` instead of this panic)"
        ),
        "{text}"
    );
}

#[test]
fn a_task_cancelled_by_another_runner_closing_does_not_blame_its_own_runner() {
    std::panic::set_hook(Box::new(|_| {}));
    let mut first = Runner::new();
    let awaited = first
        .run(async { runner::spawn(future::pending::<u32>()) })
        .unwrap();
    let mut second = Runner::new();
    let (awaiting, line) = second
        .run(async move { (runner::spawn(async move { awaited.await + 1 }), line!()) })
        .unwrap();
    // Cancels `awaited`; `awaiting`, a task of the still open `second`, is cancelled in turn.
    first.close();
    let payload = catch_unwind(AssertUnwindSafe(|| second.run(awaiting))).unwrap_err();
    assert!(!second.is_closed());
    let text = panic_text(&*payload);
    let spawned_at = format!("runner: task #1 spawned at {}:{line}:", file!());
    assert!(text.starts_with(&spawned_at), "{text}");
    assert!(
        text.ends_with(
            " was cancelled: its runner closed, or it awaited a task that was cancelled (await \
             `task.fallible()` to get `None` instead of this panic)"
        ),
        "{text}"
    );
}

#[test]
fn cancel_on_a_cancelled_task_returns_none() {
    let mut runner = Runner::new();
    let task = pending_task(&mut runner);
    assert!(!task.is_finished());
    runner.close();
    assert!(task.is_finished());
    assert_eq!(future::block_on(task.cancel()), None);
}

#[test]
fn another_runner_awaiting_the_task_wakes() {
    let mut first = Runner::new();
    let task = pending_task(&mut first);
    let (waiting_tx, waiting_rx) = mpsc::channel();
    let other = std::thread::spawn(move || runner::run(said_waiting(task.fallible(), waiting_tx)));
    waiting_rx.recv().unwrap();
    first.close();
    assert_eq!(other.join().unwrap(), Ok(None));
}

#[test]
fn a_task_of_another_runner_awaiting_it_is_cancelled_too_and_no_panic_is_reported() {
    let mut first = Runner::new();
    let task = pending_task(&mut first);
    let (mut second, seen) = collecting_runner(Runner::builder());
    let awaiting = second
        .run(async move {
            let (started_tx, started_rx) = async_channel::bounded(1);
            let awaiting = runner::spawn(async move {
                started_tx.send(()).await.unwrap();
                task.await // panics with the cancellation, which cancels this task
            });
            started_rx.recv().await.unwrap();
            awaiting
        })
        .unwrap();
    first.close();
    std::panic::set_hook(Box::new(|_| {}));
    assert_eq!(second.run(awaiting.fallible()), Ok(None));
    second.close();
    assert_no_panic_reported(&seen);
}

#[test]
fn a_task_awaiting_a_task_of_its_own_runner_is_cancelled_with_it() {
    let mut runner = Runner::new();
    let outer = runner
        .run(async {
            let inner = runner::spawn(future::pending::<u32>());
            runner::spawn(async move { inner.await + 1 })
        })
        .unwrap();
    runner.close();
    assert_eq!(future::block_on(outer.fallible()), None);
}

#[test]
fn a_local_task_handle_that_outlives_its_runner_completes_as_cancelled() {
    let mut runner = Runner::new();
    let task = runner
        .run(async { runner::spawn_local(future::pending::<u32>()) })
        .unwrap();
    let (waiting_tx, waiting_rx) = mpsc::channel();
    let waiter =
        std::thread::spawn(move || future::block_on(said_waiting(task.fallible(), waiting_tx)));
    waiting_rx.recv().unwrap();
    runner.close();
    assert_eq!(waiter.join().unwrap(), None);
}

#[test]
fn close_does_not_wait_for_a_blocking_job_that_awaits_a_task_of_its_own_runner() {
    std::panic::set_hook(Box::new(|_| {}));
    let (mut runner, seen) =
        collecting_runner(Runner::builder().shutdown_timeout(Duration::from_secs(20)));
    let (started_tx, started_rx) = mpsc::channel();
    let job = runner
        .run(async move {
            let task = runner::spawn(future::pending::<u32>());
            runner::spawn_blocking(move || {
                started_tx.send(()).unwrap();
                future::block_on(task) // panics with the cancellation once close cancels task
            })
        })
        .unwrap();
    started_rx.recv().unwrap();
    let start = Instant::now();
    runner.close();
    let took = start.elapsed();
    assert!(
        took < Duration::from_secs(10),
        "close waited for the job: {took:?}"
    );
    assert_eq!(future::block_on(job.fallible()), None);
    assert_no_panic_reported(&seen);
}

#[test]
fn tasks_on_worker_threads_are_cancelled_and_their_awaiters_wake() {
    let mut runner = Runner::builder().threads(3).build();
    let tasks = runner
        .run(async {
            let mut tasks = Vec::new();
            for _ in 0..20 {
                tasks.push(runner::spawn(future::pending::<u32>()).fallible());
                tasks.push(runner::spawn_local(future::pending::<u32>()).fallible());
            }
            // Every task reaches its first await, some on the workers.
            runner::sleep(Duration::from_millis(5)).await;
            tasks
        })
        .unwrap();
    let waiter = std::thread::spawn(move || {
        tasks
            .into_iter()
            .map(future::block_on)
            .collect::<Vec<Option<u32>>>()
    });
    runner.close();
    assert_eq!(waiter.join().unwrap(), vec![None; 40]);
}

// The channel the tests use (see the file for why it is not `async-channel`).
#[path = "support/channel.rs"]
mod async_channel;
