//! `runner::TaskGroup`: asyncio's `TaskGroup`, tokio's `JoinSet`.

#[path = "support/groups.rs"]
mod groups;

use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_channel::{Receiver, Sender};
use futures_lite::FutureExt;
use groups::{on_every_runner, Drops};
use runner::{context::ContextVar, task::TaskPanic, TaskGroup, TimedOut};

/// A gate per member: member `i` finishes, with output `i`, once gate `i` is opened.
fn gates(n: usize) -> (Vec<Sender<()>>, Vec<Receiver<()>>) {
    (0..n).map(|_| async_channel::bounded(1)).unzip()
}

async fn open(gate: &Sender<()>) {
    gate.send(()).await.unwrap();
}

/// Members that never finish on their own, each holding drop guard `i`.
fn spawn_pending(group: &mut TaskGroup<()>, drops: &Drops, ids: std::ops::Range<usize>) {
    for i in ids {
        let guard = drops.guard(i);
        group.spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await
        });
    }
}

/// Members that keep running (yielding) until cancelled, each holding drop guard `i`: on several
/// threads, some are mid-poll when they are cancelled.
fn spawn_busy(group: &mut TaskGroup<()>, drops: &Drops, ids: std::ops::Range<usize>) {
    for i in ids {
        let guard = drops.guard(i);
        group.spawn(async move {
            let _guard = guard;
            loop {
                runner::yield_now().await;
            }
        });
    }
}

/// Awaits `future`, which must panic, and returns its panic as a `TaskPanic`.
async fn task_panic_of(future: impl std::future::Future) -> Box<TaskPanic> {
    let payload = AssertUnwindSafe(future).catch_unwind().await.err();
    let payload = payload.expect("the group's panic did not reach its awaiter");
    payload
        .downcast::<TaskPanic>()
        .expect("a member's panic reaches the awaiter as a TaskPanic, as a Task's does")
}

// ---------------------------------------------------------------------------------------------
// The two orders

async fn next_in_completion_order() {
    let (open_gates, gates) = gates(3);
    let mut group = TaskGroup::new();
    for (i, gate) in gates.into_iter().enumerate() {
        group.spawn(async move {
            gate.recv().await.unwrap();
            i
        });
    }
    assert_eq!(group.len(), 3);
    for i in [2, 0, 1] {
        open(&open_gates[i]).await;
        assert_eq!(group.next().await, Some(i));
    }
    assert!(group.is_empty());
    assert_eq!(group.next().await, None);
}

#[test]
fn next_returns_outputs_in_completion_order() {
    on_every_runner(next_in_completion_order);
}

#[runner::test]
async fn next_returns_outputs_in_completion_order_in_a_runner_test() {
    next_in_completion_order().await;
}

#[runner::test(threads = 3)]
async fn next_returns_outputs_in_completion_order_in_a_threaded_runner_test() {
    next_in_completion_order().await;
}

async fn join_all_in_spawn_order() {
    // Member i waits for its gate, notes that it finished, then opens gate i - 1: they finish
    // from the last spawned to the first.
    let (open_gates, gates) = gates(5);
    let finished = Arc::new(Mutex::new(Vec::new()));
    let mut group = TaskGroup::new();
    for (i, gate) in gates.into_iter().enumerate() {
        let next_gate = i.checked_sub(1).map(|j| open_gates[j].clone());
        let finished = finished.clone();
        group.spawn(async move {
            gate.recv().await.unwrap();
            finished.lock().unwrap().push(i);
            if let Some(next_gate) = next_gate {
                open(&next_gate).await;
            }
            i * 10
        });
    }
    open(&open_gates[4]).await;
    assert_eq!(group.join_all().await, [0, 10, 20, 30, 40]);
    assert_eq!(*finished.lock().unwrap(), [4, 3, 2, 1, 0]);
}

#[test]
fn join_all_returns_outputs_in_spawn_order() {
    on_every_runner(join_all_in_spawn_order);
}

