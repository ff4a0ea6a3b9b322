#![deny(warnings)]

#[runner::main]
async fn main() -> Result<(), std::num::ParseIntError> {
    let n: u32 = "42".parse()?;
    if n == 0 {
        return Ok(());
    }
    assert_eq!(runner::spawn(async move { n }).await, 42);
    Ok(())
}
