#[runner::test(threads = 0, retries = 3)]
fn works(x: u32) {}

fn main() {}