#[runner::test]
async fn join_all_returns_outputs_in_spawn_order_in_a_runner_test() {
    join_all_in_spawn_order().await;
}

#[runner::test(threads = 3)]
async fn join_all_returns_outputs_in_spawn_order_in_a_threaded_runner_test() {
    join_all_in_spawn_order().await;
}

#[test]
fn many_members_all_come_back() {
    on_every_runner(|| async {
        let mut group = TaskGroup::new();
        for i in 0..5000u64 {
            group.spawn(async move {
                for _ in 0..i % 7 {
                    runner::yield_now().await;
                }
                i
            });
        }
        let all = runner::timeout(Duration::from_secs(60), group.join_all()).await;
        assert_eq!(all, Ok((0..5000).collect::<Vec<_>>()));

        let mut group = TaskGroup::new();
        for i in 0..5000u64 {
            group.spawn(async move {
                for _ in 0..i % 5 {
                    runner::yield_now().await;
                }
                i
            });
        }
        let mut seen = Vec::new();
        while let Ok(Some(i)) = runner::timeout(Duration::from_secs(60), group.next()).await {
            seen.push(i);
        }
        seen.sort_unstable();
        assert_eq!(seen, (0..5000).collect::<Vec<_>>());
    });
}

// ---------------------------------------------------------------------------------------------
// Cancellation

async fn drop_cancels_pending_members() {
    let drops = Drops::new();
    let mut group = TaskGroup::new();
    spawn_pending(&mut group, &drops, 0..3);
    spawn_busy(&mut group, &drops, 3..5);
    runner::yield_now().await;
    assert_eq!(drops.dropped(), []);
    drop(group);
    assert_eq!(drops.wait_for(5).await, [0, 1, 2, 3, 4]);
}

#[test]
fn dropping_the_group_cancels_its_pending_members() {
    on_every_runner(drop_cancels_pending_members);
}

#[runner::test]
async fn dropping_the_group_cancels_its_pending_members_in_a_runner_test() {
    drop_cancels_pending_members().await;
}

#[runner::test(threads = 3)]
async fn dropping_the_group_cancels_its_pending_members_in_a_threaded_runner_test() {
    drop_cancels_pending_members().await;
}

#[test]
fn dropping_join_all_cancels_the_members() {
    on_every_runner(|| async {
        let drops = Drops::new();
        let mut group = TaskGroup::new();
        spawn_pending(&mut group, &drops, 0..3);
        let joined = runner::timeout(Duration::from_millis(10), group.join_all()).await;
        assert_eq!(joined, Err(TimedOut));
        assert_eq!(drops.wait_for(3).await, [0, 1, 2]);
    });
}

async fn cancel_all_waits_for_destructors() {
    let drops = Drops::new();
    let mut group = TaskGroup::new();
    spawn_pending(&mut group, &drops, 0..3);
    spawn_busy(&mut group, &drops, 3..6);
    runner::yield_now().await;
    group.cancel_all().await;
    // Without waiting: cancel_all returned once every destructor had run.
    assert_eq!(drops.dropped(), [0, 1, 2, 3, 4, 5]);
    assert!(group.is_empty());
    assert_eq!(group.next().await, None);

    // The group is as good as new.
    group.spawn(async {});
    group.spawn(async {});
    assert_eq!(group.join_all().await, [(), ()]);
}

#[test]
fn cancel_all_returns_once_the_members_destructors_ran() {
    on_every_runner(cancel_all_waits_for_destructors);
}

#[runner::test(threads = 3)]
async fn cancel_all_returns_once_the_members_destructors_ran_in_a_runner_test() {
    cancel_all_waits_for_destructors().await;
}

#[test]
fn next_loses_no_output_when_its_future_is_dropped() {
    on_every_runner(|| async {
        let (open_gates, gates) = gates(1);
        let mut group = TaskGroup::new();
        let gate = gates.into_iter().next().unwrap();
        group.spawn(async move { gate.recv().await.unwrap() });
        let waited = runner::timeout(Duration::from_millis(5), group.next()).await;
        assert_eq!(waited, Err(TimedOut));
        open(&open_gates[0]).await;
        assert_eq!(group.next().await, Some(()));
    });
}

