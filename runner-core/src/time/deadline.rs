//! A point on a runner's clock that a task can wait for: what `Sleep`, `Interval` and `Timeout`
//! are made of.
//!
//! It binds to the runner current when it is made, and waits in that runner's timer queue;
//! outside any runner (or once that runner has closed) it waits on an async-io `Timer`, in real
//! time. Made while its runner's clock is the real one, it reads the real clock and keeps only
//! the number of the runner's clock until it first waits (a timeout around a ready future never
//! does), so that it costs one clock reading and no reference count; while no runner's clock
//! ever left the real one, that number comes from a thread-local cell, without a look at the
//! runner. A number, not an address: a runner made after this one closed may have its address.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use async_io::Timer;

use crate::runner::current;
use crate::time::clock::{self, Time};

pub(crate) struct Deadline {
    at: Instant,
    clock: Clock,
}

enum Clock {
    /// Boxed: a deadline outside any runner is rare, and a `Timer` would make every `Sleep` and
    /// `Timeout` four words larger.
    Real(Option<Box<Timer>>),
    /// Made in the runner whose clock has this number ([`Time::id`]) while that clock was the
    /// real one: bound to it when first needed, if it is current then (else the real clock,
    /// which its clock was).
    Unbound(u64),
    /// With the key of the registration in the runner's queue, once polled.
    Runner(Arc<Time>, Option<u64>),
}

impl Clock {
    /// The clock of a deadline made now: the current runner's, if that clock has left the real
    /// one; otherwise the current runner's, unbound; the real one outside any runner.
    #[inline]
    fn current() -> Clock {
        // While no runner's clock ever left the real one, the clock's number is all it takes,
        // from one cell.
        if clock::all_real() {
            return match current::time_id() {
                0 => Clock::Real(None),
                id => Clock::Unbound(id),
            };
        }
        current::with(|c| match c {
            Some(c) if c.shared.time.is_shifted() => Clock::Runner(c.shared.time.clone(), None),
            Some(c) => Clock::Unbound(c.shared.time.id()),
            None => Clock::Real(None),
        })
    }
}

/// The current runner's time, if the current thread has a runner.
pub(crate) fn current_time() -> Option<Arc<Time>> {
    current::with(|c| c.map(|c| c.shared.time.clone()))
}

impl Deadline {
    /// `duration` from now on the current runner's clock (read once).
    pub(crate) fn after(duration: Duration) -> Deadline {
        let clock = Clock::current();
        let now = match &clock {
            Clock::Runner(time, _) => time.now(),
            // Made now, an unbound deadline's runner is on the real clock.
            Clock::Unbound(_) | Clock::Real(_) => Instant::now(),
        };
        Deadline {
            at: clock::after(now, duration),
            clock,
        }
    }

    pub(crate) fn at(at: Instant) -> Deadline {
        Deadline {
            at,
            clock: Clock::current(),
        }
    }

    /// Binds an unbound deadline to its runner, or to the real clock if that is not current.
    fn bind(&mut self) {
        if let Clock::Unbound(id) = self.clock {
            self.clock = match current_time() {
                Some(time) if time.id() == id => Clock::Runner(time, None),
                _ => Clock::Real(None),
            };
        }
    }

    pub(crate) fn instant(&self) -> Instant {
        self.at
    }

    /// The clock this deadline is on, read now.
    pub(crate) fn now(&self) -> Instant {
        match &self.clock {
            Clock::Runner(time, _) => time.now(),
            Clock::Unbound(_) if clock::all_real() => Instant::now(),
            Clock::Unbound(id) => current::with(|c| match c {
                Some(c) if c.shared.time.id() == *id => c.shared.time.now(),
                _ => Instant::now(),
            }),
            Clock::Real(_) => Instant::now(),
        }
    }

    pub(crate) fn is_elapsed(&self) -> bool {
        self.now() >= self.at
    }

    /// Moves the deadline; a registration made after this counts as a new one (ties go last).
    pub(crate) fn reset(&mut self, at: Instant) {
        self.deregister();
        self.at = at;
    }

    pub(crate) fn poll_elapsed(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        self.bind();
        let at = self.at;
        match &mut self.clock {
            Clock::Runner(time, key) => {
                if time.now() >= at {
                    if let Some(key) = key.take() {
                        time.timers.remove(at, key);
                    }
                    return Poll::Ready(());
                }
                if let Some(k) = *key {
                    if time.timers.update(at, k, cx.waker()) {
                        return Poll::Pending;
                    }
                    // Fired (and the clock is past `at`, or the runner has closed).
                    *key = None;
                    if time.now() >= at {
                        return Poll::Ready(());
                    }
                }
                match time.insert(at, cx.waker()) {
                    Some(k) => {
                        *key = Some(k);
                        Poll::Pending
                    }
                    None => {
                        // The runner has closed: wait in real time from here on.
                        let real = time.real_deadline(at);
                        self.clock = Clock::Real(Some(Box::new(Timer::at(real))));
                        self.poll_elapsed(cx)
                    }
                }
            }
            Clock::Real(timer) => {
                let timer = timer.get_or_insert_with(|| Box::new(Timer::at(at)));
                // A fired timer has no deadline left and would stay pending.
                if !timer.will_fire() {
                    return Poll::Ready(());
                }
                Pin::new(&mut **timer).poll(cx).map(drop)
            }
            Clock::Unbound(_) => unreachable!("bound above"),
        }
    }

    fn deregister(&mut self) {
        match &mut self.clock {
            Clock::Runner(time, key) => {
                if let Some(key) = key.take() {
                    time.timers.remove(self.at, key);
                }
            }
            Clock::Real(timer) => *timer = None,
            Clock::Unbound(_) => {}
        }
    }
}

impl Drop for Deadline {
    fn drop(&mut self) {
        if let Clock::Runner(time, Some(key)) = &self.clock {
            time.timers.remove(self.at, *key);
        }
    }
}

impl std::fmt::Debug for Deadline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deadline")
            .field("at", &self.at)
            .field("real", &matches!(self.clock, Clock::Real(_)))
            .finish()
    }
}
