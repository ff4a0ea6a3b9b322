//! The runner's list of its blocking jobs not yet done, so that `close` can wait for them and
//! say which they are, and for how long each has run.
//!
//! It lives apart from the pool (`blocking.rs`) so that the runner's shared state can hold it
//! without the two modules importing each other.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use event_listener::Event;
use slab::Slab;

use crate::debug::diagnostic::{Diagnostic, StuckJob, TaskInfo};
use crate::signal::Signal;
use crate::sync;

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
    /// Lists a new job; returns its key for `job_running` and `job_done`.
    pub(crate) fn job_spawned(&self, info: TaskInfo) -> usize {
        self.lock().insert(Job {
            info,
            started: None,
        })
    }

    /// The job has started running on a thread of the pool.
    pub(crate) fn job_running(&self, key: usize) {
        if let Some(job) = self.lock().get_mut(key) {
            job.started = Some(Instant::now());
        }
    }

    pub(crate) fn job_done(&self, key: usize) {
        let mut jobs = self.lock();
        jobs.try_remove(key);
        if jobs.is_empty() {
            drop(jobs);
            self.finished.notify(usize::MAX);
        }
    }

    /// Returns once no job is queued or running.
    pub(crate) async fn until_none(&self) {
        sync::until(&self.finished, || self.running() == 0).await;
    }

    /// How many jobs are not yet done.
    pub(crate) fn running(&self) -> usize {
        self.lock().len()
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

    /// Waits until no job runs, or until `timeout`; returns the jobs still running, in the
    /// order they were spawned.
    pub(crate) fn wait_idle(&self, timeout: Duration) -> Vec<StuckJob> {
        let deadline = Instant::now().checked_add(timeout);
        if sync::block_until(&self.finished, || self.running() == 0, deadline) {
            Vec::new()
        } else {
            self.list()
        }
    }

    /// The jobs not yet done, in the order they were spawned, and how long each has run.
    pub(crate) fn list(&self) -> Vec<StuckJob> {
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

    fn lock(&self) -> MutexGuard<'_, Slab<Job>> {
        sync::lock(&self.jobs)
    }
}
