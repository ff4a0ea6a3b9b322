//! SIGINT and SIGTERM at the OS level: which run owns them, the handler, and dying by them.
//!
//! A run that takes a signal installs `on_signal` in place of the default disposition and puts
//! the default back when it lets go, so that after `run` a Ctrl-C (or SIGTERM) kills the process
//! again. This is done here with `sigaction` and a self-pipe read through `async-io`, not with
//! `async-signal` or `signal-hook-registry`: those install their handler once per process and
//! never put the default back (after dropping a `Signals` for SIGINT, Ctrl-C is silently
//! ignored), and the registry remembers that its handler is installed, so resetting the
//! disposition behind its back would break a later registration by the program's own code.
//! Owning the few lines keeps both promises for both signals: the default comes back, and a
//! program that registers its own handler (with `signal-hook`, `async-signal`, `ctrlc`, ...)
//! between runs gets it, untouched by later runs.
//!
//! Only a run on the process's main thread takes the signals, as asyncio does: a library that
//! runs a runner on a thread of its own must not take Ctrl-C from the program. The main thread
//! is the one whose thread id is the process id on Linux and Android, and the one
//! `pthread_main_np` names on Apple platforms, FreeBSD, DragonFly and OpenBSD; elsewhere
//! (NetBSD, Solaris, ...) it cannot be told, and no run takes them. Since a thread runs one `run` at a time, at most one run owns the signals.
//!
//! The state lives in process-wide atomics (and a pipe made before the handler is first
//! installed), because a signal handler can touch little else. SIGINT and SIGTERM share it: the
//! first of either is the run's first signal, and the second of either ends the process.
//!
//! ```text
//! IDLE --take--> TAKING --default disposition--> ARMED --1st signal--> FIRED --2nd--> death
//!   ^              |  (else back to IDLE)          |                     |
//!   +--------------+-------------release-----------+---------------------+
//! ```
//!
//! The handler does only async-signal-safe things: it saves `errno`, makes a `sigaction` query
//! and an atomic compare-and-swap, then either one `write` of a byte to the pipe (first signal)
//! or `sigaction` and `raise` (second signal), and puts `errno` back. It never allocates, locks
//! or panics.
//!
//! Only Unix has these signals; `windows.rs` is the same interface on console control events.

use std::io::Write;
use std::marker::PhantomData;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicU8, Ordering::SeqCst};
use std::sync::OnceLock;

use async_io::Async;
use futures_lite::AsyncReadExt;
use libc::c_int;

use super::{NotHandled, Signal};

/// No run owns the signals.
const IDLE: u8 = 0;
/// A run is checking the dispositions and installing the handler.
const TAKING: u8 = 1;
/// A run owns the signals and none came yet.
const ARMED: u8 = 2;
/// Set with the first signal's [`code`](Signal::code): the next SIGINT or SIGTERM ends the
/// process.
const FIRED: u8 = 0x10;

static STATE: AtomicU8 = AtomicU8::new(IDLE);

/// The signal a state says came first, if one did.
fn fired(state: u8) -> Option<Signal> {
    (state & FIRED != 0)
        .then(|| Signal::from_code(state & !FIRED))
        .flatten()
}

/// The signal the OS numbers `number` (only SIGINT and SIGTERM reach the handler).
fn signal_of(number: c_int) -> Signal {
    if number == libc::SIGTERM {
        Signal::Terminate
    } else {
        Signal::Interrupt
    }
}

fn number_of(signal: Signal) -> c_int {
    match signal {
        Signal::Interrupt => libc::SIGINT,
        Signal::Terminate => libc::SIGTERM,
    }
}

/// The self-pipe, made by the first run that takes a signal and kept for the process's life
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

/// SIGINT and/or SIGTERM, owned by one run from [`take`](Signals::take) until dropped;
/// dropping puts the default dispositions back (unless someone replaced the handler
/// meanwhile: theirs stays).
///
/// Not `Send`: the guard stays with the `run` that took it.
pub(crate) struct Signals {
    sigint: bool,
    sigterm: bool,
    /// Why SIGINT is not taken, if it is not.
    no_ctrl_c: Option<NotHandled>,
    _not_send: PhantomData<*const ()>,
}

