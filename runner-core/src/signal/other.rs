//! Platforms without SIGINT and SIGTERM.

use super::Signal;

/// No SIGINT or SIGTERM on this platform: no run ever takes them, so this is never built.
pub(crate) enum Signals {}

impl Signals {
    pub(crate) fn take(_sigint: bool, _sigterm: bool) -> Option<Signals> {
        None
    }

    pub(crate) async fn first_signal(&self) -> Signal {
        match *self {}
    }
}

/// Ends the process with the exit code a program ended by `signal` has here: on Windows
/// `STATUS_CONTROL_C_EXIT` for Ctrl-C, as a console program ended by Ctrl-C does; elsewhere the
/// shell's 128 + the Unix signal number.
pub(crate) fn die_by(signal: Signal) {
    let code = match signal {
        Signal::Interrupt if cfg!(windows) => 0xC000_013A_u32 as i32,
        Signal::Interrupt => 130,
        Signal::Terminate => 143,
    };
    std::process::exit(code)
}
