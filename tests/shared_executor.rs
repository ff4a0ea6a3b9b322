//! A runner whose executor may outlive it (`executor_factory`, `Runner::executor`): `close`
//! cancels exactly the runner's tasks, each completes as cancelled, and none stays in the
//! executor.
#![allow(clippy::async_yields_async)] // returning a task handle out of a run is the point

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_executor::Executor;
use futures_lite::future;
use runner::Runner;

struct DropCounter(Arc<AtomicUsize>);

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn factory_runner(executor: &Arc<Executor<'static>>) -> Runner {
    let executor = executor.clone();
    Runner::builder().executor_factory(move || executor).build()
}

#[test]
fn close_leaves_none_of_its_tasks_in_a_shared_executor() {
    let shared = Arc::new(Executor::new());
    let drops = Arc::new(AtomicUsize::new(0));
    let mut runner = factory_runner(&shared);
    let counters: Vec<_> = (0..10).map(|_| DropCounter(drops.clone())).collect();
    let handles = runner
        .run(async move {
            let mut handles = Vec::new();
            for counter in counters {
                handles.push(runner::spawn(async move {
                    let _counter = counter;
                    runner::sleep(Duration::from_secs(3600)).await;
                }));
            }
            runner::spawn(future::pending::<()>()).detach();
            runner::sleep(Duration::from_millis(5)).await;
            // Spawned last: never polled before close.
            runner::spawn(future::pending::<()>()).detach();
            handles
        })
        .unwrap();
    assert!(!shared.is_empty());
    runner.close();
    assert_eq!(drops.load(Ordering::SeqCst), 10, "destructors ran in close");
    assert!(shared.is_empty(), "a cancelled task stayed in the executor");
    for handle in handles {
        assert!(handle.is_finished());
        assert_eq!(future::block_on(handle.fallible()), None);
    }
}

#[test]
fn close_cancels_only_its_own_tasks_in_a_shared_executor() {
    let shared = Arc::new(Executor::new());
    let (tx, rx) = async_channel::bounded::<u32>(1);
    let foreign = shared.spawn(async move { rx.recv().await.unwrap() * 2 });
    let mut runner = factory_runner(&shared);
    runner
        .run(async { runner::spawn(future::pending::<()>()).detach() })
        .unwrap();
    runner.close();
    // The task spawned on the executor directly is not the runner's: it still runs.
    tx.send_blocking(21).unwrap();
    assert_eq!(future::block_on(shared.run(foreign)), 42);
    assert!(shared.is_empty());
}

#[test]
fn tasks_spawned_before_and_after_executor_is_handed_out_are_cancelled_by_close() {
    let drops = Arc::new(AtomicUsize::new(0));
    let mut runner = Runner::new();
    let before = DropCounter(drops.clone());
    runner
        .run(async move {
            runner::spawn(async move {
                let _counter = before;
                future::pending::<()>().await
            })
            .detach();
        })
        .unwrap();
    let executor = runner.executor().unwrap();
    let after = DropCounter(drops.clone());
    let direct = executor.spawn(async { 7 });
    let handle = runner
        .run(async move {
            runner::spawn(async move {
                let _counter = after;
                future::pending::<()>().await
            })
        })
        .unwrap();
    assert_eq!(runner.run(direct), Ok(7), "the handed-out executor runs");
    runner.close();
    assert_eq!(drops.load(Ordering::SeqCst), 2);
    assert_eq!(future::block_on(handle.fallible()), None);
    assert!(
        executor.is_empty(),
        "none of the runner's tasks is left in it"
    );
}

// The channel the tests use (see the file for why it is not `async-channel`).
#[path = "support/channel.rs"]
mod async_channel;
