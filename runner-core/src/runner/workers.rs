//! The runner's worker threads: `threads - 1` extra threads that run its executor.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

use async_executor::Executor;
use event_listener::Event;

use crate::runner::current::{self, Current, Engine, Role};
use crate::runner::shared::Shared;
use crate::sync;
use crate::task::local::LocalTasks;

pub(crate) struct Workers {
    stop: Arc<Stop>,
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts `count` workers named `runner-worker-1` to `runner-worker-{count}`; none for 0.
    ///
    /// # Panics
    ///
    /// Panics when the system cannot start one (too many threads asked for, or too little
    /// memory for their stacks), after stopping and joining those already started, so that a
    /// caught panic leaves no thread behind.
    pub(crate) fn start(
        count: usize,
        shared: &Arc<Shared>,
        executor: &Arc<Executor<'static>>,
    ) -> Option<Self> {
        if count == 0 {
            return None;
        }
        let mut workers = Workers {
            stop: Arc::new(Stop::default()),
            threads: Vec::with_capacity(count),
        };
        for n in 1..=count {
            let (stop, shared, executor) = (workers.stop.clone(), shared.clone(), executor.clone());
            let started = std::thread::Builder::new()
                .name(format!("runner-worker-{n}"))
                .spawn(move || work(&stop, shared, executor));
            match started {
                Ok(thread) => workers.threads.push(thread),
                Err(e) => {
                    workers.stop_and_join();
                    panic!(
                        "runner: could not start worker thread {n} of {count}: {e}; ask for \
                         fewer threads (Builder::threads, or the RUNNER_THREADS variable)"
                    );
                }
            }
        }
        Some(workers)
    }

    /// Stops every worker and waits for it to exit; its local tasks are cancelled by then, and
    /// it holds the executor no more.
    pub(crate) fn stop_and_join(self) {
        self.stop.set();
        for thread in self.threads {
            // A task's panic never reaches here (tasks catch their own); a worker that died of
            // anything else has already printed why.
            let _ = thread.join();
        }
    }
}

fn work(stop: &Stop, shared: Arc<Shared>, executor: Arc<Executor<'static>>) {
    // The runner's tokio context, entered but not driven here: with the `tokio` feature, tokio's
    // current-thread runtime runs on the thread inside `run`, and async-io's reactor stays on
    // the workers (`tokio_rt.rs`).
    let tokio = shared.tokio.clone();
    let _tokio = tokio.enter();
    let local = LocalTasks::new();
    let _enter = current::enter(Current::new(
        shared.clone(),
        Role::Driving(Engine::Executor(executor.clone(), local.clone())),
    ));
    async_io::block_on(executor.run(local.drive(stop.wait())));
    // The runner is closing: the local tasks' destructors run here, and what they spawn is
    // cancelled at once, as on the closing thread (a destructor that waited for it would wait
    // for an executor that nobody runs any more).
    let _closing = current::enter(Current::new(shared, Role::Closing));
    local.cancel_all();
}

#[derive(Default)]
struct Stop {
    stopped: AtomicBool,
    event: Event,
}

impl Stop {
    fn set(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.event.notify(usize::MAX);
    }

    async fn wait(&self) {
        sync::until(&self.event, || self.stopped.load(Ordering::SeqCst)).await;
    }
}
