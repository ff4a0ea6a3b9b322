//! asyncio semantics: tasks spawned in one `run` keep running in the next one.
#![allow(clippy::async_yields_async)] // returning a task handle out of a run is the point

use std::time::Duration;

use runner::Runner;

#[test]
fn a_pending_task_progresses_in_the_next_run() {
    let mut runner = Runner::new();
    let (tx, rx) = async_channel::unbounded::<u32>();
    let (go_tx, go_rx) = async_channel::unbounded::<()>();
    runner
        .run(async move {
            runner::spawn(async move {
                go_rx.recv().await.unwrap();
                tx.send(7).await.unwrap();
            })
            .detach();
        })
        .unwrap();
    // Between runs nothing drives the executor; the task waits for its message.
    go_tx.send_blocking(()).unwrap();
    assert_eq!(runner.run(rx.recv()), Ok(Ok(7)));
}

#[test]
fn a_task_handle_from_one_run_can_be_awaited_in_the_next() {
    let mut runner = Runner::new();
    let task = runner
        .run(async {
            runner::spawn(async {
                runner::sleep(Duration::from_millis(20)).await;
                "later"
            })
        })
        .unwrap();
    assert_eq!(runner.run(task), Ok("later"));
}

#[test]
fn local_tasks_also_survive_between_runs() {
    let mut runner = Runner::new();
    let task = runner
        .run(async { runner::spawn_local(async { std::rc::Rc::new(5) }) })
        .unwrap();
    assert_eq!(runner.run(task).map(|rc| *rc), Ok(5));
}

// The channel the tests use (see the file for why it is not `async-channel`).
#[path = "support/channel.rs"]
mod async_channel;
