#![deny(warnings)]

#[runner::main(debug = false)]
async fn main() -> () {
    assert!(!runner::is_debug());
}
