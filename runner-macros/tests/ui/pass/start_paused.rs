use std::time::{Duration, Instant};

#[runner::main(start_paused = true)]
async fn main() {
    let (real, virtual_start) = (Instant::now(), runner::time::now());
    runner::sleep(Duration::from_secs(3600)).await;
    assert_eq!(runner::time::now() - virtual_start, Duration::from_secs(3600));
    assert!(real.elapsed() < Duration::from_secs(60));
}

#[runner::test(start_paused = false, threads = 2)]
async fn unpaused_test() {}

#[runner::test(start_paused = true, timeout = "5s", threads = 1)]
async fn paused_test() {
    runner::sleep(Duration::from_secs(4)).await;
}
