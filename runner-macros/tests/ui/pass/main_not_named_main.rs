#![deny(warnings)]

mod app {
    /// Runs the app; docs, attributes and visibility stay.
    #[inline(never)]
    #[runner::main(threads = 1)]
    pub async fn start(/* no parameters */) -> Result<u8, String> {
        #![allow(clippy::needless_return)]
        return Ok(runner::spawn(async { 7 }).await);
    }

    #[runner::main]
    pub(crate) async fn describe() -> impl std::fmt::Display {
        "displayable"
    }
}

fn main() {
    assert_eq!(app::start(), Ok(7));
    assert_eq!(app::describe().to_string(), "displayable");
}
