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

#[runner::test(timeout = "100ms", threads = 1)] // the task blocks the thread of the timeout
#[should_panic(
    expected = "the slowest poll: task #1 spawned at tests/macro_test.rs:166:5 blocked \
                           the executor for 0."
)]
async fn a_task_that_blocks_past_the_timeout_fails_the_test() {
    runner::spawn(async { std::thread::sleep(Duration::from_millis(300)) }).await;
}

#[runner::test(timeout = "100ms")]
#[ignore = "fails on purpose: run as a child process by `a_test_that_finished_late_*`"]
async fn blocks_past_its_timeout() {
    std::thread::sleep(Duration::from_millis(400));
}

#[runner::test(timeout = "100ms", debug = false)]
#[ignore = "fails on purpose: run as a child process by `a_test_that_finished_late_*`"]
async fn blocks_past_its_timeout_debug_off() {
    std::thread::sleep(Duration::from_millis(400));
}

/// The panic message of the ignored test `name`, run alone in a child process that must fail.
fn failure_message(name: &str) -> String {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", name, "--test-threads=1"])
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(!output.status.success(), "{stdout}");
    let prefix = format!("test `{name}` ");
    let line = stdout.lines().find(|l| l.starts_with(&prefix));
    line.unwrap_or_else(|| panic!("no failure message in {stdout}"))
        .to_owned()
}

/// The number of seconds in `text` between `before` and `after`.
fn seconds(text: &str, before: &str, after: &str) -> f64 {
    let (_, rest) = text.split_once(before).unwrap_or_else(|| panic!("{text}"));
    let (number, _) = rest.split_once(after).unwrap_or_else(|| panic!("{text}"));
    number.parse().unwrap_or_else(|_| panic!("{text}"))
}

#[test]
fn a_test_that_finished_late_fails_saying_by_how_much_and_where() {
    let message = failure_message("blocks_past_its_timeout");
    let took = seconds(&message, "it took ", " s, ");
    let over = seconds(&message, " s, ", " s more than 100ms");
    let blocked = seconds(&message, "blocked the executor for ", " s in one poll");
    assert!(took >= 0.4, "{message}");
    assert!((over - (took - 0.1)).abs() < 0.0015, "{message}");
    // Timed with the coarse clock: off by a kernel tick (1-4 ms), or more on a busy VM.
    assert!(blocked >= 0.39 && blocked <= took + 0.01, "{message}");
    let expected = format!(
        "test `blocks_past_its_timeout` finished after its timeout: it took {took:.3} s, {over:.3} \
         s more than 100ms (the thread was blocked, so the timeout could not fire); the slowest \
         poll: the main future run at {}:171:10 blocked the executor for {blocked:.3} s in one poll",
        file!()
    );
    assert_eq!(message, expected);
}

#[test]
fn a_test_that_finished_late_with_debug_off_says_by_how_much() {
    let message = failure_message("blocks_past_its_timeout_debug_off");
    let took = seconds(&message, "it took ", " s, ");
    let over = seconds(&message, " s, ", " s more than 100ms");
    assert!(took >= 0.4, "{message}");
    let expected = format!(
        "test `blocks_past_its_timeout_debug_off` finished after its timeout: it took {took:.3} \
         s, {over:.3} s more than 100ms (the thread was blocked, so the timeout could not fire)"
    );
    assert_eq!(message, expected);
}

// One thread: the task is polled right after the main future's first poll, on the same thread,
// so that the states the listing gives are known. (On workers, when the task's first poll comes
// depends on when the OS runs a worker: under load it can come after the timeout.)
#[runner::test(timeout = "50ms", threads = 1)]
#[ignore = "fails on purpose: run as a child process by `a_timed_out_test_lists_its_pending_tasks`"]
async fn hangs_with_a_pending_task() {
    let _task = runner::spawn(std::future::pending::<()>());
    std::future::pending::<()>().await;
}

#[runner::test(timeout = "50ms", threads = 2)]
#[ignore = "fails on purpose: run as a child process by `a_timed_out_test_on_workers_lists_*`"]
async fn hangs_with_a_pending_task_on_workers() {
    let _task = runner::spawn(std::future::pending::<()>());
    std::future::pending::<()>().await;
}

/// The failure message of the test `name`, which spawned task #1 on line `line` and hung: its
/// listing of the task, after the main future's and the task's sites and ages are checked.
fn pending_tasks_listed(name: &str, line: u32) -> (String, String) {
    let message = failure_message(name);
    let (head, pending) = message
        .split_once("; still pending: ")
        .unwrap_or_else(|| panic!("no pending tasks in {message}"));
    assert_eq!(
        head,
        format!(
            "test `{name}` timed out after 50ms: its future was still pending, so it was cancelled"
        )
    );
    let tasks: Vec<&str> = pending.split("; ").collect();
    assert_eq!(tasks.len(), 2, "{message}");
    let main = format!("the main future run at {}:{}:10 (age ", file!(), line - 1);
    let task = format!("task #1 spawned at {}:{line}:17 (age ", file!());
    for (task, prefix) in tasks.iter().zip([&main, &task]) {
        assert!(task.starts_with(prefix.as_str()), "{message}");
        let age = seconds(task, prefix, " s, ");
        assert!((0.046..60.0).contains(&age), "{message}");
    }
    assert!(tasks[0].ends_with(", running)"), "{message}");
    let task = tasks[1].to_owned();
    (message, task)
}

#[test]
fn a_timed_out_test_lists_its_pending_tasks() {
    let (message, task) = pending_tasks_listed("hangs_with_a_pending_task", 241);
    // Its one poll only spawned and returned: well under the 50 ms timeout, even on a busy
    // machine or under wine, where it takes a millisecond.
    let poll = seconds(&task, " 1 poll taking ", " s, waiting)");
    assert!(poll < 0.025, "{message}");
}

#[test]
fn a_timed_out_test_on_workers_lists_its_pending_tasks() {
    let (message, task) = pending_tasks_listed("hangs_with_a_pending_task_on_workers", 248);
    // Polled once by a worker, or not yet if no worker got the CPU in time (or in its first
    // poll right now).
    let polled = task.ends_with(" s, waiting)") && task.contains(" s, 1 poll taking ");
    let unpolled = (task.ends_with(" s, scheduled)") || task.ends_with(" s, running)"))
        && task.contains(" s, 0 polls taking 0.000 ");
    assert!(polled || unpolled, "{message}");
}

// The channel the tests use (see the file for why it is not `async-channel`).
#[path = "support/channel.rs"]
mod async_channel;
