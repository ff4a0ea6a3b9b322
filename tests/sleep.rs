//! `runner::sleep`, `sleep_until`, `interval` and `yield_now`; async-io's own `Timer` works
//! inside a runner too.

#[path = "support/groups.rs"]
mod groups;
#[path = "support/panicking_waker.rs"]
mod panicking_waker;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_lite::future::poll_once;
use groups::on_every_runner;
use runner::time::Sleep;

#[test]
fn sleep_waits_at_least_its_duration() {
    on_every_runner(|| async {
        let start = Instant::now();
        runner::sleep(Duration::from_millis(20)).await;
        assert!(start.elapsed() >= Duration::from_millis(20));
    });
}

#[runner::test]
async fn sleep_waits_in_a_runner_test() {
    let deadline = Instant::now() + Duration::from_millis(10);
    runner::time::sleep_until(deadline).await;
    assert!(Instant::now() >= deadline);
}

#[test]
fn sleep_until_a_past_deadline_is_ready_on_its_first_poll() {
    runner::run(async {
        let past = Instant::now() - Duration::from_millis(1);
        assert_eq!(poll_once(runner::time::sleep_until(past)).await, Some(()));
        assert_eq!(poll_once(runner::sleep(Duration::ZERO)).await, Some(()));
    })
    .unwrap();
}

#[test]
fn a_fired_sleep_stays_ready() {
    runner::run(async {
        let mut sleep = runner::sleep(Duration::from_millis(1));
        (&mut sleep).await;
        assert!(sleep.is_elapsed());
        assert_eq!(poll_once(&mut sleep).await, Some(()));
    })
    .unwrap();
}

#[test]
fn reset_moves_the_deadline_even_after_firing() {
    on_every_runner(|| async {
        let mut sleep = runner::sleep(Duration::from_secs(3600));
        assert_eq!(poll_once(&mut sleep).await, None);
        let sooner = Instant::now() + Duration::from_millis(5);
        sleep.reset(sooner);
        assert_eq!(sleep.deadline(), sooner);
        (&mut sleep).await;
        assert!(Instant::now() >= sooner);

        let later = Instant::now() + Duration::from_secs(3600);
        sleep.reset(later);
        assert!(!sleep.is_elapsed());
        assert_eq!(poll_once(&mut sleep).await, None);
    });
}

/// The same with futures-lite, whose `or` and `race` both traits have.
mod or_is_unambiguous {
    use futures_lite::{FutureExt, StreamExt};
    use std::time::Duration;

    #[test]
    fn sleep_or_compiles_with_future_ext_and_stream_ext_in_scope() {
        runner::run(async {
            let slow = runner::sleep(Duration::from_secs(3600));
            runner::sleep(Duration::from_millis(1)).or(slow).await;
            let first = runner::time::interval(Duration::from_millis(1))
                .next()
                .await;
            assert!(first.is_some());
        })
        .unwrap();
    }
}

#[test]
fn sleep_is_an_unpin_send_future() {
    fn is_unpin_send_future<F: std::future::Future<Output = ()> + Unpin + Send + Sync>(_: &F) {}
    let sleep: Sleep = runner::sleep(Duration::from_millis(1));
    is_unpin_send_future(&sleep);
}

#[test]
fn interval_ticks_a_period_apart() {
    on_every_runner(|| async {
        let start = Instant::now();
        let mut ticks = runner::time::interval(Duration::from_millis(5));
        assert_eq!(ticks.period(), Duration::from_millis(5));
        let first = ticks.tick().await;
        assert!(first >= start + Duration::from_millis(5));
        assert!(Instant::now() >= first);
        assert_eq!(ticks.tick().await - first, Duration::from_millis(5));
        assert_eq!(ticks.tick().await - first, Duration::from_millis(10));
    });
}

#[test]
fn an_interval_catches_up_on_missed_ticks_at_once() {
    runner::run(async {
        let start = Instant::now();
        let mut ticks = runner::time::interval_at(start, Duration::from_millis(10));
        runner::sleep(Duration::from_millis(45)).await;
        // Five ticks (0, 10, 20, 30, 40 ms) were due: each is ready at once, with its own instant.
        for i in 0..5 {
            let tick = poll_once(ticks.tick()).await;
            assert_eq!(tick, Some(start + i * Duration::from_millis(10)));
        }
    })
    .unwrap();
}

#[test]
fn a_zero_period_is_refused_with_a_clear_message() {
    let panic = std::panic::catch_unwind(|| runner::time::interval(Duration::ZERO)).unwrap_err();
    let message = panic.downcast_ref::<&str>().copied().unwrap_or_default();
    assert!(
        message.starts_with("runner::time::interval was given a period of zero"),
        "{message}"
    );
}

#[test]
fn yield_now_is_pending_once_then_ready() {
    runner::run(async {
        let mut yielding = runner::yield_now();
        assert_eq!(poll_once(&mut yielding).await, None);
        assert_eq!(poll_once(&mut yielding).await, Some(()));
    })
    .unwrap();
}

async fn yield_now_lets_a_task_run() {
    let ran = Arc::new(AtomicBool::new(false));
    let flag = ran.clone();
    let task = runner::spawn(async move { flag.store(true, Ordering::SeqCst) });
    let mut yields = 0;
    while !ran.load(Ordering::SeqCst) {
        runner::yield_now().await;
        yields += 1;
        assert!(
            yields < 1_000_000,
            "the task did not run while its spawner yielded"
        );
    }
    task.await;
}

#[test]
fn yield_now_lets_other_tasks_run_on_one_thread() {
    let mut runner = runner::Runner::builder().threads(1).build();
    runner.run(yield_now_lets_a_task_run()).unwrap();
    on_every_runner(yield_now_lets_a_task_run);
}

#[runner::test]
async fn yield_now_lets_other_tasks_run_in_a_runner_test() {
    yield_now_lets_a_task_run().await;
}

#[test]
fn async_io_timers_work_inside_a_runner() {
    runner::run(async {
        let start = Instant::now();
        let fired: Instant = async_io::Timer::after(Duration::from_millis(1)).await;
        assert!(fired >= start);
    })
    .unwrap();
}

// The channel the tests use (see the file for why it is not `async-channel`).
#[path = "support/channel.rs"]
mod async_channel;

/// A sleep whose waker panicked when it fired does not stop the runner's other timers: later
/// sleeps still end (the panic hook prints the panic, as for any other).
#[test]
fn a_waker_that_panics_stops_no_later_timer() {
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for threads in [1, 3] {
            let mut runner = runner::Runner::builder().threads(threads).build();
            runner
                .run(async {
                    let _bad =
                        panicking_waker::sleep_with_a_panicking_waker(Duration::from_millis(5));
                    for _ in 0..3 {
                        runner::sleep(Duration::from_millis(20)).await;
                    }
                })
                .unwrap();
        }
        let _ = done.send(());
    });
    finished
        .recv_timeout(Duration::from_secs(10))
        .expect("a sleep never ended after a timer's waker panicked");
}
