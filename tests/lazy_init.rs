//! A runner starts lazily; `executor_factory` is called exactly once and its executor is used.
#![allow(clippy::async_yields_async)] // returning a task handle out of a run is the point

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_executor::Executor;
use runner::Runner;

fn counting_factory(calls: &Arc<AtomicUsize>, made: Arc<Executor<'static>>) -> Runner {
    let calls = calls.clone();
    Runner::builder()
        .executor_factory(move || {
            calls.fetch_add(1, Ordering::SeqCst);
            made
        })
        .build()
}

#[test]
fn building_a_runner_does_not_call_the_factory() {
    let calls = Arc::new(AtomicUsize::new(0));
    let runner = counting_factory(&calls, Arc::new(Executor::new()));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    drop(runner);
    assert_eq!(
        calls.load(Ordering::SeqCst),
        0,
        "closing an unstarted runner starts nothing"
    );
}

#[test]
fn the_factory_is_called_once_across_runs_and_executor_calls() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut runner = counting_factory(&calls, Arc::new(Executor::new()));
    runner.run(async {}).unwrap();
    runner.executor().unwrap();
    runner.run(async {}).unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn executor_returns_exactly_what_the_factory_made() {
    let calls = Arc::new(AtomicUsize::new(0));
    let made = Arc::new(Executor::new());
    let mut runner = counting_factory(&calls, made.clone());
    assert!(Arc::ptr_eq(&runner.executor().unwrap(), &made));
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "executor() starts the runner"
    );
}

#[test]
fn spawned_tasks_run_on_the_factory_executor() {
    let made = Arc::new(Executor::new());
    let mut runner = counting_factory(&Arc::new(AtomicUsize::new(0)), made.clone());
    let task = runner
        .run(async {
            runner::spawn(async {
                std::future::pending::<()>().await;
            })
        })
        .unwrap();
    assert!(
        !made.is_empty(),
        "the pending task lives on the factory's executor"
    );
    drop(task);
    runner.close();
}

#[test]
fn tasks_spawned_on_the_executor_directly_run_inside_run() {
    let mut runner = Runner::new();
    let executor = runner.executor().unwrap();
    let task = executor.spawn(async { 1 + 1 });
    assert_eq!(runner.run(task), Ok(2));
}
