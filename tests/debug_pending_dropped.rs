//! Debug mode reports a pending task cancelled because its handle was dropped (asyncio's "Task
//! was destroyed but it is pending!"), naming its spawn site; not a task let go on purpose, a
//! finished one, or one that `close` cancels.

use std::sync::atomic::{AtomicU32, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use runner::{diagnostic::Diagnostic, Runner};

/// A debug (or not) runner and the reports it made. One thread: a short sleep of the main future
/// then lets every spawned task run first, whatever the machine's load.
fn runner(debug: bool) -> (Runner, Arc<Mutex<Vec<Diagnostic>>>) {
    runner_with(debug, 1)
}

/// A debug runner on `threads` threads and the reports it made.
fn runner_on(threads: usize) -> (Runner, Arc<Mutex<Vec<Diagnostic>>>) {
    runner_with(true, threads)
}

fn runner_with(debug: bool, threads: usize) -> (Runner, Arc<Mutex<Vec<Diagnostic>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let runner = Runner::builder()
        .debug(debug)
        .threads(threads)
        .on_diagnostic(move |d| sink.lock().unwrap().push(d.clone()))
        .build();
    (runner, seen)
}

/// Sends on its channel when dropped: the task's future is gone.
struct Dropped(async_channel::Sender<()>);

impl Drop for Dropped {
    fn drop(&mut self) {
        let _ = self.0.try_send(());
    }
}

/// A task that never finishes, and a receiver that completes once its future was dropped.
fn pending_task() -> (runner::Task<()>, async_channel::Receiver<()>) {
    let (tx, rx) = async_channel::bounded(1);
    let guard = Dropped(tx);
    let task = runner::spawn(async move {
        let _guard = guard;
        std::future::pending::<()>().await
    });
    (task, rx)
}

#[test]
fn a_pending_task_whose_handle_is_dropped_is_reported_with_its_spawn_site() {
    let (mut runner, seen) = runner(true);
    let line = line!() + 4;
    runner
        .run(async {
            let (tx, rx) = async_channel::bounded::<()>(1);
            let task = runner::spawn(async move {
                let _guard = Dropped(tx);
                std::future::pending::<()>().await
            });
            runner::sleep(Duration::from_millis(5)).await; // the task is pending now
            drop(task);
            let _ = rx.recv().await; // its future was dropped
        })
        .unwrap();
    let seen = seen.lock().unwrap();
    let [Diagnostic::PendingTaskDropped { task }] = seen.as_slice() else {
        panic!("{seen:?}")
    };
    assert_eq!(
        (task.spawned_at.file(), task.spawned_at.line()),
        (file!(), line)
    );
    assert_eq!(
        seen[0].to_string(),
        format!(
            "task #1 spawned at {}:{line}:24 was cancelled while pending because its handle was \
             dropped (detach the task to let it run on its own, or cancel it on purpose with \
             Task::cancel)",
            file!()
        )
    );
}

#[test]
fn a_dropped_fallible_handle_is_reported_too() {
    let (mut runner, seen) = runner(true);
    runner
        .run(async {
            let (task, dropped) = pending_task();
            runner::sleep(Duration::from_millis(5)).await;
            drop(task.fallible());
            let _ = dropped.recv().await;
        })
        .unwrap();
    let seen = seen.lock().unwrap();
    assert!(
        matches!(seen.as_slice(), [Diagnostic::PendingTaskDropped { .. }]),
        "{seen:?}"
    );
}

#[test]
fn tasks_let_go_on_purpose_or_finished_are_not_reported() {
    std::panic::set_hook(Box::new(|_| {}));
    let (mut runner, seen) = runner(true);
    runner
        .run(async {
            // Cancelled on purpose.
            let (task, dropped) = pending_task();
            runner::sleep(Duration::from_millis(5)).await;
            assert_eq!(task.cancel().await, None);
            let _ = dropped.recv().await;
            let (task, dropped) = pending_task();
            runner::sleep(Duration::from_millis(5)).await;
            assert_eq!(task.fallible().cancel().await, None);
            let _ = dropped.recv().await;
            // Finished, then its handle dropped.
            let task = runner::spawn(async { 1 });
            runner::sleep(Duration::from_millis(5)).await;
            assert!(task.is_finished());
            drop(task);
            // Panicked, then its handle dropped: reported as a panic.
            let task = runner::spawn(async { panic!("boom") });
            runner::sleep(Duration::from_millis(5)).await;
            drop(task);
        })
        .unwrap();
    let seen = seen.lock().unwrap();
    assert!(
        !seen
            .iter()
            .any(|d| matches!(d, Diagnostic::PendingTaskDropped { .. })),
        "{seen:?}"
    );
}

#[test]
fn detached_and_closed_tasks_are_reported_as_cancelled_by_close_only() {
    let (mut runner, seen) = runner(true);
    runner
        .run(async {
            let (task, _) = pending_task();
            task.detach();
            let (task, _) = pending_task();
            task.fallible().detach();
            runner::sleep(Duration::from_millis(5)).await;
        })
        .unwrap();
    // Handles kept past the run: still pending when the runner closes.
    let kept = runner.run(async { Some(pending_task().0) }).unwrap();
    runner.close();
    drop(kept);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 3, "{seen:?}");
    assert!(
        seen.iter()
            .all(|d| matches!(d, Diagnostic::PendingTaskCancelled { .. })),
        "{seen:?}"
    );
}

