//! `yield_now`: asyncio's `await asyncio.sleep(0)`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Lets the other tasks run before the current one continues: asyncio's `asyncio.sleep(0)`.
///
/// The returned future is pending once (after waking itself), then ready. A loop that computes
/// for long stretches without awaiting anything can call it now and then so that it does not hold
/// its thread.
///
/// # Examples
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::sync::Arc;
///
/// runner::Runner::builder().threads(1).build().run(async {
///     let ran = Arc::new(AtomicBool::new(false));
///     let flag = ran.clone();
///     let task = runner::spawn(async move { flag.store(true, Ordering::SeqCst) });
///     while !ran.load(Ordering::SeqCst) {
///         runner::yield_now().await; // one thread: the task runs only while we yield
///     }
///     task.await;
/// })
/// .unwrap();
/// ```
pub fn yield_now() -> YieldNow {
    YieldNow { yielded: false }
}

/// The future of [`yield_now`].
///
/// # Examples
///
/// ```
/// let yielding: runner::task::YieldNow = runner::yield_now();
/// runner::run(yielding).unwrap();
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless you `.await` or poll them"]
pub struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