// ---------------------------------------------------------------------------------------------
// Panics

async fn panic_cancels_siblings_in_next() {
    let drops = Drops::new();
    let (open_gates, gates) = gates(1);
    let mut group = TaskGroup::new();
    spawn_pending(&mut group, &drops, 0..2);
    spawn_busy(&mut group, &drops, 2..4);
    let gate = gates.into_iter().next().unwrap();
    let line = line!() + 1;
    group.spawn(async move {
        gate.recv().await.unwrap();
        panic!("member 4 failed");
    });
    open(&open_gates[0]).await;

    let panic = task_panic_of(group.next()).await;
    assert_eq!(panic.message(), "member 4 failed");
    // The spawn site, through `#[track_caller]`.
    assert_eq!(panic.task().spawned_at.line(), line);
    assert_eq!(panic.task().spawned_at.file(), file!());
    let original = panic.into_payload();
    assert_eq!(original.downcast_ref::<&str>(), Some(&"member 4 failed"));
    // The siblings were cancelled, and their destructors ran, before the panic resumed.
    assert_eq!(drops.dropped(), [0, 1, 2, 3]);
    assert!(group.is_empty());
    assert_eq!(group.next().await, None);
}

#[test]
fn a_member_panic_cancels_the_others_and_resumes_in_next() {
    on_every_runner(panic_cancels_siblings_in_next);
}

#[runner::test(threads = 3)]
async fn a_member_panic_cancels_the_others_and_resumes_in_next_in_a_runner_test() {
    panic_cancels_siblings_in_next().await;
}

async fn panic_cancels_siblings_in_join_all() {
    let drops = Drops::new();
    let mut group = TaskGroup::new();
    spawn_pending(&mut group, &drops, 0..2);
    group.spawn(async {
        runner::yield_now().await;
        panic!("member 2 failed");
    });
    spawn_busy(&mut group, &drops, 3..5);

    let panic = task_panic_of(group.join_all()).await;
    assert_eq!(panic.message(), "member 2 failed");
    drop(panic.into_payload());
    assert_eq!(drops.dropped(), [0, 1, 3, 4]);
}

#[test]
fn a_member_panic_cancels_the_others_and_resumes_in_join_all() {
    on_every_runner(panic_cancels_siblings_in_join_all);
}

#[runner::test(threads = 3)]
async fn a_member_panic_cancels_the_others_and_resumes_in_join_all_in_a_runner_test() {
    panic_cancels_siblings_in_join_all().await;
}

#[test]
fn a_member_panic_leaves_run_with_the_original_payload() {
    for threads in [1, 3] {
        let mut runner = runner::Runner::builder().threads(threads).build();
        let panic = std::panic::catch_unwind(AssertUnwindSafe(|| {
            runner.run(async {
                let mut group = TaskGroup::new();
                group.spawn(std::future::pending::<()>());
                group.spawn(async { panic!("member failed") });
                group.join_all().await
            })
        }))
        .unwrap_err();
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"member failed"));
    }
}

#[runner::test]
#[should_panic(expected = "member failed in a test")]
async fn a_member_panic_fails_a_runner_test_with_its_message() {
    let mut group = TaskGroup::new();
    group.spawn(std::future::pending::<()>());
    group.spawn(async { panic!("member failed in a test") });
    group.join_all().await;
}

#[runner::test(threads = 2)]
#[should_panic(expected = "member failed in a threaded test")]
async fn a_member_panic_fails_a_threaded_runner_test_with_its_message() {
    let mut group = TaskGroup::new();
    group.spawn(std::future::pending::<()>());
    group.spawn(async { panic!("member failed in a threaded test") });
    while group.next().await.is_some() {}
}

// ---------------------------------------------------------------------------------------------
// Context, local members, the group in a task

static REQUEST: ContextVar<u32> = ContextVar::new("request");

