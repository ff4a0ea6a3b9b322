//! The state one runner shares with its tasks, worker threads and blocking jobs.
//!
//! It deliberately holds no executor: tasks point at it, and an executor that owned its own
//! tasks' state would keep itself alive forever.

use std::any::Any;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::Duration;

use crate::debug::diagnostic::{message_of, Diagnostic, Handler, Reporter, TaskInfo};
use crate::debug::snapshot::{LiveTasks, TaskSnapshot};
use crate::runner::tokio_rt::{self, TokioHandle};
use crate::signal::run::RunSignals;
use crate::sync;
use crate::task::jobs::BlockingJobs;
use crate::task::registry::TaskRegistry;
use crate::time::clock::Time;

pub(crate) struct Shared {
    pub(crate) debug: bool,
    /// Where the runner's reports go.
    pub(crate) reporter: Reporter,
    /// Set once nothing new may start. Written under the gate's write lock, so that a blocking
    /// job that saw it unset (under the read lock) has finished spawning before close goes on.
    closed: AtomicBool,
    gate: RwLock<()>,
    /// Numbers tasks and blocking jobs (from 1; 0 is the main future).
    last_id: AtomicU64,
    /// Only when the executor may outlive the runner (`executor_factory`): the runner's own
    /// list of its tasks, so that `close` can cancel them without dropping the executor.
    pub(crate) registry: Option<TaskRegistry>,
    pub(crate) blocking: BlockingJobs,
    /// Debug mode's records of the live tasks (none with debug mode off).
    pub(crate) live: Option<Arc<LiveTasks>>,
    /// Set when `close` begins.
    closing: AtomicBool,
    /// The signal state of the run in progress, while it owns the signals.
    signals: Mutex<Option<Arc<RunSignals>>>,
    /// The runner's clock and timers.
    pub(crate) time: Arc<Time>,
    /// The runner's tokio context (none without the `tokio` feature), entered by its threads.
    pub(crate) tokio: TokioHandle,
    /// Whether the missing-tokio hint was given: once per runner.
    tokio_hinted: AtomicBool,
    /// Whether debug mode said that blocking jobs hold the paused clock: once per runner.
    held_clock_reported: AtomicBool,
}

impl Shared {
    pub(crate) fn new(
        debug: bool,
        slow_poll_threshold: Duration,
        handler: Option<Handler>,
        registry: Option<TaskRegistry>,
        time: Time,
        tokio: TokioHandle,
        one_thread: bool,
    ) -> Self {
        let time = Arc::new(time);
        Shared {
            debug,
            reporter: Reporter::new(handler.clone()),
            closed: AtomicBool::new(false),
            gate: RwLock::new(()),
            last_id: AtomicU64::new(0),
            registry,
            blocking: BlockingJobs::default(),
            live: debug.then(|| {
                Arc::new(LiveTasks::new(
                    slow_poll_threshold,
                    Reporter::new(handler.clone()),
                    time.clone(),
                    one_thread,
                ))
            }),
            closing: AtomicBool::new(false),
            signals: Mutex::new(None),
            time,
            tokio,
            tokio_hinted: AtomicBool::new(false),
            held_clock_reported: AtomicBool::new(false),
        }
    }

    /// A block of task numbers for one thread: from the first up to the second, excluded.
    pub(crate) fn take_ids(&self) -> (u64, u64) {
        const BLOCK: u64 = 32;
        let last = self.last_id.fetch_add(BLOCK, Ordering::Relaxed);
        (last + 1, last + 1 + BLOCK)
    }

    /// Whether no task, local task or blocking job was ever spawned (each takes a number).
    pub(crate) fn spawned_nothing(&self) -> bool {
        self.last_id.load(Ordering::SeqCst) == 0
    }

    /// Whether tasks need the runner's state on every poll: to time it (debug mode), or to be
    /// cancelled through the registry.
    pub(crate) fn instruments_tasks(&self) -> bool {
        self.debug || self.registry.is_some()
    }

    /// The live tasks, as `runner::debug::tasks` and `Runner::tasks` list them: none with debug
    /// mode off, where no record is kept.
    pub(crate) fn tasks(&self) -> Vec<TaskSnapshot> {
        self.live
            .as_ref()
            .map_or_else(Vec::new, |live| live.snapshot())
    }

    /// `close` begins: tasks dropped from now on were cancelled by the close.
    pub(crate) fn begin_closing(&self) {
        self.closing.store(true, Ordering::SeqCst);
        if let Some(live) = &self.live {
            live.begin_closing();
        }
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Relaxed)
    }

    /// From now on nothing new may start; returns once no blocking job is still spawning.
    pub(crate) fn mark_closed(&self) {
        let _gate = sync::write(&self.gate);
        self.closed.store(true, Ordering::SeqCst);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// Held by a blocking job while it spawns, so that `mark_closed` waits for the spawn.
    pub(crate) fn gate(&self) -> RwLockReadGuard<'_, ()> {
        sync::read(&self.gate)
    }

    /// A run of this runner takes the signals (`Some`) or lets them go (`None`).
    pub(crate) fn own_signals(&self, run: Option<Arc<RunSignals>>) {
        *sync::lock(&self.signals) = run;
    }

    /// The signal state of this runner's run in progress, if that run owns the signals.
    pub(crate) fn signals_owned(&self) -> Option<Arc<RunSignals>> {
        sync::lock(&self.signals).clone()
    }

    /// Looks at a panic the runner caught from `task`: one that says tokio found no runtime
    /// gets the hint that names the fix, once per runner.
    pub(crate) fn notice_panic(&self, payload: &(dyn Any + Send), task: TaskInfo) {
        if !self.tokio.is_some()
            && message_of(payload).contains(tokio_rt::NO_RUNTIME)
            && !self.tokio_hinted.swap(true, Ordering::Relaxed)
        {
            self.report(Diagnostic::TokioRuntimeMissing { task });
        }
    }

    /// Whether debug mode is still to say that blocking jobs hold the paused clock (once per
    /// runner, with [`report_held_clock`](Shared::report_held_clock)).
    pub(crate) fn held_clock_unreported(&self) -> bool {
        self.debug && !self.held_clock_reported.load(Ordering::Relaxed)
    }

    /// Says which blocking jobs hold the paused clock while every task waits: once, and only
    /// while some job still runs.
    pub(crate) fn report_held_clock(&self) {
        let jobs = self.blocking.list();
        if !jobs.is_empty() && !self.held_clock_reported.swap(true, Ordering::Relaxed) {
            self.report(Diagnostic::PausedClockHeld { jobs });
        }
    }

    pub(crate) fn report(&self, diagnostic: Diagnostic) {
        self.reporter.report(diagnostic);
    }
}
