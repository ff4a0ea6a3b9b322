//! The clock debug mode times polls with.
//!
//! Debug mode reads the clock twice per poll, so the clock's cost is debug mode's cost. On Linux
//! it is `CLOCK_MONOTONIC_COARSE`, much cheaper to read than `Instant::now` (bench/README.md,
//! "Design notes"), at the resolution of the kernel tick (1-4 ms). That is ample for thresholds
//! of tens of milliseconds; a reported duration may be off by a tick, or by more on an overloaded
//! virtual machine, whose clock updates can come late. Under valgrind, build with the `valgrind`
//! feature: rustix then reads the clock through libc.

use std::time::Duration;

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
        Duration::from_nanos(self.elapsed_nanos())
    }

    /// [`elapsed`](Stamp::elapsed) in nanoseconds.
    #[inline]
    pub(crate) fn elapsed_nanos(self) -> u64 {
        Stamp::now().0.saturating_sub(self.0)
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

fn saturating_nanos(duration: Duration) -> u64 {
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