impl Signals {
    /// Takes the signals asked for (`sigint`, `sigterm`) for a run; `Err` says why SIGINT is
    /// not taken when none is: the caller is not the main thread, or no signal was asked for
    /// or could be taken. A signal is taken only if its disposition is the default (not
    /// ignored under `nohup`, not the program's own handler). Never fails otherwise.
    pub(crate) fn take(sigint: bool, sigterm: bool) -> Result<Signals, NotHandled> {
        if !(sigint || sigterm) {
            return Err(NotHandled::Disabled);
        }
        if !is_main_thread() {
            return Err(if MAIN_THREAD_KNOWN {
                NotHandled::NotMainThread
            } else {
                NotHandled::Unsupported
            });
        }
        // Only the main thread takes, and it runs one `run` at a time: a run that finds the
        // signals owned is on another thread.
        if STATE
            .compare_exchange(IDLE, TAKING, SeqCst, SeqCst)
            .is_err()
        {
            return Err(NotHandled::NotMainThread);
        }
        // Without the pipe (out of file descriptors) nothing is taken: say why Ctrl-C is not.
        let mut no_ctrl_c = Some(NotHandled::Unsupported);
        if pipe().is_some() {
            // ARMED before the handler is in place: a signal right after it is counted.
            STATE.store(ARMED, SeqCst);
            no_ctrl_c = if sigint {
                install(libc::SIGINT).err()
            } else {
                Some(NotHandled::Disabled)
            };
            let taken = Signals {
                sigint: no_ctrl_c.is_none(),
                sigterm: sigterm && install(libc::SIGTERM).is_ok(),
                no_ctrl_c,
                _not_send: PhantomData,
            };
            if taken.sigint || taken.sigterm {
                return Ok(taken);
            }
        }
        STATE.store(IDLE, SeqCst);
        Err(no_ctrl_c.unwrap_or(NotHandled::Unsupported))
    }

    /// Why SIGINT is not among the signals taken (`None`: it is).
    pub(crate) fn no_ctrl_c(&self) -> Option<NotHandled> {
        self.no_ctrl_c
    }

    /// Resolves on the first signal since [`take`](Signals::take), with which one it was.
    pub(crate) async fn first_signal(&self) -> Signal {
        let Some(pipe) = PIPE.get() else {
            unreachable!("taken Signals have their pipe")
        };
        let mut bytes = [0; 16];
        // The state says whether a signal came; the pipe only wakes this up (bytes left by a
        // signal that raced the previous release just loop once more).
        loop {
            if let Some(signal) = fired(STATE.load(SeqCst)) {
                return signal;
            }
            match (&pipe.reader).read(&mut bytes).await {
                Ok(read) if read > 0 => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                // End of file or another error: cannot happen, the writer lives forever.
                // Should it, the first signal is lost; the second one still ends the process.
                _ => std::future::pending::<()>().await,
            }
        }
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        if self.sigint {
            uninstall(libc::SIGINT);
        }
        if self.sigterm {
            uninstall(libc::SIGTERM);
        }
        // After the reset: a signal before it still finds the handler armed.
        STATE.store(IDLE, SeqCst);
    }
}

/// Whether the calling thread is the process's main thread; `false` where that cannot be
/// told. Asked once per thread: on Linux it is a system call, too dear for every run. (A
/// thread that forks becomes the child's main thread but keeps its answer; a child that
/// neither `exec`s nor came from the main thread is rare enough to run without signals.)
fn is_main_thread() -> bool {
    thread_local! {
        static IS_MAIN: bool = ask_is_main_thread();
    }
    IS_MAIN.with(|is_main| *is_main)
}

#[cfg(any(target_os = "linux", target_os = "android"))]
fn ask_is_main_thread() -> bool {
    rustix::thread::gettid() == rustix::process::getpid()
}

#[cfg(any(
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "openbsd"
))]
fn ask_is_main_thread() -> bool {
    // SAFETY: `pthread_main_np` takes nothing, cannot fail and touches no memory of ours.
    unsafe { libc::pthread_main_np() == 1 }
}

/// Whether this platform can tell the main thread (see `ask_is_main_thread`).
const MAIN_THREAD_KNOWN: bool = cfg!(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "openbsd"
));

