//! The state one runner shares with its tasks, worker threads and blocking jobs.
//!
//! It deliberately holds no executor: tasks point at it, and an executor that owned its own
//! tasks' state would keep itself alive forever.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock, RwLockReadGuard};
use std::time::Duration;

use crate::diagnostic::{self, Diagnostic, Handler};
use crate::jobs::BlockingJobs;
use crate::registry::TaskRegistry;
use crate::snapshot::LiveTasks;

pub(crate) struct Shared {
    pub(crate) debug: bool,
    pub(crate) slow_poll_threshold: Duration,
    handler: Option<Handler>,
    /// Set when `close` begins: tasks dropped from then on were cancelled by the close.
    closing: AtomicBool,
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
    /// The live tasks' records, in debug mode only.
    pub(crate) live: LiveTasks,
}

impl Shared {
    pub(crate) fn new(
        debug: bool,
        slow_poll_threshold: Duration,
        handler: Option<Handler>,
        registry: Option<TaskRegistry>,
    ) -> Self {
        Shared {
            debug,
            slow_poll_threshold,
            handler,
            closing: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            gate: RwLock::new(()),
            last_id: AtomicU64::new(0),
            registry,
            blocking: BlockingJobs::default(),
            live: LiveTasks::default(),
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

    pub(crate) fn begin_closing(&self) {
        self.closing.store(true, Ordering::SeqCst);
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Relaxed)
    }

    /// From now on nothing new may start; returns once no blocking job is still spawning.
    pub(crate) fn mark_closed(&self) {
        let _gate = self.gate.write().unwrap_or_else(PoisonError::into_inner);
        self.closed.store(true, Ordering::SeqCst);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    /// Held by a blocking job while it spawns, so that `mark_closed` waits for the spawn.
    pub(crate) fn gate(&self) -> RwLockReadGuard<'_, ()> {
        self.gate.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn report(&self, diagnostic: Diagnostic) {
        diagnostic::report(self.handler.as_ref(), diagnostic);
    }
}
