//! Procedural macros for the `runner` crate: `#[runner::main]` and `#[runner::test]`.
//!
//! Use them through the `runner` facade, not directly.

#![forbid(unsafe_code)]
