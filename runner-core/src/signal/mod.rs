//! Ctrl-C and SIGTERM: the OS layer at the bottom (`unix.rs`; `windows.rs`, where console
//! control events play the signals' part; `other.rs`; the only `unsafe` code of the crate), then
//! what a run makes of the signals (`ctrl_c.rs`: cancel the main future, or resolve [`ctrl_c`]
//! and [`shutdown_signal`]), and ending the process by a signal (`exit.rs`).
//!
//! The OS layer imports nothing of the crate but [`Signal`] and `NotHandled` (and, on Windows,
//! `sync.rs`); `ctrl_c.rs` may use the runner's current-thread state (`runner/current.rs`) to
//! find the run a future belongs to.

pub(crate) mod ctrl_c;
mod exit;
#[cfg(not(any(unix, windows)))]
pub(crate) mod other;
pub(crate) mod run;
#[cfg(unix)]
#[allow(unsafe_code)]
pub(crate) mod unix;
#[cfg(windows)]
#[allow(unsafe_code)]
pub(crate) mod windows;

pub use self::ctrl_c::{ctrl_c, shutdown_signal, CtrlC, ShutdownSignal};
pub use self::exit::{exit_interrupted, exit_terminated};

pub(crate) use self::ctrl_c::Interrupt;
// The OS layer, one interface per platform: `Signals` (take, first signal, why Ctrl-C is not
// among them, release) and `die_by`.
#[cfg(not(any(unix, windows)))]
pub(crate) use self::other as os;
#[cfg(unix)]
pub(crate) use self::unix as os;
#[cfg(windows)]
pub(crate) use self::windows as os;

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
    /// Ctrl-C: SIGINT; on Windows the console's `CTRL_C_EVENT` or `CTRL_BREAK_EVENT`.
    Interrupt,
    /// SIGTERM, as sent by `kill`, systemd or a container runtime to stop a service; on Windows
    /// the console's `CTRL_CLOSE_EVENT` (its window is closing).
    Terminate,
}

/// Why a run does not handle Ctrl-C, so that [`ctrl_c`] (and [`shutdown_signal`], when the run
/// handles no signal at all) can never resolve in it: what debug mode's
/// [`Diagnostic::CtrlCNeverFires`](crate::diagnostic::Diagnostic::CtrlCNeverFires) names.
///
/// # Examples
///
/// ```
/// use runner::diagnostic::Diagnostic;
/// use runner::signal::NotHandled;
/// use std::sync::{Arc, Mutex};
///
/// let seen = Arc::new(Mutex::new(None));
/// let sink = seen.clone();
/// let mut runner = runner::Builder::new()
///     .debug(true)
///     .handle_ctrl_c(false)
///     .on_diagnostic(move |d| {
///         if let Diagnostic::CtrlCNeverFires { why, .. } = d {
///             *sink.lock().unwrap() = Some(*why);
///         }
///     })
///     .build();
/// runner.run(async { drop(runner::ctrl_c()) }).unwrap();
/// assert_eq!(*seen.lock().unwrap(), Some(NotHandled::Disabled));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NotHandled {
    /// The runner was built with
    /// [`Builder::handle_ctrl_c(false)`](crate::Builder::handle_ctrl_c), as every
    /// `#[runner::test]` is.
    Disabled,
    /// The run is on a thread other than the process's main thread, and only a run on the main
    /// thread takes Ctrl-C (as asyncio does).
    NotMainThread,
    /// Ctrl-C is ignored by the process, most often inherited from its parent: on Unix SIGINT's
    /// disposition is `SIG_IGN` (`nohup`, `trap '' INT`, a program started with `&` by a shell
    /// without job control); on Windows the process's ignore-Ctrl-C flag is set
    /// (`CREATE_NEW_PROCESS_GROUP`, `SetConsoleCtrlHandler(NULL, TRUE)`).
    Ignored,
    /// The program installed its own SIGINT handler before the run (`ctrlc`, `signal-hook`,
    /// ...), and the run leaves it in place. Unix only: Windows cannot tell.
    ProgramHandler,
    /// This platform gives the run no way to take Ctrl-C: neither Unix nor Windows, or a Unix
    /// system where the main thread cannot be told (NetBSD, Solaris, ...).
    Unsupported,
}

impl std::fmt::Display for NotHandled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NotHandled::Disabled => {
                "the runner was built with handle_ctrl_c(false) (as every #[runner::test] is)"
            }
            NotHandled::NotMainThread => {
                "the run is not on the main thread, and only a run there takes Ctrl-C"
            }
            NotHandled::Ignored => {
                "the process ignores Ctrl-C, most likely inherited from its parent (nohup, \
                 trap '' INT, a shell's & without job control; on Windows \
                 CREATE_NEW_PROCESS_GROUP)"
            }
            NotHandled::ProgramHandler => {
                "the program installed its own SIGINT handler, and the run leaves it in place"
            }
            NotHandled::Unsupported => "this platform gives the run no way to take Ctrl-C",
        })
    }
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
