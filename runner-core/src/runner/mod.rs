//! The runner: [`Runner`] and [`run`], configured by [`Builder`], entered by the macros
//! (`entry.rs`), with the state one runner shares with its tasks (`shared.rs`), the runner the
//! current thread belongs to (`current.rs`), the scheduler that runs its tasks on one thread
//! (`scheduler.rs`), its worker threads, its tokio runtime with the `tokio` feature
//! (`tokio_rt.rs`) and the settings read from the environment.
//!
//! `tokio_rt.rs`, `error.rs`, `scheduler.rs`, `shared.rs` and `current.rs` sit low, so that
//! tasks, signals and debug records can find their runner; the rest sits on top of every other
//! room.

pub(crate) mod builder;
pub(crate) mod current;
pub(crate) mod drive;
pub mod entry;
pub(crate) mod env;
pub(crate) mod error;
pub(crate) mod run;
pub(crate) mod scheduler;
pub(crate) mod shared;
pub(crate) mod tokio_rt;
pub(crate) mod workers;

pub use self::builder::Builder;
pub use self::error::RunError;
pub use self::run::{is_debug, run, Runner};
