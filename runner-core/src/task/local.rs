//! Tasks that stay on their thread (`spawn_local`), run by the thread that drives the runner.
//!
//! This is `LocalExecutor` reduced to what a runner needs: a queue of runnables that the driving
//! thread works through each time it polls its main future. The queue is made with the first
//! local task; until then each poll of the driver only keeps the driver's waker for it. (Nesting
//! a `LocalExecutor::run` around every `Executor::run` instead set up a second ticker on every
//! `run`: bench/README.md, "Design notes".)
//!
//! Like `LocalExecutor`, it keeps a waker of every live task, so that `cancel_all` can close them
//! all on the owning thread: queued runnables hold the tasks and the tasks' schedule closures
//! hold the queue, a cycle that only dropping the runnables breaks.

use std::cell::{OnceCell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use async_task::{Runnable, Task};
use atomic_waker::AtomicWaker;
use concurrent_queue::ConcurrentQueue;
use pin_project_lite::pin_project;
use slab::Slab;

/// How many local tasks one poll of the driver runs before it lets the executor's tasks run.
const BUDGET: usize = 64;

/// The local tasks of one thread. Not `Send` (an `Rc`): the tasks must be polled and dropped
/// where they were spawned.
#[derive(Clone)]
pub(crate) struct LocalTasks {
    local: Rc<Local>,
}

struct Local {
    queue: OnceCell<Arc<Queue>>,
    // The driver's waker as of its last poll before the queue exists, for the queue a task
    // makes later.
    driver: RefCell<Option<Waker>>,
    // A waker of every task whose future is alive.
    active: RefCell<Slab<Waker>>,
}

struct Queue {
    runnables: ConcurrentQueue<Runnable>,
    // The driving thread's waker: a wake-up from any thread gets the queue worked through.
    driver: AtomicWaker,
}

impl LocalTasks {
    pub(crate) fn new() -> LocalTasks {
        LocalTasks {
            local: Rc::new(Local {
                queue: OnceCell::new(),
                driver: RefCell::new(None),
                active: RefCell::new(Slab::new()),
            }),
        }
    }

    pub(crate) fn spawn<F: Future + 'static>(&self, future: F) -> Task<F::Output> {
        let queue = self.local.queue.get_or_init(|| {
            let queue = Queue {
                runnables: ConcurrentQueue::unbounded(),
                driver: AtomicWaker::new(),
            };
            if let Some(driver) = &*self.local.driver.borrow() {
                queue.driver.register(driver);
            }
            Arc::new(queue)
        });
        let queue = queue.clone();
        let schedule = move |runnable| {
            // Unbounded and never closed: the push cannot fail.
            let _ = queue.runnables.push(runnable);
            queue.driver.wake();
        };
        let mut active = self.local.active.borrow_mut();
        let entry = active.vacant_entry();
        let inactive = Inactive {
            local: Rc::downgrade(&self.local),
            key: entry.key(),
        };
        let future = async move {
            let _inactive = inactive;
            future.await
        };
        let (runnable, task) = async_task::Builder::new()
            .propagate_panic(true)
            .spawn_local(|()| future, schedule);
        entry.insert(runnable.waker());
        drop(active);
        runnable.schedule();
        task
    }

    /// Cancels every task of this thread: each one's future is dropped here, now, and whoever
    /// awaits it wakes. Local tasks spawned meanwhile (by destructors) are cancelled too.
    pub(crate) fn cancel_all(&self) {
        self.local.cancel_all();
    }

    /// `future`, with this thread's local tasks run whenever it is polled.
    pub(crate) fn drive<F: Future>(&self, future: F) -> Drive<'_, F> {
        Drive {
            local: &self.local,
            future,
        }
    }
}

impl Local {
    fn cancel_all(&self) {
        loop {
            // Taken out, so that destructors may spawn: a stale key then removes at most the
            // waker of a task spawned meanwhile, which is queued and so dropped below anyway.
            let wakers = std::mem::take(&mut *self.active.borrow_mut());
            let queue = self.queue.get();
            if wakers.is_empty() && queue.map_or(true, |q| q.runnables.is_empty()) {
                return;
            }
            // Each waked task is queued (a queued one stays queued); dropping its runnable
            // drops its future and wakes its awaiter.
            wakers.into_iter().for_each(|(_, waker)| waker.wake());
            if let Some(queue) = queue {
                while let Ok(runnable) = queue.runnables.pop() {
                    drop(runnable);
                }
            }
        }
    }
}

impl Drop for Local {
    fn drop(&mut self) {
        // The runner cancels the tasks before; this catches a thread that never did.
        self.cancel_all();
    }
}

/// Takes a task off the active list when its future is dropped (finished or cancelled).
struct Inactive {
    local: Weak<Local>,
    key: usize,
}

impl Drop for Inactive {
    fn drop(&mut self) {
        if let Some(local) = self.local.upgrade() {
            local.active.borrow_mut().try_remove(self.key);
        }
    }
}

pin_project! {
    pub(crate) struct Drive<'a, F> {
        local: &'a Local,
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Drive<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        if let Some(queue) = this.local.queue.get() {
            // Register, then look: a push after the look finds the waker, one before it is seen.
            queue.driver.register(cx.waker());
            for _ in 0..BUDGET {
                match queue.runnables.pop() {
                    Ok(runnable) => {
                        runnable.run();
                    }
                    Err(_) => break,
                }
            }
        } else {
            // No queue yet: keep the waker for the one a task may make (read only then).
            let mut driver = this.local.driver.borrow_mut();
            if !driver.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *driver = Some(cx.waker().clone());
            }
        }
        let polled = this.future.poll(cx);
        if let (Poll::Pending, Some(queue)) = (&polled, this.local.queue.get()) {
            if !queue.runnables.is_empty() {
                // Left over, or spawned by the future just now: come back after the executor's
                // tasks had their turn.
                cx.waker().wake_by_ref();
            }
        }
        polled
    }
}
