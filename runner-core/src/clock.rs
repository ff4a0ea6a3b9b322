//! The clock debug mode times polls with.
//!
//! Debug mode reads the clock twice per poll, so the clock's cost is debug mode's cost. On Linux
//! it is `CLOCK_MONOTONIC_COARSE`: a few nanoseconds a read instead of `Instant::now`'s 25-60
//! (measured on a 2-core VM), at the resolution of the kernel tick (1-4 ms). That is ample for
//! thresholds of tens of milliseconds; a reported duration may be off by one tick. Under
//! valgrind, build with the `valgrind` feature: rustix then reads the clock through libc.

#[cfg(any(target_os = "linux", target_os = "android"))]
mod imp {
    use rustix::time::{clock_gettime, ClockId};
    use std::time::Duration;

    #[derive(Clone, Copy)]
    pub(crate) struct Stamp(Duration);

    impl Stamp {
        pub(crate) fn now() -> Stamp {
            let t = clock_gettime(ClockId::MonotonicCoarse);
            // The coarse monotonic clock is never negative.
            Stamp(Duration::new(t.tv_sec as u64, t.tv_nsec as u32))
        }

        pub(crate) fn elapsed(self) -> Duration {
            Stamp::now().0.saturating_sub(self.0)
        }
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
mod imp {
    use std::time::{Duration, Instant};

    #[derive(Clone, Copy)]
    pub(crate) struct Stamp(Instant);

    impl Stamp {
        pub(crate) fn now() -> Stamp {
            Stamp(Instant::now())
        }

        pub(crate) fn elapsed(self) -> Duration {
            self.0.elapsed()
        }
    }
}

pub(crate) use imp::Stamp;
