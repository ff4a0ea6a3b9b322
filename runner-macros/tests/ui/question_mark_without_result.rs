#[runner::main]
async fn main() {
    let n: u32 = "42".parse()?;
    println!("{n}");
}
