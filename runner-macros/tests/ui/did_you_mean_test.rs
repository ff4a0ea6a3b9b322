#[runner::test(timout = "5s")]
async fn works() {}

fn main() {}
