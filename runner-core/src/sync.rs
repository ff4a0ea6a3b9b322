//! The locks of the crate, which never poison (a panic while one is held, in a user's handler
//! or destructor, say, must not turn every later report or spawn into a second panic), and the
//! one way to wait for a condition that an `Event` announces.

use std::sync::{
    Condvar, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
use std::time::{Duration, Instant};

use event_listener::{Event, Listener};

/// Locks `mutex`, whether or not a panic poisoned it.
pub(crate) fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Read-locks `lock`, whether or not a panic poisoned it.
pub(crate) fn read<T: ?Sized>(lock: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(PoisonError::into_inner)
}

/// Write-locks `lock`, whether or not a panic poisoned it.
pub(crate) fn write<T: ?Sized>(lock: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `condvar` for at most `timeout`; returns the guard and whether the wait timed out.
pub(crate) fn wait_timeout<'a, T>(
    condvar: &Condvar,
    guard: MutexGuard<'a, T>,
    timeout: Duration,
) -> (MutexGuard<'a, T>, bool) {
    let (guard, wait) = condvar
        .wait_timeout(guard, timeout)
        .unwrap_or_else(PoisonError::into_inner);
    (guard, wait.timed_out())
}

/// Waits until `done()` is true; `event` is notified whenever it may have become true.
pub(crate) async fn until(event: &Event, mut done: impl FnMut() -> bool) {
    while !done() {
        // Listen, then look again: a notification between the look and the listen is not lost.
        let listener = event.listen();
        if done() {
            return;
        }
        listener.await;
    }
}

/// [`until`], blocking the thread, up to `deadline` (`None`: no limit); returns whether
/// `done()` became true.
pub(crate) fn block_until(
    event: &Event,
    mut done: impl FnMut() -> bool,
    deadline: Option<Instant>,
) -> bool {
    while !done() {
        let listener = event.listen();
        if done() {
            return true;
        }
        match deadline {
            Some(deadline) => {
                if listener.wait_deadline(deadline).is_none() {
                    return done();
                }
            }
            None => listener.wait(),
        }
    }
    true
}
