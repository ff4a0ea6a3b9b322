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
    /// The jobs and the threads under one lock: a thread that finishes a job takes the next in
    /// the same lock round trip.
    state: Mutex<State>,
    finished: Event,
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
struct State {
    /// The jobs not yet done, queued or running.
    jobs: Slab<Job>,
    /// Each queued job's runnable, with its key in `jobs`.
    queue: VecDeque<(Runnable<Meta>, usize)>,
    /// The threads started and not yet joined (some may have exited when idle).
    started: Vec<JoinHandle<()>>,
    alive: usize,
    idle: usize,
    /// The runner has closed: an idle thread exits at once.
    retired: bool,
}

impl BlockingJobs {
    /// Lists a new job; returns what schedules it on this runner's threads: the job's task's
    /// schedule function.
    pub(crate) fn job_spawned(
        &self,
        info: TaskInfo,
    ) -> impl Fn(Runnable<Meta>) + Send + Sync + 'static {
        let pool = self.pool.get_or_init(Arc::default).clone();
        let key = pool.lock().jobs.insert(Job {
            info,
            started: None,
        });
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
            let mut state = pool.lock();
            state.retired = true;
            pool.job_ready.notify_all();
            std::mem::take(&mut state.started)
        };
        let Some(wait) = join else {
            return;
        };
        let deadline = Instant::now().checked_add(wait);
        let all_left = || pool.lock().alive == 0;
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
        self.pool.get().map_or(0, |pool| pool.lock().jobs.len())
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
            .lock()
            .jobs
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
    fn lock(&self) -> MutexGuard<'_, State> {
        sync::lock(&self.state)
    }

    fn schedule(this: &Arc<Pool>, runnable: Runnable<Meta>, key: usize) {
        let mut state = this.lock();
        state.queue.push_back((runnable, key));
        if state.idle > 0 {
            this.job_ready.notify_one();
        }
        Pool::grow(this, &mut state);
    }

    /// Starts a thread when the queued jobs outnumber the idle threads several times over, as
    /// smol's `blocking` does: a burst of short jobs is run by a few threads, each taking job
    /// after job, rather than by a thread a job. Called when a job is queued and when a thread
    /// takes one, so that a queued job behind one that blocks gets a thread of its own.
    fn grow(this: &Arc<Pool>, state: &mut State) {
        if state.queue.len() > state.idle * 5 && state.alive < MAX_THREADS {
            let pool = this.clone();
            let started = std::thread::Builder::new()
                .name("runner-blocking".into())
                .spawn(move || pool.work());
            // Out of threads: the jobs wait for a busy thread to come free.
            if let Ok(thread) = started {
                state.alive += 1;
                state.idle += 1;
                state.started.retain(|t| !t.is_finished());
                state.started.push(thread);
            }
        }
    }

    fn work(self: Arc<Self>) {
        let mut state = self.lock();
        loop {
            // Counted idle from its start and while it waits: not while it runs jobs.
            state.idle -= 1;
            while let Some((runnable, key)) = state.queue.pop_front() {
                if let Some(job) = state.jobs.get_mut(key) {
                    job.started = Some(Instant::now());
                }
                Pool::grow(&self, &mut state);
                drop(state);
                // `run` polls the job once (it finishes in that poll) and, for a detached job,
                // drops its output, panic included, so the count drops after any report.
                runnable.run();
                state = self.lock();
                state.jobs.try_remove(key);
                if state.jobs.is_empty() {
                    self.finished.notify(usize::MAX);
                }
            }
            if state.retired {
                self.leave(&mut state);
                return;
            }
            state.idle += 1;
            let (next, timed_out) = sync::wait_timeout(&self.job_ready, state, IDLE_TIMEOUT);
            state = next;
            if timed_out && state.queue.is_empty() {
                state.idle -= 1;
                self.leave(&mut state);
                return;
            }
        }
    }

    /// The calling thread leaves its loop, to exit.
    fn leave(&self, state: &mut State) {
        state.alive -= 1;
        if state.alive == 0 {
            self.exited.notify(usize::MAX);
        }
    }
}
