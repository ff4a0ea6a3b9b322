//! Waiting inside a run for what another of the runner's threads does.

use std::time::{Duration, Instant};

/// Waits until `done` holds, looking every millisecond: what a task on a worker thread does
/// comes when the OS runs that thread, which on a busy machine can take a while. Panics after
/// ten seconds.
pub async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "still not {what} after 10 s"
        );
        runner::sleep(Duration::from_millis(1)).await;
    }
}
