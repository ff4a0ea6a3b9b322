#![deny(warnings)]
#![allow(dead_code, non_camel_case_types)]

// Local items that shadow what careless generated code would name.
mod core {}
mod std {}
mod __private {}
struct Result;
struct Option;
struct Box;
struct Future;
struct Runner;
struct Main;
struct Test;
fn block_on() {}

mod re_export {
    pub use ::runner as rt;
}

#[runner::main(crate = "re_export::rt")]
async fn through_a_re_export() -> u8 {
    let __runner_output = 1u8; // the expansion's own binding is hygienic
    __runner_output
}

#[runner::test(crate = "re_export::rt", timeout = "1s")]
async fn a_test_through_a_re_export() {}

#[runner::main]
async fn main() {
    // A blocking job may start a runner of its own.
    assert_eq!(runner::spawn_blocking(through_a_re_export).await, 1);
}
