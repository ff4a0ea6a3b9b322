//! The signal state of one run that owns signals: which signal came first, and the futures made
//! in the run that wait for one. The runner keeps it while the run owns the signals
//! (`runner/shared.rs`), so that a future made by the run's code finds it.

use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering::SeqCst};

use event_listener::{Event, EventListener};

use super::Signal;

/// The signal state of one run that owns signals.
pub(crate) struct RunSignals {
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
    pub(crate) fn new() -> RunSignals {
        RunSignals {
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
