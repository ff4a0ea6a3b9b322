#[runner::test(ctrl_c = true)]
async fn works() {}

fn main() {}
