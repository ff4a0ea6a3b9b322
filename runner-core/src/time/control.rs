//! The runner's clock as tasks see it: [`now`], and pausing it for tests ([`pause`],
//! [`resume`], [`advance`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::runner::current::{self, Role};
use crate::time::clock::{self, Time, Unpausable};

/// The current runner's clock: `Instant::now()`, except in a runner whose time is paused (or
/// was, and has resumed).
///
/// Paused, it starts at the real instant the clock was paused and moves only when the runner is
/// idle (to the next timer's deadline) or through [`advance`]. After [`resume`] it goes on from
/// the instant it showed, at real speed: it never goes back. Outside any runner it is
/// `Instant::now()`. `std::time::Instant::now()` always stays real: use this function in code
/// that paused tests should see in virtual time.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let mut paused = runner::Builder::new().start_paused(true).build();
/// paused.run(async {
///     let start = runner::time::now();
///     runner::sleep(Duration::from_secs(3600)).await; // at once, in real time
///     assert_eq!(runner::time::now() - start, Duration::from_secs(3600));
/// })
/// .unwrap();
/// ```
pub fn now() -> Instant {
    // Every runner's clock is the real one until one is paused: no look at the runner then.
    if clock::all_real() {
        return Instant::now();
    }
    current::with(|c| match c {
        Some(c) => c.shared.time.now(),
        None => Instant::now(),
    })
}

/// Pauses the current runner's clock: from now on it moves only when the runner is idle, or
/// through [`advance`]. tokio's `time::pause`.
///
/// The runner is idle when no task is runnable, no blocking job of the runner is queued or
/// running, and no I/O event that is already ready in the kernel is left to dispatch. Then the
/// clock jumps to the earliest timer's deadline and fires the timers due, in deadline order,
/// timers due at the same instant in the order they were registered (a [`Sleep::reset`] and an
/// [`Interval`]'s next tick count as registering anew). The tasks they woke run in the order they
/// were woken; the future given to `run` runs before the tasks. The same program sees the same
/// order and the same instants every run.
///
/// Sleeps and timeouts made before the pause keep their deadlines: a deadline is a point on the
/// runner's clock.
///
/// [`Sleep::reset`]: crate::time::Sleep::reset
/// [`Interval`]: crate::time::Interval
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let mut runner = runner::Builder::new().threads(1).build();
/// runner.run(async {
///     runner::time::pause();
///     let start = runner::time::now();
///     runner::sleep(Duration::from_secs(60)).await;
///     assert_eq!(runner::time::now() - start, Duration::from_secs(60));
/// })
/// .unwrap();
/// ```
///
/// # Panics
///
/// Outside a runner, in a blocking job, when the clock is paused already, and in a runner with
/// more than one thread or an executor from `executor_factory`: paused time needs one thread.
#[track_caller]
pub fn pause() {
    let time = runner_time("pause");
    match time.unpausable() {
        Some(Unpausable::Threads(threads)) => panic!(
            "runner::time::pause was called in a runner with {threads} threads: paused time \
             needs one thread; build the runner with Builder::threads(1) (or start_paused(true), \
             which runs on one thread unless given more)"
        ),
        Some(Unpausable::ExecutorFactory) => panic!(
            "runner::time::pause was called in a runner whose executor came from \
             executor_factory: paused time needs one thread, and other threads may run that \
             executor; leave out executor_factory to pause time"
        ),
        None => {}
    }
    assert!(
        time.pause(),
        "runner::time::pause was called while the runner's time was paused already; call \
         runner::time::resume first"
    );
}

/// Lets the current runner's paused clock run again at real speed, from the instant it shows:
/// [`now`] never goes back. tokio's `time::resume`.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let mut runner = runner::Builder::new().start_paused(true).build();
/// runner.run(async {
///     let start = runner::time::now();
///     runner::time::advance(Duration::from_secs(10)).await;
///     runner::time::resume();
///     runner::sleep(Duration::from_millis(5)).await; // 5 real milliseconds
///     assert!(runner::time::now() - start >= Duration::from_millis(10_005));
/// })
/// .unwrap();
/// ```
///
/// # Panics
///
/// Outside a runner, in a blocking job, and when the clock is not paused.
#[track_caller]
pub fn resume() {
    let time = runner_time("resume");
    assert!(
        time.resume(),
        "runner::time::resume was called while the runner's time was not paused; call \
         runner::time::pause (or build the runner with start_paused) first"
    );
}

/// Moves the current runner's paused clock forward by exactly `duration`, the way sleeping
/// would: one deadline at a time. A duration too long to add to the clock (such as
/// `Duration::MAX`) moves it about thirty years, the far end that [`sleep`](crate::sleep) and
/// [`timeout`](crate::timeout) use for such durations too.
///
/// It first lets the runnable tasks run once, so that the timers they are about to set are
/// known. Then at each step the clock moves to the next timer's deadline (at most the end),
/// fires the timers due then, and lets the tasks they woke run once before the next step. It
/// returns when the clock shows its start plus `duration`; it does not wait for tasks to finish
/// or go idle.
/// Prefer [`sleep`](crate::sleep), which lets the runner advance the clock by itself.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
///
/// let mut runner = runner::Builder::new().start_paused(true).build();
/// runner.run(async {
///     let start = runner::time::now();
///     let mut ticks = runner::time::interval(Duration::from_secs(1));
///     let ticks = runner::spawn(async move {
///         for _ in 0..3 {
///             ticks.tick().await;
///         }
///     });
///     runner::time::advance(Duration::from_millis(3500)).await;
///     assert_eq!(runner::time::now() - start, Duration::from_millis(3500));
///     assert!(ticks.is_finished());
/// })
/// .unwrap();
/// ```
///
/// # Panics
///
/// Outside a runner, in a blocking job, and when the clock is not paused. A timer's waker that
/// panics as `advance` fires it (a hand-written future's) passes its panic on to the caller,
/// once the other timers due are woken; a jump of the idle runner goes on instead, as the
/// timers of an unpaused runner do.
pub async fn advance(duration: Duration) {
    let time = runner_time("advance");
    assert!(
        time.is_paused(),
        "runner::time::advance was called while the runner's time was not paused; call \
         runner::time::pause (or build the runner with start_paused) first"
    );
    let target = clock::after(time.now(), duration);
    crate::task::yield_now().await;
    loop {
        let step = time
            .timers
            .next_deadline()
            .filter(|&next| next < target)
            .unwrap_or(target);
        time.jump_to(step);
        if let Err(payload) = time.timers.fire_due(step) {
            std::panic::resume_unwind(payload);
        }
        // The woken tasks run before the next step (they are queued ahead of this one).
        crate::task::yield_now().await;
        if step >= target {
            return;
        }
    }
}

/// The runner's time for `function`, which must be called from the runner's own code.
#[track_caller]
fn runner_time(function: &str) -> Arc<Time> {
    let time = current::with(|c| match c {
        Some(c) if !matches!(c.role, Role::Blocking(_)) => Some(c.shared.time.clone()),
        _ => None,
    });
    time.unwrap_or_else(|| {
        panic!(
            "runner::time::{function} must be called inside a runner: from the future given to \
             run (or #[runner::main] / #[runner::test]) or a task it spawned, not outside any \
             runner nor from a blocking job"
        )
    })
}
