//! The examples of the workspace's README.md, run as doctests so that they stay true.
//!
//! A package of its own, so that the I/O crates the README shows (`async-net`, `async-fs`,
//! `async-process`) are built for `cargo test` only, and not for `cargo run --example hello`.

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, rust_2018_idioms)]

/// The README's examples.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
#[derive(Debug)]
pub struct ReadmeDoctests;
