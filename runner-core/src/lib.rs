//! The runtime behind [`runner`](https://docs.rs/async-runner): Python's `asyncio.run` and
//! `asyncio.Runner` for Rust, on the smol family of crates.
//!
//! Most programs use the `runner` facade and its `#[runner::main]` / `#[runner::test]`
//! attributes; this crate is what they call.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//!
//! let total = runner_core::run(async {
//!     let tasks: Vec<_> = (1..=3)
//!         .map(|i| runner_core::spawn(async move {
//!             runner_core::sleep(Duration::from_millis(i)).await;
//!             i
//!         }))
//!         .collect();
//!     let blocking = runner_core::spawn_blocking(|| 10);
//!     let mut sum = blocking.await;
//!     for task in tasks {
//!         sum += task.await;
//!     }
//!     sum
//! });
//! assert_eq!(total, Ok(16));
//! ```

#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

#[doc(hidden)]
#[path = "entry.rs"]
pub mod __private;
mod blocking;
mod builder;
mod clock;
mod context;
mod ctrl_c;
mod current;
mod diagnostic;
mod env;
mod error;
mod instrument;
mod jobs;
mod local;
mod panic;
mod registry;
mod runner;
mod shared;
#[doc(hidden)]
pub mod signal;
mod snapshot;
mod task;
mod task_group;
mod time;
mod timeout;
mod watchdog;
mod workers;
mod yield_now;

pub use crate::blocking::spawn_blocking;
pub use crate::builder::Builder;
pub use crate::context::{Context, ContextToken, ContextVar};
pub use crate::ctrl_c::{ctrl_c, shutdown_signal, CtrlC, ShutdownSignal, Signal};
pub use crate::diagnostic::{Diagnostic, StuckJob, TaskInfo};
pub use crate::env::{DEBUG_VAR, THREADS_VAR};
pub use crate::error::RunError;
pub use crate::panic::TaskPanic;
pub use crate::runner::{run, Runner};
pub use crate::snapshot::{tasks, TaskSnapshot, TaskState};
pub use crate::task::{spawn, spawn_local, FallibleTask, Task};
pub use crate::task_group::TaskGroup;
pub use crate::time::{interval, interval_at, sleep, sleep_until, Interval, Sleep};
pub use crate::timeout::{timeout, timeout_at, TimedOut, Timeout};
pub use crate::yield_now::{yield_now, YieldNow};
/// async-io's timer, for code written against async-io; [`sleep`] and [`interval`] cover most
/// uses.
pub use async_io::Timer;

/// Whether the runner the current code runs in is in debug mode (`false` outside any runner).
///
/// # Examples
///
/// ```
/// assert!(!runner_core::is_debug());
/// let mut runner = runner_core::Builder::new().debug(true).build();
/// assert_eq!(runner.run(async { runner_core::is_debug() }), Ok(true));
/// ```
pub fn is_debug() -> bool {
    current::with(|c| c.is_some_and(|c| c.shared.debug))
}
