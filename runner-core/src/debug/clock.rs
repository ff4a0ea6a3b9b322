//! The clock debug mode times polls with.
//!
//! Debug mode reads the clock twice per poll, so the clock's cost is debug mode's cost. On Linux
//! it is `CLOCK_MONOTONIC_COARSE`, much cheaper to read than `Instant::now` (bench/README.md,
//! "Design notes"), at the resolution of the kernel tick (1-4 ms). That is ample for thresholds
//! of tens of milliseconds; a reported duration may be off by a tick, or by more on an overloaded
//! virtual machine, whose clock updates can come late. Under valgrind, build with the `valgrind`
//! feature: rustix then reads the clock through libc.

use std::time::Duration;

/// A point in time: the time since an origin fixed for the process. Never zero, so that an
/// atomic holding a stamp's [`nanos`](Stamp::nanos) can use 0 for "none".
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Stamp(Duration);

impl Stamp {
    #[inline]
    pub(crate) fn now() -> Stamp {
        Stamp(imp::since_origin().max(Duration::from_nanos(1)))
    }

    #[inline]
    pub(crate) fn elapsed(self) -> Duration {
        Stamp::now().0.saturating_sub(self.0)
    }

    /// The time from `earlier` to this stamp (zero if `earlier` is later).
    pub(crate) fn since(self, earlier: Stamp) -> Duration {
        self.0.saturating_sub(earlier.0)
    }

    /// This stamp plus `duration`.
    pub(crate) fn after(self, duration: Duration) -> Stamp {
        Stamp(self.0.saturating_add(duration))
    }

    /// The stamp in nanoseconds (at least 1), for an atomic.
    #[inline]
    pub(crate) fn nanos(self) -> u64 {
        u64::try_from(self.0.as_nanos()).unwrap_or(u64::MAX)
    }

    /// The stamp that [`nanos`](Stamp::nanos) gave `nanos`.
    pub(crate) fn from_nanos(nanos: u64) -> Stamp {
        Stamp(Duration::from_nanos(nanos))
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    use rustix::time::{clock_gettime, ClockId};
    use std::time::Duration;

    #[inline]
    pub(super) fn since_origin() -> Duration {
        let t = clock_gettime(ClockId::MonotonicCoarse);
        // The coarse monotonic clock is never negative.
        Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod imp {
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    pub(super) fn since_origin() -> Duration {
        static ORIGIN: OnceLock<Instant> = OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed()
    }
}
