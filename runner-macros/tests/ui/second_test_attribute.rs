#[runner::test]
#[test]
async fn works() {}

fn main() {}
