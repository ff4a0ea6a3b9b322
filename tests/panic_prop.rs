//! Panics: the main future's propagate after cleanup; awaited tasks' propagate with their original
//! payload; detached tasks' are reported and do not take the runner down, nor does an output whose
//! destructor panics.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use runner::{diagnostic::Diagnostic, Runner};

#[path = "support/until.rs"]
mod until;
use until::until;

fn quiet_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}

fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "<not a string>".into())
}

#[test]
fn a_panic_in_the_main_future_propagates_and_the_runner_stays_usable() {
    quiet_panics();
    let mut runner = Runner::new();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        runner.run(async { panic!("main boom") })
    }));
    let payload = outcome.expect_err("the panic must leave run");
    assert_eq!(payload_text(&*payload), "main boom");
    assert_eq!(runner.run(async { 5 }), Ok(5));
}

#[test]
fn an_awaited_task_panic_reaches_the_awaiter_with_its_original_payload() {
    quiet_panics();
    let outcome = catch_unwind(|| {
        runner::run(async {
            runner::spawn(async { panic!("task boom {}", 7) }).await;
        })
    });
    let payload = outcome.expect_err("the task's panic must propagate");
    assert_eq!(payload_text(&*payload), "task boom 7");
}

#[test]
fn an_awaited_blocking_job_panic_reaches_the_awaiter() {
    quiet_panics();
    let outcome = catch_unwind(|| {
        runner::run(async { runner::spawn_blocking(|| -> u8 { panic!("job boom") }).await })
    });
    assert_eq!(payload_text(&*outcome.unwrap_err()), "job boom");
}

fn collecting_runner() -> (Runner, Arc<Mutex<Vec<Diagnostic>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let runner = Runner::builder()
        .debug(false)
        .on_diagnostic(move |d| sink.lock().unwrap().push(d.clone()))
        .build();
    (runner, seen)
}

#[test]
fn a_detached_task_panic_is_reported_with_its_spawn_site_and_the_runner_goes_on() {
    quiet_panics();
    let (mut runner, seen) = collecting_runner();
    let line = line!() + 3;
    let out = runner.run(async {
        let (tx, rx) = async_channel::bounded::<()>(1);
        runner::spawn(async move {
            drop(tx);
            panic!("detached boom");
        })
        .detach();
        let _ = rx.recv().await;
        until("reported", || !seen.lock().unwrap().is_empty()).await;
        "still running"
    });
    assert_eq!(out, Ok("still running"));
    runner.close(); // a second report would be in by now
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    match &seen[0] {
        Diagnostic::TaskPanicked { task, message } => {
            assert_eq!(message, "detached boom");
            assert_eq!(task.spawned_at.file(), file!());
            assert_eq!(task.spawned_at.line(), line);
            assert!(!task.is_main());
        }
        other => panic!("unexpected diagnostic {other:?}"),
    }
}

#[test]
fn an_awaited_task_panic_is_not_reported_as_unretrieved() {
    quiet_panics();
    let (mut runner, seen) = collecting_runner();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        runner.run(async { runner::spawn(async { panic!("awaited") }).await })
    }));
    assert!(outcome.is_err());
    assert!(
        seen.lock().unwrap().is_empty(),
        "{:?}",
        seen.lock().unwrap()
    );
}

#[test]
fn a_detached_panic_that_went_through_an_awaiting_task_names_the_outer_task() {
    quiet_panics();
    let (mut runner, seen) = collecting_runner();
    let outer_line = line!() + 3;
    runner
        .run(async {
            runner::spawn(async {
                runner::spawn(async { panic!("inner") }).await;
            })
            .detach();
            until("reported", || !seen.lock().unwrap().is_empty()).await;
        })
        .unwrap();
    runner.close(); // a second report would be in by now
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "reported once, not once per task: {seen:?}");
    let Diagnostic::TaskPanicked { task, message } = &seen[0] else {
        panic!("{seen:?}")
    };
    assert_eq!(
        (message.as_str(), task.spawned_at.line()),
        ("inner", outer_line)
    );
}

#[test]
fn a_dropped_handle_of_a_panicked_task_counts_as_unretrieved() {
    quiet_panics();
    let (mut runner, seen) = collecting_runner();
    runner
        .run(async {
            let task = runner::spawn(async { panic!("never awaited") });
            until("finished", || task.is_finished()).await;
            drop(task);
        })
        .unwrap();
    let seen = seen.lock().unwrap();
    let [Diagnostic::TaskPanicked { message, .. }] = seen.as_slice() else {
        panic!("{seen:?}")
    };
    assert_eq!(message, "never awaited");
}

#[test]
fn a_detached_blocking_job_panic_is_reported() {
    quiet_panics();
    let (mut runner, seen) = collecting_runner();
    let line = line!() + 3;
    runner
        .run(async {
            runner::spawn_blocking(|| panic!("job")).detach();
        })
        .unwrap();
    runner.close(); // waits for the job
    let seen = seen.lock().unwrap();
    let Some(Diagnostic::TaskPanicked { task, message }) = seen.first() else {
        panic!("{seen:?}")
    };
    assert_eq!((message.as_str(), task.spawned_at.line()), ("job", line));
}