#[test]
fn nothing_is_reported_with_debug_off() {
    let (mut runner, seen) = runner(false);
    runner
        .run(async {
            let (task, dropped) = pending_task();
            runner::sleep(Duration::from_millis(5)).await;
            drop(task);
            let _ = dropped.recv().await;
        })
        .unwrap();
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn a_task_whose_handle_is_dropped_before_it_ran_is_reported() {
    // The classic slip: a handle dropped without `.detach()` cancels the task before it starts.
    let (mut runner, seen) = runner(true);
    let line = line!() + 3;
    runner
        .run(async {
            drop(runner::spawn(async { unreachable!("never started") }));
            runner::sleep(Duration::from_millis(5)).await;
        })
        .unwrap();
    let seen = seen.lock().unwrap();
    let [Diagnostic::PendingTaskDropped { task }] = seen.as_slice() else {
        panic!("{seen:?}")
    };
    assert_eq!(task.spawned_at.line(), line);
}

#[test]
fn a_task_group_cancelling_its_members_is_not_reported() {
    let (mut runner, seen) = runner(true);
    runner
        .run(async {
            let mut group = runner::TaskGroup::new();
            group.spawn(std::future::pending::<()>());
            group.spawn(std::future::pending::<()>());
            runner::sleep(Duration::from_millis(5)).await;
            group.cancel_all().await;
            let mut dropped = runner::TaskGroup::new();
            dropped.spawn(std::future::pending::<()>());
            runner::sleep(Duration::from_millis(5)).await;
            drop(dropped);
            runner::sleep(Duration::from_millis(5)).await;
        })
        .unwrap();
    let seen = seen.lock().unwrap();
    assert!(seen.is_empty(), "{seen:?}");
}

// The channel the tests use (see the file for why it is not `async-channel`).
#[path = "support/channel.rs"]
mod async_channel;

#[test]
fn letting_go_of_a_finished_task_does_not_excuse_the_task_that_reuses_its_record() {
    // Debug mode reuses a finished task's record for the next spawn; the old handle's `detach`
    // must not mark the new task as let go.
    let (mut runner, seen) = runner(true);
    let line = line!() + 8;
    runner
        .run(async {
            let finished = runner::spawn(async {});
            while !finished.is_finished() {
                runner::yield_now().await;
            }
            let (tx, rx) = async_channel::bounded::<()>(1);
            let pending = runner::spawn(async move {
                let _guard = Dropped(tx);
                std::future::pending::<()>().await
            });
            finished.detach();
            runner::sleep(Duration::from_millis(5)).await;
            drop(pending);
            let _ = rx.recv().await;
        })
        .unwrap();
    let seen = seen.lock().unwrap();
    let [Diagnostic::PendingTaskDropped { task }] = seen.as_slice() else {
        panic!("expected one PendingTaskDropped report, got {seen:?}")
    };
    assert_eq!(task.id, 2);
    assert_eq!(task.spawned_at.line(), line);
}

/// The line of each report of the given kind, sorted.
fn lines(seen: &[Diagnostic], dropped: bool) -> Vec<u32> {
    let mut lines: Vec<u32> = seen
        .iter()
        .filter_map(|d| match d {
            Diagnostic::PendingTaskDropped { task } if dropped => Some(task.spawned_at.line()),
            Diagnostic::PendingTaskCancelled { task } if !dropped => Some(task.spawned_at.line()),
            _ => None,
        })
        .collect();
    lines.sort();
    lines
}

#[test]
fn handles_dropped_as_the_main_future_ends_are_reported_as_dropped_not_as_closed() {
    // The classic slip as the last statement of `main`: `close` is what drops the futures, but
    // the handles cancelled the tasks. A detached task beside them is `close`'s.
    for threads in [1, 2] {
        let (mut runner, seen) = runner_on(threads);
        let (started, detached, never_ran) = (line!() + 5, line!() + 6, line!() + 9);
        runner
            .run(async {
                let (_tx, rx) = async_channel::bounded::<()>(1);
                let rx2 = rx.clone();
                let started = runner::spawn(async move { rx.recv().await });
                runner::spawn(std::future::pending::<()>()).detach();
                runner::sleep(Duration::from_millis(5)).await; // `started` is pending now
                drop(started);
                drop(runner::spawn(async move { rx2.recv().await }));
            })
            .unwrap();
        runner.close();
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3, "threads({threads}): {seen:?}");
        assert_eq!(
            lines(&seen, true),
            [started, never_ran],
            "threads({threads})"
        );
        assert_eq!(lines(&seen, false), [detached], "threads({threads})");
    }
}

