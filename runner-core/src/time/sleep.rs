//! Sleeping and ticking: `sleep`, `sleep_until` and `interval`, on the runner's clock.
//!
//! [`Sleep`] is a plain future, not a stream, so `.fuse()` and friends are never ambiguous with
//! both `FutureExt` and `StreamExt` in scope; [`Interval`] is the stream.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_lite::Stream;

use crate::time::deadline::Deadline;

/// Sleeps for `duration`: asyncio's `asyncio.sleep(delay)`.
///
/// The deadline is taken when `sleep` is called, not when the future is first polled, on the
/// clock of the runner current then ([`runner::time::now`](crate::time::now); real time outside
/// any runner). A duration too long to add to the clock (such as `Duration::MAX`) sleeps
/// practically forever.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// runner::run(async {
///     let start = Instant::now();
///     runner::sleep(Duration::from_millis(10)).await;
///     assert!(start.elapsed() >= Duration::from_millis(10));
/// })
/// .unwrap();
/// ```
pub fn sleep(duration: Duration) -> Sleep {
    Sleep {
        deadline: Deadline::after(duration),
    }
}

/// Sleeps until `deadline` on the current runner's clock; a deadline in the past is ready at once.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// runner::run(async {
///     let deadline = Instant::now() + Duration::from_millis(10);
///     runner::time::sleep_until(deadline).await;
///     assert!(Instant::now() >= deadline);
/// })
/// .unwrap();
/// ```
pub fn sleep_until(deadline: Instant) -> Sleep {
    Sleep {
        deadline: Deadline::at(deadline),
    }
}

/// The future of [`sleep`] and [`sleep_until`]: resolves to `()` once its deadline has passed.
///
/// It is `Unpin`, and a plain [`Future`] only (unlike async-io's `Timer`, it is not a `Stream`), so
/// `sleep(d).fuse()` compiles with both `FutureExt` and `StreamExt` in scope. Once it has fired,
/// it stays ready until [`reset`](Sleep::reset). For ticks, see [`interval`].
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use runner::time::Sleep;
///
/// runner::run(async {
///     let mut sleep: Sleep = runner::sleep(Duration::from_millis(5));
///     (&mut sleep).await; // Unpin: it can be awaited by reference
///     assert!(Instant::now() >= sleep.deadline());
/// })
/// .unwrap();
/// ```
///
/// It is not a stream (async-io's `Timer` is one):
///
/// ```compile_fail
/// fn is_stream<S: futures_lite::Stream>(_: S) {}
/// is_stream(runner::sleep(std::time::Duration::from_secs(1)));
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    deadline: Deadline,
}

impl Sleep {
    /// The instant this sleep ends.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// assert_eq!(runner::time::sleep_until(deadline).deadline(), deadline);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline.instant()
    }

    /// Whether the deadline has passed on its runner's clock (the sleep is ready).
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// assert!(runner::sleep(Duration::ZERO).is_elapsed());
    /// assert!(!runner::sleep(Duration::from_secs(3600)).is_elapsed());
    /// ```
    pub fn is_elapsed(&self) -> bool {
        self.deadline.is_elapsed()
    }

    /// Moves the deadline, earlier or later, even after the sleep has fired: it then sleeps again.
    /// For the order of timers due at the same instant, it counts as registered anew.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// runner::run(async {
    ///     let mut sleep = runner::sleep(Duration::from_secs(3600));
    ///     let sooner = Instant::now() + Duration::from_millis(5);
    ///     sleep.reset(sooner);
    ///     sleep.await;
    ///     assert!(Instant::now() >= sooner);
    /// })
    /// .unwrap();
    /// ```
    pub fn reset(&mut self, deadline: Instant) {
        self.deadline.reset(deadline);
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // The clock never goes back: a fired sleep stays ready.
        self.deadline.poll_elapsed(cx)
    }
}

/// A stream that yields the [`Instant`] of each tick, every `period`, the first one `period`
/// from now.
///
/// Each tick is due one period after the previous one was due, not after it was taken: a
/// consumer that falls behind gets the missed ticks at once, each with the instant it was due.
/// The ticks follow the clock of the runner current when `interval` is called.
///
/// # Examples
///
/// ```
/// use futures_lite::StreamExt;
/// use std::time::Duration;
///
/// runner::run(async {
///     let ticks: Vec<_> = runner::time::interval(Duration::from_millis(2)).take(3).collect().await;
///     assert!(ticks[0] < ticks[1] && ticks[1] < ticks[2]);
///     assert_eq!(ticks[2] - ticks[1], Duration::from_millis(2));
/// })
/// .unwrap();
/// ```
///
/// # Panics
///
/// Panics when `period` is zero.
#[track_caller]
pub fn interval(period: Duration) -> Interval {
    check_period(period);
    Interval {
        deadline: Deadline::after(period),
        period,
    }
}

/// Like [`interval`], with the first tick at `start`.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// runner::run(async {
///     let start = Instant::now();
///     let mut ticks = runner::time::interval_at(start, Duration::from_secs(3600));
///     assert_eq!(ticks.tick().await, start); // due already: at once
/// })
/// .unwrap();
/// ```
///
/// # Panics
///
/// Panics when `period` is zero.
#[track_caller]
pub fn interval_at(start: Instant, period: Duration) -> Interval {
    check_period(period);
    Interval {
        deadline: Deadline::at(start),
        period,
    }
}

#[track_caller]
fn check_period(period: Duration) {
    assert!(
        !period.is_zero(),
        "runner::time::interval was given a period of zero, which would tick without end; \
         give it a period above zero (for a bare yield, use runner::yield_now)"
    );
}

/// The stream of [`interval`] and [`interval_at`]: the [`Instant`] of each tick, without end.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
///
/// runner::run(async {
///     let mut ticks = runner::time::interval(Duration::from_millis(2));
///     let first = ticks.tick().await;
///     assert!(Instant::now() >= first);
///     assert_eq!(ticks.tick().await - first, ticks.period());
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
#[must_use = "streams do nothing unless polled"]
pub struct Interval {
    deadline: Deadline,
    period: Duration,
}

impl Interval {
    /// Waits for the next tick and returns the instant it was due.
    ///
    /// # Examples
    ///
    /// See [`Interval`].
    pub async fn tick(&mut self) -> Instant {
        futures_lite::StreamExt::next(self)
            .await
            .expect("an interval never ends")
    }

    /// The time between two ticks.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let ticks = runner::time::interval(Duration::from_millis(250));
    /// assert_eq!(ticks.period(), Duration::from_millis(250));
    /// ```
    pub fn period(&self) -> Duration {
        self.period
    }
}

impl Stream for Interval {
    type Item = Instant;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Instant>> {
        let this = &mut *self;
        if this.deadline.poll_elapsed(cx).is_pending() {
            return Poll::Pending;
        }
        let due = this.deadline.instant();
        // The next tick is a new registration: it goes after the timers already due with it.
        let next = crate::time::clock::after(due, this.period);
        this.deadline.reset(next);
        Poll::Ready(Some(due))
    }
}
