//! The attributes' compile-time behaviour: every accepted form compiles (and `main`s run), and
//! every mistake gets exactly the message in its `.stderr` file.
//!
//! Regenerate the `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p async-runner-macros --test compiletest`, then read each one:
//! it is what a user sees.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/*.rs");
}
