// The front page: on docs.rs the user's guide, README.md, whose examples the `readme/` crate
// tests (they need the I/O crates it has); elsewhere a short page whose examples are doctests here.
#![cfg_attr(docsrs, doc = include_str!("../README.md"))]
#![cfg_attr(not(docsrs), doc = include_str!("front.md"))]
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

#[doc(inline)]
pub use runner_core::*;

#[doc(inline)]
pub use runner_macros::{main, test};

// What the macros' expansions call; not a public API.
#[doc(hidden)]
pub use runner_core::__private;
