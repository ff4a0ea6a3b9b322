//! Awaiting a cancelled task inside a task or a blocking job cancels that one in turn, without a
//! panic message: only code that nobody catches for it (a main future, a plain thread) prints one.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use futures_lite::future;

#[path = "support/said_waiting.rs"]
mod said_waiting;
use said_waiting::said_waiting;

#[test]
fn only_an_uncaught_cancellation_reaches_the_panic_hook() {
    let hook_calls = Arc::new(AtomicUsize::new(0));
    let calls = hook_calls.clone();
    std::panic::set_hook(Box::new(move |_| {
        calls.fetch_add(1, Ordering::SeqCst);
    }));

    let mut runner = runner::Runner::builder().threads(2).build();
    let (for_thread, job) = runner
        .run(async {
            let awaited = runner::spawn(future::pending::<()>());
            let awaited_by_job = runner::spawn(future::pending::<()>());
            let for_thread = runner::spawn(future::pending::<()>());
            // Another task and a blocking job await tasks that close will cancel.
            let (waiting, waiting_rx) = mpsc::channel();
            runner::spawn(said_waiting(awaited, waiting.clone())).detach();
            let job = runner::spawn_blocking(move || {
                future::block_on(said_waiting(awaited_by_job, waiting))
            });
            // Both wait before `close` (the calling thread blocks: the worker runs the task).
            for _ in 0..2 {
                waiting_rx.recv_timeout(Duration::from_secs(10)).unwrap();
            }
            (for_thread, job)
        })
        .unwrap();
    runner.close();
    assert_eq!(
        future::block_on(job.fallible()),
        None,
        "the job was cancelled"
    );
    assert_eq!(hook_calls.load(Ordering::SeqCst), 0, "nothing was printed");

    // A plain thread has nobody to catch the cancellation for it: the message is printed.
    let outcome = std::thread::spawn(move || future::block_on(for_thread)).join();
    let message = *outcome.unwrap_err().downcast::<String>().unwrap();
    assert!(
        message.ends_with("was cancelled: its runner closed, or it awaited a task that was cancelled (await `task.fallible()` to get `None` instead of this panic)"),
        "{message}"
    );
    assert_eq!(hook_calls.load(Ordering::SeqCst), 1);
    let _ = std::panic::take_hook();
}
