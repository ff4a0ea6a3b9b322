#[runner::test(timeout = "5 seconds")]
async fn works() {}

fn main() {}
