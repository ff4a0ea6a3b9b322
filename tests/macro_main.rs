//! `#[runner::main]` on functions other than `main`: a synchronous entry point into async code.
//! (Real `fn main`s are run by the trybuild pass cases in `runner-macros/tests/ui`.)

use std::process::Command;
use std::time::Duration;

/// Docs and visibility stay.
#[runner::main]
pub(crate) async fn answer() -> u32 {
    runner::sleep(Duration::from_millis(1)).await;
    runner::spawn(async { 42 }).await
}

#[test]
fn the_function_returns_the_body_output() {
    assert_eq!(answer(), 42);
}

#[runner::main]
async fn fails() -> Result<(), String> {
    Err("it failed".to_owned())
}

#[runner::main]
async fn succeeds() -> Result<u8, std::num::ParseIntError> {
    let n: u8 = "21".parse()?;
    Ok(n * 2)
}

#[test]
fn a_result_comes_back_unchanged() {
    assert_eq!(fails(), Err("it failed".to_owned()));
    assert_eq!(succeeds(), Ok(42));
}

#[runner::main]
async fn debug_default() -> bool {
    runner::is_debug()
}

#[runner::main(debug = true)]
async fn debug_on() -> bool {
    runner::is_debug()
}

#[runner::main(debug = false)]
async fn debug_off() -> bool {
    runner::is_debug()
}

#[test]
fn debug_follows_the_argument() {
    assert!(debug_on());
    assert!(!debug_off());
    // Without the argument, RUNNER_DEBUG decides, as for a runner built without a setting.
    assert_eq!(debug_default(), runner::Runner::new().is_debug());
}

#[runner::main(threads = 2, ctrl_c = false)]
async fn worker_name() -> Option<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    runner::spawn(async move {
        tx.send(std::thread::current().name().map(str::to_owned))
            .unwrap();
    })
    .detach();
    // This thread is blocked in the main future: only a worker can run the task.
    rx.recv_timeout(Duration::from_secs(10)).ok().flatten()
}

#[test]
fn threads_2_starts_a_worker() {
    assert_eq!(worker_name().as_deref(), Some("runner-worker-1"));
}

#[runner::main]
async fn panics() {
    runner::sleep(Duration::from_millis(1)).await;
    panic!("the body panicked");
}

#[test]
#[should_panic(expected = "the body panicked")]
fn a_panic_in_the_body_propagates() {
    panics();
}

#[test]
#[should_panic(expected = "cannot start a runner while another runner is running on this thread")]
fn calling_it_inside_a_runner_panics_with_the_nested_error() {
    runner::run(async { answer() }).unwrap();
}

#[runner::main(crate = "runner_core")]
async fn through_runner_core() -> u8 {
    runner_core::spawn(async { 7 }).await
}

#[test]
fn crate_may_name_runner_core() {
    assert_eq!(through_runner_core(), 7);
}

#[runner::main(debug = true)]
async fn blocks_the_executor() {
    std::thread::sleep(Duration::from_millis(150));
}

#[test]
#[ignore = "prints a diagnostic on purpose: run as a child process by the test below"]
fn slow_main() {
    blocks_the_executor();
}

#[test]
fn diagnostics_name_the_function_as_the_main_future() {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--ignored", "--exact", "slow_main", "--nocapture"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let line = include_str!("macro_main.rs")
        .lines()
        .position(|l| l.starts_with("async fn blocks_the_executor"))
        .unwrap()
        + 1;
    let expected = format!("runner: the main future run at tests/macro_main.rs:{line}:10 blocked");
    assert!(stderr.contains(&expected), "{expected:?} not in {stderr}");
}
