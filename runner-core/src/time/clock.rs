//! A runner's own time: its clock (real, or paused and moved by the runner) and its timer queue.
//!
//! Every deadline the crate's timers set inside a runner lands in that runner's [`TimerQueue`].
//! Unpaused, one timer at the earliest deadline (async-io's, or tokio's on the thread that tokio
//! drives, `runner/tokio_rt.rs`) wakes the queue's driver, a task of
//! the runner's ([`drive_unpaused`]); paused, the loop that drives the runner moves the clock
//! when the runner is idle (`time/idle.rs`). The clock's readings never go back.

use std::any::Any;
use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use crate::runner::tokio_rt::WakeTimer;
use crate::sync;
use crate::time::barrier::ReactorBarrier;

/// Why a runner's time cannot be paused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unpausable {
    /// More than one thread runs the runner's tasks.
    Threads(usize),
    /// The executor came from `executor_factory`: other threads may run it.
    ExecutorFactory,
}

/// What the unpaused driver is spawned on, detached: the runner's engine, which the clock holds
/// weakly (the runner owns it). A trait, so that the clock needs none of the engines' types.
pub(crate) trait Spawner: Send + Sync {
    fn spawn_detached(self: Arc<Self>, future: Pin<Box<dyn Future<Output = ()> + Send>>);
}

/// Set (for good) when a runner's clock first leaves the real one: until then every runner's
/// clock is the real one, and a deadline needs no look at its runner's (see `deadline.rs`).
static ANY_SHIFTED: AtomicBool = AtomicBool::new(false);

/// The next clock's number (0 is no clock's): a deadline names its runner's clock by a number
/// that no later clock takes, where an address could be a later runner's.
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// Whether every runner's clock in the process is still the real one.
#[inline]
pub(crate) fn all_real() -> bool {
    !ANY_SHIFTED.load(Ordering::Acquire)
}

/// One runner's time.
pub(crate) struct Time {
    id: u64,
    clock: Mutex<Clock>,
    /// Whether the clock ever left the real one: until then `now` is `Instant::now()`, lock-free.
    shifted: AtomicBool,
    paused: AtomicBool,
    pub(crate) timers: TimerQueue,
    unpausable: Option<Unpausable>,
    /// What the unpaused driver is spawned on, and whether it was.
    engine: OnceLock<Weak<dyn Spawner>>,
    driver_spawned: AtomicBool,
    /// The thread driving the runner, to be woken when the clock is paused.
    mode_waker: Mutex<Option<Waker>>,
    barrier: OnceLock<Option<ReactorBarrier>>,
}

/// The virtual clock: `now` is `base` plus the real time since `real` (none while paused).
struct Clock {
    paused: bool,
    base: Instant,
    real: Instant,
}

impl Time {
    pub(crate) fn new(unpausable: Option<Unpausable>) -> Time {
        let now = Instant::now();
        Time {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            clock: Mutex::new(Clock {
                paused: false,
                base: now,
                real: now,
            }),
            shifted: AtomicBool::new(false),
            paused: AtomicBool::new(false),
            timers: TimerQueue::default(),
            unpausable,
            engine: OnceLock::new(),
            driver_spawned: AtomicBool::new(false),
            mode_waker: Mutex::new(None),
            barrier: OnceLock::new(),
        }
    }

    /// This clock's number, never 0 and never another clock's.
    #[inline]
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The runner's clock.
    #[inline]
    pub(crate) fn now(&self) -> Instant {
        if !self.shifted.load(Ordering::Acquire) {
            return Instant::now();
        }
        sync::lock(&self.clock).now()
    }

    /// The clock's reading if it is not the real clock (it is or was paused), else `None`
    /// without reading any clock.
    #[inline]
    pub(crate) fn now_if_shifted(&self) -> Option<Instant> {
        if self.shifted.load(Ordering::Acquire) {
            Some(self.shifted_now())
        } else {
            None
        }
    }

    /// The reading of a clock that left the real one: out of line, for the callers that check
    /// on every spawn.
    #[cold]
    fn shifted_now(&self) -> Instant {
        sync::lock(&self.clock).now()
    }

    /// Whether the clock ever left the real one.
    #[inline]
    pub(crate) fn is_shifted(&self) -> bool {
        self.shifted.load(Ordering::Acquire)
    }

    pub(crate) fn is_paused(&self) -> bool {
        self.paused.load(Ordering::Acquire)
    }

    pub(crate) fn unpausable(&self) -> Option<Unpausable> {
        self.unpausable
    }

