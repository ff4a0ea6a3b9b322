//! One obvious, correct way to enter async Rust: Python's `asyncio.run` and `asyncio.Runner`, on
//! the smol family of crates.
//!
//! The package is `async-runner` on crates.io; the library is `runner`, so code says
//! `runner::spawn` and `#[runner::main]`. Its one feature, `valgrind`, is for programs run under
//! valgrind: it puts rustix on its libc backend, whose clock valgrind understands.
//!
//! # Examples
//!
//! An `async fn main`, and `async` tests that each get their own runner:
//!
//! ```
//! use std::time::Duration;
//!
//! #[runner::main]
//! async fn main() {
//!     let task = runner::spawn(async { 6 * 7 });
//!     runner::sleep(Duration::from_millis(1)).await;
//!     assert_eq!(task.await, 42);
//! }
//!
//! #[runner::test(timeout = "5s")]
//! async fn answers() {
//!     assert_eq!(runner::spawn(async { 6 * 7 }).await, 42);
//! }
//! ```
//!
//! The same without the attribute:
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

#[doc(inline)]
pub use runner_macros::{main, test};

// What the macros' expansions call; not a public API.
#[doc(hidden)]
pub use runner_core::__private;
