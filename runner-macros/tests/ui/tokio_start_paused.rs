#[runner::test(start_paused = true)]
async fn works() {}

fn main() {}
