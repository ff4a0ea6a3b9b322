//! SIGINT at the OS level: which run owns it, the handler, and dying by it.
//!
//! A run that takes SIGINT installs `on_sigint` in place of the default disposition and puts the
//! default back when it lets go, so that after `run` a Ctrl-C kills the process again. This is
//! done here with `sigaction` and a self-pipe read through `async-io`, not with `async-signal` or
//! `signal-hook-registry`: those install their handler once per process and never put the
//! default back (after dropping a `Signals` for SIGINT, Ctrl-C is silently ignored), and the
//! registry remembers that its handler is installed, so resetting the disposition behind its back
//! would break a later registration by the program's own code. Owning the few lines keeps both
//! promises: the default comes back, and a program that registers its own SIGINT handler (with
//! `signal-hook`, `async-signal`, `ctrlc`, ...) between runs gets it, untouched by later runs.
//!
//! The state lives in process-wide atomics (and a pipe made before the handler is first
//! installed), because a signal handler can touch little else:
//!
//! ```text
//! IDLE --take--> TAKING --default disposition--> ARMED --1st SIGINT--> FIRED --2nd SIGINT--> death
//!   ^              |  (else back to IDLE)          |                     |
//!   +--------------+-------------release-----------+---------------------+
//! ```
//!
//! The handler does only async-signal-safe things: a `sigaction` query, an atomic
//! compare-and-swap, then either one `write` of a byte to the pipe (first Ctrl-C) or `sigaction`
//! and `raise` (second Ctrl-C). It never allocates, locks or panics, and changes `errno` only
//! when a call fails (a full pipe, which needs thousands of unread Ctrl-Cs; the second one
//! already ended the process).
//!
//! Only Unix has SIGINT. Elsewhere no run ever takes it (see `Sigint`), and the platform's
//! default applies to Ctrl-C while a run is pending.

/// Ends the process the way a program killed by Ctrl-C ends: death by SIGINT, shell status 130.
///
/// This is what Python does for an unhandled `KeyboardInterrupt`, and what `#[runner::main]`
/// does when the run returned [`RunError::Interrupted`](crate::RunError::Interrupted): the
/// parent (a shell, `make`, a supervisor) learns that the program was interrupted, not that it
/// failed. Call it after the runner has closed, so that destructors have run: it flushes stdout,
/// resets SIGINT to its default disposition (whatever it was), unblocks it on this thread, and
/// raises it. On platforms without SIGINT it exits with code 130 (on Windows with
/// `STATUS_CONTROL_C_EXIT`, as a console program ended by Ctrl-C does).
///
/// # Examples
///
/// ```no_run
/// // What `#[runner::main]` does with the run's result, written out.
/// match runner_core::run(std::future::pending::<()>()) {
///     Ok(()) => {}
///     Err(runner_core::RunError::Interrupted) => runner_core::signal::exit_interrupted(),
///     Err(e) => panic!("{e}"),
/// }
/// ```
pub fn exit_interrupted() -> ! {
    use std::io::Write;

    // Dying by a signal skips the flush that `process::exit` does.
    let _ = std::io::stdout().flush();
    #[cfg(unix)]
    unix::die_by_sigint();
    #[cfg(windows)]
    std::process::exit(0xC000_013A_u32 as i32);
    #[allow(unreachable_code)]
    std::process::exit(130)
}

#[cfg(unix)]
pub(crate) use unix::Sigint;

#[cfg(not(unix))]
pub(crate) use other::Sigint;

#[cfg(unix)]
mod unix {
    use std::io::Write;
    use std::marker::PhantomData;
    use std::os::unix::net::UnixStream;
    use std::sync::atomic::{AtomicU8, Ordering::SeqCst};
    use std::sync::OnceLock;

    use async_io::Async;
    use futures_lite::AsyncReadExt;

    /// No run owns SIGINT.
    const IDLE: u8 = 0;
    /// A run is checking the disposition and installing the handler.
    const TAKING: u8 = 1;
    /// A run owns SIGINT and no Ctrl-C came yet.
    const ARMED: u8 = 2;
    /// The first Ctrl-C came; the next one ends the process.
    const FIRED: u8 = 3;

    static STATE: AtomicU8 = AtomicU8::new(IDLE);

