//! Console control events at the OS level, Windows' counterpart of SIGINT and SIGTERM: which
//! run owns them, the handler routine, and dying by them.
//!
//! A run that takes them registers `on_event` with `SetConsoleCtrlHandler` and removes it when
//! it lets go. Windows calls the handler routines on a thread of its own, last registered first,
//! until one returns `TRUE`; the last one is the default, which ends the process with
//! `STATUS_CONTROL_C_EXIT`. The events, and what the run makes of them:
//!
//! - `CTRL_C_EVENT` and `CTRL_BREAK_EVENT` are Ctrl-C ([`Signal::Interrupt`]);
//! - `CTRL_CLOSE_EVENT` (the console window closes) is the termination request
//!   ([`Signal::Terminate`]), taken when the run handles SIGTERM. The process dies as soon as
//!   the routine returns (or about 5 s after the event, whichever comes first), so the routine
//!   does not return: the cleanup has until the process exits, or those 5 s;
//! - logoff and shutdown events reach services only, and are left to the next routine.
//!
//! Where Windows cannot follow the Unix rules to the letter:
//!
//! - Main thread: no API names it. The standard library names the thread that runs `main`
//!   "main", so a run on the thread named "main" is on the main thread.
//! - Takeover: Windows cannot list the routines already registered, and calls the last
//!   registered first, so a run's routine pre-empts one the program registered earlier (with the
//!   `ctrlc` crate, say) for the length of the run. `handle_ctrl_c(false)` opts out. A routine
//!   the program registers during the run pre-empts the run's.
//! - Ignore flag: a process started with `CREATE_NEW_PROCESS_GROUP`, or after
//!   `SetConsoleCtrlHandler(NULL, TRUE)`, ignores Ctrl-C (Windows calls no routine for it), and
//!   its children inherit that: the counterpart of `SIG_IGN`. The flag is in the process
//!   parameters (`ConsoleFlags`, bit 0); when it is set, no run takes Ctrl-C.
//! - Second event: ends the process at once with `ExitProcess`, with the code the event's kind
//!   has (`STATUS_CONTROL_C_EXIT` for Ctrl-C and Break, `exit_terminated`'s for close), instead of
//!   returning `FALSE` to the next routine, which may be the program's and may not end it.
//! - Removal: the run lets go by marking the state idle, then removing the routine. An event that
//!   reaches the routine before the mark is the run's (like a Ctrl-C just before `run` returned);
//!   after it, the routine returns `FALSE` and the event goes to the next routine (by default,
//!   it ends the process), as it would once the routine is removed. While a close event's
//!   routine waits for the process to end, Windows holds its lock on the routine list, so the
//!   routine is then not removed (that would wait for that lock forever), and a run started in
//!   the seconds the process has left waits in `take` for that lock until Windows ends it.
//! - The routine's thread: a run that took a Ctrl-C waits, when it lets go, for the thread that
//!   Windows ran the routine on to end (at most a second; on Windows, microseconds). The program
//!   usually exits right after, and under wine a process that exits while that thread is ending
//!   can hang: the thread is killed holding the Unix dynamic loader's lock, which the exit then
//!   waits for, until wineserver kills the process with SIGKILL and its exit code is lost.

use std::marker::PhantomData;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, Ordering::SeqCst};

use event_listener::Event;
use windows_sys::core::BOOL;
use windows_sys::Wdk::System::Threading::{NtQueryInformationProcess, ProcessBasicInformation};
use windows_sys::Win32::Foundation::{CloseHandle, FALSE, HANDLE, TRUE};
use windows_sys::Win32::System::Console::{
    SetConsoleCtrlHandler, CTRL_BREAK_EVENT, CTRL_CLOSE_EVENT, CTRL_C_EVENT,
};
use windows_sys::Win32::System::Threading::{
    GetCurrentProcess, GetCurrentThreadId, OpenThread, WaitForSingleObject,
    PROCESS_BASIC_INFORMATION, THREAD_SYNCHRONIZE,
};

use super::{NotHandled, Signal};
use crate::sync;

/// No run owns the events.
const IDLE: u8 = 0;
/// A run is registering the routine.
const TAKING: u8 = 1;
/// A run owns the events and none came yet.
const ARMED: u8 = 2;
/// Set with the first event's [`code`](Signal::code): the next one ends the process.
const FIRED: u8 = 0x10;

