#![deny(warnings)]

#[runner::main(debug = true, threads = 2, ctrl_c = false, sigterm = true, crate = "runner")]
async fn main() {
    assert!(runner::is_debug());
}
