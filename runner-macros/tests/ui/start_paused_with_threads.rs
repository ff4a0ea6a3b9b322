#[runner::main(threads = 4, start_paused = true)]
async fn main() {}
