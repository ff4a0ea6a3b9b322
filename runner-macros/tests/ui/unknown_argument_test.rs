#[runner::test(retries = 3)]
async fn works() {}

fn main() {}
