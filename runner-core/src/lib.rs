//! The runtime behind [`runner`](https://docs.rs/async-runner): Python's `asyncio.run` and
//! `asyncio.Runner` for Rust, on the smol family of crates.
//!
//! Programs use the `runner` facade and its `#[runner::main]` / `#[runner::test]` attributes;
//! this crate is what they call, and every path in its docs is written as users write it,
//! `runner::...`.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//!
//! let total = runner::run(async {
//!     let tasks: Vec<_> = (1..=3)
//!         .map(|i| runner::spawn(async move {
//!             runner::sleep(Duration::from_millis(i)).await;
//!             i
//!         }))
//!         .collect();
//!     let blocking = runner::spawn_blocking(|| 10);
//!     let mut sum = blocking.await;
//!     for task in tasks {
//!         sum += task.await;
//!     }
//!     sum
//! });
//! assert_eq!(total, Ok(16));
//! ```
//!
//! # tokio crates
//!
//! With the facade's `tokio` cargo feature every runner has its own tokio runtime, so that
//! `tokio::net`, `tokio::time`, `tokio::spawn` and the crates built on them work inside it; see
//! [`Builder::tokio`]. Without the feature tokio is not compiled, and a panic of tokio's for want
//! of a runtime is followed by a report naming the feature
//! ([`Diagnostic::TokioRuntimeMissing`](diagnostic::Diagnostic::TokioRuntimeMissing)).
//!
//! # The house
//!
//! The rooms: `runner/` (the runner and its state), `task/`, `time/`, `signal/`, `debug/` (the
//! reports, debug mode's task records, its watchdog), `context.rs` and `sync.rs`. A file imports
//! only files of its own layer or below, never in a circle (a builder and what it builds
//! aside); `.ci/layers.py` checks this list against the code. From the bottom up:
//!
//! 1. foundation: `signal/mod.rs`, `signal/unix.rs`, `signal/windows.rs`, `signal/other.rs`, `signal/exit.rs`, `signal/run.rs`, `context.rs`, `sync.rs`, `debug/clock.rs`, `runner/tokio_rt.rs`
//! 2. reports and errors: `debug/diagnostic.rs`, `runner/error.rs`
//! 3. a runner's parts: `debug/snapshot.rs`, `debug/watchdog.rs`, `task/cancel.rs`, `task/handle.rs`, `task/jobs.rs`, `task/local.rs`, `task/panic.rs`, `task/registry.rs`, `task/sites.rs`, `runner/scheduler.rs`, `time/barrier.rs`, `time/clock.rs`
//! 4. the runner's state: `runner/shared.rs`, `runner/current.rs`
//! 5. what runs inside a runner: `task/*`, `time/*`, `signal/ctrl_c.rs`, `debug/mod.rs`
//! 6. the runner: `runner/*`, `lib.rs`
//!
//! The OS layer (`signal/unix.rs`, `signal/windows.rs`, `signal/other.rs`) is the only place with
//! `unsafe` code.

#![deny(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

pub mod context;
pub mod debug;
mod runner;
pub mod signal;
mod sync;
pub mod task;
pub mod time;

/// What the runner reports about misbehaving async code: the [`Diagnostic`](diagnostic::Diagnostic)
/// reports, in debug mode and out of it, and the task names they carry.
pub mod diagnostic {
    pub use crate::debug::diagnostic::{Diagnostic, StuckJob, TaskInfo};
}

#[doc(hidden)]
pub use crate::runner::entry as __private;

pub use crate::runner::{is_debug, run, Builder, RunError, Runner};
pub use crate::signal::ctrl_c;
pub use crate::task::{spawn, spawn_blocking, spawn_local, yield_now, Task, TaskGroup};
pub use crate::time::{sleep, timeout, TimedOut};