static STATE: AtomicU8 = AtomicU8::new(IDLE);
/// Which events the owning run takes: Ctrl-C and Break, close.
static CTRL_C: AtomicBool = AtomicBool::new(false);
static CLOSE: AtomicBool = AtomicBool::new(false);
/// Notified when the first event comes.
static FIRST: Event = Event::new();
/// A handle to the thread whose routine took the first Ctrl-C, for the run to wait for when it
/// lets go (see the module docs); null: none.
static ROUTINE_THREAD: AtomicPtr<core::ffi::c_void> = AtomicPtr::new(null_mut());
/// How long a run that lets go waits for [`ROUTINE_THREAD`] to end.
const ROUTINE_THREAD_PATIENCE_MS: u32 = 1000;

/// `STATUS_CONTROL_C_EXIT`: how a console program ended by Ctrl-C exits.
const CONTROL_C_EXIT: i32 = 0xC000_013A_u32 as i32;

/// The signal a state says came first, if one did.
fn fired(state: u8) -> Option<Signal> {
    (state & FIRED != 0)
        .then(|| Signal::from_code(state & !FIRED))
        .flatten()
}

/// Console control events, owned by one run from [`take`](Signals::take) until dropped;
/// dropping removes the routine.
///
/// Not `Send`: the guard stays with the `run` that took it.
pub(crate) struct Signals {
    /// Why Ctrl-C is not among the events taken, if it is not.
    no_ctrl_c: Option<NotHandled>,
    _not_send: PhantomData<*const ()>,
}

impl Signals {
    /// Takes the events asked for (`sigint`: Ctrl-C and Break; `sigterm`: close) for a run;
    /// `Err` says why Ctrl-C is not taken when nothing is. Ctrl-C is taken unless the process
    /// ignores it (see the module docs); the routine is registered unless that fails.
    pub(crate) fn take(sigint: bool, sigterm: bool) -> Result<Signals, NotHandled> {
        if !(sigint || sigterm) {
            return Err(NotHandled::Disabled);
        }
        // Only the main thread takes, and it runs one `run` at a time: a run that finds the
        // events owned is on another thread.
        if !is_main_thread()
            || STATE
                .compare_exchange(IDLE, TAKING, SeqCst, SeqCst)
                .is_err()
        {
            return Err(NotHandled::NotMainThread);
        }
        let no_ctrl_c = if !sigint {
            Some(NotHandled::Disabled)
        } else if ignores_ctrl_c() {
            Some(NotHandled::Ignored)
        } else {
            None
        };
        if no_ctrl_c.is_none() || sigterm {
            CTRL_C.store(no_ctrl_c.is_none(), SeqCst);
            CLOSE.store(sigterm, SeqCst);
            // ARMED before the routine is in place: an event right after it is counted.
            STATE.store(ARMED, SeqCst);
            // SAFETY: `on_event` is an `extern "system" fn(u32) -> BOOL` that lives as long as
            // the program, as `PHANDLER_ROUTINE` requires, and may run on any thread (it touches
            // atomics, a static `Event` and a handle of its own thread, and may park or end the
            // process).
            if unsafe { SetConsoleCtrlHandler(Some(on_event), TRUE) } != 0 {
                return Ok(Signals {
                    no_ctrl_c,
                    _not_send: PhantomData,
                });
            }
        }
        STATE.store(IDLE, SeqCst);
        Err(no_ctrl_c.unwrap_or(NotHandled::Unsupported))
    }

    /// Why Ctrl-C is not among the events taken (`None`: it is).
    pub(crate) fn no_ctrl_c(&self) -> Option<NotHandled> {
        self.no_ctrl_c
    }

    /// Resolves on the first event since [`take`](Signals::take), with the signal it stands for.
    pub(crate) async fn first_signal(&self) -> Signal {
        sync::until(&FIRST, || fired(STATE.load(SeqCst)).is_some()).await;
        match fired(STATE.load(SeqCst)) {
            Some(signal) => signal,
            None => unreachable!("the state stays fired until the run lets go"),
        }
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        // Idle first: from here on the routine hands events on (see the module docs).
        let state = STATE.swap(IDLE, SeqCst);
        if fired(state) == Some(Signal::Terminate) {
            // A close event's routine holds Windows' lock on the routine list until the process
            // ends: removing ours would wait for it forever. The process is ending anyway.
            return;
        }
        // SAFETY: removes the routine `take` registered; a null-free, valid function pointer.
        unsafe { SetConsoleCtrlHandler(Some(on_event), FALSE) };
        wait_for_routine_thread();
    }
}

