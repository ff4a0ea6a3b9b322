//! A runner's blocking jobs: the pool of threads that runs them, and the list of those not yet
//! done, so that `close` can wait for them and say which they are, and for how long each has
//! run.
//!
//! The pool is per runner because shutdown waits per runner: `close` waits for its own jobs
//! only, and once they are done it stops its own threads and joins them (in what is left of the
//! shutdown timeout), so that none of the runner's threads outlives `close` (asyncio's
//! `shutdown_default_executor`, which shuts down the loop's own executor). A job that outlives
//! the shutdown timeout, or a `close` inside another runner's `run`, which does not wait, leaves
//! each thread to exit after its job. A runner whose jobs fill its pool holds up no other
//! runner's jobs.
//!
//! The pool is our own (a few lines on `async-task`, like smol's `blocking`) because a job
//! counts as done only after its task is completely done: a detached job's panic is reported
//! when async-task drops its output, inside `Runnable::run`, and `close` must not return before
//! that report. It lives apart from `spawn_blocking` (`blocking.rs`), so that the runner's
//! shared state can hold it without the two modules importing each other.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use async_task::Runnable;
use event_listener::Event;
use slab::Slab;

use crate::debug::diagnostic::{Diagnostic, StuckJob, TaskInfo};
use crate::signal::Signal;
use crate::sync;
use crate::task::handle::Meta;

/// At most this many threads run one runner's jobs at once; more jobs wait for one of them.
const MAX_THREADS: usize = 500;
/// A thread with no job for this long exits (at once after the runner has closed).
const IDLE_TIMEOUT: Duration = Duration::from_secs(1);

/// A runner's blocking jobs and the threads that run them: nothing until the first job, so
/// that a runner that spawns none allocates nothing for them.
#[derive(Default)]
pub(crate) struct BlockingJobs {
    pool: OnceLock<Arc<Pool>>,
}

#[derive(Default)]
struct Pool {
    jobs: Mutex<Slab<Job>>,
    finished: Event,
    threads: Mutex<Threads>,
    job_ready: Condvar,
    /// Notified when the last thread leaves its loop.
    exited: Event,
}

struct Job {
    info: TaskInfo,
    // `None` while the job waits in the pool's queue.
    started: Option<Instant>,
}

#[derive(Default)]
struct Threads {
    /// Each job's runnable, with its key in the list.
    queue: VecDeque<(Runnable<Meta>, usize)>,
    /// The threads started and not yet joined (some may have exited when idle).
    started: Vec<JoinHandle<()>>,
    alive: usize,
    idle: usize,
    /// The runner has closed: an idle thread exits at once.
    retired: bool,
}

impl BlockingJobs {
    /// Lists a new job; returns its key for `job_running` and `scheduler`.
    pub(crate) fn job_spawned(&self, info: TaskInfo) -> usize {
        let pool = self.pool.get_or_init(Arc::default);
        pool.lock_jobs().insert(Job {
            info,
            started: None,
        })
    }

    /// The job has started running on a thread of the pool.
    pub(crate) fn job_running(&self, key: usize) {
        if let Some(pool) = self.pool.get() {
            if let Some(job) = pool.lock_jobs().get_mut(key) {
                job.started = Some(Instant::now());
            }
        }
    }

