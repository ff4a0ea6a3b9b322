// Only the one error, also where the parameters are used.
#[runner::main]
async fn start(name: String) -> usize {
    name.len()
}

fn main() {
    start(String::new());
}
