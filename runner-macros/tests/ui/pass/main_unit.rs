#![deny(warnings)]

use std::time::Duration;

#[runner::main]
async fn main() {
    let task = runner::spawn(async { 6 * 7 });
    runner::sleep(Duration::from_millis(1)).await;
    assert_eq!(task.await, 42);
}
