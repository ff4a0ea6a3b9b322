//! A million spawns leave the runner's memory where it was: the scheduler's queue and its list
//! of pending tasks give back what finished tasks used. One test in its own file, so that no other
//! test shares the process whose memory it reads.

use std::time::Duration;

use runner::{yield_now, Runner};

/// The resident set in bytes, where the platform tells it (Linux's /proc).
fn resident() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Spawns `n` tasks in waves of 10k; each is pending once (so it enters the list of pending
/// tasks) before it finishes.
async fn waves(n: usize) {
    for _ in 0..n / 10_000 {
        let tasks: Vec<_> = (0..10_000)
            .map(|i| {
                runner::spawn(async move {
                    yield_now().await;
                    i
                })
            })
            .collect();
        for task in tasks {
            task.await;
        }
    }
    // And some that wait for a timer, woken from the reactor.
    let sleepers: Vec<_> = (0..1000)
        .map(|_| runner::spawn(runner::sleep(Duration::from_millis(1))))
        .collect();
    for sleeper in sleepers {
        sleeper.await;
    }
}

#[test]
fn a_million_spawns_keep_memory_bounded() {
    let mut runner = Runner::builder()
        .threads(1)
        .debug(false)
        .handle_ctrl_c(false)
        .build();
    runner.run(waves(100_000)).unwrap();
    let warm = resident();
    runner.run(waves(1_000_000)).unwrap();
    let after = resident();
    runner.close();
    if let (Some(warm), Some(after)) = (warm, after) {
        let grown = after.saturating_sub(warm);
        assert!(
            grown < 16 << 20,
            "memory grew by {grown} bytes over 1M spawns (from {warm} bytes after the first 100k)"
        );
    }
}
