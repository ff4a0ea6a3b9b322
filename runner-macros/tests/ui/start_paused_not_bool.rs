#[runner::test(start_paused = "yes")]
async fn works() {}

fn main() {}
