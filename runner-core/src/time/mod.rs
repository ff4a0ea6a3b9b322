//! Time: sleeping ([`sleep`], [`sleep_until`]), ticking ([`interval`]) and deadlines for
//! futures ([`timeout`], [`timeout_at`]).
//!
//! This room uses async-io's timers and nothing of the crate above it.

pub(crate) mod sleep;
pub(crate) mod timeout;

pub use self::sleep::{interval, interval_at, sleep, sleep_until, Interval, Sleep};
pub use self::timeout::{timeout, timeout_at, TimedOut, Timeout};
