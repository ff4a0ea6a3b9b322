#[runner::test(timeout = "0ms")]
async fn works() {}

fn main() {}
