#[runner::main(crate = "my-runner")]
async fn main() {}
