//! Blocking jobs: closures on their runner's own pool of threads (`jobs.rs`, which says why it
//! is per runner and our own), counted so that `close` can wait for them.

use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};

use crate::context;
use crate::runner::current::{self, Current, Role};
use crate::task::cancel::{is_cancellation, CatchesCancellation};
use crate::task::handle::{Meta, Outcome, Task};
use crate::task::panic::TaskPanic;
use crate::task::sites::PackedInfo;
use crate::task::spawn::{closed_check, Spawned};

/// Runs a blocking closure on its runner's pool of threads and returns a task for its result.
///
/// Use it for work that would block the executor: file system calls, CPU-heavy computation,
/// synchronous libraries. Each runner has a pool of its own, as each asyncio loop has its
/// default executor: it grows with demand (up to 500 threads, named `runner-blocking`) and its
/// idle threads exit after a second. [`close`](crate::Runner::close) waits for the runner's
/// jobs up to the [shutdown timeout](crate::Builder::shutdown_timeout) (not inside another
/// runner's `run`, where it must not block), then stops the pool: when every job was done in
/// time, `close` returns after the pool's threads have exited (within the same timeout);
/// otherwise each thread exits after its job. A job does not keep its runner's executor alive,
/// so a job that awaits a task of its runner wakes when `close` cancels the task. Inside the
/// job, `spawn` and `spawn_blocking` work as they do in the runner's tasks, and the closure runs
/// in a copy of the spawner's current [`Context`](crate::context::Context), as a task would.
///
/// Dropping the task before the job starts cancels it; a job that has started runs to the end
/// (threads cannot be cancelled) and its result is discarded. A job spawned while its runner
/// closes (by a destructor) is cancelled before it starts.
///
/// # Examples
///
/// ```
/// let len = runner::run(async {
///     runner::spawn_blocking(|| std::fs::read_dir(".").map(|d| d.count()).unwrap_or(0)).await
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
            let executor = match &c.role {
                Role::Driving(engine) => Some(engine.downgrade()),
                Role::Blocking(executor) => {
                    closed_check(c, "spawn_blocking", spawned_at);
                    Some(executor.clone())
                }
                Role::Closing => None,
            };
            (c.shared.clone(), executor, c.new_task(spawned_at))
        })
    });
    let Some((shared, executor, info)) = runner else {
        current::no_runner("spawn_blocking")
    };
    let Some(executor) = executor else {
        // Spawned inside `close`: cancelled before it starts.
        let info = PackedInfo::pack(info);
        return Spawned::stillborn(async move { Outcome::done(f()) }, info).start();
    };
    let schedule = shared.blocking.job_spawned(info);
    let mut context = context::copy_current();
    let job = {
        let shared = shared.clone();
        async move {
            let _context = context::Entered::new(&mut context);
            // The pool's threads belong to no runner: the job enters its own runner's tokio
            // context, and its runner.
            let _tokio = shared.tokio.enter();
            let _enter = current::enter(Current::new(shared.clone(), Role::Blocking(executor)));
            let caught = {
                let _catches = CatchesCancellation::new();
                catch_unwind(AssertUnwindSafe(f))
            };
            match caught {
                Ok(value) => Outcome::done(value),
                // It awaited a task that was cancelled: it is cancelled too.
                Err(payload) if is_cancellation(&*payload) => Outcome::cancelled(),
                Err(payload) => {
                    shared.notice_panic(&*payload, info);
                    resume_unwind(TaskPanic::wrap(payload, info, shared.reporter.clone()))
                }
            }
        }
    };
    let (runnable, task) = async_task::Builder::new()
        .propagate_panic(true)
        .metadata(Meta::new(info))
        .spawn(|_| job, schedule);
    runnable.schedule();
    Task::new(task)
}
