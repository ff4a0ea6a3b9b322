//! Ending the process the way a signal ends it, after the runner has cleaned up.

use super::{os, Signal};

/// Ends the process the way a program killed by Ctrl-C ends: death by SIGINT, shell status 130.
///
/// This is what Python does for an unhandled `KeyboardInterrupt`, and what `#[runner::main]`
/// does when the run returned [`RunError::Interrupted`](crate::RunError::Interrupted): the
/// parent (a shell, `make`, a supervisor) learns that the program was interrupted, not that it
/// failed. Call it after the runner has closed, so that destructors have run: it flushes stdout,
/// resets SIGINT to its default disposition (whatever it was), unblocks it on this thread, and
/// raises it. On Windows it exits with `STATUS_CONTROL_C_EXIT` (0xC000013A), as a console
/// program ended by Ctrl-C does; on other platforms without SIGINT, with code 130.
///
/// # Examples
///
/// ```no_run
/// // What `#[runner::main]` does with the run's result, written out.
/// match runner::run(std::future::pending::<()>()) {
///     Ok(()) => {}
///     Err(runner::RunError::Interrupted) => runner::signal::exit_interrupted(),
///     Err(e) => panic!("{e}"),
/// }
/// ```
pub fn exit_interrupted() -> ! {
    use std::io::Write;

    // Dying by a signal skips the flush that `process::exit` does.
    let _ = std::io::stdout().flush();
    os::die_by(Signal::Interrupt);
    #[allow(unreachable_code)]
    std::process::exit(130)
}

/// Ends the process the way a program killed by SIGTERM ends: death by SIGTERM, shell status 143.
///
/// What `#[runner::main(sigterm = true)]` does when the run returned
/// [`RunError::Terminated`](crate::RunError::Terminated), so that a supervisor (systemd, a
/// container runtime, a shell) sees the program end by the signal it sent. Call it after the
/// runner has closed: it flushes stdout, resets SIGTERM to its default disposition, unblocks it
/// on this thread, and raises it. On platforms without SIGTERM (Windows included) it exits with
/// code 143.
///
/// # Examples
///
/// ```no_run
/// // What `#[runner::main(sigterm = true)]` does with the run's result, written out.
/// let mut runner = runner::Builder::new().handle_sigterm(true).build();
/// let result = runner.run(std::future::pending::<()>());
/// runner.close();
/// match result {
///     Ok(()) => {}
///     Err(runner::RunError::Interrupted) => runner::signal::exit_interrupted(),
///     Err(runner::RunError::Terminated) => runner::signal::exit_terminated(),
///     Err(e) => panic!("{e}"),
/// }
/// ```
pub fn exit_terminated() -> ! {
    use std::io::Write;

    let _ = std::io::stdout().flush();
    os::die_by(Signal::Terminate);
    #[allow(unreachable_code)]
    std::process::exit(143)
}
