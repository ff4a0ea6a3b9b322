//! Ctrl-C and SIGTERM: the OS layer at the bottom (`unix.rs`, the only `unsafe` code of the
//! crate), then what a run makes of the signals (`ctrl_c.rs`: cancel the main future, or resolve
//! [`ctrl_c`] and [`shutdown_signal`]), and ending the process by a signal (`exit.rs`).
//!
//! The OS layer imports nothing of the crate but [`Signal`]; `ctrl_c.rs` may use the runner's
//! current-thread state (`runner/current.rs`) to find the run a future belongs to.

pub(crate) mod ctrl_c;
mod exit;
#[cfg(not(unix))]
pub(crate) mod other;
pub(crate) mod run;
#[cfg(unix)]
#[allow(unsafe_code)]
pub(crate) mod unix;

pub use self::ctrl_c::{ctrl_c, shutdown_signal, CtrlC, ShutdownSignal};
pub use self::exit::{exit_interrupted, exit_terminated};

pub(crate) use self::ctrl_c::Interrupt;
// The OS layer, one interface per platform: `Signals` (take, first signal, release) and `die_by`.
#[cfg(not(unix))]
pub(crate) use self::other as os;
#[cfg(unix)]
pub(crate) use self::unix as os;

/// A signal that a run handles: what [`shutdown_signal`] resolves to.
///
/// # Examples
///
/// ```no_run
/// use runner::signal::Signal;
///
/// let mut runner = runner::Builder::new().handle_sigterm(true).build();
/// let signal = runner.run(runner::signal::shutdown_signal()).unwrap();
/// match signal {
///     Signal::Interrupt => println!("Ctrl-C"),
///     Signal::Terminate => println!("SIGTERM"),
///     _ => println!("{signal:?}"),
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Signal {
    /// Ctrl-C: SIGINT.
    Interrupt,
    /// SIGTERM, as sent by `kill`, systemd or a container runtime to stop a service.
    Terminate,
}

impl Signal {
    /// The one encoding of a signal as a number, for the atomics that hold one (never 0).
    pub(crate) const fn code(self) -> u8 {
        match self {
            Signal::Interrupt => 1,
            Signal::Terminate => 2,
        }
    }

    /// The signal whose [`code`](Signal::code) is `code`; `None` for any other number.
    pub(crate) const fn from_code(code: u8) -> Option<Signal> {
        match code {
            1 => Some(Signal::Interrupt),
            2 => Some(Signal::Terminate),
            _ => None,
        }
    }
}
