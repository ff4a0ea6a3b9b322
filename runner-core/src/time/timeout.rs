//! Deadlines for futures: `timeout` and `timeout_at`, asyncio's `timeout` and `wait_for`.

use std::error::Error;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use pin_project_lite::pin_project;

use crate::time::deadline::Deadline;

/// Runs `future` for at most `duration`: asyncio's `asyncio.timeout(delay)` and
/// `asyncio.wait_for(aw, timeout)`.
///
/// The returned future resolves to `Ok` with the output of `future` if it finishes in time, and
/// to `Err(TimedOut)` otherwise; in that case `future` has been dropped (its destructors have
/// run) before the `Err` is returned. The clock starts when `timeout` is called. `future` is
/// polled before the deadline is checked, so one that is ready on its first poll gives `Ok` even
/// with a zero duration. A duration too long to add to the clock (such as `Duration::MAX`) is no
/// limit in practice.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use runner::TimedOut;
///
/// runner::run(async {
///     let quick = runner::timeout(Duration::from_secs(5), async { 42 }).await;
///     assert_eq!(quick, Ok(42));
///
///     let slow = runner::sleep(Duration::from_secs(3600));
///     assert_eq!(runner::timeout(Duration::from_millis(5), slow).await, Err(TimedOut));
/// })
/// .unwrap();
/// ```
pub fn timeout<F: IntoFuture>(duration: Duration, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: Some(future.into_future()),
        deadline: Deadline::after(duration),
    }
}

/// Runs `future` until `deadline` at the latest: asyncio's `asyncio.timeout_at(when)`.
///
/// Otherwise the same as [`timeout`]; a deadline in the past still lets `future` run until its
/// first `Pending`.
///
/// # Examples
///
/// ```
/// use std::time::{Duration, Instant};
/// use runner::TimedOut;
///
/// runner::run(async {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     let never = std::future::pending::<()>();
///     assert_eq!(runner::time::timeout_at(deadline, never).await, Err(TimedOut));
///     assert!(Instant::now() >= deadline);
/// })
/// .unwrap();
/// ```
pub fn timeout_at<F: IntoFuture>(deadline: Instant, future: F) -> Timeout<F::IntoFuture> {
    Timeout {
        future: Some(future.into_future()),
        deadline: Deadline::at(deadline),
    }
}

pin_project! {
    /// The future of [`timeout`] and [`timeout_at`]: the inner future's output, or
    /// [`TimedOut`] once the deadline has passed.
    ///
    /// Dropping it drops the inner future; so does resolving, either way.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::Duration;
    /// use runner::time::{TimedOut, Timeout};
    ///
    /// runner::run(async {
    ///     let work: Timeout<_> = runner::timeout(Duration::from_secs(5), async { "done" });
    ///     let result: Result<&str, TimedOut> = work.await;
    ///     assert_eq!(result, Ok("done"));
    /// })
    /// .unwrap();
    /// ```
    ///
    /// # Panics
    ///
    /// Polling it again after it has resolved panics.
    #[must_use = "futures do nothing unless you `.await` or poll them"]
    pub struct Timeout<F> {
        // `None` once resolved: on expiry the future is dropped before `Err` is returned.
        #[pin]
        future: Option<F>,
        deadline: Deadline,
    }
}

impl<F> Timeout<F> {
    /// The instant after which the inner future is dropped and [`TimedOut`] returned.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    ///
    /// let deadline = Instant::now() + Duration::from_secs(1);
    /// let work = runner::time::timeout_at(deadline, async {});
    /// assert_eq!(work.deadline(), deadline);
    /// ```
    pub fn deadline(&self) -> Instant {
        self.deadline.instant()
    }

    /// The inner future, or `None` once the timeout has resolved.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::future::Ready;
    /// use std::time::Duration;
    ///
    /// let work = runner::timeout(Duration::from_secs(1), std::future::ready(7));
    /// let inner: Option<&Ready<i32>> = work.get_ref();
    /// assert!(inner.is_some());
    /// ```
    pub fn get_ref(&self) -> Option<&F> {
        self.future.as_ref()
    }
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("deadline", &self.deadline.instant())
            .field("resolved", &self.future.is_none())
            .finish_non_exhaustive()
    }
}

impl<F: Future> Future for Timeout<F> {
    type Output = Result<F::Output, TimedOut>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let future = this
            .future
            .as_mut()
            .as_pin_mut()
            .expect("a runner::time::Timeout was polled after it resolved");
        if let Poll::Ready(output) = future.poll(cx) {
            this.future.set(None);
            return Poll::Ready(Ok(output));
        }
        match this.deadline.poll_elapsed(cx) {
            Poll::Ready(()) => {
                this.future.set(None);
                Poll::Ready(Err(TimedOut))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

/// The error of [`timeout`] and [`timeout_at`]: the deadline passed before the future finished
/// (asyncio's `TimeoutError`).
///
/// It converts into an [`io::Error`] of kind [`io::ErrorKind::TimedOut`], so `?` works in
/// functions that return `io::Result`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use runner::TimedOut;
///
/// async fn read_config() -> std::io::Result<String> {
///     let read = runner::sleep(Duration::from_secs(3600)); // a read that hangs
///     runner::timeout(Duration::from_millis(5), read).await?;
///     Ok("config".to_owned())
/// }
///
/// let error = runner::run(read_config()).unwrap().unwrap_err();
/// assert_eq!(error.kind(), std::io::ErrorKind::TimedOut);
/// assert_eq!(TimedOut.to_string(), "the deadline passed before the future finished");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct TimedOut;

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the deadline passed before the future finished")
    }
}

impl Error for TimedOut {}

impl From<TimedOut> for io::Error {
    fn from(timed_out: TimedOut) -> io::Error {
        io::Error::new(io::ErrorKind::TimedOut, timed_out)
    }
}
