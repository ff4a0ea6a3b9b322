#[runner::test(timeout = 5)]
async fn works() {}

fn main() {}
