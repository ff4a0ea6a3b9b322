#![deny(warnings)]

use std::process::ExitCode;

#[runner::main]
async fn main() -> ExitCode {
    ExitCode::SUCCESS
}
