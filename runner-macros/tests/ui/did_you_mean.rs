#[runner::main(debg = true)]
async fn main() {}