    /// What schedules the job listed under `key` on this runner's threads: the job's task's
    /// schedule function.
    pub(crate) fn scheduler(&self, key: usize) -> impl Fn(Runnable<Meta>) + Send + Sync + 'static {
        let pool = self.pool.get_or_init(Arc::default).clone();
        move |runnable| Pool::schedule(&pool, runnable, key)
    }

    /// Stops the threads once the runner has closed: an idle one exits at once, a busy one
    /// after its job. With `join` (every job is done: the time left of the shutdown timeout),
    /// waits that long at most for every thread to leave its loop, then joins them, as tokio's
    /// blocking pool does. The joins wait for the threads' thread-local destructors too, which
    /// the timeout does not bound: a destructor that never returns holds `close` up, as it does
    /// tokio's shutdown.
    pub(crate) fn retire(&self, join: Option<Duration>) {
        let Some(pool) = self.pool.get() else {
            return;
        };
        let started = {
            let mut threads = pool.lock_threads();
            threads.retired = true;
            pool.job_ready.notify_all();
            std::mem::take(&mut threads.started)
        };
        let Some(wait) = join else {
            return;
        };
        let deadline = Instant::now().checked_add(wait);
        let all_left = || pool.lock_threads().alive == 0;
        // Out of time, the threads end on their own.
        if sync::block_until(&pool.exited, all_left, deadline) {
            for thread in started {
                let _ = thread.join();
            }
        }
    }

    /// Returns once no job is queued or running.
    pub(crate) async fn until_none(&self) {
        if let Some(pool) = self.pool.get() {
            sync::until(&pool.finished, || self.running() == 0).await;
        }
    }

    /// How many jobs are not yet done.
    pub(crate) fn running(&self) -> usize {
        self.pool.get().map_or(0, |pool| pool.lock_jobs().len())
    }

    /// What `close` says before it waits for jobs after `signal` cancelled the run: `None` when
    /// there is nothing to wait for.
    pub(crate) fn waiting_notice(&self, signal: Signal, timeout: Duration) -> Option<Diagnostic> {
        let jobs: Vec<TaskInfo> = self.list().into_iter().map(|s| s.job).collect();
        (!jobs.is_empty()).then_some(Diagnostic::WaitingForBlockingJobs {
            jobs,
            timeout,
            signal,
        })
    }

    /// Waits until no job runs, or until `timeout`; returns the jobs still running, by task
    /// number.
    pub(crate) fn wait_idle(&self, timeout: Duration) -> Vec<StuckJob> {
        let Some(pool) = self.pool.get() else {
            return Vec::new();
        };
        let deadline = Instant::now().checked_add(timeout);
        if sync::block_until(&pool.finished, || self.running() == 0, deadline) {
            Vec::new()
        } else {
            self.list()
        }
    }

    /// The jobs not yet done, by task number, and how long each has run.
    pub(crate) fn list(&self) -> Vec<StuckJob> {
        let Some(pool) = self.pool.get() else {
            return Vec::new();
        };
        let now = Instant::now();
        let mut stuck: Vec<StuckJob> = pool
            .lock_jobs()
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

impl Pool {
    fn lock_jobs(&self) -> MutexGuard<'_, Slab<Job>> {
        sync::lock(&self.jobs)
    }

    fn lock_threads(&self) -> MutexGuard<'_, Threads> {
        sync::lock(&self.threads)
    }

    fn schedule(this: &Arc<Pool>, runnable: Runnable<Meta>, key: usize) {
        let mut threads = this.lock_threads();
        threads.queue.push_back((runnable, key));
        if threads.idle > threads.queue.len() - 1 {
            this.job_ready.notify_one();
        } else if threads.alive < MAX_THREADS {
            let pool = this.clone();
            let started = std::thread::Builder::new()
                .name("runner-blocking".into())
                .spawn(move || pool.work());
            // Out of threads: the jobs wait for a busy thread to come free.
            if let Ok(thread) = started {
                threads.alive += 1;
                threads.started.retain(|t| !t.is_finished());
                threads.started.push(thread);
            }
        }
    }

    fn work(&self) {
        let mut threads = self.lock_threads();
        loop {
            if let Some((runnable, key)) = threads.queue.pop_front() {
                drop(threads);
                // `run` polls the job once (it finishes in that poll) and, for a detached job,
                // drops its output, panic included, so the count drops after any report.
                runnable.run();
                self.job_done(key);
                threads = self.lock_threads();
                continue;
            }
            if threads.retired {
                self.leave(&mut threads);
                return;
            }
            threads.idle += 1;
            let (next, timed_out) = sync::wait_timeout(&self.job_ready, threads, IDLE_TIMEOUT);
            threads = next;
            threads.idle -= 1;
            if timed_out && threads.queue.is_empty() {
                self.leave(&mut threads);
                return;
            }
        }
    }

    /// The calling thread leaves its loop, to exit.
    fn leave(&self, threads: &mut Threads) {
        threads.alive -= 1;
        if threads.alive == 0 {
            self.exited.notify(usize::MAX);
        }
    }

    fn job_done(&self, key: usize) {
        let mut jobs = self.lock_jobs();
        jobs.try_remove(key);
        if jobs.is_empty() {
            drop(jobs);
            self.finished.notify(usize::MAX);
        }
    }
}
