//! Debug mode's watchdog: one thread for the whole process that finds polls stuck while they
//! are stuck, so that a poll that never returns is still reported.
//!
//! Each debug-mode runner is listed here when it starts. The thread looks at the polls in
//! progress of every listed runner: each thread that polls a runner's tasks has a slot there
//! that says which task it polls and since when, so a look costs one read per thread, however
//! many tasks are alive, and never holds up a spawn. It sleeps until the earliest of those polls
//! reaches its runner's slow-poll threshold, or for one threshold when no poll is in progress,
//! since a poll starting later cannot be due sooner. A poll past the threshold is reported once
//! as [`Diagnostic::StuckPoll`], from this thread.
//!
//! The thread (`runner-watchdog`) starts with the first debug-mode runner and exits after a
//! while with none.
//!
//! [`Diagnostic::StuckPoll`]: crate::diagnostic::Diagnostic::StuckPoll

use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::Duration;

use crate::debug::clock::Stamp;
use crate::debug::snapshot::LiveTasks;
use crate::sync;

/// How long the thread waits without a runner to watch before it exits.
const IDLE_EXIT: Duration = Duration::from_secs(1);

struct Watchdog {
    state: Mutex<State>,
    changed: Condvar,
}

struct State {
    runners: Vec<Weak<LiveTasks>>,
    running: bool,
    /// The shortest threshold among the runners at the thread's last look: the longest it
    /// sleeps. A runner with a shorter one wakes it; others wait for its next look.
    shortest: Duration,
}

static WATCHDOG: Watchdog = Watchdog {
    state: Mutex::new(State {
        runners: Vec::new(),
        running: false,
        shortest: Duration::ZERO,
    }),
    changed: Condvar::new(),
};

impl Watchdog {
    fn lock(&self) -> MutexGuard<'_, State> {
        sync::lock(&self.state)
    }
}

/// Watches the polls of a debug-mode runner until it closes ([`unwatch`]).
pub(crate) fn watch(live: &Arc<LiveTasks>) {
    let threshold = live.slow_poll_threshold;
    let mut state = WATCHDOG.lock();
    state.runners.push(Arc::downgrade(live));
    // The thread looks at least once per `shortest`: only a shorter threshold needs it now.
    let wake = state.running && threshold < state.shortest;
    if !state.running || wake {
        state.shortest = threshold;
    }
    if !state.running {
        let started = std::thread::Builder::new()
            .name("runner-watchdog".into())
            .spawn(work);
        // Without a thread, stuck polls are still reported when they return, as slow polls.
        state.running = started.is_ok();
    }
    drop(state);
    if wake {
        WATCHDOG.changed.notify_one();
    }
}

/// Stops watching a runner once `close` has cancelled its tasks and waited for its threads, so
/// that its state is freed with its last handle.
pub(crate) fn unwatch(live: &Arc<LiveTasks>) {
    let mut state = WATCHDOG.lock();
    let me = Arc::downgrade(live);
    state.runners.retain(|r| !r.ptr_eq(&me));
}

fn work() {
    let mut state = WATCHDOG.lock();
    let mut idle_since: Option<Stamp> = None;
    loop {
        let runners: Vec<Arc<LiveTasks>> = {
            state.runners.retain(|r| r.strong_count() > 0);
            state.runners.iter().filter_map(Weak::upgrade).collect()
        };
        if runners.is_empty() {
            // Still look once per `shortest`: a runner that starts meanwhile does not wake us.
            let idle = *idle_since.get_or_insert_with(Stamp::now);
            if idle.elapsed() >= IDLE_EXIT {
                state.running = false;
                return;
            }
            let sleep = state.shortest.max(Duration::from_millis(1));
            state = sync::wait_timeout(&WATCHDOG.changed, state, sleep).0;
            continue;
        }
        idle_since = None;
        state.shortest = runners
            .iter()
            .map(|r| r.slow_poll_threshold)
            .min()
            .unwrap_or(Duration::ZERO);
        drop(state);

        let now = Stamp::now();
        let mut wake_at: Option<Stamp> = None;
        for live in &runners {
            let threshold = live.slow_poll_threshold;
            let (stuck, next) = live.stuck_polls(now, threshold);
            // Reported outside the lock: the handler may take a snapshot.
            for diagnostic in stuck {
                live.report(diagnostic);
            }
            let next = next.unwrap_or(now.after(threshold));
            wake_at = Some(wake_at.map_or(next, |w| w.min(next)));
        }
        // The last handle to a runner may be this one: drop it before sleeping.
        drop(runners);
        let sleep = wake_at.map_or(Duration::ZERO, |w| w.since(Stamp::now()));

        state = WATCHDOG.lock();
        // At least a millisecond: the coarse clock moves by ticks.
        let sleep = sleep.max(Duration::from_millis(1));
        state = sync::wait_timeout(&WATCHDOG.changed, state, sleep).0;
    }
}