/// Whether the calling thread is the process's main thread: the one the standard library
/// names "main".
fn is_main_thread() -> bool {
    std::thread::current().name() == Some("main")
}

/// Whether the process ignores Ctrl-C: bit 0 of `ConsoleFlags` in its process parameters, set
/// by `CREATE_NEW_PROCESS_GROUP` or `SetConsoleCtrlHandler(NULL, TRUE)`. `false` if it cannot be
/// read.
fn ignores_ctrl_c() -> bool {
    let mut info = PROCESS_BASIC_INFORMATION::default();
    let size = std::mem::size_of::<PROCESS_BASIC_INFORMATION>() as u32;
    // SAFETY: `info` is a valid, writable `PROCESS_BASIC_INFORMATION` of `size` bytes, which is
    // what `ProcessBasicInformation` fills; the return length is not asked for.
    let status = unsafe {
        NtQueryInformationProcess(
            GetCurrentProcess(),
            ProcessBasicInformation,
            (&mut info as *mut PROCESS_BASIC_INFORMATION).cast(),
            size,
            std::ptr::null_mut(),
        )
    };
    if status < 0 || info.PebBaseAddress.is_null() {
        return false;
    }
    // SAFETY: the PEB of the current process is mapped for its whole life, and so are its
    // process parameters, which the loader set up before any of our code ran. `Reserved2[1]`
    // is `ConsoleFlags` (after `ConsoleHandle`), a ULONG, read here as the low bits of a
    // pointer-sized slot; only bit 0 is looked at. Windows writes it only under the console
    // lock in `SetConsoleCtrlHandler(NULL, ..)`, so a read may race only with a program
    // changing the flag at this moment: either answer is then right.
    unsafe {
        let parameters = (*info.PebBaseAddress).ProcessParameters;
        !parameters.is_null() && (*parameters).Reserved2[1] as usize & 1 != 0
    }
}

/// The handler routine. Windows calls it on a thread of its own, so it may block and allocate;
/// it returns `TRUE` for an event the run takes.
extern "system" fn on_event(event: u32) -> BOOL {
    handle(event)
}

fn handle(event: u32) -> BOOL {
    let signal = match event {
        CTRL_C_EVENT | CTRL_BREAK_EVENT if CTRL_C.load(SeqCst) => Signal::Interrupt,
        CTRL_CLOSE_EVENT if CLOSE.load(SeqCst) => Signal::Terminate,
        // Not the run's: the next routine's (by default, the end of the process).
        _ => return FALSE,
    };
    let first = FIRED | signal.code();
    // The run waits for this thread if this is the first Ctrl-C (see the module docs). The
    // handle is offered before the event counts: the run may let go as soon as it does.
    let offered = (signal == Signal::Interrupt)
        .then(this_thread)
        .flatten()
        .and_then(offer_routine_thread);
    let counted = STATE.compare_exchange(ARMED, first, SeqCst, SeqCst);
    if let (Err(_), Some(thread)) = (counted, offered) {
        withdraw_routine_thread(thread);
    }
    match counted {
        Ok(_) => {
            FIRST.notify(usize::MAX);
            if signal == Signal::Terminate {
                // The process dies when this returns: wait for the cleanup to end it.
                loop {
                    std::thread::park();
                }
            }
            TRUE
        }
        // The second event: end the process at once.
        Err(state) if state & FIRED != 0 => die_by(signal),
        // Idle (or being taken, which no event can see: ARMED comes before the routine is
        // registered): the run let go; the event is the next routine's.
        Err(_) => FALSE,
    }
}

/// A handle to the calling thread that can be waited on, or `None` if Windows gives none.
fn this_thread() -> Option<HANDLE> {
    // SAFETY: opens the calling thread, which is alive, by its id, with the one right a wait
    // needs; the caller owns the handle.
    let thread = unsafe { OpenThread(THREAD_SYNCHRONIZE, FALSE, GetCurrentThreadId()) };
    (!thread.is_null()).then_some(thread)
}

/// Puts `thread` where the run finds it ([`ROUTINE_THREAD`]), if no other is there: `Some` then;
/// otherwise closes it.
fn offer_routine_thread(thread: HANDLE) -> Option<HANDLE> {
    match ROUTINE_THREAD.compare_exchange(null_mut(), thread, SeqCst, SeqCst) {
        Ok(_) => Some(thread),
        Err(_) => {
            close(thread);
            None
        }
    }
}