/// NetBSD, Solaris and the rest have no `pthread_main_np` (NetBSD's main LWP is not reliably
/// number 1): no run takes the signals there.
#[cfg(not(any(
    target_os = "linux",
    target_os = "android",
    target_vendor = "apple",
    target_os = "freebsd",
    target_os = "dragonfly",
    target_os = "openbsd"
)))]
fn ask_is_main_thread() -> bool {
    false
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Disposition {
    Default,
    Ours,
    /// `SIG_IGN`.
    Ignored,
    /// Someone else's handler.
    Other,
}

/// The handler, for SIGINT and SIGTERM. See the module docs for why each line is
/// async-signal-safe.
extern "C" fn on_signal(signal: c_int) {
    // The interrupted code may be about to read `errno`: whatever a failed call below sets
    // (EAGAIN from a full pipe, EBADF from one the program closed) must not reach it.
    // `errno` reads and writes the thread's `errno` through its location: async-signal-safe.
    let saved = errno::errno();
    handle(signal);
    errno::set_errno(saved);
}

fn handle(signal: c_int) {
    // Called while not installed: a handler that the program installed over ours during a
    // run (`signal-hook`, `async-signal`) chains to the one it replaced. As with asyncio,
    // a handler installed over the run's takes the signal over: this one steps aside.
    if disposition(signal) != Some(Disposition::Ours) {
        return;
    }
    let fired = FIRED | signal_of(signal).code();
    match STATE.compare_exchange(ARMED, fired, SeqCst, SeqCst) {
        Ok(_) => {
            if let Some(pipe) = PIPE.get() {
                // One `write(2)` on a non-blocking socket; a full pipe already wakes the run.
                let _ = (&pipe.writer).write(&[1]);
            }
        }
        // The second signal: end the process by it, as if no handler were installed. The
        // signal is blocked on this thread while the handler runs, so the raised one is
        // delivered, with the default disposition, the moment the handler returns.
        Err(state) if state & FIRED != 0 => {
            swap(signal, &action(Disposition::Default));
            raise(signal);
        }
        // Being released: the run is returning, and its signal handling with it.
        Err(_) => {}
    }
}

fn handler_address() -> libc::sighandler_t {
    on_signal as extern "C" fn(c_int) as *const () as libc::sighandler_t
}

fn kind(action: &libc::sigaction) -> Disposition {
    match action.sa_sigaction {
        libc::SIG_DFL => Disposition::Default,
        libc::SIG_IGN => Disposition::Ignored,
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

/// `signal`'s current disposition, unchanged.
fn disposition(signal: c_int) -> Option<Disposition> {
    let mut current = action(Disposition::Default);
    // SAFETY: a null new action only queries; `current` is a valid, writable `sigaction`.
    let queried = unsafe { libc::sigaction(signal, std::ptr::null(), &mut current) };
    (queried == 0).then(|| kind(&current))
}

/// Sets `signal`'s disposition to `new` and returns the one it replaced. Async-signal-safe.
fn swap(signal: c_int, new: &libc::sigaction) -> Option<libc::sigaction> {
    let mut old = action(Disposition::Default);
    // SAFETY: both pointers are valid for the call and not kept. `signal` is SIGINT or
    // SIGTERM. `new` is either a disposition this module built (SIG_DFL, or `on_signal`: an
    // `extern "C" fn(c_int)` without SA_SIGINFO, alive for the whole program and
    // async-signal-safe, see the module docs) or one that `sigaction` itself returned and is
    // being put back. Replacing these dispositions breaks nothing Rust relies on: the
    // standard library installs no SIGINT or SIGTERM handler.
    let swapped = unsafe { libc::sigaction(signal, new, &mut old) };
    (swapped == 0).then_some(old)
}

/// Installs our handler for `signal` if its disposition is the default; `Err` says why not
/// (ignored, or the program's own handler, perhaps installed on another thread a moment ago:
/// theirs is put back at once), or the call failed.
fn install(signal: c_int) -> Result<(), NotHandled> {
    let not_default = |disposition| match disposition {
        Disposition::Ignored => NotHandled::Ignored,
        _ => NotHandled::ProgramHandler,
    };
    match disposition(signal) {
        Some(Disposition::Default) => {}
        Some(other) => return Err(not_default(other)),
        None => return Err(NotHandled::Unsupported),
    }
    match swap(signal, &action(Disposition::Ours)) {
        Some(old) if kind(&old) == Disposition::Default => Ok(()),
        Some(old) => {
            swap(signal, &old);
            Err(not_default(kind(&old)))
        }
        None => Err(NotHandled::Unsupported),
    }
}

/// Puts the default back if our handler is still installed for `signal`; leaves a handler
/// someone installed over ours during the run where it is.
fn uninstall(signal: c_int) {
    if disposition(signal) == Some(Disposition::Ours) {
        if let Some(old) = swap(signal, &action(Disposition::Default)) {
            if kind(&old) != Disposition::Ours {
                // Replaced between the look and the swap: theirs goes back.
                swap(signal, &old);
            }
        }
    }
}

fn raise(signal: c_int) {
    // SAFETY: `raise` is async-signal-safe and takes no pointers.
    unsafe { libc::raise(signal) };
}

/// Dies by `signal`: default disposition, unblocked, raised. Returns only if that did not
/// end the process (it always does for SIGINT and SIGTERM, whose default is to terminate).
pub(crate) fn die_by(signal: Signal) {
    let signal = number_of(signal);
    swap(signal, &action(Disposition::Default));
    // SAFETY: an all-zero `sigset_t` is a valid value; `sigemptyset` then makes it empty
    // portably.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a valid, writable signal set, and `signal` a valid signal number.
    unsafe {
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, signal);
    }
    // SAFETY: unblocking a signal on the calling thread; `set` is valid, the old mask is
    // not asked for.
    unsafe { libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut()) };
    raise(signal);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_action_reads_back_as_its_disposition() {
        // `kind` knows the handler that `action` installs by its address, cast the same way.
        assert_eq!(kind(&action(Disposition::Ours)), Disposition::Ours);
        assert_eq!(kind(&action(Disposition::Default)), Disposition::Default);
        let mut ignored = action(Disposition::Default);
        ignored.sa_sigaction = libc::SIG_IGN;
        assert_eq!(kind(&ignored), Disposition::Ignored);
        extern "C" fn someone_elses(_: c_int) {}
        let mut other = action(Disposition::Default);
        other.sa_sigaction =
            someone_elses as extern "C" fn(c_int) as *const () as libc::sighandler_t;
        assert_eq!(kind(&other), Disposition::Other);
    }

    #[test]
    fn test_threads_are_not_the_main_thread() {
        // libtest runs each test on a thread of its own: a run here never takes the signals.
        assert!(!is_main_thread());
        assert!(Signals::take(true, true).is_err());
    }
}
