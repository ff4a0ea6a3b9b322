#![deny(warnings)]

// Test functions only exist under `cargo test`; here they must still expand cleanly. Their
// behaviour is pinned by tests/macro_test.rs.

#[runner::test]
async fn plain() {}

#[runner::test(debug = false, threads = 2, timeout = "250ms", crate = "runner")]
async fn all_arguments() -> Result<(), String> {
    Ok(())
}

#[runner::test(timeout = "1m")]
#[should_panic(expected = "boom")]
async fn should_panic() {
    panic!("boom");
}

/// Docs stay.
#[runner::test(timeout = "5s",)]
#[ignore = "slow"]
async fn ignored() {}

fn main() {}
