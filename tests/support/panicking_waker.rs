//! A sleep registered by a waker that panics when woken, as a hand-written combinator's might:
//! for the tests of what a timer's firing does with that panic.
//!
//! Include with `#[path = "support/panicking_waker.rs"] mod panicking_waker;`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::time::Duration;

/// The message of [`PanicsOnWake`]'s panic.
pub const MESSAGE: &str = "a waker that panics";

struct PanicsOnWake;

impl Wake for PanicsOnWake {
    fn wake(self: Arc<Self>) {
        panic!("{MESSAGE}");
    }
}

/// A sleep of `duration`, registered by one poll with a waker that panics when woken.
pub fn sleep_with_a_panicking_waker(duration: Duration) -> Pin<Box<runner::time::Sleep>> {
    let mut sleep = Box::pin(runner::sleep(duration));
    let waker = Waker::from(Arc::new(PanicsOnWake));
    let polled = sleep.as_mut().poll(&mut Context::from_waker(&waker));
    assert!(polled.is_pending());
    sleep
}