    /// The self-pipe, made by the first run that takes SIGINT and kept for the process's life
    /// (two file descriptors), so that the handler never sees it closed.
    static PIPE: OnceLock<Pipe> = OnceLock::new();

    struct Pipe {
        reader: Async<UnixStream>,
        /// Non-blocking: the handler never waits.
        writer: UnixStream,
    }

    fn pipe() -> Option<&'static Pipe> {
        if PIPE.get().is_none() {
            let (reader, writer) = UnixStream::pair().ok()?;
            writer.set_nonblocking(true).ok()?;
            let reader = Async::new(reader).ok()?;
            // Only the run in TAKING gets here, so nothing else sets it meanwhile.
            let _ = PIPE.set(Pipe { reader, writer });
        }
        PIPE.get()
    }

    /// SIGINT, owned by one run from [`take`](Sigint::take) until dropped; dropping puts the
    /// default disposition back (unless someone replaced the handler meanwhile: theirs stays).
    ///
    /// Not `Send`: the guard stays with the `run` that took it.
    pub(crate) struct Sigint {
        _not_send: PhantomData<*const ()>,
    }

    impl Sigint {
        /// Takes SIGINT for a run: `None` when another run owns it, when its disposition is not
        /// the default (ignored under `nohup`, or the program's own handler), or when the handler
        /// cannot be installed. Never fails otherwise.
        pub(crate) fn take() -> Option<Sigint> {
            STATE.compare_exchange(IDLE, TAKING, SeqCst, SeqCst).ok()?;
            if pipe().is_some() && disposition() == Some(Disposition::Default) {
                // ARMED before the handler is in place: a Ctrl-C right after it is counted.
                STATE.store(ARMED, SeqCst);
                if install() {
                    return Some(Sigint {
                        _not_send: PhantomData,
                    });
                }
            }
            STATE.store(IDLE, SeqCst);
            None
        }

        /// Resolves on the first Ctrl-C since [`take`](Sigint::take).
        pub(crate) async fn first_ctrl_c(&self) {
            let Some(pipe) = PIPE.get() else {
                unreachable!("a taken Sigint has its pipe")
            };
            let mut bytes = [0; 16];
            // The state says whether Ctrl-C came; the pipe only wakes this up (bytes left by a
            // Ctrl-C that raced the previous release just loop once more).
            while STATE.load(SeqCst) != FIRED {
                match (&pipe.reader).read(&mut bytes).await {
                    Ok(read) if read > 0 => {}
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    // End of file or another error: cannot happen, the writer lives forever.
                    // Should it, the first Ctrl-C is lost; the second one still ends the process.
                    _ => std::future::pending::<()>().await,
                }
            }
        }
    }

    impl Drop for Sigint {
        fn drop(&mut self) {
            uninstall();
            // After the reset: a Ctrl-C before it still finds the handler armed.
            STATE.store(IDLE, SeqCst);
        }
    }

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Disposition {
        Default,
        Ours,
        /// Ignored, or someone else's handler.
        Other,
    }

    /// The handler. See the module docs for why each line is async-signal-safe.
    extern "C" fn on_sigint(_signal: libc::c_int) {
        // Called while not installed: a handler that the program installed over ours during a
        // run (`signal-hook`, `async-signal`) chains to the one it replaced. As with asyncio,
        // a handler installed over the run's takes Ctrl-C over: this one steps aside.
        if disposition() != Some(Disposition::Ours) {
            return;
        }
        match STATE.compare_exchange(ARMED, FIRED, SeqCst, SeqCst) {
            Ok(_) => {
                if let Some(pipe) = PIPE.get() {
                    // One `write(2)` on a non-blocking socket; a full pipe already wakes the run.
                    let _ = (&pipe.writer).write(&[1]);
                }
            }
            // The second Ctrl-C: end the process as if no handler were installed. SIGINT is
            // blocked on this thread while the handler runs, so the raised signal is delivered,
            // with the default disposition, the moment the handler returns.
            Err(FIRED) => {
                swap(&action(Disposition::Default));
                raise_sigint();
            }
            // Being released: the run is returning, and its Ctrl-C handling with it.
            Err(_) => {}
        }
    }

    fn handler_address() -> libc::sighandler_t {
        on_sigint as extern "C" fn(libc::c_int) as *const () as libc::sighandler_t
    }

    fn kind(action: &libc::sigaction) -> Disposition {
        match action.sa_sigaction {
            libc::SIG_DFL => Disposition::Default,
            address if address == handler_address() => Disposition::Ours,
            _ => Disposition::Other,
        }
    }

    /// The `sigaction` for `disposition` (`Default` or `Ours`). Async-signal-safe.
    fn action(disposition: Disposition) -> libc::sigaction {
        // SAFETY: all-zero is a valid value of this plain C struct (integers, a signal set, and
        // a handler address of 0, which is SIG_DFL).
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: `sa_mask` is a valid, writable signal set (emptied portably: zero need not be
        // the empty set everywhere).
        unsafe { libc::sigemptyset(&mut action.sa_mask) };
        if disposition == Disposition::Ours {
            action.sa_sigaction = handler_address();
            // Restart the program's interrupted system calls instead of failing them with EINTR.
            action.sa_flags = libc::SA_RESTART;
        }
        action
    }

    /// SIGINT's current disposition, unchanged.
    fn disposition() -> Option<Disposition> {
        let mut current = action(Disposition::Default);
        // SAFETY: a null new action only queries; `current` is a valid, writable `sigaction`.
        let queried = unsafe { libc::sigaction(libc::SIGINT, std::ptr::null(), &mut current) };
        (queried == 0).then(|| kind(&current))
    }

    /// Sets SIGINT's disposition to `new` and returns the one it replaced. Async-signal-safe.
    fn swap(new: &libc::sigaction) -> Option<libc::sigaction> {
        let mut old = action(Disposition::Default);
        // SAFETY: both pointers are valid for the call and not kept. `new` is either a
        // disposition this module built (SIG_DFL, or `on_sigint`: an `extern "C" fn(c_int)`
        // without SA_SIGINFO, alive for the whole program and async-signal-safe, see the module
        // docs) or one that `sigaction` itself returned and is being put back. Replacing
        // SIGINT's disposition breaks nothing Rust relies on: the standard library installs no
        // SIGINT handler.
        let swapped = unsafe { libc::sigaction(libc::SIGINT, new, &mut old) };
        (swapped == 0).then_some(old)
    }

    /// Installs our handler in place of the default; `false` if the disposition was not the
    /// default any more (a program installing its own on another thread since `disposition`
    /// looked), in which case theirs is put back at once.
    fn install() -> bool {
        match swap(&action(Disposition::Ours)) {
            Some(old) if kind(&old) == Disposition::Default => true,
            Some(old) => {
                swap(&old);
                false
            }
            None => false,
        }
    }

    /// Puts the default back if our handler is still installed; leaves a handler someone
    /// installed over ours during the run where it is.
    fn uninstall() {
        if disposition() == Some(Disposition::Ours) {
            if let Some(old) = swap(&action(Disposition::Default)) {
                if kind(&old) != Disposition::Ours {
                    // Replaced between the look and the swap: theirs goes back.
                    swap(&old);
                }
            }
        }
    }

    fn raise_sigint() {
        // SAFETY: `raise` is async-signal-safe and takes no pointers.
        unsafe { libc::raise(libc::SIGINT) };
    }

    /// Dies by SIGINT: default disposition, unblocked, raised. Returns only if that did not
    /// end the process (it always does where SIGINT's default action is to terminate).
    pub(super) fn die_by_sigint() {
        swap(&action(Disposition::Default));
        // SAFETY: an all-zero `sigset_t` is a valid value; `sigemptyset` then makes it empty
        // portably.
        let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
        // SAFETY: `set` is a valid, writable signal set, and SIGINT a valid signal number.
        unsafe {
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGINT);
        }
        // SAFETY: unblocking a signal on the calling thread; `set` is valid, the old mask is
        // not asked for.
        unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) };
        raise_sigint();
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn handler_address_is_recognised() {
            // The address comparison in `disposition` depends on casting the same function the
            // same way twice.
            assert_eq!(handler_address(), handler_address());
            assert_ne!(handler_address(), libc::SIG_DFL);
            assert_ne!(handler_address(), libc::SIG_IGN);
        }
    }
}

#[cfg(not(unix))]
mod other {
    /// No SIGINT on this platform: no run ever takes it, so this is never built.
    pub(crate) enum Sigint {}

    impl Sigint {
        pub(crate) fn take() -> Option<Sigint> {
            None
        }

        pub(crate) async fn first_ctrl_c(&self) {
            match *self {}
        }
    }
}