/// Takes an offered `thread` back and closes it, unless a run already took it (that run closes
/// it).
fn withdraw_routine_thread(thread: HANDLE) {
    if ROUTINE_THREAD
        .compare_exchange(thread, null_mut(), SeqCst, SeqCst)
        .is_ok()
    {
        close(thread);
    }
}

/// Waits (at most [`ROUTINE_THREAD_PATIENCE_MS`]) for the thread offered in
/// [`ROUTINE_THREAD`], if any, to end, and closes it.
fn wait_for_routine_thread() {
    let thread = ROUTINE_THREAD.swap(null_mut(), SeqCst);
    if thread.is_null() {
        return;
    }
    // SAFETY: `thread` is a handle that `this_thread` opened with the right to wait on it; the
    // swap made this call its only owner.
    unsafe { WaitForSingleObject(thread, ROUTINE_THREAD_PATIENCE_MS) };
    close(thread);
}

/// Closes a handle that [`this_thread`] opened, once, by its one owner.
fn close(thread: HANDLE) {
    // SAFETY: the callers own `thread`, an open handle, and drop it after this call.
    unsafe { CloseHandle(thread) };
}

/// Ends the process with the exit code a console program ended by `signal` has:
/// `STATUS_CONTROL_C_EXIT` for Ctrl-C, 143 (the Unix shell's code for SIGTERM, as
/// `exit_terminated` promises) for the termination request.
pub(crate) fn die_by(signal: Signal) -> ! {
    std::process::exit(match signal {
        Signal::Interrupt => CONTROL_C_EXIT,
        Signal::Terminate => 143,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_threads_are_not_the_main_thread() {
        // libtest runs each test on a thread named after the test: a run there takes nothing.
        assert!(!is_main_thread());
        assert!(matches!(
            Signals::take(true, true),
            Err(NotHandled::NotMainThread)
        ));
    }

    #[test]
    fn the_ignore_flag_reads_unset() {
        // Test programs are started without it (a parent with the flag set would make this
        // fail, which is the point: it is read, not assumed).
        assert!(!ignores_ctrl_c());
    }

    /// Break and close cannot be sent under wine (only SIGINT becomes a console event there):
    /// the routine is called from a thread, as Windows calls it, with the state a run's `take`
    /// leaves. One test for both: the state is process-wide.
    #[test]
    fn break_is_ctrl_c_and_close_is_the_termination_request() {
        let arm = |ctrl_c: bool, close: bool| {
            CTRL_C.store(ctrl_c, SeqCst);
            CLOSE.store(close, SeqCst);
            STATE.store(ARMED, SeqCst);
            Signals {
                no_ctrl_c: None,
                _not_send: PhantomData,
            }
        };
        let first = |signals: &Signals| futures_lite::future::block_on(signals.first_signal());

        let signals = arm(true, false);
        let (answered, answer) = std::sync::mpsc::channel();
        // A routine thread that lingers after it returns: the run must wait for it to end.
        let routine = std::thread::spawn(move || {
            let _ = answered.send(handle(CTRL_BREAK_EVENT));
            std::thread::sleep(std::time::Duration::from_millis(300));
        });
        assert_eq!(answer.recv().unwrap(), TRUE, "Break is taken");
        assert_eq!(first(&signals), Signal::Interrupt);
        // Close is not taken by this run: it goes on to the next routine.
        assert_eq!(handle(CTRL_CLOSE_EVENT), FALSE);
        STATE.store(IDLE, SeqCst);
        // Idle: handed on.
        assert_eq!(handle(CTRL_C_EVENT), FALSE);
        drop(signals);
        assert!(
            routine.is_finished(),
            "letting go waits for the routine's thread"
        );
        assert!(ROUTINE_THREAD.load(SeqCst).is_null());
        // An event the run does not count leaves no thread to wait for.
        assert_eq!(handle(CTRL_C_EVENT), FALSE);
        assert!(ROUTINE_THREAD.load(SeqCst).is_null());

        let signals = arm(false, true);
        assert_eq!(
            handle(CTRL_C_EVENT),
            FALSE,
            "Ctrl-C is not taken by this run"
        );
        let (returned, told) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let answer = handle(CTRL_CLOSE_EVENT);
            let _ = returned.send(answer);
        });
        assert_eq!(first(&signals), Signal::Terminate);
        // The routine must not return: the process would die before the cleanup.
        assert!(told
            .recv_timeout(std::time::Duration::from_millis(300))
            .is_err());
        // A drop after close leaves the routine registered and the state idle.
        drop(signals);
        assert_eq!(STATE.load(SeqCst), IDLE);
    }
}