    /// Stops the clock at its current reading; `false` if it was stopped already.
    pub(crate) fn pause(&self) -> bool {
        let mut clock = sync::lock(&self.clock);
        if clock.paused {
            return false;
        }
        clock.base = clock.now();
        clock.paused = true;
        // Before this clock's own flag: whoever reads that one set reads this one set too.
        ANY_SHIFTED.store(true, Ordering::SeqCst);
        self.shifted.store(true, Ordering::Release);
        self.paused.store(true, Ordering::Release);
        drop(clock);
        if let Some(waker) = sync::lock(&self.mode_waker).take() {
            waker.wake();
        }
        true
    }

    /// Lets the clock run on from its reading at real speed; `false` if it was running.
    pub(crate) fn resume(&self) -> bool {
        let mut clock = sync::lock(&self.clock);
        if !clock.paused {
            return false;
        }
        clock.real = Instant::now();
        clock.paused = false;
        self.paused.store(false, Ordering::Release);
        drop(clock);
        // The driver now sets a real timer for the deadlines left.
        self.timers.wake_driver();
        true
    }

    /// Moves a paused clock forward to `to` (never back).
    pub(crate) fn jump_to(&self, to: Instant) {
        let mut clock = sync::lock(&self.clock);
        if clock.paused && to > clock.base {
            clock.base = to;
        }
    }

    /// Has `waker` woken when the clock gets paused (the unpaused driving loop then hands over).
    pub(crate) fn wake_on_pause(&self, waker: &Waker) {
        let mut slot = sync::lock(&self.mode_waker);
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
    }

    /// The real instant at which the unpaused clock reads `deadline`.
    fn real_instant(&self, deadline: Instant) -> Instant {
        if !self.shifted.load(Ordering::Acquire) {
            return deadline;
        }
        let clock = sync::lock(&self.clock);
        // `now = base + (real_now - real)`, so `real_now = deadline - base + real`.
        match deadline.checked_duration_since(clock.base) {
            Some(ahead) => clock.real.checked_add(ahead).unwrap_or(deadline),
            None => clock.real,
        }
    }

    /// The reactor barrier of `time/idle.rs`, made on first use; `None` if the OS refused a
    /// socket pair (the clock then jumps without looking at I/O first).
    pub(crate) fn barrier(&self) -> Option<&ReactorBarrier> {
        self.barrier
            .get_or_init(|| ReactorBarrier::new().ok())
            .as_ref()
    }

    /// The runner has started: the unpaused driver is spawned on `engine` once needed.
    pub(crate) fn set_engine(&self, engine: Weak<dyn Spawner>) {
        let _ = self.engine.set(engine);
    }

    /// Registers a timer at `deadline` (see [`TimerQueue::insert`]); spawns the unpaused driver
    /// with the first timer. `None` once the runner has closed.
    pub(crate) fn insert(self: &Arc<Self>, deadline: Instant, waker: &Waker) -> Option<u64> {
        let key = self.timers.insert(deadline, waker)?;
        if !self.driver_spawned.load(Ordering::Relaxed)
            && !self.driver_spawned.swap(true, Ordering::AcqRel)
        {
            if let Some(engine) = self.engine.get().and_then(Weak::upgrade) {
                engine.spawn_detached(Box::pin(drive_unpaused(self.clone())));
            }
        }
        Some(key)
    }

    /// The runner closes: its timers fire no more, and the driver ends.
    pub(crate) fn close(&self) {
        self.timers.close();
    }

    /// The real instant to wait for a deadline of a closed runner.
    pub(crate) fn real_deadline(&self, deadline: Instant) -> Instant {
        self.real_instant(deadline)
    }
}

impl Clock {
    fn now(&self) -> Instant {
        if self.paused {
            self.base
        } else {
            self.base + self.real.elapsed()
        }
    }
}

/// A runner's timers, in deadline order, ties in the order they were registered.
///
/// The seam for whoever drives a runner: [`next_deadline`](TimerQueue::next_deadline),
/// [`fire_due`](TimerQueue::fire_due), and [`wake_me_at`](TimerQueue::wake_me_at), which has a
/// waker woken whenever the earliest deadline moves earlier (or the queue closes).
#[derive(Default)]
pub(crate) struct TimerQueue {
    inner: Mutex<Timers>,
}

#[derive(Default)]
struct Timers {
    /// By deadline, then by registration number.
    wakers: BTreeMap<(Instant, u64), Waker>,
    registered: u64,
    driver: Option<Waker>,
    closed: bool,
}

impl TimerQueue {
    /// Adds a timer; returns its registration number, the key with `deadline` to update or
    /// remove it. `None` once closed.
    pub(crate) fn insert(&self, deadline: Instant, waker: &Waker) -> Option<u64> {
        let mut timers = sync::lock(&self.inner);
        if timers.closed {
            return None;
        }
        timers.registered += 1;
        let key = timers.registered;
        let earliest = timers
            .wakers
            .first_key_value()
            .map_or(true, |(&(first, _), _)| deadline < first);
        timers.wakers.insert((deadline, key), waker.clone());
        let driver = if earliest { timers.driver.take() } else { None };
        drop(timers);
        if let Some(driver) = driver {
            driver.wake();
        }
        Some(key)
    }

