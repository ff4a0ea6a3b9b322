#[runner::main(crate = runner)]
async fn main() {}
