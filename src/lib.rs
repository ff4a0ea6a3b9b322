//! One obvious, correct way to enter async Rust: Python's `asyncio.run` and `asyncio.Runner`, on
//! the smol family of crates.
//!
//! # Examples
//!
//! ```
//! use std::time::Duration;
//!
//! let answer = runner::run(async {
//!     let task = runner::spawn(async { 6 * 7 });
//!     runner::sleep(Duration::from_millis(1)).await;
//!     task.await
//! });
//! assert_eq!(answer, Ok(42));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

#[doc(inline)]
pub use runner_core::*;

/// The README's examples, run as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
