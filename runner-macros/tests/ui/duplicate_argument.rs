#[runner::main(debug = true, threads = 2, debug = false)]
async fn main() {}
