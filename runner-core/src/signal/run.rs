//! The signal state of one run that owns signals: which signal came first, and the futures made
//! in the run that wait for one. The runner keeps it while the run owns the signals
//! (`runner/shared.rs`), so that a future made by the run's code finds it. In debug mode a run
//! that owns none keeps one too, to say why a future waiting for a signal never resolves.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering::SeqCst};

use event_listener::{Event, EventListener};

use super::{NotHandled, Signal};

/// The signal state of one run that owns signals (or, in debug mode, of one that owns none).
pub(crate) struct RunSignals {
    /// Whether the run owns any signal.
    owns_any: bool,
    /// Why the run does not own Ctrl-C, if it does not.
    no_ctrl_c: Option<NotHandled>,
    /// Whether the run said once that a future waiting for a signal never resolves.
    reported: AtomicBool,
    /// The first signal's `code`, 0 before it.
    fired: AtomicU8,
    fired_event: Event,
    /// Live [`CtrlC`]s made in this run that have not resolved: they hold back Ctrl-C.
    ctrl_c: AtomicUsize,
    /// Live [`ShutdownSignal`]s made in this run that have not resolved: they hold back both.
    shutdown: AtomicUsize,
}

impl RunSignals {
    pub(crate) fn fired(&self) -> Option<Signal> {
        Signal::from_code(self.fired.load(SeqCst))
    }

    /// Whether a future made in this run waits for `signal`, so that it must not cancel main.
    pub(crate) fn held_back(&self, signal: Signal) -> bool {
        self.shutdown.load(SeqCst) > 0
            || (signal == Signal::Interrupt && self.ctrl_c.load(SeqCst) > 0)
    }

    pub(crate) fn counter(&self, waits_for: WaitsFor) -> &AtomicUsize {
        match waits_for {
            WaitsFor::CtrlC => &self.ctrl_c,
            WaitsFor::Any => &self.shutdown,
        }
    }
}

impl RunSignals {
    /// The state of a run that owns signals; `no_ctrl_c` says why Ctrl-C is not among them.
    pub(crate) fn new(no_ctrl_c: Option<NotHandled>) -> RunSignals {
        RunSignals::with(true, no_ctrl_c)
    }

    /// The state of a run that owns no signal, because of `why` (for Ctrl-C).
    pub(crate) fn unowned(why: NotHandled) -> RunSignals {
        RunSignals::with(false, Some(why))
    }

    fn with(owns_any: bool, no_ctrl_c: Option<NotHandled>) -> RunSignals {
        RunSignals {
            owns_any,
            no_ctrl_c,
            reported: AtomicBool::new(false),
            fired: AtomicU8::new(0),
            fired_event: Event::new(),
            ctrl_c: AtomicUsize::new(0),
            shutdown: AtomicUsize::new(0),
        }
    }

    /// Records the run's first signal and wakes whoever waits for it.
    pub(crate) fn fire(&self, signal: Signal) {
        self.fired.store(signal.code(), SeqCst);
        self.fired_event.notify(usize::MAX);
    }

    pub(crate) fn owns_any(&self) -> bool {
        self.owns_any
    }

    /// Why a future waiting for `waits_for` can never resolve in this run, if it cannot.
    pub(crate) fn never_fires(&self, waits_for: WaitsFor) -> Option<NotHandled> {
        match waits_for {
            WaitsFor::Any if self.owns_any => None,
            _ => self.no_ctrl_c,
        }
    }

    /// True the first time only: the run says once why a future never resolves.
    pub(crate) fn first_report(&self) -> bool {
        !self.reported.swap(true, SeqCst)
    }

    /// Listens for the first signal (look at [`fired`](RunSignals::fired) again after this).
    pub(crate) fn listen(&self) -> EventListener {
        self.fired_event.listen()
    }
}

/// What a waiting future waits for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitsFor {
    CtrlC,
    Any,
}
