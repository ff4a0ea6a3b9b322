//! `runner::timeout` and `runner::time::timeout_at`: asyncio's `timeout` and `wait_for`.

#[path = "support/groups.rs"]
mod groups;

use std::error::Error;
use std::fmt::{Debug, Display};
use std::future::{Future, IntoFuture};
use std::io;
use std::pin::pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use futures_lite::future::{poll_fn, poll_once};
use groups::{on_every_runner, Drops};
use runner::{time::Timeout, TimedOut};

const LONG: Duration = Duration::from_secs(3600);

#[test]
fn a_future_that_finishes_in_time_gives_its_output() {
    on_every_runner(|| async {
        let work = async {
            runner::sleep(Duration::from_millis(1)).await;
            7
        };
        assert_eq!(runner::timeout(LONG, work).await, Ok(7));
    });
}

/// Expires after a short wait; the inner future holds a drop guard and never finishes.
async fn expiry_drops_the_inner_future_before_err() {
    let drops = Drops::new();
    let guard = drops.guard(1);
    let never = async move {
        let _guard = guard;
        std::future::pending::<()>().await
    };
    let mut work = pin!(runner::timeout(Duration::from_millis(10), never));
    let result = work.as_mut().await;
    // `work` is still alive, and checked without waiting: the inner future's destructor ran
    // before the `Err` came back.
    assert_eq!(drops.dropped(), [1]);
    assert_eq!(result, Err(TimedOut));
}

#[test]
fn on_expiry_the_inner_future_is_dropped_before_the_error_is_returned() {
    on_every_runner(expiry_drops_the_inner_future_before_err);
}

#[runner::test]
async fn expiry_drops_the_inner_future_in_a_runner_test() {
    expiry_drops_the_inner_future_before_err().await;
}

#[runner::test(threads = 3)]
async fn expiry_drops_the_inner_future_in_a_threaded_runner_test() {
    expiry_drops_the_inner_future_before_err().await;
}

/// Ready at once, and holds its drop guard until it is dropped.
struct Holding {
    _guard: groups::DropGuard,
}

impl Future for Holding {
    type Output = &'static str;

    fn poll(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> Poll<&'static str> {
        Poll::Ready("done")
    }
}

#[test]
fn a_future_that_finishes_is_dropped_when_the_timeout_resolves() {
    on_every_runner(|| async {
        let drops = Drops::new();
        let mut work = pin!(runner::timeout(
            LONG,
            Holding {
                _guard: drops.guard(2)
            }
        ));
        assert_eq!(work.as_mut().await, Ok("done"));
        // `work` is still alive; the future it held is not.
        assert_eq!(drops.dropped(), [2]);
    });
}

#[test]
fn a_ready_future_beats_a_zero_or_past_deadline() {
    on_every_runner(|| async {
        assert_eq!(runner::timeout(Duration::ZERO, async { 1 }).await, Ok(1));
        let past = Instant::now() - Duration::from_secs(1);
        assert_eq!(runner::time::timeout_at(past, async { 2 }).await, Ok(2));
    });
}

