#[runner::main(retries = 3)]
async fn main() {}
