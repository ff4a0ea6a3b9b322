//! The spawn functions outside a runner panic with a message that says what to do.

use std::panic::catch_unwind;

fn message_of(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    std::panic::set_hook(Box::new(|_| {}));
    let payload = catch_unwind(f).expect_err("must panic");
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap()
}

#[test]
fn spawn_outside_a_runner_panics_naming_the_function() {
    let msg = message_of(|| drop(runner::spawn(async {})));
    assert!(
        msg.starts_with("runner::spawn was called outside of a runner"),
        "{msg}"
    );
    assert!(
        msg.contains("Runner::run, runner::run or #[runner::main]"),
        "{msg}"
    );
}

#[test]
fn spawn_local_outside_a_runner_panics_naming_the_function() {
    let msg = message_of(|| drop(runner::spawn_local(async {})));
    assert!(
        msg.starts_with("runner::spawn_local was called outside of a runner"),
        "{msg}"
    );
}

#[test]
fn spawn_blocking_outside_a_runner_panics_naming_the_function() {
    let msg = message_of(|| drop(runner::spawn_blocking(|| {})));
    assert!(
        msg.starts_with("runner::spawn_blocking was called outside of a runner"),
        "{msg}"
    );
}

#[test]
fn spawn_local_from_a_blocking_job_panics_with_advice() {
    let msg = runner::run(async {
        runner::spawn_blocking(|| message_of(|| drop(runner::spawn_local(async {})))).await
    })
    .unwrap();
    assert!(msg.contains("use runner::spawn"), "{msg}");
}

#[test]
fn spawning_from_a_blocking_job_works() {
    let out = runner::run(async {
        let task = runner::spawn_blocking(|| runner::spawn(async { 21 * 2 })).await;
        task.await
    });
    assert_eq!(out, Ok(42));
}
