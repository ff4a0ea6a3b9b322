#![deny(warnings)]

use std::error::Error;

struct App;

impl App {
    /// An associated function: `Self` still works in the body.
    #[runner::main]
    async fn start() -> Result<u8, Box<dyn Error>> {
        Ok(Self::answer() + "1".parse::<u8>()?)
    }

    fn answer() -> u8 {
        41
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    assert_eq!(App::start()?, 42);
    Ok(())
}