#[test]
fn a_zero_timeout_runs_the_future_until_its_first_pending() {
    on_every_runner(|| async {
        let polls = Arc::new(AtomicUsize::new(0));
        let counted = polls.clone();
        let never = poll_fn(move |_| {
            counted.fetch_add(1, Ordering::SeqCst);
            Poll::<()>::Pending
        });
        assert_eq!(runner::timeout(Duration::ZERO, never).await, Err(TimedOut));
        assert_eq!(polls.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn timeout_at_expires_at_its_deadline() {
    on_every_runner(|| async {
        let deadline = Instant::now() + Duration::from_millis(20);
        let work = runner::time::timeout_at(deadline, std::future::pending::<()>());
        assert_eq!(work.deadline(), deadline);
        assert_eq!(work.await, Err(TimedOut));
        assert!(Instant::now() >= deadline);
    });
}

#[test]
fn timeout_measures_from_the_call() {
    on_every_runner(|| async {
        let before = Instant::now();
        let work = runner::timeout(Duration::from_millis(20), std::future::pending::<()>());
        let after = Instant::now();
        let deadline = work.deadline();
        assert!(deadline >= before + Duration::from_millis(20));
        assert!(deadline <= after + Duration::from_millis(20));
        assert_eq!(work.await, Err(TimedOut));
        assert!(Instant::now() >= deadline);
    });
}

#[test]
fn a_duration_too_long_for_the_clock_is_no_limit() {
    runner::run(async {
        let work = runner::timeout(Duration::MAX, async { 3 });
        assert!(work.deadline() > Instant::now() + Duration::from_secs(10 * 365 * 24 * 3600));
        assert_eq!(work.await, Ok(3));
    })
    .unwrap();
}

/// Not a future itself: only `IntoFuture`.
struct Answer;

impl IntoFuture for Answer {
    type Output = u32;
    type IntoFuture = std::future::Ready<u32>;

    fn into_future(self) -> Self::IntoFuture {
        std::future::ready(42)
    }
}

#[test]
fn timeout_accepts_into_future() {
    runner::run(async {
        let work: Timeout<std::future::Ready<u32>> = runner::timeout(LONG, Answer);
        assert_eq!(work.await, Ok(42));
        assert_eq!(
            runner::time::timeout_at(Instant::now(), Answer).await,
            Ok(42)
        );
    })
    .unwrap();
}

#[test]
fn timeouts_run_inside_spawned_tasks_on_worker_threads() {
    let mut runner = runner::Runner::builder().threads(3).build();
    let results = runner
        .run(async {
            let tasks: Vec<_> = (0..6u64)
                .map(|i| {
                    runner::spawn(async move {
                        if i % 2 == 0 {
                            runner::timeout(LONG, async move { i }).await
                        } else {
                            let never = std::future::pending::<u64>();
                            runner::timeout(Duration::from_millis(5), never).await
                        }
                    })
                })
                .collect();
            let mut results = Vec::new();
            for task in tasks {
                results.push(task.await);
            }
            results
        })
        .unwrap();
    let expected = [
        Ok(0),
        Err(TimedOut),
        Ok(2),
        Err(TimedOut),
        Ok(4),
        Err(TimedOut),
    ];
    assert_eq!(results, expected);
}

#[test]
fn the_inner_future_is_available_until_the_timeout_resolves() {
    runner::run(async {
        let mut work = pin!(runner::timeout(LONG, std::future::ready(5)));
        assert_eq!(work.get_ref().map(|_| ()), Some(()));
        assert_eq!(poll_once(work.as_mut()).await, Some(Ok(5)));
        assert!(work.get_ref().is_none());
    })
    .unwrap();
}

#[test]
fn polling_a_resolved_timeout_panics_with_a_clear_message() {
    let panic = std::panic::catch_unwind(|| {
        runner::run(async {
            let mut work = pin!(runner::timeout(LONG, std::future::ready(5)));
            assert_eq!(poll_once(work.as_mut()).await, Some(Ok(5)));
            poll_once(work.as_mut()).await;
        })
    })
    .unwrap_err();
    let message = panic.downcast_ref::<String>().map(String::as_str);
    assert_eq!(
        message,
        Some("a runner::time::Timeout was polled after it resolved")
    );
}

fn is_an_error_value<E>()
where
    E: Debug + Clone + Copy + PartialEq + Eq + Display + Error + Send + Sync + 'static,
{
}

fn is_send<T: Send>(_: &T) {}

#[test]
fn timed_out_is_an_error_value() {
    is_an_error_value::<TimedOut>();
    let error = TimedOut;
    assert_eq!(format!("{error:?}"), "TimedOut");
    assert_eq!(
        error.to_string(),
        "the deadline passed before the future finished"
    );
    assert!(error.source().is_none());

    let io: io::Error = error.into();
    assert_eq!(io.kind(), io::ErrorKind::TimedOut);
    assert_eq!(io.to_string(), error.to_string());
    assert!(io.into_inner().unwrap().downcast::<TimedOut>().is_ok());
}

#[test]
fn timeout_is_send_when_its_future_is() {
    let work = runner::timeout(LONG, async { 1 });
    is_send(&work);
    fn is_future<F: Future>(_: &F) {}
    is_future(&work);
    let text = format!("{work:?}");
    assert!(text.starts_with("Timeout { deadline: "), "{text}");
}

// The channel the tests use (see the file for why it is not `async-channel`).
#[path = "support/channel.rs"]
mod async_channel;
