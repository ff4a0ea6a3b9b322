//! Which runner the current thread belongs to, so that `spawn` and friends need no handle.

use std::cell::{Cell, RefCell};
use std::panic::Location;
use std::rc::Rc;
use std::sync::{Arc, Weak};

use async_executor::Executor;

use crate::debug::diagnostic::TaskInfo;
use crate::runner::scheduler::{Remote, Scheduler};
use crate::runner::shared::Shared;
use crate::task::local::LocalTasks;
use crate::task::sites::wrapped_id;

/// What runs a runner's tasks.
#[derive(Clone)]
pub(crate) enum Engine {
    /// One thread: the runner's own scheduler, which runs local tasks too.
    Own(Rc<Scheduler>),
    /// More threads, a factory's executor, or `entry::executor_engine`: `async-executor`, and
    /// this thread's local tasks.
    Executor(Arc<Executor<'static>>, LocalTasks),
}

/// An engine as a blocking job holds it: weakly, so that `close` can cancel its tasks while
/// the job still runs.
#[derive(Clone)]
pub(crate) enum WeakEngine {
    Own(Weak<Remote>),
    Executor(Weak<Executor<'static>>),
}

/// An engine reached from another thread, for one spawn.
pub(crate) enum RemoteEngine {
    Own(Arc<Remote>),
    Executor(Arc<Executor<'static>>),
}

impl Engine {
    pub(crate) fn downgrade(&self) -> WeakEngine {
        match self {
            Engine::Own(scheduler) => WeakEngine::Own(Arc::downgrade(scheduler.remote())),
            Engine::Executor(executor, _) => WeakEngine::Executor(Arc::downgrade(executor)),
        }
    }
}

impl WeakEngine {
    pub(crate) fn upgrade(&self) -> Option<RemoteEngine> {
        match self {
            WeakEngine::Own(remote) => remote.upgrade().map(RemoteEngine::Own),
            WeakEngine::Executor(executor) => executor.upgrade().map(RemoteEngine::Executor),
        }
    }
}

/// How the current thread serves its runner.
#[derive(Clone)]
pub(crate) enum Role {
    /// The thread is inside `Runner::run` or is a worker: it drives the executor (and its own
    /// local tasks), so blocking it on another runner would stall this one.
    Driving(Engine),
    /// A blocking job of the runner's: it may spawn, and it may start a runner of its own.
    Blocking(WeakEngine),
    /// The thread is inside `close`: whatever a destructor spawns now is cancelled at once.
    Closing,
}

pub(crate) struct Current {
    pub(crate) shared: Arc<Shared>,
    pub(crate) role: Role,
    // Task numbers this thread took from the runner and has not used yet: next and end.
    ids: Cell<(u64, u64)>,
}

impl Current {
    pub(crate) fn new(shared: Arc<Shared>, role: Role) -> Current {
        Current {
            shared,
            role,
            ids: Cell::new((0, 0)),
        }
    }

    /// Names a new task or blocking job after the line that spawned it. The numbers come from
    /// the runner in blocks, so that threads spawning at once do not share a counter per spawn.
    pub(crate) fn new_task(&self, spawned_at: &'static Location<'static>) -> TaskInfo {
        let (mut next, mut end) = self.ids.get();
        if next == end {
            (next, end) = self.shared.take_ids();
        }
        self.ids.set((next + 1, end));
        TaskInfo::new(wrapped_id(next), spawned_at)
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Current>> = const { RefCell::new(None) };
    /// The number of the current runner's clock (0: none), beside `CURRENT`: what a deadline
    /// needs of its runner while every clock is the real one, read without a borrow.
    static CURRENT_TIME: Cell<u64> = const { Cell::new(0) };
}

/// Makes `current` this thread's runner until the guard drops, then restores the one before.
pub(crate) fn enter(current: Current) -> EnterGuard {
    let time = current.shared.time.id();
    EnterGuard {
        previous: CURRENT.with(|c| c.replace(Some(current))),
        previous_time: CURRENT_TIME.with(|t| t.replace(time)),
    }
}

pub(crate) struct EnterGuard {
    previous: Option<Current>,
    previous_time: u64,
}

impl Drop for EnterGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        // `try_with`: the guard of a worker thread may drop while its thread-locals are torn down.
        let _ = CURRENT.try_with(|c| c.replace(previous));
        let _ = CURRENT_TIME.try_with(|t| t.set(self.previous_time));
    }
}

/// The number of the current runner's clock (0 outside any runner): `with`'s answer to
/// `c.shared.time.id()`, for a deadline.
#[inline]
pub(crate) fn time_id() -> u64 {
    CURRENT_TIME.with(Cell::get)
}

/// Runs `f` with this thread's runner, if it has one.
pub(crate) fn with<R>(f: impl FnOnce(Option<&Current>) -> R) -> R {
    CURRENT.with(|c| f(c.borrow().as_ref()))
}

/// Whether a runner is driving its executor (or closing) on this thread right now.
pub(crate) fn is_driving() -> bool {
    with(|c| c.is_some_and(|c| !matches!(c.role, Role::Blocking(_))))
}

/// The panic for a spawn function called where no runner runs.
#[track_caller]
pub(crate) fn no_runner(function: &str) -> ! {
    panic!(
        "runner::{function} was called outside of a runner: it must be called from code running \
         inside Runner::run, runner::run or #[runner::main] (including the tasks they spawn)"
    )
}
