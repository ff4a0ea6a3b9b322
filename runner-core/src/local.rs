//! Tasks that stay on their thread (`spawn_local`), run by the thread that drives the runner.
//!
//! This is `LocalExecutor` reduced to what a runner needs: a queue of runnables that the driving
//! thread works through each time it polls its main future. It costs nothing until the first
//! local task (the queue is made then), where nesting a `LocalExecutor::run` around every
//! `Executor::run` set up a second ticker on every `run` (half the cost of an empty `run`).

use std::cell::{OnceCell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use async_task::{Runnable, Task};
use atomic_waker::AtomicWaker;
use concurrent_queue::ConcurrentQueue;
use pin_project_lite::pin_project;

/// How many local tasks one poll of the driver runs before it lets the executor's tasks run.
const BUDGET: usize = 64;

/// The local tasks of one thread. Not `Send` (an `Rc`): the tasks must be polled and dropped
/// where they were spawned.
#[derive(Clone)]
pub(crate) struct LocalTasks {
    local: Rc<Local>,
}

struct Local {
    queue: OnceCell<Owner>,
    // The driver's waker as of its last poll before the queue exists, for the queue a task
    // makes later.
    driver: RefCell<Option<Waker>>,
}

/// Drops the queued tasks when the thread's last handle goes.
struct Owner(Arc<Queue>);

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
            }),
        }
    }

    pub(crate) fn spawn<F: Future + 'static>(&self, future: F) -> Task<F::Output> {
        let owner = self.local.queue.get_or_init(|| {
            let queue = Queue {
                runnables: ConcurrentQueue::unbounded(),
                driver: AtomicWaker::new(),
            };
            if let Some(driver) = &*self.local.driver.borrow() {
                queue.driver.register(driver);
            }
            Owner(Arc::new(queue))
        });
        let queue = owner.0.clone();
        let schedule = move |runnable| {
            // Unbounded and never closed: the push cannot fail.
            let _ = queue.runnables.push(runnable);
            queue.driver.wake();
        };
        let (runnable, task) = async_task::Builder::new()
            .propagate_panic(true)
            .spawn_local(|()| future, schedule);
        runnable.schedule();
        task
    }

    /// `future`, with this thread's local tasks run whenever it is polled.
    pub(crate) fn drive<F: Future>(&self, future: F) -> Drive<'_, F> {
        Drive {
            local: &self.local,
            future,
        }
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        // On the owning thread, where they may be dropped: the runner cancelled the tasks'
        // futures already, this frees what is left of the queued ones.
        while self.0.runnables.pop().is_ok() {}
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
        if let Some(Owner(queue)) = this.local.queue.get() {
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
        if let (Poll::Pending, Some(Owner(queue))) = (&polled, this.local.queue.get()) {
            if !queue.runnables.is_empty() {
                // Left over, or spawned by the future just now: come back after the executor's
                // tasks had their turn.
                cx.waker().wake_by_ref();
            }
        }
        polled
    }
}