#[test]
fn task_panics_on_worker_threads_do_not_kill_the_workers() {
    quiet_panics();
    let seen = Arc::new(Mutex::new(0));
    let sink = seen.clone();
    let mut runner = Runner::builder()
        .threads(2)
        .on_diagnostic(move |d| {
            if matches!(d, Diagnostic::TaskPanicked { .. }) {
                *sink.lock().unwrap() += 1;
            }
        })
        .build();
    let both_ran = runner
        .run(async {
            for _ in 0..20 {
                runner::spawn(async { panic!("worker boom") }).detach();
            }
            until("all reported", || *seen.lock().unwrap() == 20).await;
            // Both threads still run tasks afterwards: each of these two blocks its thread
            // until it hears from the other.
            let (a_says, a_heard) = std::sync::mpsc::channel();
            let (b_says, b_heard) = std::sync::mpsc::channel();
            let hears = |says: std::sync::mpsc::Sender<()>,
                         heard: std::sync::mpsc::Receiver<()>| {
                runner::spawn(async move {
                    says.send(()).unwrap();
                    heard.recv_timeout(Duration::from_secs(10)).is_ok()
                })
            };
            let a = hears(a_says, b_heard);
            let b = hears(b_says, a_heard);
            (a.await, b.await)
        })
        .unwrap();
    assert_eq!(both_ran, (true, true));
    assert_eq!(*seen.lock().unwrap(), 20);
}

/// An output whose destructor panics, and counts that it ran.
struct Bomb(Arc<AtomicUsize>);

impl Drop for Bomb {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
        panic!("the output's destructor panicked");
    }
}

#[test]
fn an_output_whose_destructor_panics_when_nobody_takes_it_takes_nothing_down() {
    quiet_panics();
    groups::on_every_runner(|| async {
        let dropped = Arc::new(AtomicUsize::new(0));
        let bomb = || Bomb(dropped.clone());
        let (a, b, c, d) = (bomb(), bomb(), bomb(), bomb());
        runner::spawn(async move { a }).detach();
        runner::spawn_local(async move { b }).detach();
        runner::spawn_blocking(move || c).detach();
        let finished = runner::spawn(async move { d });
        while !finished.is_finished() {
            runner::yield_now().await;
        }
        drop(finished);
        // The detached ones finish on their own, each on a thread of the runner's.
        while dropped.load(SeqCst) < 4 {
            runner::sleep(Duration::from_millis(1)).await;
        }
        // The runner goes on: its tasks run, and so does this one.
        assert_eq!(runner::spawn(async { 5 }).await, 5);
    });
}

#[test]
fn a_group_cancelled_with_a_finished_member_whose_output_panics_on_drop_cancels_the_rest() {
    quiet_panics();
    groups::on_every_runner(|| async {
        let dropped = Arc::new(AtomicUsize::new(0));
        let mut group = runner::TaskGroup::new();
        let (finishing, finished) = async_channel::bounded(1);
        let bomb = Bomb(dropped.clone());
        group.spawn(async move {
            finishing.send(()).await.unwrap();
            bomb
        });
        let drops = groups::Drops::new();
        let guard = drops.guard(1);
        group.spawn(async move {
            let _guard = guard;
            std::future::pending::<Bomb>().await
        });
        // The first member returns in the poll that sent: its output is stored by the time
        // a sleep ends.
        finished.recv().await.unwrap();
        runner::sleep(Duration::from_millis(5)).await;
        group.cancel_all().await;
        assert_eq!(
            dropped.load(SeqCst),
            1,
            "the finished member's output is dropped"
        );
        assert_eq!(drops.dropped(), [1], "the pending member is cancelled");
        assert!(group.is_empty());
    });
}

/// A panic payload whose destructor counts that it ran, then panics.
struct PayloadBomb(Arc<AtomicUsize>);

impl Drop for PayloadBomb {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
        panic!("the payload's destructor panicked");
    }
}

#[test]
fn a_panic_whose_payload_panics_on_drop_when_nobody_takes_it_takes_nothing_down() {
    quiet_panics();
    groups::on_every_runner(|| async {
        let dropped = Arc::new(AtomicUsize::new(0));
        let bomb = || PayloadBomb(dropped.clone());
        let (first, second, third) = (bomb(), bomb(), bomb());
        runner::spawn(async { std::panic::panic_any(first) }).detach();
        runner::spawn_blocking(|| std::panic::panic_any(second)).detach();
        let finished = runner::spawn(async { std::panic::panic_any(third) });
        while !finished.is_finished() {
            runner::yield_now().await;
        }
        drop(finished);
        until("the three payloads dropped", || dropped.load(SeqCst) == 3).await;
        assert_eq!(runner::spawn(async { 5 }).await, 5);
    });
}

// The channel the tests use (see the file for why it is not `async-channel`).
#[path = "support/channel.rs"]
mod async_channel;

#[path = "support/groups.rs"]
mod groups;
