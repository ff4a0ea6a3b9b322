//! Cancellation as it travels: awaiting a cancelled task panics, quietly when a task wrapper or
//! blocking job up the stack catches it (that task or job is cancelled in turn).

use std::any::Any;
use std::cell::Cell;
use std::panic::resume_unwind;

use crate::debug::diagnostic::TaskInfo;

thread_local! {
    // How many task wrappers and blocking jobs on this thread's stack are polling their code
    // under a `catch_unwind` that takes a cancellation for what it is.
    static CATCHERS: Cell<usize> = const { Cell::new(0) };
}

/// The payload of a cancellation panic that a task wrapper or blocking job will catch: it is
/// no error of the code that awaited, so nothing prints it.
struct Cancelled;

/// Marks the thread as polling code whose cancellation panic is caught: while it lives, awaiting
/// a cancelled task unwinds quietly to the catcher instead of printing a panic message.
pub(crate) struct CatchesCancellation(());

impl CatchesCancellation {
    #[inline]
    pub(crate) fn new() -> Self {
        CATCHERS.with(|c| c.set(c.get() + 1));
        CatchesCancellation(())
    }
}

impl Drop for CatchesCancellation {
    #[inline]
    fn drop(&mut self) {
        // `try_with`: a job may end while the thread's locals are torn down.
        let _ = CATCHERS.try_with(|c| c.set(c.get() - 1));
    }
}

/// Panics for awaiting a cancelled task. Inside a task or a blocking job the unwind is quiet
/// (that task or job is cancelled in turn); anywhere else (a main future, a plain thread) the
/// payload is the message, so that any panic hook prints it.
pub(crate) fn raise_cancelled(info: TaskInfo) -> ! {
    // `try_with`: awaited while the thread's locals are torn down, it still panics as it should.
    if CATCHERS.try_with(Cell::get).unwrap_or(0) > 0 {
        resume_unwind(Box::new(Cancelled));
    }
    std::panic::panic_any(format!(
        "runner: {info} was cancelled: its runner closed, or it awaited a task that was cancelled \
         (await `task.fallible()` to get `None` instead of this panic)"
    ))
}

/// Whether a caught panic is the cancellation of an awaited task.
pub(crate) fn is_cancellation(payload: &(dyn Any + Send)) -> bool {
    payload.is::<Cancelled>()
}
