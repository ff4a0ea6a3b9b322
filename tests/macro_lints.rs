//! The expansions add no lint of their own to user code: CI runs clippy on this file with
//! `-D warnings`, pedantic lints included.

#![warn(clippy::pedantic)]

use std::time::Duration;

#[runner::main]
async fn unit() {
    runner::sleep(Duration::from_millis(1)).await;
}

#[runner::main(threads = 2, debug = false, ctrl_c = false)]
async fn value() -> u32 {
    runner::spawn(async { 1 }).await
}

#[runner::main]
async fn early_return() -> Result<u8, std::num::ParseIntError> {
    let n: u8 = "3".parse()?;
    if n == 0 {
        return Ok(0);
    }
    Ok(n)
}

#[runner::main]
async fn explicit_unit() -> () {
    runner::sleep(Duration::from_millis(1)).await;
}

#[runner::test]
async fn unit_test() {
    runner::sleep(Duration::from_millis(1)).await;
}

#[runner::test(timeout = "5s", threads = 2, debug = false)]
async fn result_test() -> Result<(), std::num::ParseIntError> {
    let n: u8 = "3".parse()?;
    assert_eq!(n, 3);
    Ok(())
}

#[runner::test]
#[should_panic(expected = "diverges")]
async fn diverging_test() {
    panic!("diverges");
}

#[test]
fn mains_run() {
    unit();
    explicit_unit();
    assert_eq!(value(), 1);
    assert_eq!(early_return(), Ok(3));
}
