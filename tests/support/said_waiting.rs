//! Awaiting a future and saying when it has begun to wait.

use std::future::Future;
use std::pin::pin;
use std::sync::mpsc;
use std::task::Poll;

/// Awaits `awaited`, and says so on `waiting` once its first poll is pending: the awaiter's
/// waker is with what it awaits by then, so what the test does next tests the wake, not a late
/// first poll.
pub async fn said_waiting<F: Future>(awaited: F, waiting: mpsc::Sender<()>) -> F::Output {
    let mut awaited = pin!(awaited);
    let mut waiting = Some(waiting);
    futures_lite::future::poll_fn(move |cx| {
        let poll = awaited.as_mut().poll(cx);
        if let (Poll::Pending, Some(waiting)) = (&poll, waiting.take()) {
            let _ = waiting.send(());
        }
        poll
    })
    .await
}
