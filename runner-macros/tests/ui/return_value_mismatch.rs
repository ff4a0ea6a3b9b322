#[runner::main]
async fn answer() -> u32 {
    "42"
}

fn main() {
    answer();
}
