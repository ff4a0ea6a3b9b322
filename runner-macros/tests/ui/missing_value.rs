#[runner::main(debug)]
async fn main() {}
