//! Blocking jobs: closures on a thread pool, counted so that `close` can wait for them.
//!
//! The pool is our own (a few lines on `async-task`, like smol's `blocking`) because the count
//! must drop only after the job's task is completely done: a detached job's panic is reported
//! when async-task drops its output, inside `Runnable::run`, and `close` must not return before
//! that report.

use std::collections::VecDeque;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::Duration;

use async_task::Runnable;

use crate::context;
use crate::runner::current::{self, Current, Role};
use crate::runner::shared::Shared;
use crate::sync;
use crate::task::cancel::{is_cancellation, CatchesCancellation};
use crate::task::handle::{Meta, Outcome, Task};
use crate::task::panic::TaskPanic;
use crate::task::sites::PackedInfo;
use crate::task::spawn::{closed_check, Spawned};

/// Runs a blocking closure on a thread pool and returns a task for its result.
///
/// Use it for work that would block the executor: file system calls, CPU-heavy computation,
/// synchronous libraries. The pool grows with demand (up to 500 threads, named
/// `runner-blocking`) and its idle threads exit after a second. The runner counts its own jobs,
/// and [`close`](crate::Runner::close) waits for them up to the
/// [shutdown timeout](crate::Builder::shutdown_timeout) (not inside another runner's `run`,
/// where it must not block). A job does not keep its runner's executor alive, so a job that
/// awaits a task of its runner wakes when `close` cancels the task. Inside the job, `spawn` and
/// `spawn_blocking` work as they do in the runner's tasks, and the closure runs in a copy of the
/// spawner's current [`Context`](crate::context::Context), as a task would.
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
    let key = shared.blocking.job_spawned(info);
    let mut context = context::copy_current();
    let job = {
        let shared = shared.clone();
        async move {
            shared.blocking.job_running(key);
            let _context = context::Entered::new(&mut context);
            // The pool serves every runner: the job enters its own runner's tokio context.
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
        .spawn(
            |_| job,
            move |runnable| pool().schedule(runnable, shared.clone(), key),
        );
    runnable.schedule();
    Task::new(task)
}

const MAX_THREADS: usize = 500;
const IDLE_TIMEOUT: Duration = Duration::from_secs(1);

/// The process-wide pool of threads that run blocking jobs.
struct Pool {
    state: Mutex<PoolState>,
    job_ready: Condvar,
}

#[derive(Default)]
struct PoolState {
    // Each job's runnable with the runner that counts it, and its key there.
    queue: VecDeque<(Runnable<Meta>, Arc<Shared>, usize)>,
    threads: usize,
    idle: usize,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::default(),
        job_ready: Condvar::new(),
    })
}

impl Pool {
    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState> {
        sync::lock(&self.state)
    }

    fn schedule(&'static self, runnable: Runnable<Meta>, shared: Arc<Shared>, key: usize) {
        let mut state = self.lock();
        state.queue.push_back((runnable, shared, key));
        if state.idle > state.queue.len() - 1 {
            self.job_ready.notify_one();
        } else if state.threads < MAX_THREADS {
            state.threads += 1;
            let started = std::thread::Builder::new()
                .name("runner-blocking".into())
                .spawn(move || self.work());
            if started.is_err() {
                // Out of threads: the jobs wait for a busy thread to come free.
                state.threads -= 1;
            }
        }
    }

    fn work(&self) {
        let mut state = self.lock();
        loop {
            if let Some((runnable, shared, key)) = state.queue.pop_front() {
                drop(state);
                // `run` polls the job once (it finishes in that poll) and, for a detached job,
                // drops its output, panic included, so the count drops after any report.
                runnable.run();
                shared.blocking.job_done(key);
                state = self.lock();
                continue;
            }
            state.idle += 1;
            let (next, timed_out) = sync::wait_timeout(&self.job_ready, state, IDLE_TIMEOUT);
            state = next;
            state.idle -= 1;
            if timed_out && state.queue.is_empty() {
                state.threads -= 1;
                return;
            }
        }
    }
}
