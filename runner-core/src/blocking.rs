//! Blocking jobs: closures on a thread pool, listed so that `close` can wait for them and name
//! the ones it gave up on.
//!
//! The pool is our own (a few lines on `async-task`, like smol's `blocking`) because a job must
//! leave the list only after the job's task is completely done: a detached job's panic is reported
//! when async-task drops its output, inside `Runnable::run`, and `close` must not return before
//! that report.

use std::collections::VecDeque;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe, Location};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use async_task::Runnable;
use event_listener::{Event, Listener};
use slab::Slab;

use crate::context;
use crate::ctrl_c::Signal;
use crate::current::{self, Current, Role};
use crate::diagnostic::{Diagnostic, StuckJob, TaskInfo};
use crate::panic::TaskPanic;
use crate::shared::Shared;
use crate::task::{closed_check, Task};

/// Runs a blocking closure on a thread pool and returns a task for its result.
///
/// Use it for work that would block the executor: file system calls, CPU-heavy computation,
/// synchronous libraries. The pool grows with demand (up to 500 threads, named
/// `runner-blocking`) and its idle threads exit after a second. The runner counts its own jobs,
/// and [`close`](crate::Runner::close) waits for them up to the
/// [shutdown timeout](crate::Builder::shutdown_timeout). Inside the job, `spawn` and
/// `spawn_blocking` work as they do in the runner's tasks, and the closure runs in a copy of the
/// spawner's current [`Context`](crate::Context), as a task would.
///
/// Dropping the task before the job starts cancels it; a job that has started runs to the end
/// (threads cannot be cancelled) and its result is discarded.
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
    let info = shared.new_job(spawned_at);
    let key = shared.blocking.job_spawned(info);
    let mut context = context::copy_current();
    let job = {
        let shared = shared.clone();
        async move {
            shared.blocking.job_started(key);
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
        }
    };
    let (runnable, task) = async_task::Builder::new().propagate_panic(true).spawn(
        |()| job,
        move |runnable| pool().schedule(runnable, shared.clone(), key),
    );
    runnable.schedule();
    task
}

/// The runner's blocking jobs not yet done, each with its name and the time it started, so that
/// a shutdown that times out can say which jobs it left behind.
#[derive(Default)]
pub(crate) struct BlockingJobs {
    jobs: Mutex<Slab<Job>>,
    finished: Event,
}

struct Job {
    info: TaskInfo,
    // `None` while the job waits in the pool's queue.
    started: Option<Instant>,
}

impl BlockingJobs {
    fn lock(&self) -> MutexGuard<'_, Slab<Job>> {
        lock(&self.jobs)
    }

    fn job_spawned(&self, info: TaskInfo) -> usize {
        self.lock().insert(Job {
            info,
            started: None,
        })
    }

    fn job_started(&self, key: usize) {
        if let Some(job) = self.lock().get_mut(key) {
            job.started = Some(Instant::now());
        }
    }

    fn job_done(&self, key: usize) {
        let mut jobs = self.lock();
        jobs.try_remove(key);
        if jobs.is_empty() {
            drop(jobs);
            self.finished.notify(usize::MAX);
        }
    }

    /// What `close` says before it waits for jobs after `signal` cancelled the run: `None` when
    /// there is nothing to wait for.
    pub(crate) fn waiting_notice(&self, signal: Signal, timeout: Duration) -> Option<Diagnostic> {
        let mut jobs: Vec<TaskInfo> = self.lock().iter().map(|(_, job)| job.info).collect();
        jobs.sort_by_key(|job| job.id);
        (!jobs.is_empty()).then_some(Diagnostic::WaitingForBlockingJobs {
            jobs,
            timeout,
            signal,
        })
    }

    /// Waits until no job runs, or until `timeout`; returns the jobs still running, oldest
    /// spawn first.
    pub(crate) fn wait_idle(&self, timeout: Duration) -> Vec<StuckJob> {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            if self.lock().is_empty() {
                return Vec::new();
            }
            let listener = self.finished.listen();
            if self.lock().is_empty() {
                return Vec::new();
            }
            match deadline {
                Some(deadline) => {
                    if listener.wait_deadline(deadline).is_none() {
                        return self.stuck();
                    }
                }
                None => listener.wait(),
            }
        }
    }

    fn stuck(&self) -> Vec<StuckJob> {
        let now = Instant::now();
        let mut stuck: Vec<StuckJob> = self
            .lock()
            .iter()
            .map(|(_, job)| StuckJob {
                job: job.info,
                running_for: job
                    .started
                    .map(|started| now.saturating_duration_since(started)),
            })
            .collect();
        stuck.sort_by_key(|s| s.job.id);
        stuck
    }
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
    // Each job's runnable with the runner that counts it, and its key in the runner's jobs.
    queue: VecDeque<(Runnable, Arc<Shared>, usize)>,
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
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        lock(&self.state)
    }

    fn schedule(&'static self, runnable: Runnable, shared: Arc<Shared>, key: usize) {
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
            let (next, wait) = self
                .job_ready
                .wait_timeout(state, IDLE_TIMEOUT)
                .unwrap_or_else(PoisonError::into_inner);
            state = next;
            state.idle -= 1;
            if wait.timed_out() && state.queue.is_empty() {
                state.threads -= 1;
                return;
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
