//! The clock debug mode times polls with.
//!
//! Debug mode reads the clock at the start and the end of each poll, so the clock's cost is
//! debug mode's cost. A poll of the one-thread engine starts at the stamp that the poll before
//! it on the thread ended at, when nothing but that engine's loop ran in between
//! ([`Stamp::poll_start`]): one read per poll there. On Linux
//! it is `CLOCK_MONOTONIC_COARSE`, much cheaper to read than `Instant::now` (bench/README.md,
//! "Design notes"), at the resolution of the kernel tick (1-4 ms). That is ample for thresholds
//! of tens of milliseconds; a reported duration may be off by a tick, or by more on an overloaded
//! virtual machine, whose clock updates can come late. Under valgrind, build with the `valgrind`
//! feature: rustix then reads the clock through libc.

use std::cell::Cell;
use std::time::Duration;

thread_local! {
    /// The end of the last poll of the one-thread engine on this thread, for the next poll's
    /// start; 0: none to reuse.
    static LAST_END: Cell<u64> = const { Cell::new(0) };
}

/// A point in time: nanoseconds since an origin fixed for the process. Never zero, so that an
/// atomic holding a stamp's [`nanos`](Stamp::nanos) can use 0 for "none".
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Stamp(u64);

impl Stamp {
    #[inline]
    pub(crate) fn now() -> Stamp {
        Stamp(imp::nanos_since_origin().max(1))
    }

    #[inline]
    pub(crate) fn elapsed(self) -> Duration {
        Stamp::now().since(self)
    }

    /// The start of a poll that the one-thread engine runs: the end of the poll before it on
    /// this thread ([`poll_end`](Stamp::poll_end)) if nothing else ran since, or else now. The
    /// engine's loop and everything that runs code outside a poll between two polls call
    /// [`forget_poll_end`]; the gap it leaves is the loop's own, nanoseconds, far below the
    /// coarse clock's tick.
    #[inline]
    pub(crate) fn poll_start() -> Stamp {
        match LAST_END.try_with(|end| end.replace(0)) {
            Ok(end) if end != 0 => Stamp(end),
            _ => Stamp::now(),
        }
    }

    /// Now, kept as the start of the next poll of the one-thread engine on this thread.
    #[inline]
    pub(crate) fn poll_end() -> Stamp {
        let now = Stamp::now();
        let _ = LAST_END.try_with(|end| end.set(now.0));
        now
    }

    /// The time from `earlier` to this stamp (zero if `earlier` is later).
    pub(crate) fn since(self, earlier: Stamp) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }

    /// This stamp plus `duration`.
    pub(crate) fn after(self, duration: Duration) -> Stamp {
        Stamp(self.0.saturating_add(saturating_nanos(duration)))
    }

    /// The stamp in nanoseconds (at least 1), for an atomic.
    #[inline]
    pub(crate) fn nanos(self) -> u64 {
        self.0
    }

    /// The stamp that [`nanos`](Stamp::nanos) gave `nanos`.
    pub(crate) fn from_nanos(nanos: u64) -> Stamp {
        Stamp(nanos)
    }
}

/// Code other than a poll may run next on this thread (the engine's loop parked, or runs
/// something untracked; a task's future is dropped): the next poll reads the clock.
#[inline]
pub(crate) fn forget_poll_end() {
    let _ = LAST_END.try_with(|end| end.set(0));
}

/// `duration` in nanoseconds, at most `u64::MAX`.
pub(crate) fn saturating_nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    use rustix::time::{clock_gettime, ClockId};

    #[inline]
    pub(super) fn nanos_since_origin() -> u64 {
        let t = clock_gettime(ClockId::MonotonicCoarse);
        // The coarse monotonic clock is never negative; u64 nanoseconds last 584 years.
        (t.tv_sec as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(t.tv_nsec as u64)
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod imp {
    use std::sync::OnceLock;
    use std::time::Instant;

    pub(super) fn nanos_since_origin() -> u64 {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        let elapsed = ORIGIN.get_or_init(Instant::now).elapsed();
        u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX)
    }
}
