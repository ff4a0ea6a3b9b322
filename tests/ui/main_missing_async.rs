#[runner::main]
fn main() {}
