#[runner::main]
async fn main() -> Result<(), std::io::Error> {
    println!("forgot the Ok(())");
}