async fn members_start_in_a_copy_of_the_context() {
    let mut group = TaskGroup::new();
    REQUEST.set(1);
    group.spawn(async {
        let seen = REQUEST.get();
        REQUEST.set(99); // stays in this member's copy
        seen
    });
    REQUEST.set(2);
    group.spawn(async { REQUEST.get() });
    group.spawn_local(async { REQUEST.get() });
    assert_eq!(group.join_all().await, [Some(1), Some(2), Some(2)]);
    assert_eq!(REQUEST.get(), Some(2));
}

#[test]
fn each_member_starts_in_a_copy_of_the_spawners_context() {
    on_every_runner(members_start_in_a_copy_of_the_context);
}

#[runner::test(threads = 3)]
async fn each_member_starts_in_a_copy_of_the_spawners_context_in_a_runner_test() {
    members_start_in_a_copy_of_the_context().await;
}

#[test]
fn local_members_need_not_be_send() {
    on_every_runner(|| async {
        let shared = Rc::new(5);
        let mut group: TaskGroup<Rc<u32>> = TaskGroup::new();
        for i in 0..3 {
            let shared = shared.clone();
            group.spawn_local(async move {
                runner::yield_now().await;
                Rc::new(*shared + i)
            });
        }
        let all: Vec<u32> = group.join_all().await.into_iter().map(|n| *n).collect();
        assert_eq!(all, [5, 6, 7]);
    });
}

#[test]
fn a_local_member_panic_cancels_the_others() {
    on_every_runner(|| async {
        let drops = Drops::new();
        let mut group = TaskGroup::new();
        spawn_pending(&mut group, &drops, 0..2);
        group.spawn_local(async { panic!("local member failed") });
        let panic = task_panic_of(group.join_all()).await;
        assert_eq!(panic.message(), "local member failed");
        drop(panic.into_payload());
        assert_eq!(drops.dropped(), [0, 1]);
    });
}

#[test]
fn a_group_runs_inside_a_spawned_task() {
    let mut runner = runner::Runner::builder().threads(3).build();
    let total = runner
        .run(async {
            runner::spawn(async {
                let mut group = TaskGroup::new();
                for i in 1..=10u64 {
                    group.spawn(async move { i });
                }
                group.join_all().await.into_iter().sum::<u64>()
            })
            .await
        })
        .unwrap();
    assert_eq!(total, 55);
}

// ---------------------------------------------------------------------------------------------
// The small things

#[test]
fn len_counts_the_members_whose_output_was_not_taken() {
    runner::run(async {
        let mut group = TaskGroup::default();
        assert_eq!((group.len(), group.is_empty()), (0, true));
        group.spawn(async { 1 });
        group.spawn(async { 2 });
        runner::yield_now().await;
        assert_eq!((group.len(), group.is_empty()), (2, false));
        group.next().await;
        assert_eq!(group.len(), 1);
        group.next().await;
        assert_eq!((group.len(), group.is_empty()), (0, true));
        assert_eq!(format!("{group:?}"), "TaskGroup { len: 0, .. }");
    })
    .unwrap();
}

#[test]
fn a_spawn_outside_a_runner_panics_and_leaves_the_group_usable() {
    let mut group = TaskGroup::new();
    let panic = std::panic::catch_unwind(AssertUnwindSafe(|| group.spawn(async { 0 })));
    let panic = panic.unwrap_err();
    let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        message.starts_with("runner::spawn was called outside of a runner"),
        "{message}"
    );
    assert!(group.is_empty());
    let all = runner::run(async move {
        group.spawn(async { 1 });
        group.spawn(async { 2 });
        group.join_all().await
    });
    assert_eq!(all, Ok(vec![1, 2]));
}

#[test]
fn task_group_is_send_when_its_outputs_are() {
    fn is_send<T: Send>(_: &T) {}
    let mut group = TaskGroup::<u32>::new();
    is_send(&group);
    is_send(&group.next());
    is_send(&group.cancel_all());
    is_send(&group.join_all());
}

// The channel the tests use (see the file for why it is not `async-channel`).
#[path = "support/channel.rs"]
mod async_channel;
