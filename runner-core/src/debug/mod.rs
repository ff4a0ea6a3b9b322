//! Debug mode and the reports: the report types every mode uses (`diagnostic.rs`, public as
//! [`runner::diagnostic`](crate::diagnostic)), debug mode's record of live tasks
//! ([`tasks`], `snapshot.rs`), its watchdog thread, and the cheap clock it times polls with.
//!
//! The report types sit near the bottom of the crate (they use only the signal types,
//! [`Signal`](crate::signal::Signal) and `NotHandled`, and `sync.rs`); the task records may use
//! the runner's shared state.

pub(crate) mod clock;
pub(crate) mod diagnostic;
pub(crate) mod snapshot;
pub(crate) mod watchdog;

pub use self::snapshot::{TaskSnapshot, TaskState};

use crate::runner::current;

/// The live tasks of the current runner, main future included, by task number (the main future
/// first; see [`TaskInfo::id`](crate::diagnostic::TaskInfo::id)); empty outside a runner and
/// with debug mode off, where no record is kept.
///
/// # Examples
///
/// ```
/// let tasks = runner::Builder::new().debug(true).threads(1).build().run(async {
///     let _task = runner::spawn(std::future::pending::<()>());
///     runner::debug::tasks()
/// }).unwrap();
/// assert_eq!(tasks.len(), 2);
/// assert!(tasks[0].task.is_main());
/// assert_eq!(tasks[1].task.id, 1);
/// assert_eq!(tasks[1].state, runner::debug::TaskState::Scheduled); // spawned, not polled yet
/// assert!(runner::debug::tasks().is_empty()); // outside a runner
/// ```
pub fn tasks() -> Vec<TaskSnapshot> {
    current::with(|c| c.map(|c| c.shared.tasks()).unwrap_or_default())
}
