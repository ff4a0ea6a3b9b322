//! Sleeping and ticking: `sleep`, `sleep_until` and `interval`, on async-io's timers.
//!
//! [`Sleep`] is a plain future, not a stream, so `.fuse()` and friends are never ambiguous with
//! both `FutureExt` and `StreamExt` in scope; [`Interval`] is the stream.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_io::Timer;
use futures_lite::Stream;

/// Sleeps for `duration`: asyncio's `asyncio.sleep(delay)`.
///
/// The deadline is taken when `sleep` is called, not when the future is first polled. A duration
/// too long to add to the clock (such as `Duration::MAX`) sleeps practically forever.
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
    sleep_until(deadline_after(duration))
}

/// Sleeps until `deadline`; a deadline in the past is ready at once.
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
        timer: Timer::at(deadline),
        deadline,
    }
}

/// The future of [`sleep`] and [`sleep_until`]: resolves to `()` once its deadline has passed.
///
/// It is `Unpin`, and a plain [`Future`] only (unlike [`Timer`], it is not a `Stream`), so
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
/// It is not a stream ([`Timer`] is one):
///
/// ```compile_fail
/// fn is_stream<S: futures_lite::Stream>(_: S) {}
/// is_stream(runner::sleep(std::time::Duration::from_secs(1)));
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct Sleep {
    timer: Timer,
    deadline: Instant,
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
        self.deadline
    }

    /// Whether the deadline has passed (the sleep is ready).
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
        Instant::now() >= self.deadline
    }

    /// Moves the deadline, earlier or later, even after the sleep has fired: it then sleeps again.
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
        self.timer.set_at(deadline);
        self.deadline = deadline;
    }
}

impl Future for Sleep {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // A fired timer has no deadline left and would stay pending: a fired sleep stays ready.
        if !self.timer.will_fire() {
            return Poll::Ready(());
        }
        Pin::new(&mut self.timer).poll(cx).map(drop)
    }
}

/// A stream that yields the [`Instant`] of each tick, every `period`, the first one `period`
/// from now.
///
/// Each tick is due one period after the previous one was due, not after it was taken: a
/// consumer that falls behind gets the missed ticks at once, each with the instant it was due.
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
    interval_at(deadline_after(period), period)
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
    assert!(
        !period.is_zero(),
        "runner::time::interval was given a period of zero, which would tick without end; \
         give it a period above zero (for a bare yield, use runner::yield_now)"
    );
    Interval {
        timer: Timer::interval_at(start, period),
        period,
    }
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
    timer: Timer,
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
        Pin::new(&mut self.timer).poll_next(cx)
    }
}

/// `duration` from now; a duration too long for the clock ends about thirty years from now.
pub(crate) fn deadline_after(duration: Duration) -> Instant {
    const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);
    let now = Instant::now();
    now.checked_add(duration)
        .unwrap_or_else(|| now + FAR_FUTURE)
}
