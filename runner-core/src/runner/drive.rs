//! How the thread that calls `run` drives a one-thread runner on `async-executor` (the engine
//! that `entry::executor_engine` asks for, for the benches) whose clock may be paused.
//!
//! Unpaused it is `block_on(executor.run(main))`, as for any runner, watching for a pause.
//! Paused, the executor's `run` cannot be used: it moves tasks into a queue of its own that
//! nothing outside sees, so the runner could not tell when it is idle. Instead this loop polls
//! the main future and runs the executor's tasks one `tick` at a time, each behind a waker that
//! notes it was woken: when both were polled and neither has woken since, no task is runnable,
//! and `time::idle` decides whether the clock may jump.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use async_executor::Executor;
use atomic_waker::AtomicWaker;
use futures_lite::future;

use crate::runner::shared::Shared;
use crate::runner::tokio_rt::Tokio;
use crate::time::idle;

/// How many tasks the paused loop runs before it polls the main future (and the reactor) again.
const BUDGET: usize = 64;

/// Drives `main` and the executor on this thread until `main` completes, pausing and resuming
/// with the runner's clock.
/// `tokio` and `in_tokio` say who drives the thread (`tokio_rt.rs`).
pub(crate) fn pausable<F: Future>(
    main: F,
    executor: &Executor<'static>,
    shared: &Shared,
    tokio: &Tokio,
    in_tokio: bool,
) -> F::Output {
    let mut main = pin!(main);
    let time = &shared.time;
    loop {
        let done = if time.is_paused() {
            tokio.block_on(in_tokio, paused(main.as_mut(), executor, shared))
        } else {
            let mut registered = false;
            let unpaused = future::poll_fn(|cx| {
                if time.is_paused() {
                    return Poll::Ready(None);
                }
                if !registered {
                    // `block_on`'s waker: the same for every poll of this loop.
                    time.wake_on_pause(cx.waker());
                    registered = true;
                    if time.is_paused() {
                        return Poll::Ready(None);
                    }
                }
                main.as_mut().poll(cx).map(Some)
            });
            tokio.block_on(in_tokio, executor.run(unpaused))
        };
        if let Some(output) = done {
            return output;
        }
    }
}

/// What one round of the paused loop found.
enum Round<T> {
    Done(T),
    Resumed,
    Idle,
}

/// The paused loop: `None` once the clock is resumed.
async fn paused<F: Future>(
    mut main: Pin<&mut F>,
    executor: &Executor<'static>,
    shared: &Shared,
) -> Option<F::Output> {
    let (main_woke, main_waker) = Woke::new();
    let (tasks_woke, tasks_waker) = Woke::new();
    let mut tasks = pin!(run_tasks(executor));
    let time = &shared.time;
    loop {
        let round = future::poll_fn(|cx| {
            main_woke.parent.register(cx.waker());
            tasks_woke.parent.register(cx.waker());
            if !time.is_paused() {
                return Poll::Ready(Round::Resumed);
            }
            // The main future first, then the tasks in the order they were woken.
            if main_woke.take() {
                let output = main.as_mut().poll(&mut Context::from_waker(&main_waker));
                if let Poll::Ready(output) = output {
                    return Poll::Ready(Round::Done(output));
                }
            }
            if tasks_woke.take() {
                let _ = tasks.as_mut().poll(&mut Context::from_waker(&tasks_waker));
            }
            if main_woke.is_set() || tasks_woke.is_set() {
                // Come back after `block_on` has looked at the reactor.
                cx.waker().wake_by_ref();
                Poll::Pending
            } else {
                // Both were polled and neither woke since: no task is runnable.
                Poll::Ready(Round::Idle)
            }
        })
        .await;
        match round {
            Round::Done(output) => return Some(output),
            Round::Resumed => return None,
            Round::Idle => {
                idle::advance_if_idle(shared, || main_woke.is_set() || tasks_woke.is_set()).await;
            }
        }
    }
}

/// Runs the executor's tasks, `BUDGET` at a time; pending while there are none.
async fn run_tasks(executor: &Executor<'static>) {
    loop {
        for _ in 0..BUDGET {
            executor.tick().await;
        }
        future::yield_now().await;
    }
}

/// A waker that notes it was woken, and wakes the loop's own waker.
struct Woke {
    set: AtomicBool,
    parent: AtomicWaker,
}

impl Woke {
    /// Starts woken, so that the loop polls once first.
    fn new() -> (Arc<Woke>, Waker) {
        let woke = Arc::new(Woke {
            set: AtomicBool::new(true),
            parent: AtomicWaker::new(),
        });
        let waker = Waker::from(woke.clone());
        (woke, waker)
    }

    fn take(&self) -> bool {
        self.set.swap(false, Ordering::AcqRel)
    }

    fn is_set(&self) -> bool {
        self.set.load(Ordering::Acquire)
    }
}

impl Wake for Woke {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.set.store(true, Ordering::Release);
        self.parent.wake();
    }
}
