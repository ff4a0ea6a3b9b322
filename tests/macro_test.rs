//! `#[runner::test]`: a fresh runner per test, in debug mode, failing on timeouts and on panics
//! of detached tasks.

// The crate under another name, as a renamed dependency would be.
extern crate runner as runner_renamed;

use std::process::Command;
use std::time::Duration;

#[runner::test]
async fn debug_mode_is_on_by_default() {
    assert!(runner::is_debug());
}

#[runner::test(debug = false)]
async fn debug_false_turns_it_off() {
    assert!(!runner::is_debug());
}

#[runner::test]
async fn result_ok_passes() -> Result<(), std::num::ParseIntError> {
    let n: u8 = "7".parse()?;
    assert_eq!(runner::spawn(async move { n * 6 }).await, 42);
    Ok(())
}

#[runner::test]
#[should_panic(expected = "the body panicked")]
async fn a_panicking_body_fails_with_its_own_message() {
    runner::sleep(Duration::from_millis(1)).await;
    panic!("the body panicked");
}

#[runner::test(timeout = "50ms")]
#[should_panic(
    expected = "test `a_hung_test_fails_after_its_timeout` timed out after 50ms: its future was \
                still pending, so it was cancelled"
)]
async fn a_hung_test_fails_after_its_timeout() {
    std::future::pending::<()>().await;
}

#[runner::test(timeout = "1m")]
async fn a_test_that_finishes_in_time_passes() {
    runner::sleep(Duration::from_millis(1)).await;
}

mod nested {
    #[runner::test(timeout = "20ms")]
    #[should_panic(expected = "test `nested::names_include_the_module` timed out after 20ms")]
    async fn names_include_the_module() {
        std::future::pending::<()>().await;
    }
}

/// Spawns a detached task that panics, and waits until it has run.
async fn detached_panic(message: &'static str) {
    let (tx, rx) = async_channel::bounded::<()>(1);
    runner::spawn(async move {
        let _tx = tx; // dropped when the task unwinds: that wakes `rx`
        panic!("{message}");
    })
    .detach();
    assert!(rx.recv().await.is_err());
}

#[runner::test]
#[should_panic(
    expected = "test `a_detached_task_panic_fails_the_test` failed: a task it spawned panicked and \
                nobody awaited it (task #1 spawned at tests/macro_test.rs:59:5 panicked and \
                nobody awaited it: detached boom)"
)]
async fn a_detached_task_panic_fails_the_test() {
    detached_panic("detached boom").await;
}

#[runner::test(threads = 2)]
#[should_panic(expected = "spawned at tests/macro_test.rs:59:5 panicked and nobody awaited it")]
async fn a_detached_task_panic_on_a_worker_fails_the_test() {
    detached_panic("on a worker").await;
}

#[runner::test]
async fn a_detached_task_that_succeeds_does_not_fail_the_test() {
    let (tx, rx) = async_channel::bounded(1);
    runner::spawn(async move { tx.send(1).await.unwrap() }).detach();
    assert_eq!(rx.recv().await, Ok(1));
}

#[runner::test(threads = 2, debug = false)]
async fn threads_2_runs_tasks_on_a_worker_thread() {
    let (tx, rx) = std::sync::mpsc::channel();
    runner::spawn(async move {
        let name = std::thread::current().name().map(str::to_owned);
        tx.send(name).unwrap();
    })
    .detach();
    // This thread is blocked in the main future: only a worker can run the task.
    let name = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("no worker ran the task");
    assert_eq!(name.as_deref(), Some("runner-worker-1"));
}

#[runner::test(crate = "runner_renamed")]
async fn crate_names_a_renamed_dependency() {
    assert!(runner_renamed::is_debug());
}

mod reexport {
    pub use runner as rt;
}

#[runner::test(crate = "reexport::rt", debug = false)]
async fn crate_names_a_reexport() {
    assert!(!reexport::rt::is_debug());
}

#[runner::test]
#[ignore = "fails on purpose: run as a child process by `an_err_result_fails_the_test`"]
async fn returns_err() -> Result<(), String> {
    Err("the body returned Err".to_owned())
}

#[test]
fn an_err_result_fails_the_test() {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "returns_err", "--test-threads=1"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    assert!(stdout.contains("test returns_err ... FAILED"), "{stdout}");
    assert!(
        stdout.contains("Error: \"the body returned Err\""),
        "{stdout}"
    );
}

#[runner::test]
#[ignore]
async fn ignored_tests_stay_ignored() {
    panic!("an ignored test ran");
}

#[test]
fn ignore_stays_on_the_test() {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--list", "--ignored"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&output.stdout);
    assert!(
        listed.contains("ignored_tests_stay_ignored: test"),
        "{listed}"
    );
    assert!(!listed.contains("debug_mode_is_on_by_default"), "{listed}");
}
