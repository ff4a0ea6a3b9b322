#![deny(warnings)]

#[runner::main]
async fn main() -> ! {
    runner::sleep(std::time::Duration::from_millis(1)).await;
    std::process::exit(0)
}