    /// Gives a registered timer a new waker; `false` if it is gone (fired).
    pub(crate) fn update(&self, deadline: Instant, key: u64, waker: &Waker) -> bool {
        let mut timers = sync::lock(&self.inner);
        match timers.wakers.get_mut(&(deadline, key)) {
            Some(old) => {
                if !old.will_wake(waker) {
                    *old = waker.clone();
                }
                true
            }
            None => false,
        }
    }

    pub(crate) fn remove(&self, deadline: Instant, key: u64) {
        let removed = sync::lock(&self.inner).wakers.remove(&(deadline, key));
        drop(removed);
    }

    /// The earliest deadline registered.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let timers = sync::lock(&self.inner);
        timers
            .wakers
            .first_key_value()
            .map(|(&(deadline, _), _)| deadline)
    }

    /// Wakes every timer due at `now`, in deadline order, ties in registration order. They leave
    /// the queue under one lock and are woken outside it (a waker may register or remove a
    /// timer). A waker that panics does not keep the others asleep: all are woken, and the first
    /// panic is returned, for the caller to pass on or to leave to the panic hook's print.
    pub(crate) fn fire_due(&self, now: Instant) -> Result<(), Box<dyn Any + Send>> {
        let due = {
            let mut timers = sync::lock(&self.inner);
            // Up to `now`, ties included: no registration is numbered `u64::MAX`.
            let later = timers.wakers.split_off(&(now, u64::MAX));
            std::mem::replace(&mut timers.wakers, later)
        };
        let mut first_panic = None;
        for waker in due.into_values() {
            if let Err(payload) = sync::wake_contained(waker) {
                first_panic.get_or_insert(payload);
            }
        }
        first_panic.map_or(Ok(()), Err)
    }

    /// [`fire_due`](TimerQueue::fire_due) for the clock's own drivers, which a waker's panic (a
    /// hand-written future's) must not stop: it would end the driver, and every later timer of
    /// the runner would wait for ever. The panic hook has printed it, and the other timers due
    /// are woken.
    pub(crate) fn fire_due_past_panics(&self, now: Instant) {
        if let Err(payload) = self.fire_due(now) {
            sync::drop_payload(payload);
        }
    }

    /// Has `waker` woken once the earliest deadline moves earlier, or the queue closes.
    pub(crate) fn wake_me_at(&self, waker: &Waker) {
        let mut timers = sync::lock(&self.inner);
        if !timers.driver.as_ref().is_some_and(|w| w.will_wake(waker)) {
            timers.driver = Some(waker.clone());
        }
    }

    fn wake_driver(&self) {
        let driver = sync::lock(&self.inner).driver.take();
        if let Some(driver) = driver {
            driver.wake();
        }
    }

    fn close(&self) {
        let mut timers = sync::lock(&self.inner);
        timers.closed = true;
        let wakers = std::mem::take(&mut timers.wakers);
        let driver = timers.driver.take();
        drop(timers);
        // Whoever waits on a timer of a closed runner looks again (and waits in real time).
        wakers.into_values().for_each(Waker::wake);
        if let Some(driver) = driver {
            driver.wake();
        }
    }

    fn is_closed(&self) -> bool {
        sync::lock(&self.inner).closed
    }
}

/// The unpaused runner's timer driver: one timer at the earliest deadline ([`WakeTimer`]). It is a
/// task of the runner's, so any of its threads fires the timers while another is busy.
async fn drive_unpaused(time: Arc<Time>) {
    let mut timer = WakeTimer::never();
    // tokio's timer only where the runner's tasks all run on the thread that drives tokio.
    let tokio_ok = time.unpausable().is_none();
    std::future::poll_fn(|cx| loop {
        // Register before looking, so that an earlier timer inserted meanwhile wakes us.
        time.timers.wake_me_at(cx.waker());
        if time.timers.is_closed() {
            return Poll::Ready(());
        }
        if time.is_paused() {
            // The driving loop moves a paused clock; `resume` wakes us.
            return Poll::Pending;
        }
        time.timers.fire_due_past_panics(time.now());
        let Some(next) = time.timers.next_deadline() else {
            return Poll::Pending;
        };
        if timer
            .poll_at(time.real_instant(next), tokio_ok, cx)
            .is_pending()
        {
            return Poll::Pending;
        }
    })
    .await;
}

/// A duration as long as the clock allows from `now`: about thirty years past it at most.
pub(crate) fn after(now: Instant, duration: Duration) -> Instant {
    const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);
    now.checked_add(duration)
        .unwrap_or_else(|| now + FAR_FUTURE)
}
