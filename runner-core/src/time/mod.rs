//! Time: sleeping ([`sleep`], [`sleep_until`]), ticking ([`interval`]), deadlines for futures
//! ([`timeout`], [`timeout_at`]), and the runner's clock ([`now`]), which tests can pause
//! ([`pause`], [`resume`], [`advance`], and `start_paused` on the builder and the macros).
//!
//! Each runner has its own clock and timer queue (`clock.rs`, held by the runner's state); a
//! timer binds to the runner current when it is made (`deadline.rs`), and outside any runner it
//! is async-io's real-time `Timer`. A paused clock jumps only when its runner is idle
//! (`idle.rs`, with the reactor barrier of `barrier.rs`).

pub(crate) mod barrier;
pub(crate) mod clock;
pub(crate) mod control;
pub(crate) mod deadline;
pub(crate) mod idle;
pub(crate) mod sleep;
pub(crate) mod timeout;

pub use self::control::{advance, now, pause, resume};

pub use self::sleep::{interval, interval_at, sleep, sleep_until, Interval, Sleep};
pub use self::timeout::{timeout, timeout_at, TimedOut, Timeout};
