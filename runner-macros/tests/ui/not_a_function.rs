#[runner::main]
struct Main;

fn main() {}
