//! Debug mode finding four classic async bugs: a blocking call inside async code, a task that
//! panics with nobody watching, a task leaked until shutdown, and a task cancelled by dropping
//! its handle.
//!
//! Run it with `cargo run --example debug_mode` (or set `RUNNER_DEBUG=1` on any program).

use std::time::Duration;

#[runner::main(debug = true)]
async fn main() {
    // Bug 1: std::thread::sleep blocks the executor thread for every task.
    runner::spawn(async { std::thread::sleep(Duration::from_millis(250)) }).await;

    // Bug 2: a detached task panics and nobody awaits it.
    runner::spawn(async { panic!("config file missing") }).detach();

    // Bug 3: a task that never finishes is still pending at shutdown.
    runner::spawn(async { runner::sleep(Duration::from_secs(3600)).await }).detach();

    // Bug 4: a helper drops the task's handle (it forgot `.detach()`), which cancels the task.
    start_heartbeat();

    runner::sleep(Duration::from_millis(10)).await;
}

fn start_heartbeat() {
    let _heartbeat = runner::spawn(async {
        loop {
            runner::sleep(Duration::from_secs(1)).await;
        }
    });
}