#[test]
fn a_handle_dropped_between_runs_is_reported_as_dropped_when_the_runner_closes() {
    for threads in [1, 2] {
        let (mut runner, seen) = runner_on(threads);
        let line = line!() + 2;
        let task = runner
            .run(async { Some(runner::spawn(std::future::pending::<()>())) })
            .unwrap();
        drop(task); // no run follows: `close` drops the future
        runner.close();
        let seen = seen.lock().unwrap();
        assert_eq!(lines(&seen, true), [line], "threads({threads}): {seen:?}");
        assert_eq!(seen.len(), 1, "threads({threads}): {seen:?}");
    }
}

#[test]
fn a_task_spawned_by_a_destructor_during_close_is_reported_as_closed_before_it_is_dropped() {
    /// The line where the destructor below spawns.
    static LATE: AtomicU32 = AtomicU32::new(0);

    /// Spawns a task when dropped, as `close` cancels the task that owns it.
    struct SpawnOnDrop(Arc<Mutex<Vec<String>>>);

    impl Drop for SpawnOnDrop {
        fn drop(&mut self) {
            struct Note(Arc<Mutex<Vec<String>>>);
            impl Drop for Note {
                fn drop(&mut self) {
                    self.0.lock().unwrap().push("late task dropped".into());
                }
            }
            let note = Note(self.0.clone());
            LATE.store(line!() + 1, Relaxed);
            let late = runner::spawn(async move {
                let _note = note;
                unreachable!("a task spawned while its runner closes never runs")
            });
            assert!(late.is_finished());
        }
    }

    for threads in [1, 2] {
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        let mut runner = Runner::builder()
            .debug(true)
            .threads(threads)
            .on_diagnostic(move |d| sink.lock().unwrap().push(d.to_string()))
            .build();
        let guard = SpawnOnDrop(events.clone());
        let owner = line!() + 3;
        runner
            .run(async move {
                runner::spawn(async move {
                    let _guard = guard;
                    std::future::pending::<()>().await
                })
                .detach();
                runner::sleep(Duration::from_millis(5)).await;
            })
            .unwrap();
        runner.close();
        let events = events.lock().unwrap();
        assert_eq!(events.len(), 3, "threads({threads}): {events:?}");
        // The owner, then the late task: reported as `close`'s (its handle is dropped only
        // after), before its future is dropped.
        let closed = "was still pending when the runner closed; it was cancelled";
        for (event, line) in events.iter().zip([owner, LATE.load(Relaxed)]) {
            let site = format!("spawned at {}:{line}:", file!());
            assert!(
                event.contains(&site) && event.ends_with(closed),
                "threads({threads}): {events:?}"
            );
        }
        assert_eq!(events[2], "late task dropped", "threads({threads})");
    }
}

