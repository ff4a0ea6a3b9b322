//! Platforms with neither SIGINT and SIGTERM nor console control events (WASI, ...).

use super::{NotHandled, Signal};

/// No SIGINT or SIGTERM on this platform: no run ever takes them, so this is never built.
pub(crate) enum Signals {}

impl Signals {
    pub(crate) fn take(sigint: bool, sigterm: bool) -> Result<Signals, NotHandled> {
        Err(if sigint || sigterm {
            NotHandled::Unsupported
        } else {
            NotHandled::Disabled
        })
    }

    pub(crate) fn no_ctrl_c(&self) -> Option<NotHandled> {
        match *self {}
    }

    pub(crate) async fn first_signal(&self) -> Signal {
        match *self {}
    }
}

/// Ends the process with the exit code a program ended by `signal` has in a Unix shell: 128 +
/// the signal number.
pub(crate) fn die_by(signal: Signal) {
    std::process::exit(match signal {
        Signal::Interrupt => 130,
        Signal::Terminate => 143,
    })
}
