//! The locks of the crate, which never poison (a panic while one is held, in a user's handler
//! or destructor, say, must not turn every later report or spawn into a second panic), the
//! one way to wait for a condition that an `Event` announces, the waker through which a user's
//! waker listens to one, and the steps that keep a panic of user code's (a waker's, a payload's
//! or an output's destructor's) out of the runner's own bookkeeping.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{
    Arc, Condvar, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard,
};
use std::task::{Wake, Waker};
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

/// The waker to listen to an `Event` with, for a future that a user's code polls: it passes each
/// wake on to the waker of the last poll, and keeps that waker's panic (a hand-written
/// combinator's) from unwinding into the code that notified. event-listener counts a listener
/// as notified only after its waker returns, so a panic there would leave the `Event` broken
/// (later notifications lost) and the rest of its listeners asleep. The panic hook prints such a
/// panic; it goes no further.
#[derive(Default)]
pub(crate) struct ShieldedWaker(Option<(Arc<Shield>, Waker)>);

#[derive(Default)]
struct Shield {
    inner: Mutex<Option<Waker>>,
}

impl ShieldedWaker {
    /// The waker to give the `Event`'s listener in a poll whose waker is `waker`.
    pub(crate) fn for_poll(&mut self, waker: &Waker) -> &Waker {
        let (shield, shielded) = self.0.get_or_insert_with(|| {
            let shield = Arc::new(Shield::default());
            let shielded = Waker::from(shield.clone());
            (shield, shielded)
        });
        let mut inner = lock(&shield.inner);
        if !inner.as_ref().is_some_and(|w| w.will_wake(waker)) {
            let previous = inner.replace(waker.clone());
            drop(inner);
            // Outside the lock: a waker's destructor is user code too.
            drop(previous);
        }
        shielded
    }
}

impl Wake for Shield {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let waker = lock(&self.inner).clone();
        if let Some(Err(payload)) = waker.map(wake_contained) {
            drop_payload(payload);
        }
    }
}

/// Wakes a waker that user code gave, keeping its panic from unwinding into the caller, whose
/// own bookkeeping must go on: `Err` holds the panic, which the panic hook has printed.
pub(crate) fn wake_contained(waker: Waker) -> Result<(), Box<dyn Any + Send>> {
    catch_unwind(AssertUnwindSafe(|| waker.wake()))
}

/// Drops a caught panic's payload, whose destructor is user code too and may panic in turn.
pub(crate) fn drop_payload(payload: Box<dyn Any + Send>) {
    let _ = catch_unwind(AssertUnwindSafe(move || drop(payload)));
}

/// Drops a value of user code's where a panic must go no further (the panic hook prints it).
pub(crate) fn drop_contained<T>(value: T) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(value))) {
        drop_payload(payload);
    }
}
