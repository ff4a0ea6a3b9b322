//! When a paused clock may jump: the one place that decides whether a runner is idle.
//!
//! Whoever drives a paused runner calls [`advance_if_idle`] when it has found no runnable task
//! and nothing has woken since it looked. The driver knows its own queues; this function
//! checks the rest (blocking jobs, I/O already ready in the kernel), then moves the clock.

use std::task::Poll;
use std::time::Duration;

use async_io::Timer;
use futures_lite::future;

use crate::runner::shared::Shared;

/// What [`advance_if_idle`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idle {
    /// The clock jumped to the earliest deadline and fired the timers due.
    Jumped,
    /// Not idle after all: something woke, or a blocking job finished; look again.
    Busy,
}

/// How long every task waits, in real time, while blocking jobs hold the paused clock, before
/// debug mode says so ([`Diagnostic::PausedClockHeld`](crate::diagnostic::Diagnostic)).
const HELD_CLOCK_REPORT: Duration = Duration::from_secs(1);

/// Moves the paused clock of `shared`'s runner to its earliest deadline if the runner is idle.
///
/// `woke` tells whether the driver's own tasks have woken since it found none runnable; the
/// driver's waker must be woken whenever it turns true. The runner is idle when, in this order:
/// no blocking job of the runner is queued or running; the reactor has dispatched every I/O
/// event ready in the kernel (a reactor barrier) and `woke` is still false. With no deadline at
/// all, it waits until something wakes.
pub(crate) async fn advance_if_idle(shared: &Shared, woke: impl Fn() -> bool) -> Idle {
    let woken = || {
        future::poll_fn(|_| {
            if woke() {
                Poll::Ready(Idle::Busy)
            } else {
                Poll::Pending
            }
        })
    };
    if shared.blocking.running() > 0 {
        // A job holds the clock: wait for the last to end, or for a task to wake. Debug mode
        // names the jobs if that takes long (a job that sleeps on this clock waits for good).
        let jobs_done = async {
            shared.blocking.until_none().await;
            Idle::Busy
        };
        let held_long = async {
            if shared.held_clock_unreported() {
                Timer::after(HELD_CLOCK_REPORT).await;
                shared.report_held_clock();
            }
            future::pending().await
        };
        return future::or(woken(), future::or(jobs_done, held_long)).await;
    }
    let time = &shared.time;
    match time.barrier() {
        Some(barrier) => {
            let passed = async {
                barrier.pass().await;
                Idle::Jumped
            };
            if future::or(woken(), passed).await == Idle::Busy {
                return Idle::Busy;
            }
        }
        // Without a barrier, a return to the driver (whose `block_on` may poll the reactor) is
        // all the look at I/O there is: the driver may poll this future at once.
        None => future::yield_now().await,
    }
    if woke() || shared.blocking.running() > 0 {
        return Idle::Busy;
    }
    match time.timers.next_deadline() {
        Some(deadline) => {
            time.jump_to(deadline);
            time.timers.fire_due_past_panics(time.now());
            Idle::Jumped
        }
        None => woken().await,
    }
}
