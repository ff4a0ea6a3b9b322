//! The runner's list of its blocking jobs not yet done, so that `close` can wait for them and
//! say which they are.
//!
//! It lives apart from the pool (`blocking.rs`) so that the runner's shared state can hold it
//! without the two modules importing each other.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use event_listener::{Event, Listener};
use slab::Slab;

use crate::ctrl_c::Signal;
use crate::diagnostic::{Diagnostic, TaskInfo};

#[derive(Default)]
pub(crate) struct BlockingJobs {
    running: AtomicUsize,
    finished: Event,
    /// The jobs not yet done, for the notice after an interrupt.
    listed: Mutex<Slab<TaskInfo>>,
}

impl BlockingJobs {
    /// Counts a new job; returns its key for `job_done`.
    pub(crate) fn job_started(&self, info: TaskInfo) -> usize {
        self.running.fetch_add(1, Ordering::SeqCst);
        self.lock().insert(info)
    }

    pub(crate) fn job_done(&self, key: usize) {
        self.lock().remove(key);
        if self.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.finished.notify(usize::MAX);
        }
    }

    /// How many jobs are not yet done.
    pub(crate) fn running(&self) -> usize {
        self.running.load(Ordering::SeqCst)
    }

    /// What `close` says before it waits for jobs after `signal` cancelled the run: `None` when
    /// there is nothing to wait for.
    pub(crate) fn waiting_notice(&self, signal: Signal, timeout: Duration) -> Option<Diagnostic> {
        let mut jobs: Vec<TaskInfo> = self.lock().iter().map(|(_, info)| *info).collect();
        jobs.sort_by_key(|job| job.id);
        (!jobs.is_empty()).then_some(Diagnostic::WaitingForBlockingJobs {
            jobs,
            timeout,
            signal,
        })
    }

    /// Waits until no job runs, or until `timeout`; returns how many still run.
    pub(crate) fn wait_idle(&self, timeout: Duration) -> usize {
        let deadline = Instant::now().checked_add(timeout);
        loop {
            if self.running() == 0 {
                return 0;
            }
            let listener = self.finished.listen();
            if self.running() == 0 {
                return 0;
            }
            match deadline {
                Some(deadline) => {
                    if listener.wait_deadline(deadline).is_none() {
                        return self.running();
                    }
                }
                None => listener.wait(),
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slab<TaskInfo>> {
        self.listed.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
