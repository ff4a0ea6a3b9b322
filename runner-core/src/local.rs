//! Tasks that stay on their thread (`spawn_local`), run by the thread that drives the runner.
//!
//! This is `LocalExecutor` reduced to what a runner needs: a queue of runnables that the driving
//! thread works through each time it polls its main future. It costs nothing until a local task
//! exists, where nesting a `LocalExecutor::run` around every `Executor::run` set up a second
//! ticker on every `run` (half the cost of an empty `run`).

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

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
    owner: Rc<Owner>,
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
            owner: Rc::new(Owner(Arc::new(Queue {
                runnables: ConcurrentQueue::unbounded(),
                driver: AtomicWaker::new(),
            }))),
        }
    }

    pub(crate) fn spawn<F: Future + 'static>(&self, future: F) -> Task<F::Output> {
        let queue = self.owner.0.clone();
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
            queue: &self.owner.0,
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
        queue: &'a Queue,
        #[pin]
        future: F,
    }
}

impl<F: Future> Future for Drive<'_, F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        this.queue.driver.register(cx.waker());
        for _ in 0..BUDGET {
            match this.queue.runnables.pop() {
                Ok(runnable) => {
                    runnable.run();
                }
                Err(_) => break,
            }
        }
        if !this.queue.runnables.is_empty() {
            // More than a budget's worth: come back after the executor's tasks had their turn.
            cx.waker().wake_by_ref();
        }
        this.future.poll(cx)
    }
}
