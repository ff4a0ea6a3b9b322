//! Panics of spawned tasks: propagated to whoever awaits the task, reported when nobody does.
//!
//! async-task hands a task's panic to the `Task` handle that awaits it, and silently drops it
//! when the handle was detached. To tell the two apart without catching panics in every poll of
//! a handle, a task's panic travels as a [`TaskPanic`] payload: whoever retrieves it at a `run`
//! boundary unwraps it, and one that is dropped unretrieved (a detached task) reports itself from
//! its destructor.

use std::any::Any;
use std::fmt;

use crate::debug::diagnostic::{message_of, Diagnostic, Reporter, TaskInfo};
use crate::sync;

/// The panic payload of a task spawned through `runner`.
///
/// When a task panics, awaiting its [`Task`](crate::Task) handle resumes the panic with this
/// payload; `run` unwraps it again, so a panic that escapes the main future carries the original
/// payload and `#[should_panic(expected = "...")]` sees the original message. Code that catches a
/// task's panic inside async code (`catch_unwind` around `task.await`) receives a `TaskPanic`:
/// [`message`](TaskPanic::message) gives the text, [`into_payload`](TaskPanic::into_payload) the
/// original payload. A `TaskPanic` dropped without `into_payload` counts as unretrieved and is
/// reported as [`Diagnostic::TaskPanicked`].
///
/// # Examples
///
/// ```
/// use futures_lite::FutureExt;
/// use runner::task::TaskPanic;
/// use std::panic::AssertUnwindSafe;
///
/// # std::panic::set_hook(Box::new(|_| {}));
/// runner::run(async {
///     let task = runner::spawn(async { panic!("boom") });
///     let payload = AssertUnwindSafe(task).catch_unwind().await.unwrap_err();
///     let panic = payload.downcast::<TaskPanic>().unwrap();
///     assert_eq!(panic.message(), "boom");
///     let original = panic.into_payload();
///     assert_eq!(*original.downcast::<&str>().unwrap(), "boom");
/// })
/// .unwrap();
/// ```
pub struct TaskPanic {
    payload: Option<Box<dyn Any + Send>>,
    task: TaskInfo,
    // Where the report goes if nobody retrieves the panic.
    reporter: Reporter,
}

impl TaskPanic {
    /// Wraps a task's panic payload; one that already is a `TaskPanic` (the task awaited another
    /// task that panicked) now belongs to this task.
    pub(crate) fn wrap(
        payload: Box<dyn Any + Send>,
        task: TaskInfo,
        reporter: Reporter,
    ) -> Box<dyn Any + Send> {
        let payload = unwrap(payload);
        Box::new(TaskPanic {
            payload: Some(payload),
            task,
            reporter,
        })
    }

    /// The panic message, as the panic hook printed it (`"Box<dyn Any>"` when the payload was not
    /// a string).
    ///
    /// # Examples
    ///
    /// See [`TaskPanic`].
    pub fn message(&self) -> &str {
        self.payload.as_deref().map_or("", message_of)
    }

    /// The task that panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// use futures_lite::FutureExt;
    /// use runner::task::TaskPanic;
    /// use std::panic::AssertUnwindSafe;
    ///
    /// # std::panic::set_hook(Box::new(|_| {}));
    /// runner::run(async {
    ///     let line = line!() + 1;
    ///     let task = runner::spawn(async { panic!("boom") });
    ///     let payload = AssertUnwindSafe(task).catch_unwind().await.unwrap_err();
    ///     let panic = payload.downcast::<TaskPanic>().unwrap();
    ///     assert_eq!(panic.task().spawned_at.line(), line);
    ///     drop(panic.into_payload());
    /// })
    /// .unwrap();
    /// ```
    pub fn task(&self) -> TaskInfo {
        self.task
    }

    /// The original payload, as `panic!` made it; the panic counts as retrieved.
    ///
    /// # Examples
    ///
    /// See [`TaskPanic`].
    pub fn into_payload(mut self) -> Box<dyn Any + Send> {
        self.payload.take().unwrap_or_else(|| Box::new(()))
    }
}

impl Drop for TaskPanic {
    fn drop(&mut self) {
        if let Some(payload) = self.payload.take() {
            let diagnostic = Diagnostic::TaskPanicked {
                task: self.task,
                message: message_of(&*payload).to_owned(),
            };
            self.reporter.report(diagnostic);
            // A payload's destructor is user code (`panic_any` takes any value): async-task
            // drops a detached task's panic where a second panic would abort the process.
            sync::drop_payload(payload);
        }
    }
}

impl fmt::Debug for TaskPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskPanic")
            .field("task", &self.task)
            .field("message", &self.message())
            .finish()
    }
}

impl fmt::Display for TaskPanic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} panicked: {}", self.task, self.message())
    }
}

/// The original payload of a panic that may have come out of a task.
pub(crate) fn unwrap(payload: Box<dyn Any + Send>) -> Box<dyn Any + Send> {
    match payload.downcast::<TaskPanic>() {
        Ok(task_panic) => task_panic.into_payload(),
        Err(payload) => payload,
    }
}
