//! Tasks: spawning them ([`spawn`], [`spawn_local`], [`spawn_blocking`]), awaiting and
//! cancelling them ([`Task`]), groups of them ([`TaskGroup`]), and what happens when one panics
//! or is cancelled.
//!
//! This room may use the context variables, the report types and debug mode's task records of
//! `debug/`, [`Signal`](crate::signal::Signal), the one-thread scheduler
//! (`runner/scheduler.rs`) and the runner's shared state (`runner/shared.rs`,
//! `runner/current.rs`); the runner itself sits above it.

pub(crate) mod blocking;
pub(crate) mod cancel;
pub(crate) mod group;
pub(crate) mod handle;
pub(crate) mod jobs;
pub(crate) mod local;
pub(crate) mod panic;
pub(crate) mod registry;
pub(crate) mod sites;
pub(crate) mod spawn;
pub(crate) mod wrapper;
pub(crate) mod yield_now;

pub use self::blocking::spawn_blocking;
pub use self::group::TaskGroup;
pub use self::handle::{FallibleTask, Task};
pub use self::panic::TaskPanic;
pub use self::spawn::{spawn, spawn_local};
pub use self::yield_now::{yield_now, YieldNow};
