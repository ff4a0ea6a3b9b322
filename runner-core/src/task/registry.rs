//! The runner's own list of its live tasks, for an executor that may outlive the runner.
//!
//! A runner normally owns its executor and cancels its tasks by dropping it. An executor made by
//! `executor_factory` may be shared, so there each task wrapper counts itself while its future is
//! alive, and leaves its waker here the first time it returns `Pending`. `close` sets `closing`,
//! wakes every registered task, and drives the executor until the count is zero: each woken
//! wrapper sees `closing`, drops its future and completes as cancelled, which leaves nothing of
//! the runner in the executor. Tasks that finish on their first poll never touch the lock.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::task::Waker;

use event_listener::Event;
use slab::Slab;

use crate::sync;

/// Where a task's waker sits in the registry: its slab key plus one, so that the
/// `Option<RegistryKey>` every task carries takes one word, not two.
#[derive(Clone, Copy)]
pub(crate) struct RegistryKey(NonZeroUsize);

#[derive(Default)]
pub(crate) struct TaskRegistry {
    closing: AtomicBool,
    // Tasks started and tasks gone: the difference is the number alive.
    started: AtomicU64,
    gone: AtomicU64,
    wakers: Mutex<Slab<Waker>>,
    all_gone: Event,
}

impl TaskRegistry {
    /// A task wrapper was created: its future is alive.
    pub(crate) fn task_started(&self) {
        self.started.fetch_add(1, Ordering::SeqCst);
    }

    fn none_alive(&self) -> bool {
        // `gone` first: it never exceeds `started`, so equal values were equal at that moment.
        let gone = self.gone.load(Ordering::SeqCst);
        gone == self.started.load(Ordering::SeqCst)
    }

    /// A task's future finished, panicked or was dropped.
    pub(crate) fn task_gone(&self, key: Option<RegistryKey>) {
        if let Some(RegistryKey(key)) = key {
            self.lock().try_remove(key.get() - 1);
        }
        let gone = self.gone.fetch_add(1, Ordering::SeqCst) + 1;
        if gone == self.started.load(Ordering::SeqCst) {
            self.all_gone.notify(usize::MAX);
        }
    }

    /// Leaves a pending task's waker so that `close` can wake it; returns the key to remove it.
    pub(crate) fn register(&self, waker: &Waker) -> RegistryKey {
        let key = self.lock().insert(waker.clone());
        // `close` may have woken everybody just before the insert: then wake ourselves, or this
        // task would sleep through its own cancellation.
        if self.is_closing() {
            waker.wake_by_ref();
        }
        RegistryKey(NonZeroUsize::MIN.saturating_add(key))
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }

    /// Starts cancelling: every registered task is woken and completes as cancelled when polled.
    /// Returns whether any task is left to cancel.
    pub(crate) fn begin_close(&self) -> bool {
        self.closing.store(true, Ordering::SeqCst);
        if self.none_alive() {
            return false;
        }
        let wakers: Vec<Waker> = self.lock().iter().map(|(_, w)| w.clone()).collect();
        wakers.into_iter().for_each(Waker::wake);
        true
    }

    /// Resolves once no task's future is alive.
    pub(crate) async fn all_gone(&self) {
        sync::until(&self.all_gone, || self.none_alive()).await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slab<Waker>> {
        sync::lock(&self.wakers)
    }
}
