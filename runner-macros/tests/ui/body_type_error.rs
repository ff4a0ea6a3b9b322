#[runner::main]
async fn main() {
    let n: u32 = "not a number";
    runner::sleep(std::time::Duration::from_millis(n.into())).await;
}