#[test]
fn a_group_dropped_as_the_main_future_ends_cancels_its_members_unreported() {
    for threads in [1, 2] {
        let (mut runner, seen) = runner_on(threads);
        runner
            .run(async {
                let mut group = runner::TaskGroup::new();
                group.spawn(std::future::pending::<()>());
                runner::sleep(Duration::from_millis(5)).await;
                drop(group); // the members are cancelled on purpose; `close` drops them
            })
            .unwrap();
        runner.close();
        assert!(
            seen.lock().unwrap().is_empty(),
            "threads({threads}): {:?}",
            seen.lock().unwrap()
        );
    }
}

#[test]
fn handles_that_close_drops_with_their_owner_leave_their_tasks_to_close() {
    // `close` cancels a task that holds a group and a handle: their tasks are `close`'s too,
    // whichever the runner drops first.
    for threads in [1, 2] {
        let (mut runner, seen) = runner_on(threads);
        let (owner, member, held) = (line!() + 5, line!() + 7, line!() + 8);
        runner
            .run(async {
                // Each of the three tasks says when it has run, on either engine.
                let (ran, runs) = async_channel::unbounded::<()>();
                runner::spawn(async move {
                    let mut group = runner::TaskGroup::new();
                    group.spawn(ran_then_pending(ran.clone()));
                    let held = runner::spawn(ran_then_pending(ran.clone()));
                    let _ = ran.send(()).await;
                    held.await;
                    group.join_all().await;
                })
                .detach();
                for _ in 0..3 {
                    runs.recv().await.unwrap();
                }
            })
            .unwrap();
        runner.close();
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3, "threads({threads}): {seen:?}");
        assert_eq!(
            lines(&seen, false),
            [owner, member, held],
            "threads({threads})"
        );
    }
}

/// Says that it ran, then stays pending.
async fn ran_then_pending(ran: async_channel::Sender<()>) {
    let _ = ran.send(()).await;
    std::future::pending::<()>().await
}

#[test]
fn every_task_dropped_pending_is_reported_once_while_handles_race_the_tasks_and_close() {
    // Handles dropped on a blocking thread while their tasks run, and while the runner closes:
    // each task that a drop or `close` cancelled gets exactly one report (`PendingTaskDropped`
    // or `PendingTaskCancelled`, whichever came first), and no finished task gets one.
    use std::sync::atomic::AtomicUsize;

    /// Counts, when dropped, whether its task finished.
    struct Outcome(Arc<[AtomicUsize; 2]>, bool);

    impl Drop for Outcome {
        fn drop(&mut self) {
            self.0[usize::from(self.1)].fetch_add(1, Relaxed);
        }
    }

    const TASKS: usize = 20_000;
    for threads in [1, 2, 4] {
        let (mut runner, seen) = runner_on(threads);
        let outcomes: Arc<[AtomicUsize; 2]> = Arc::new([AtomicUsize::new(0), AtomicUsize::new(0)]);
        let counts = outcomes.clone();
        runner
            .run(async move {
                let (tx, rx) = async_channel::unbounded::<runner::Task<()>>();
                runner::spawn_blocking(move || {
                    while let Ok(task) = futures_lite::future::block_on(rx.recv()) {
                        drop(task);
                    }
                })
                .detach();
                for i in 0..TASKS {
                    let outcome = Outcome(counts.clone(), false);
                    let task = runner::spawn(async move {
                        let mut outcome = outcome;
                        for _ in 0..i % 3 {
                            futures_lite::future::yield_now().await;
                        }
                        outcome.1 = true;
                    });
                    tx.send(task).await.unwrap();
                    if i % 64 == 0 {
                        futures_lite::future::yield_now().await;
                    }
                }
                // The main future ends while handles are still being dropped.
            })
            .unwrap();
        runner.close();
        let [dropped_pending, finished] = [0, 1].map(|i| outcomes[i].load(Relaxed));
        assert_eq!(dropped_pending + finished, TASKS, "threads({threads})");
        let seen = seen.lock().unwrap();
        assert!(
            seen.iter().all(|d| matches!(
                d,
                Diagnostic::PendingTaskDropped { .. } | Diagnostic::PendingTaskCancelled { .. }
            )),
            "threads({threads})"
        );
        assert_eq!(seen.len(), dropped_pending, "threads({threads})");
    }
}
