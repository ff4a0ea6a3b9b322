//! The state one runner shares with its tasks, worker threads and blocking jobs.
//!
//! It deliberately holds no executor: tasks point at it, and an executor that owned its own
//! tasks' state would keep itself alive forever.

use std::panic::Location;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::blocking::BlockingJobs;
use crate::diagnostic::{self, Diagnostic, Handler, TaskInfo};
use crate::registry::TaskRegistry;
use crate::snapshot::LiveTasks;

pub(crate) struct Shared {
    pub(crate) debug: bool,
    pub(crate) slow_poll_threshold: Duration,
    handler: Option<Handler>,
    closed: AtomicBool,
    pub(crate) tasks: TaskRegistry,
    pub(crate) blocking: BlockingJobs,
    /// The live tasks' records, in debug mode only.
    pub(crate) live: LiveTasks,
}

impl Shared {
    pub(crate) fn new(
        debug: bool,
        slow_poll_threshold: Duration,
        handler: Option<Handler>,
    ) -> Self {
        Shared {
            debug,
            slow_poll_threshold,
            handler,
            closed: AtomicBool::new(false),
            tasks: TaskRegistry::default(),
            blocking: BlockingJobs::default(),
            live: LiveTasks::default(),
        }
    }

    /// Counts a new task alive and names it after the line that spawned it.
    pub(crate) fn new_task(&self, spawned_at: &'static Location<'static>) -> TaskInfo {
        TaskInfo::new(self.tasks.task_started(), spawned_at)
    }

    /// Names a blocking job, which the task registry does not count, after its spawn line.
    pub(crate) fn new_job(&self, spawned_at: &'static Location<'static>) -> TaskInfo {
        TaskInfo::new(self.tasks.number_only(), spawned_at)
    }

    /// Set once `close` has cancelled the tasks: from then on nothing new may start.
    pub(crate) fn mark_closed(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    pub(crate) fn report(&self, diagnostic: Diagnostic) {
        diagnostic::report(self.handler.as_ref(), diagnostic);
    }
}
