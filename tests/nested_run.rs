//! `run` inside a running runner on the same thread fails at once with `Nested`.

use runner::{RunError, Runner};

#[test]
fn run_inside_run_returns_nested_and_the_outer_run_goes_on() {
    let out = runner::run(async {
        let inner = runner::run(async { 1 });
        let mut other = Runner::new();
        let inner_method = other.run(async { 2 });
        (inner, inner_method, "outer finished")
    });
    assert_eq!(
        out,
        Ok((
            Err(RunError::Nested),
            Err(RunError::Nested),
            "outer finished"
        ))
    );
}

#[test]
fn run_inside_a_task_on_a_worker_thread_returns_nested() {
    let mut runner = Runner::builder().threads(2).build();
    let out = runner.run(async {
        let tasks: Vec<_> = (0..8)
            .map(|_| runner::spawn(async { runner::run(async {}) }))
            .collect();
        let mut results = Vec::new();
        for t in tasks {
            results.push(t.await);
        }
        results
    });
    assert_eq!(out, Ok(vec![Err(RunError::Nested); 8]));
}

#[test]
fn a_blocking_job_may_start_a_runner_of_its_own() {
    let out =
        runner::run(async { runner::spawn_blocking(|| runner::run(async { "inner" })).await });
    assert_eq!(out, Ok(Ok("inner")));
}

#[test]
fn after_a_run_returns_the_thread_may_run_again() {
    assert_eq!(runner::run(async { 1 }), Ok(1));
    assert_eq!(runner::run(async { 2 }), Ok(2));
}
