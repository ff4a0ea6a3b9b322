//! Blocking jobs: closures on a thread pool, counted so that `close` can wait for them.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use event_listener::{Event, Listener};

use crate::context;
use crate::current::{self, Current, Role};
use crate::panic::TaskPanic;
use crate::shared::Shared;
use crate::task::{closed_check, Task};

/// Runs a blocking closure on a thread pool and returns a task for its result.
///
/// Use it for work that would block the executor: file system calls, CPU-heavy computation,
/// synchronous libraries. The pool is smol's `blocking` pool; the runner counts its own jobs, and
/// [`close`](crate::Runner::close) waits for them up to the
/// [shutdown timeout](crate::Builder::shutdown_timeout). Inside the job, `spawn` and
/// `spawn_blocking` work as they do in the runner's tasks, and the closure runs in a copy of the
/// spawner's current [`Context`](crate::Context), as a task would.
///
/// Dropping the task does not stop a job that has started (threads cannot be cancelled); its
/// result is discarded.
///
/// # Examples
///
/// ```
/// let len = runner_core::run(async {
///     runner_core::spawn_blocking(|| std::fs::read_dir(".").map(|d| d.count()).unwrap_or(0)).await
/// });
/// assert!(len.is_ok());
/// ```
///
/// # Panics
///
/// Panics when called outside a runner, or after the runner was closed.
#[track_caller]
pub fn spawn_blocking<F, T>(f: F) -> Task<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let spawned_at = Location::caller();
    let runner = current::with(|c| {
        c.map(|c| {
            closed_check(c, "spawn_blocking", spawned_at);
            (c.shared.clone(), c.executor.clone())
        })
    });
    let Some((shared, executor)) = runner else {
        current::no_runner("spawn_blocking")
    };
    let job = Job::start(shared.clone());
    let info = shared.new_task(spawned_at);
    let mut context = context::copy_current();
    blocking::unblock(move || {
        let _job = job;
        let _context = context::Entered::new(&mut context);
        let _enter = current::enter(Current {
            shared: shared.clone(),
            executor,
            local: None,
            role: Role::Blocking,
        });
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(value) => value,
            Err(payload) => resume_unwind(TaskPanic::wrap(payload, info, shared)),
        }
    })
}

/// The runner's count of its blocking jobs still running.
#[derive(Default)]
pub(crate) struct BlockingJobs {
    running: AtomicUsize,
    finished: Event,
}

impl BlockingJobs {
    /// Waits until no job runs, or until `timeout`; returns how many still run.
    pub(crate) fn wait_idle(&self, timeout: Duration) -> usize {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            let running = self.running.load(Ordering::SeqCst);
            if running == 0 {
                return 0;
            }
            let listener = self.finished.listen();
            if self.running.load(Ordering::SeqCst) == 0 {
                return 0;
            }
            match deadline {
                Some(deadline) => {
                    if listener.wait_deadline(deadline).is_none() {
                        return self.running.load(Ordering::SeqCst);
                    }
                }
                None => listener.wait(),
            }
        }
    }
}

/// One running job, counted from `spawn_blocking` until the closure returns or unwinds.
struct Job(Arc<Shared>);

impl Job {
    fn start(shared: Arc<Shared>) -> Job {
        shared.blocking.running.fetch_add(1, Ordering::SeqCst);
        Job(shared)
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        let jobs = &self.0.blocking;
        if jobs.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            jobs.finished.notify(usize::MAX);
        }
    }
}
