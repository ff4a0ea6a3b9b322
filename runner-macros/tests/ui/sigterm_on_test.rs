#[runner::test(sigterm = true)]
async fn works() {}

fn main() {}
